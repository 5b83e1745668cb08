"""The API's own errors, and the one place that turns any error into a GraphQL error entry."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from base.errors import EyeError
from store.errors import StatementTimeout, ValueRejected

log = logging.getLogger("eye.graphql")


class ApiError(EyeError):
    """An error a client can act on; `code` goes to `extensions.code`, `status` to HTTP.
    A `request_error` is one about the GraphQL request itself (its document, its variables,
    its bounds): answered as the spec has request errors answered, 200 to application/json."""

    code = "BAD_REQUEST"
    status = 400
    request_error = False

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions = extensions


class Unauthenticated(ApiError):
    code, status = "UNAUTHENTICATED", 401


class Forbidden(ApiError):
    code, status = "FORBIDDEN", 403


class Unavailable(ApiError):
    code, status = "UNAVAILABLE", 503


class BadArgument(ApiError):
    code = "BAD_USER_INPUT"


class ForgetNotDelivered(ApiError):
    code, status = "FORGET_NOT_DELIVERED", 502


class LimitExceeded(ApiError):
    """An operation beyond one of the server's bounds: tokens, depth, aliases, cost, statements."""

    request_error = True

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        super().__init__(message, **extensions)
        self.code = code


class BodyTooLarge(ApiError):
    code, status = "BODY_TOO_LARGE", 413


def entry(error: ApiError) -> dict[str, Any]:
    """A request-level error as the `errors` array of a response holds it."""
    return {"message": str(error), "extensions": {"code": error.code, **error.extensions}}


def format_error(error: GraphQLError, *, statement_timeout_ms: int) -> dict[str, Any]:
    """A field error for the response: our errors keep their text and code; the database's
    timeout is named; anything else is logged and answered without internals."""
    original = error.original_error
    formatted = error.formatted
    if original is None or error.path is None:  # a request error (e.g. a variable's value)
        return formatted
    if isinstance(original, ApiError):
        formatted["extensions"] = {"code": original.code, **original.extensions}
    elif isinstance(original, ValueRejected):
        formatted["message"] = str(original)
        formatted["extensions"] = {"code": "BAD_USER_INPUT"}
    elif isinstance(original, StatementTimeout):
        formatted["message"] = (f"the query was stopped by the statement timeout of "
                                f"{statement_timeout_ms} ms; narrow the filter or the time range")
        formatted["extensions"] = {"code": "STATEMENT_TIMEOUT",
                                   "timeoutMs": statement_timeout_ms}
    else:
        log.error("resolver failed at %s", error.path, exc_info=original)
        formatted["message"] = "internal error; the server log has the details"
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
    return formatted
