"""The worker's control agent: commands sent on the control topic (kafka_edge/control.py) to the
worker that holds a session or a partition."""

from __future__ import annotations

import logging
from typing import Any

import faust
import orjson

from store.db import connect_async
from store.session_rows import stored_session_events
from streams.metadata import KnownTopics
from streams.parts import Parts
from streams.set_aside import set_aside

log = logging.getLogger(__name__)


def obey(parts: Parts, control: faust.TopicT, known: KnownTopics) -> None:
    app, settings, ingest = parts.app, parts.settings, parts.ingest

    @app.agent(control, name="control")
    async def control_commands(stream: faust.StreamT[Any]) -> None:
        async for command in stream:
            try:
                body = orjson.loads(command)
                action = body.get("action")
                sid = str(body["session_id"]) if action != "set_aside" else ""
            except (orjson.JSONDecodeError, KeyError, AttributeError, TypeError) as exc:
                log.error("control message ignored (%s): %r", exc, command[:200])
                continue
            await known.wait(lambda: app.consumer_generation_id)
            if action == "forget_session":
                ingest.forget(sid)
            elif action == "set_aside":
                await set_aside(parts, int(body["partition"]))
            elif action == "rebuild_session":
                async with parts.handling:
                    # What this worker holds for the session is stored first.
                    await parts.sink.flush()
                    async with await connect_async(settings.dsn) as conn:
                        await ingest.rebuild(sid, await stored_session_events(conn, sid))
