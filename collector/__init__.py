"""The HTTP way in: POST /v1/events for apps and browsers, and /tracker.js for web pages."""

from collector.routes import add_routes

__all__ = ["add_routes"]
