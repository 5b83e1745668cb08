"""Pure validation of raw event messages: bytes in, an Event or a Rejection out, no I/O."""

from validators import types as _types  # noqa: F401 - registers the built-in event types
from validators.outcome import Event, Reason, Rejection
from validators.policy import Policy
from validators.registry import EventType, registry
from validators.validate import validate

__all__ = ["Event", "EventType", "Policy", "Reason", "Rejection", "registry", "validate"]
