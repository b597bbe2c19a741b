"""Base for API models: camelCase on the wire (Codat's casing), snake_case in Python."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, field_validator
from pydantic.alias_generators import to_camel


def _decimal_to_json_number(value: Decimal) -> int | float:
    """Codat's decimals are JSON numbers. Amounts have far fewer than 15 significant digits, so
    the float's shortest repr is exactly the decimal's text ("12.34" stays 12.34)."""
    return int(value) if value == value.to_integral_value() else float(value)


JsonDecimal = Annotated[Decimal, PlainSerializer(_decimal_to_json_number, when_used="json")]


def _reject_nul(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("Text may not contain NUL characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key)
            _reject_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_nul(item)
    return value


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    # No stored text may hold NUL: PostgreSQL cannot store it, and no accounting field needs it.
    _no_nul = field_validator("*", mode="before")(_reject_nul)
