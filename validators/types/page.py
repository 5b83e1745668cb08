"""The page interaction family: pages visitors see and elements they click."""

from __future__ import annotations

from validators.registry import EventType


class PageFields(EventType):
    """Where on the site an interaction happened."""

    host: str
    """Host name the page was served from, e.g. www.example.com."""
    path: str
    """Path of the page, e.g. /pricing."""


class Pageview(PageFields, category="page interaction", name="pageview", version=1):
    """A page was shown to a visitor."""


class CtaClick(PageFields, category="page interaction", name="cta click", version=1):
    """A visitor clicked a call-to-action element on a page."""

    element: str
    """Identifier of the clicked element, e.g. its id or a data attribute."""
