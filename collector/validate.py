"""POST /v1/validate: what the worker would make of each event, answered now, storing nothing.

The same pure validators and the same app-key check as the worker, with the worker's limits
(EYE_MAX_*, EYE_UNKNOWN_EVENT_TYPES). Only what needs stored rows is left out: a repeated
`event_id` (duplicate_event) is known only when the event reaches the worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from base.policy import policy_from
from base.settings import Settings
from collector.errors import CollectorError, Unauthorized
from validators import Policy, Reason, Rejection, validate


def verdicts(values: list[bytes], policy: Policy, *, app: Unauthorized | None,
             received_at: datetime) -> dict[str, Any]:
    """The answer's body: counts and one verdict per event, in the order sent."""
    out: list[dict[str, Any]] = []
    for i, value in enumerate(values):
        if app is not None:
            # The worker checks the app before the event, so that is all it would say.
            outcome: Any = Rejection(Reason.UNAUTHORIZED_APP, f"app key: {app.detail}")
        else:
            outcome = validate(value, received_at=received_at, policy=policy)
        if isinstance(outcome, Rejection):
            out.append({"index": i, "valid": False, "reason": outcome.reason.value,
                        "detail": outcome.detail})
        else:
            out.append({"index": i, "valid": True})
    valid = sum(v["valid"] for v in out)
    return {"valid": valid, "rejected": len(out) - valid, "events": out,
            "unchecked": ["duplicate_event"]}


async def judge(values: list[bytes], keys_check: Any, key: bytes | None, settings: Settings
                ) -> web.Response:
    app: Unauthorized | None = None
    try:
        if key is None:
            raise Unauthorized("missing: send 'Authorization: Bearer <key>' or X-Eye-App-Key")
        await keys_check(key)
    except Unauthorized as exc:
        app = exc
    except CollectorError:
        raise
    body = verdicts(values, policy_from(settings), app=app, received_at=datetime.now(UTC))
    return web.json_response(body)
