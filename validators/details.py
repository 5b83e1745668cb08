"""Wording shared by rejection details: JSON type names, field paths and quoted snippets."""

from __future__ import annotations

# Details end up in logs and dead-letter rows, so anything echoed from the message is kept short.
_MAX_SNIPPET = 64


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, as a producer would call it."""
    if value is None:
        return "null"
    # bool is a subclass of int, so it must be tested first.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def snippet(text: str) -> str:
    """Text from the message made safe to echo: NUL spelled out, length capped."""
    text = text.replace("\x00", "\\u0000")
    if len(text) > _MAX_SNIPPET:
        return text[:_MAX_SNIPPET] + "…"
    return text


def quoted(text: str) -> str:
    """A snippet in double quotes, for values such as a timestamp or an event type name."""
    return f'"{snippet(text)}"'


def field_path(parent: str, part: str | int) -> str:
    """Extend a dotted path with an object key or an array index: data.form.email, data.items[3]."""
    if isinstance(part, int):
        return f"{parent}[{part}]"
    key = snippet(part)
    return f"{parent}.{key}" if parent else key
