"""Demo traffic: a few visitors browsing a small site, as the seed's client app would send it."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_PAGES = ["/", "/pricing", "/docs", "/blog/kafka-analytics", "/signup"]


def demo_events(sessions: int = 4, seed: int | None = None) -> list[dict[str, Any]]:
    """Page views for every session, a CTA click and a form submit in some; times in the past.
    Without a seed the sessions are new each time, so a second demo adds sessions."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    out: list[dict[str, Any]] = []
    for s in range(sessions):
        sid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        t = now - timedelta(minutes=30 - s * 5)
        host = "www.example.com"
        for path in rnd.sample(_PAGES, k=rnd.randint(1, 4)):
            out.append(_event(sid, "page interaction", "pageview", {"host": host, "path": path}, t))
            t += timedelta(seconds=rnd.randint(5, 90))
        if s % 2 == 0:
            out.append(_event(sid, "page interaction", "cta click",
                              {"host": host, "path": "/pricing", "element": "start-trial"}, t))
            t += timedelta(seconds=rnd.randint(5, 30))
        if s % 3 == 0:
            out.append(_event(sid, "form interaction", "submit",
                              {"host": host, "path": "/signup",
                               "form": {"email": "ada@example.com", "plan": "team"}}, t))
    return out


def _event(sid: str, category: str, name: str, data: dict[str, Any], t: datetime) -> dict[str, Any]:
    return {"session_id": sid, "category": category, "name": name, "data": data,
            "timestamp": t.strftime("%Y-%m-%d %H:%M:%S.%f")}
