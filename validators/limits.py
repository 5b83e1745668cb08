"""Structural limits on a message: size, nesting depth, encoding and NUL characters."""

from __future__ import annotations

from typing import Any

from validators.details import field_path
from validators.outcome import Reason, Rejection

# orjson's own nesting limit; its error message is the only signal that this limit was hit.
ORJSON_DEPTH_MARKER = "depth limit"
UTF8_BOM = b"\xef\xbb\xbf"


def too_large(value: bytes, max_bytes: int) -> Rejection | None:
    """Reject before parsing, so an oversized message costs nothing but a length check."""
    if len(value) > max_bytes:
        return Rejection(
            Reason.PAYLOAD_TOO_LARGE,
            f"value: {len(value)} bytes is more than the limit of {max_bytes}",
        )
    return None


def parse_failure(value: bytes, error: Exception, max_depth: int) -> Rejection:
    """Classify an orjson failure: nesting, encoding, or plain bad JSON."""
    message = str(error)
    if ORJSON_DEPTH_MARKER in message:
        return Rejection(Reason.TOO_DEEP, f"value: nesting is deeper than the limit of {max_depth}")
    if value.startswith(UTF8_BOM):
        # Valid UTF-8, so the decode below would pass it on as bad JSON: name the real fault.
        return Rejection(Reason.INVALID_ENCODING,
                         "value: starts with a byte order mark (EF BB BF); send UTF-8 without one")
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(
            Reason.INVALID_ENCODING,
            f"value: not UTF-8 (byte {exc.start}: {exc.reason})",
        )
    return Rejection(Reason.MALFORMED_JSON, f"value: not valid JSON ({message})")


def too_deep(value: bytes, doc: Any, max_depth: int) -> Rejection | None:
    """Reject documents whose objects and arrays nest deeper than max_depth (top level is 1)."""
    # Brackets inside strings only over-count, so a low count proves the document is shallow
    # without walking it; typical events have two or three.
    if value.count(b"{") + value.count(b"[") <= max_depth or not isinstance(doc, (dict, list)):
        return None
    # Iterative, so no document can exhaust the Python stack.
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return Rejection(Reason.TOO_DEEP, f"value: nesting is deeper than the limit of {max_depth}")
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return None


def nul_character(value: bytes, doc: dict[str, Any]) -> Rejection | None:
    """Reject any key or string holding U+0000, which PostgreSQL text and jsonb cannot store."""
    # JSON can only carry NUL escaped; a raw NUL byte is already a parse error. The escape may
    # also appear as the harmless text "\\u0000", so a hit here only means "look closer".
    if b"\\u0000" not in value:
        return None
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                child_path = field_path(path, key)
                if "\x00" in key:
                    return _nul(child_path, "key contains \\u0000")
                stack.append((child, child_path))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                stack.append((child, field_path(path, index)))
        elif isinstance(node, str) and "\x00" in node:
            return _nul(path, "contains \\u0000")
    return None


def _nul(path: str, rule: str) -> Rejection:
    return Rejection(Reason.INVALID_FIELD, f"{path}: {rule}, which PostgreSQL cannot store")
