"""The form interaction family: what visitors do with forms."""

from __future__ import annotations

from typing import Any

from validators.registry import EventType


class FormSubmit(EventType, category="form interaction", name="submit", version=1):
    """A visitor submitted a form."""

    host: str
    """Host name the page was served from, e.g. www.example.com."""
    path: str
    """Path of the page holding the form, e.g. /signup."""
    form: dict[str, Any]
    """The submitted fields, field name -> value."""
