"""What every resolver of one request sees: its share of the pool, the settings, the caller's
token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

from base.settings import Settings
from store.db import Connections
from store.tokens import Token


@dataclass(slots=True)
class Context:
    pool: Connections
    settings: Settings
    token: Token
    # Errors that accompany data rather than replace it (a list cut at api_list_max).
    notes: list[GraphQLError] = field(default_factory=list)
    # What a heavy request's long list awaits between two slices (executor.py): its turn after
    # any light request under way (precedence.py). None: the loop's next turn.
    pause: Callable[[], Awaitable[None]] | None = None

    def note(self, message: str, path: list[str | int], **extensions: Any) -> None:
        self.notes.append(GraphQLError(message, path=path, extensions=extensions))
