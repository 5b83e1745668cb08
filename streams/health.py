"""The worker's own pages on its web port: /metrics for Prometheus and /healthz for probes."""

from __future__ import annotations

from typing import Any

import faust
from aiohttp.web import Response

from streams import metrics
from streams.ingest import Ingest


def serve_health(app: faust.App, sessions: faust.types.TableT, ingest: Ingest) -> None:
    def up() -> bool:
        return bool(app.consumer and app.consumer.assignment()) and not app.rebalancing

    # The table's keys and the sessions cached but not written to it yet (streams/ingest.py).
    metrics.watch_sessions(lambda: metrics.table_size(sessions) + ingest.unstored)
    metrics.watch_up(up)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Response:
        body, headers = metrics.render()
        return web.bytes(body, content_type=headers["Content-Type"].split(";")[0])

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Response:
        assigned = len(app.consumer.assignment()) if app.consumer else 0
        stalled = [s.describe() for s in app.stalls.all()]
        return web.json({"status": "degraded" if stalled else "ok",
                         "assigned_partitions": assigned, "rebalancing": app.rebalancing,
                         "stalled": stalled})
