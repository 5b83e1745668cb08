"""The ingest benchmark's ceiling: how fast a Faust agent that does nothing reads the topic.

    python -m bench.ceiling --events N --out FILE      (settings from EYE_*, as `eye worker`)

The worker's app class and Faust settings (`streams.worker.app_options`, same faust version) with a
memory store, reading `EYE_TOPIC` in the consumer group `EYE_CONSUMER_GROUP`. The agent counts
the events of its stream, which get there Faust's way, one at a time (the worker's agent takes
its topic in lists from an inbox instead: streams/delivery.py). At the N-th it writes the
seconds from the first to FILE as JSON. Start-up, the join of the group and the first fetch are
left out.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import faust

from base.settings import Settings
from streams import fetching
from streams.worker import app_options
from tests.fixtures.processes import ROOT, settings_env


def create_app(settings: Settings, events: int, out: Path) -> faust.App:
    app = fetching.App(settings.consumer_group, **{**app_options(settings), "store": "memory://"})
    topic = app.topic(settings.topic, partitions=settings.topic_partitions, acks=False,
                      key_serializer="raw", value_serializer="raw")

    @app.agent(topic, name="count")
    async def count(stream: faust.StreamT[Any]) -> None:
        n, first = 0, 0.0
        async for _event in stream.events():
            n += 1
            if n == 1:
                first = time.perf_counter()
            if n == events:
                seconds = time.perf_counter() - first
                part = out.with_suffix(".part")  # renamed whole: the reader never sees half
                part.write_text(json.dumps({"events": n, "seconds": seconds,
                                            "events_per_s": (n - 1) / seconds if seconds else 0}))
                part.replace(out)

    return app


def measure(settings: Settings, events: int, log: Path, timeout: float = 1800) -> dict[str, Any]:
    """Run the agent in a process of its own until it has read `events` messages of
    `settings.topic` (in `settings.consumer_group`); its figures."""
    out = log.with_suffix(".json")
    out.unlink(missing_ok=True)
    with log.open("ab") as f:
        proc = subprocess.Popen([sys.executable, "-m", "bench.ceiling", "--events", str(events),
                                 "--out", str(out)], stdout=f, stderr=subprocess.STDOUT,
                                env={**os.environ, **settings_env(settings)}, cwd=ROOT)
    try:
        deadline = time.monotonic() + timeout
        while not out.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"the ceiling agent exited with {proc.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the ceiling agent read fewer than {events} in {timeout}s")
            time.sleep(0.2)
        return json.loads(out.read_text())  # type: ignore[no-any-return]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    from faust import Worker

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--loglevel", default="warning")
    args = ap.parse_args()
    app = create_app(Settings(), args.events, args.out)
    Worker(app, loglevel=args.loglevel).execute_from_commandline()


if __name__ == "__main__":
    main()
