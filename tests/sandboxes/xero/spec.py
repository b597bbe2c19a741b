"""Validate sandbox traffic against Xero's own OpenAPI document in ../shared/specs.

The spec is data owned outside this repository: tests read it in place and skip when it is not
there. Its component schemas are OpenAPI 3.0 (a JSON Schema Draft 4 dialect), so they are
checked with a Draft 4 validator, resolving ``$ref`` inside the same document.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

SPECS = Path(__file__).resolve().parents[3] / ".." / "shared" / "specs" / "xero"
ACCOUNTING_SPEC = SPECS / "xero_accounting.yaml"
IDENTITY_SPEC = SPECS / "xero-identity.yaml"


@cache
def _load(path: Path) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=loader)
    assert isinstance(document, dict)
    return document


def spec(path: Path = ACCOUNTING_SPEC) -> dict[str, Any]:
    if not path.exists():
        pytest.skip(f"Xero OpenAPI spec not found at {path}; schema checks need ../shared/specs")
    return _load(path)


def conforms(instance: Any, schema_name: str, path: Path = ACCOUNTING_SPEC) -> None:
    """Schema-check traffic inside a behaviour test when the spec is available.

    Behaviour tests must keep running without ../shared/specs, so here an absent spec means "no
    schema check"; ``test_spec_conformance.py`` is where its absence shows up as a skip.
    """
    if path.exists():
        validate(instance, schema_name, path)


def validate(instance: Any, schema_name: str, path: Path = ACCOUNTING_SPEC) -> None:
    """Assert ``instance`` conforms to ``#/components/schemas/<schema_name>`` (skips without
    the spec)."""
    from jsonschema import Draft4Validator  # type: ignore[import-untyped,unused-ignore]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    document = spec(path)
    assert schema_name in document["components"]["schemas"], schema_name
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("urn:xero-spec", resource)
    validator = Draft4Validator(
        {"$ref": f"urn:xero-spec#/components/schemas/{schema_name}"}, registry=registry
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
