"""Scaling and recovery: throughput with 1, 2 and 3 workers; time from kill -9 to processing.

    python -m bench.scaling [--events N] [--workers 1,2,3]

Each run starts the workers in one consumer group on a fresh 12-partition topic, waits until the
group has settled, then produces N events; the window runs from the commit of the first batch
to that of the last (the rows' `stored_at`), so start-up and the joins are left out. The recovery run kills the only
worker with SIGKILL mid-stream, starts a new one at once, and times until rows grow again.
"""

from __future__ import annotations

import argparse
import signal
import time
import uuid
from typing import Any

import psycopg

from bench import load
from bench.common import (STATE, count, drop_database, fresh_database, services, settings_for,
                          write_results)
from bench.ingest import commit_span
from kafka_edge.topics import ensure_topics
from store import applications
from tests.fixtures.processes import WorkerProcess


def setup(bootstrap: str, admin: str) -> tuple[Any, str, str]:
    dsn = fresh_database(admin)
    with psycopg.connect(dsn, autocommit=True) as conn:
        key = applications.add(conn, "bench")
    settings = settings_for(bootstrap, dsn, uuid.uuid4().hex[:8])
    ensure_topics(settings)
    return settings, dsn, key


def spawn(settings: Any, n: int, port0: int) -> list[WorkerProcess]:
    out = []
    for i in range(n):
        s = settings.model_validate({**settings.model_dump(), "worker_port": port0 + i,
                                     "state_dir": settings.state_dir / f"w{i}"})
        out.append(WorkerProcess(s, STATE / f"scaling-{uuid.uuid4().hex[:6]}.log"))
    return out


def throughput(bootstrap: str, admin: str, events: list[load.Planned], n: int) -> float:
    """Events/s of `n` workers, start-up left out: they join the group on an empty topic, and
    the window runs from the commit of the first batch to that of the last."""
    settings, dsn, key = setup(bootstrap, admin)
    ws = spawn(settings, n, 16100)
    for w in ws:
        w.start(timeout=120)
    for w in ws:  # each join moved partitions: wait until the group has settled
        w.wait_ready(timeout=120)
    load.prefill(bootstrap, settings.topic, key, events)
    while count(dsn) < len(events):
        time.sleep(0.1)
    span, in_first = commit_span(dsn)
    for w in ws:
        w.stop()
    drop_database(admin, dsn)
    return (len(events) - in_first) / span


def recovery(bootstrap: str, admin: str, events: list[load.Planned]) -> float:
    settings, dsn, key = setup(bootstrap, admin)
    load.prefill(bootstrap, settings.topic, key, events)
    [w] = spawn(settings, 1, 16200)
    w.start(timeout=120)
    while count(dsn) < len(events) // 4:
        time.sleep(0.1)
    w.stop(signal.SIGKILL)
    killed = time.perf_counter()
    before = count(dsn)
    [w2] = spawn(settings, 1, 16201)
    w2.start(timeout=120)
    while count(dsn) <= before:
        time.sleep(0.1)
    took = time.perf_counter() - killed
    w2.stop()
    drop_database(admin, dsn)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--workers", default="1,2,3")
    args = ap.parse_args()
    STATE.mkdir(parents=True, exist_ok=True)
    events = load.plan(args.events, sessions=args.events // 10, rate=5_000, invalid=0.0)
    rates = {}
    with services() as (bootstrap, admin):
        for n in [int(x) for x in args.workers.split(",")]:
            rates[n] = throughput(bootstrap, admin, events, n)
            print(f"{n} worker(s): {rates[n]:,.0f} events/s", flush=True)
        back = recovery(bootstrap, admin, events)
        print(f"kill -9 to processing again: {back:.1f} s", flush=True)
    base = rates[min(rates)]
    table = [(f"{n} worker(s)", f"{r:,.0f} events/s (×{r / base:.2f})") for n, r in rates.items()]
    table.append(("kill -9 to processing again (target ≤ 30 s)", f"{back:.1f} s"))
    print(write_results("scaling", {"events": args.events, "events_per_s": rates,
                                    "kill9_to_processing_s": back}, table,
                        notes="All processes share this machine's 2 cores with the broker and "
                              "PostgreSQL, so more workers add parallelism only up to the cores.")
          .read_text())


if __name__ == "__main__":
    main()
