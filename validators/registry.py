"""Event types keyed by (category, name); each type registers itself by subclassing EventType."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True, slots=True)
class RegisteredType:
    """One event type as the registry knows it."""

    category: str
    name: str
    version: int
    model: type[EventType]

    @property
    def label(self) -> str:
        """How details and logs name the type: "page interaction/pageview"."""
        return f"{self.category}/{self.name}"


class Registry:
    """All known event types. Filled at import time, read-only afterwards."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str], RegisteredType] = {}

    def add(self, event_type: RegisteredType) -> None:
        key = (event_type.category, event_type.name)
        # Two classes claiming one type is a programming error; fail at import, not per event.
        if key in self._types:
            existing = self._types[key].model
            raise ValueError(
                f"event type {event_type.label} is already registered by "
                f"{existing.__module__}.{existing.__qualname__}"
            )
        self._types[key] = event_type

    def remove(self, category: str, name: str) -> None:
        """Forget a type; for tests that register throwaway types."""
        del self._types[(category, name)]

    def get(self, category: str, name: str) -> RegisteredType | None:
        return self._types.get((category, name))

    def __iter__(self) -> Iterator[RegisteredType]:
        return iter(sorted(self._types.values(), key=lambda t: (t.category, t.name)))

    def __len__(self) -> int:
        return len(self._types)

    def schemas(self) -> list[dict[str, Any]]:
        """Every type's JSON Schema for its data object, in a stable order, for GET /schemas."""
        return [
            {
                "category": t.category,
                "name": t.name,
                "version": t.version,
                "schema": t.model.model_json_schema(),
            }
            for t in self
        ]


registry = Registry()


class EventType(BaseModel):
    """Payload rules for one event type: the fields its data object must carry.

    Subclass with the type's identity as class keywords and declare the fields; the class
    registers itself::

        class Pageview(EventType, category="page interaction", name="pageview", version=1):
            host: str
            path: str

    A subclass without those keywords registers nothing and can hold fields a family shares.
    """

    # strict: a producer sending 1 for a string field has a bug worth surfacing, not coercing.
    # extra="allow": data may carry more than the rules ask for, and it is all kept.
    # use_attribute_docstrings: field docstrings become descriptions in the served schema.
    model_config = ConfigDict(strict=True, extra="allow", use_attribute_docstrings=True)

    def __init_subclass__(
        cls,
        *,
        category: str | None = None,
        name: str | None = None,
        version: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        identity = (category, name, version)
        if identity == (None, None, None):
            return
        if category is None or name is None or version is None:
            raise TypeError(f"{cls.__qualname__}: give all of category=, name= and version=")
        if not category or not name:
            raise TypeError(f"{cls.__qualname__}: category and name must not be empty")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise TypeError(f"{cls.__qualname__}: version must be a positive integer")
        registry.add(RegisteredType(category, name, version, cls))
