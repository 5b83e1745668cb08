"""Check an event's data object against its registered type's rules."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from validators.details import field_path, json_type
from validators.outcome import Reason, Rejection
from validators.registry import RegisteredType

# pydantic's own messages describe Python types ("valid dictionary"); producers think in JSON.
_EXPECTED = {
    "string_type": "a string",
    "dict_type": "an object",
    "list_type": "an array",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
}


def check_payload(event_type: RegisteredType, data: dict[str, Any]) -> Rejection | None:
    """None if data meets the type's rules, else a Rejection naming the first broken rule."""
    try:
        event_type.model.model_validate(data)
    except ValidationError as exc:
        return _rejection(event_type, exc)
    return None


def _rejection(event_type: RegisteredType, exc: ValidationError) -> Rejection:
    error = exc.errors(include_url=False, include_context=False)[0]
    path = "data"
    for part in error["loc"]:
        path = field_path(path, part)
    kind = error["type"]
    if kind == "missing":
        reason, rule = Reason.MISSING_FIELD, "required field missing"
    elif kind in _EXPECTED:
        reason, rule = Reason.INVALID_FIELD, f"must be {_EXPECTED[kind]}, got {json_type(error['input'])}"
    else:
        # Constraint messages ("String should have at least 1 character") name no values.
        message = error["msg"]
        reason, rule = Reason.INVALID_FIELD, message[:1].lower() + message[1:]
    return Rejection(reason, f"{path}: {rule} ({event_type.label})")
