"""What the collector refuses, each with the HTTP status that one boundary answers with."""

from __future__ import annotations

from base.errors import EyeError


class CollectorError(EyeError):
    status = 500
    code = "internal_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(CollectorError):
    status, code = 400, "bad_request"


class Unauthorized(CollectorError):
    status, code = 401, "unauthorized"


class TooLarge(CollectorError):
    status, code = 413, "too_large"


class Unavailable(CollectorError):
    """The broker (or the key check) cannot take the events now; the client should retry."""

    status, code = 503, "unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
