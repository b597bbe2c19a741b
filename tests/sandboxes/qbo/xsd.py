"""Validate QBO JSON against Intuit's XSD data model in ../shared/specs/qbo.

QBO's JSON is its XML with the same element names: an object is an element, a list is a
repeated element, a ``ReferenceType``-like object carries its text in ``value`` and the rest as
attributes. :func:`to_xml` walks the schema alongside the JSON to rebuild that XML (child order
from the XSD sequence, attributes where the type declares them), then ``xmlschema`` validates it.
Unknown JSON keys become elements too, so a field the XSD does not know fails validation.

The XSDs are Intuit's and stay outside this repository: tests read them in place and skip when
they are absent.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SPECS = Path(__file__).resolve().parents[3] / ".." / "shared" / "specs" / "qbo"
ROOT_XSD = SPECS / "IntuitRestServiceDef.xsd"
NS = "http://schema.intuit.com/finance/v3"


@cache
def _schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(ROOT_XSD))


def schema() -> Any:
    if not ROOT_XSD.exists():
        pytest.skip(f"QBO XSDs not found at {SPECS}; schema checks need ../shared/specs/qbo")
    return _schema()


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _children(xsd_type: Any) -> dict[str, tuple[int, Any]]:
    """Child element name -> (position in the sequence, declaration)."""
    if not xsd_type.is_complex() or xsd_type.has_simple_content():
        return {}
    found: dict[str, tuple[int, Any]] = {}
    for index, element in enumerate(xsd_type.content.iter_elements()):
        found.setdefault(element.local_name, (index, element))
    return found


def _substitute(key: str, children: dict[str, tuple[int, Any]]) -> tuple[int, Any]:
    """``Purchase`` where the type says ``IntuitObject``: a member of a substitution group."""
    element = _schema().elements.get(key)
    head = getattr(element, "substitution_group", None)
    if element is not None and head is not None:
        local = head.split("}")[-1]
        if local in children:
            return children[local][0], element
    return 10_000, None


def to_xml(name: str, value: Any, xsd_type: Any) -> ET.Element:
    element = ET.Element(f"{{{NS}}}{name}")
    if not isinstance(value, dict):
        element.text = _scalar(value)
        return element
    attributes = {a.split("}")[-1] for a in xsd_type.attributes} if xsd_type.is_complex() else set()
    simple_content = xsd_type.is_simple() or xsd_type.has_simple_content()
    children = _children(xsd_type)
    ordered: list[tuple[int, str, Any]] = []
    for key, item in value.items():
        if item is None:
            continue  # JSON null means "not sent"
        if key in attributes and not (key in children and isinstance(item, dict | list)):
            element.set(key, _scalar(item))
        elif simple_content and key == "value":
            element.text = _scalar(item)
        else:
            position, declaration = children.get(key) or _substitute(key, children)
            for entry in item if isinstance(item, list) else [item]:
                ordered.append((position, key, (declaration, entry)))
    present = {key for _, key, _ in ordered}
    for key, (position, declaration) in children.items():
        # XSD quirk: ``TransferEx`` (an ``IntuitAnyType`` extension hook) lacks minOccurs="0"
        # although QBO's JSON never carries it; an empty hook keeps such records valid.
        if key not in present and declaration.min_occurs and key.endswith("Ex"):
            ordered.append((position, key, (declaration, {})))
    ordered.sort(key=lambda triple: triple[0])
    for _, key, (declaration, entry) in ordered:
        child_type = declaration.type if declaration is not None else xsd_type
        element.append(to_xml(key, entry, child_type))
    return element


def validate(entity: str, record: dict[str, Any]) -> None:
    """Assert a QBO JSON entity (``Purchase``, ``Fault``, …) is valid against the XSD."""
    document = schema()
    declaration = document.elements.get(entity)
    if declaration is None:
        declaration = document.maps.elements.get(f"{{{NS}}}{entity}")
    if declaration is not None:
        root = to_xml(entity, record, declaration.type)
        errors = list(document.iter_errors(root))
    else:
        xsd_type = document.maps.types[f"{{{NS}}}{entity}"]
        root = to_xml(entity, record, xsd_type)
        errors = list(xsd_type.iter_errors(root)) if hasattr(xsd_type, "iter_errors") else []
    assert not errors, "\n".join(str(error.reason) + f" at {error.path}" for error in errors[:5])


def conforms(entity: str, record: dict[str, Any]) -> None:
    """Schema-check inside a behaviour test when the XSDs are available (no skip otherwise)."""
    if ROOT_XSD.exists():
        validate(entity, record)
