from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from validators import Reason, Rejection
from validators.payload import check_payload
from validators.registry import EventType, RegisteredType


class Order(EventType):
    """Not registered: defined only to exercise the error wording."""

    sku: Annotated[str, Field(min_length=3)]
    items: list[dict[str, int]]


ORDER = RegisteredType("shop", "order", 1, Order)


def check(data: dict[str, Any]) -> Rejection | None:
    return check_payload(ORDER, data)


def test_valid_payload() -> None:
    assert check({"sku": "abc", "items": [{"qty": 1}]}) is None


def test_nested_locations_use_the_path_syntax() -> None:
    assert check({"sku": "abc", "items": [{"qty": 1}, {"qty": "2"}]}) == Rejection(
        Reason.INVALID_FIELD, "data.items[1].qty: must be an integer, got string (shop/order)"
    )


def test_constraint_messages_are_passed_through() -> None:
    assert check({"sku": "ab", "items": []}) == Rejection(
        Reason.INVALID_FIELD, "data.sku: string should have at least 3 characters (shop/order)"
    )


def test_first_error_wins() -> None:
    result = check({})
    assert result == Rejection(Reason.MISSING_FIELD, "data.sku: required field missing (shop/order)")
