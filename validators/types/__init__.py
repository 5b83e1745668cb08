"""Event type families; importing this package registers every type in them."""

from validators.types import form, page

__all__ = ["form", "page"]
