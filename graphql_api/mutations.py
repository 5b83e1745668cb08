"""The mutation: deleteSession deletes the session's rows, then tells the worker that holds the
session to forget its state, with a control message on Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLResolveInfo

from graphql_api.errors import Forbidden, ForgetNotDelivered
from graphql_api.resolvers import context
from kafka_edge.clients import DeliveryFailed
from kafka_edge.control import forget_session
from store import session_rows


async def resolve_delete_session(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    ctx = context(info)
    if not ctx.token.admin:
        raise Forbidden(f"deleteSession needs an admin token; token {ctx.token.name!r} is not one "
                        "(create one with `eye tokens add NAME --admin`)")
    deleted = await session_rows.delete(ctx.pool, id)
    # After the rows: should the worker see an event of the session before it forgets it,
    # a second request finds the new rows; the other order could leave rows behind.
    try:
        await asyncio.to_thread(forget_session, ctx.settings, id)
    except DeliveryFailed as exc:
        raise ForgetNotDelivered(f"the session's rows are deleted ({deleted.events} events) but "
                                 f"the worker was not told to forget its state ({exc}); run "
                                 "deleteSession again") from exc
    return {"sessionId": id, "events": deleted.events, "session": deleted.session}
