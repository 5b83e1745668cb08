"""Ingest: the worker's throughput against two limits, its freshness under load, and its memory.

    python -m bench.ingest [--events N] [--sessions S] [--freshness-seconds T]
                           [--rss-sessions M] [--skip-freshness] [--skip-rss] [--out PATH]

The load (bench/load.py) is shaped like the SDK's: every event has a client `event_id`, S
sessions are active at once, each of 1-30 events spread over its span, some bursting 5-10
events within a second; about 2% of the messages are broken (malformed JSON, a missing field, a
bad timestamp, an unknown app key). Each measure gets a fresh database, topics and worker; the
worker is started and stopped once before, so that its changelog topics exist (see pipeline()).

1. Ceiling: a Faust agent that only counts (bench/ceiling.py: the worker's app class and broker
   settings, a memory store, a consumer group of its own) reads the N messages; timed from its
   first message to the N-th.
2. COPY limit: one COPY of N event rows into a fresh `events` table with its indexes.
3. End to end: the worker reads the same N messages, from a topic filled beforehand (the plan
   on a 5,000 events/s schedule, produced as fast as the SDK goes). Filled beforehand, not
   while the worker runs: a producer at full speed in the same process tree would take CPU from
   the worker on a small machine, and the ceiling reads the same full topic, so both are
   measured the same way. Timed from the commit of the first batch to that of the last, from
   the rows' `stored_at` (the start of their transaction: the span between the first and the
   last batch's equals that between their commits, give or take the difference of their
   write times), counting the rows after the first batch; start-up is left out.
4. Freshness: the worker, started on its own topic, under steady load at 2,000 and 5,000
   events/s and at 70% of the end-to-end rate, T seconds each after a 5 s warm-up: p50/p95/p99
   from a message's Kafka timestamp to its row being visible, seen from outside by a probe of
   marker rows (bench/freshness.py), beside the worker's own histogram; whether it fell behind.
5. Worker RSS, read from /proc, once M distinct sessions (one event each) are in its table.

Results: bench/results/ingest.md and .json, or PATH.md and PATH.json with --out.
"""

from __future__ import annotations

import argparse
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
from confluent_kafka.admin import AdminClient

from base.settings import Settings
from bench import ceiling, freshness, load
from bench.common import (STATE, count, drop_database, fresh_database, services, settings_for,
                          write_results)
from kafka_edge.topics import ensure_topics
from store import applications
from store.partitions import ensure_months_sync, month_of
from tests.fixtures.processes import WorkerProcess

PREFILL_RATE = 5_000  # the schedule the filled topic's plan follows (which events are close)
STEADY_RATES = (2_000, 5_000)
SHARE_OF_CAPACITY = 0.7


@dataclass
class Pipeline:
    settings: Settings
    app_key: str
    worker: WorkerProcess


@contextmanager
def pipeline(bootstrap: str, admin: str) -> Iterator[Pipeline]:
    """A fresh database with a registered app, topics of their own and a worker for them (not
    started yet); all of it stopped and removed at the end."""
    tag = uuid.uuid4().hex[:8]
    dsn = fresh_database(admin)
    settings = settings_for(bootstrap, dsn, tag)
    worker = WorkerProcess(settings, STATE / f"worker-{tag}.log")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            key = applications.add(conn, "bench")
        ensure_topics(settings)
        # The worker's first start makes its changelog topics; started with one of them not yet
        # in its metadata, it turns every message into an internal_error row (seen here on a
        # busy machine). Production restarts find the topics there, and so do the runs below.
        worker.start(timeout=120)
        worker.stop()
        yield Pipeline(settings, key, worker)
    finally:
        worker.stop()
        drop_database(admin, dsn)
        kafka = AdminClient({"bootstrap.servers": bootstrap})
        mine = [t for t in kafka.list_topics(timeout=30).topics if tag in t]
        if mine:
            for fut in kafka.delete_topics(mine, request_timeout=30).values():
                fut.result()
        shutil.rmtree(settings.state_dir, ignore_errors=True)


def copy_limit(admin: str, items: list[load.Planned]) -> float:
    """Seconds for one COPY of the items as event rows into `events` (partitions made before)."""
    dsn = fresh_database(admin)
    try:
        now = datetime.now(UTC)
        start = now - timedelta(seconds=len(items) / PREFILL_RATE)  # as the plan's schedule
        with psycopg.connect(dsn, autocommit=True) as conn:
            ensure_months_sync(conn, {month_of(start), month_of(now)})
            started = time.perf_counter()
            with conn.transaction(), conn.cursor().copy(
                    'COPY events (id, session_id, category, name, data, "timestamp", '
                    "application_id, received_at, kafka_partition, kafka_offset) FROM STDIN"
            ) as cp:
                for i, p in enumerate(items):
                    cp.write_row((uuid.uuid4(), p.session_id, p.category, p.name,
                                  orjson.dumps(p.data).decode(),
                                  start + timedelta(seconds=i / PREFILL_RATE), 1, now, 0, i))
            return time.perf_counter() - started
    finally:
        drop_database(admin, dsn)


def commit_span(dsn: str) -> tuple[float, int]:
    """Seconds from the first batch's commit to the last's, and the rows of the first batch."""
    with psycopg.connect(dsn) as conn:
        first, last, in_first = conn.execute(
            "WITH r AS (SELECT stored_at FROM events UNION ALL SELECT stored_at FROM errors) "
            "SELECT min(stored_at), max(stored_at), "
            "count(*) FILTER (WHERE stored_at = (SELECT min(stored_at) FROM r)) FROM r"
        ).fetchone()  # type: ignore[misc]
    return (last - first).total_seconds(), int(in_first)


def check_errors(p: Pipeline, expected: int | None = None) -> int:
    """The rows in `errors`: only the reasons of the broken messages sent, and `expected` of
    them when given; anything else means the run measured something other than ingest."""
    with psycopg.connect(p.settings.dsn) as conn:
        reasons = dict(conn.execute("SELECT reason, count(*) FROM errors GROUP BY reason")
                       .fetchall())
    odd = {r: n for r, n in reasons.items() if r not in load.BROKEN.values()}
    total = sum(reasons.values())
    if odd or (expected is not None and total != expected):
        raise RuntimeError(f"errors by reason {reasons}, {expected} expected; see "
                           f"{p.worker.log_path}")
    return total


def wait_rows(p: Pipeline, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (done := count(p.settings.dsn)) < n:
        if not p.worker.alive():
            raise RuntimeError(f"the worker exited:\n{p.worker.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {n} rows after {timeout:.0f}s")
        time.sleep(0.5)


def end_to_end(p: Pipeline, items: list[load.Planned]) -> dict[str, Any]:
    """Start the worker on the filled topic and time it from its first batch's commit to its
    last's."""
    n = len(items)
    p.worker.start(timeout=120)
    wait_rows(p, n, timeout=max(1800.0, n / 100))
    span, in_first = commit_span(p.settings.dsn)
    errors = check_errors(p, load.expected_errors(items))
    return {"seconds": span, "events_per_s": (n - in_first) / span, "first_batch": in_first,
            "errors": errors, "broken_sent": load.expected_errors(items),
            "worker_rss_mb": p.worker.rss_bytes() / 2**20}


def throughput(bootstrap: str, admin: str, items: list[load.Planned]) -> dict[str, Any]:
    """Steps 1 and 3: one filled topic, read by the ceiling agent and then by the worker; and
    the worker again on a topic of its own with the rollup triggers off, for their cost."""
    n = len(items)
    with pipeline(bootstrap, admin) as p:
        started = time.perf_counter()
        load.prefill(bootstrap, p.settings.topic, p.app_key, items)
        produce_s = time.perf_counter() - started
        print(f"filled the topic: {n / produce_s:,.0f} events/s", flush=True)
        tag = p.settings.consumer_group
        agent = p.settings.model_copy(update={"consumer_group": f"{tag}-ceiling",
                                              "state_dir": STATE / f"{tag}-ceiling"})
        top = ceiling.measure(agent, n, STATE / f"{tag}-ceiling.log")
        shutil.rmtree(agent.state_dir, ignore_errors=True)
        print(f"ceiling (Faust agent that only counts): {top['events_per_s']:,.0f} events/s",
              flush=True)
        e2e = end_to_end(p, items)
        print(f"end to end: {e2e['events_per_s']:,.0f} events/s", flush=True)
    with pipeline(bootstrap, admin) as p:
        load.prefill(bootstrap, p.settings.topic, p.app_key, items)
        with psycopg.connect(p.settings.dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE events DISABLE TRIGGER events_rollup_insert")
        bare = end_to_end(p, items)
        print(f"end to end without rollups: {bare['events_per_s']:,.0f} events/s", flush=True)
    return {"produce_events_per_s": n / produce_s, "ceiling": top, "end_to_end": e2e,
            "end_to_end_without_rollups": bare}


def steady(bootstrap: str, admin: str, rate: float, seconds: float,
           sessions: int) -> dict[str, Any]:
    with pipeline(bootstrap, admin) as p:
        p.worker.start(timeout=120)
        r = freshness.run(p.settings, p.app_key, p.worker, rate=rate, seconds=seconds,
                          sessions=sessions)
        check_errors(p)
    v, limit = r["visible"], r["drain_limit_seconds"]
    print(f"freshness at {rate:,.0f} events/s (sent {r['sent_events_per_s']:,}/s): "
          f"p50 {_s(v['p50'], limit)}, p95 {_s(v['p95'], limit)}, p99 {_s(v['p99'], limit)}"
          f"{'; fell behind' if r['fell_behind'] else ''}", flush=True)
    return r


def memory(bootstrap: str, admin: str, sessions: int) -> dict[str, Any]:
    with pipeline(bootstrap, admin) as p:
        load.prefill(bootstrap, p.settings.topic, p.app_key, load.one_each(sessions))
        p.worker.start(timeout=120)
        started = time.perf_counter()
        wait_rows(p, sessions, timeout=max(3600.0, sessions / 100))
        rss = {"sessions": sessions, "seconds": time.perf_counter() - started,
               "rss_mb": p.worker.rss_bytes() / 2**20}
        check_errors(p, 0)
    print(f"RSS with {sessions:,} sessions: {rss['rss_mb']:.0f} MB", flush=True)
    return rss


def _s(seconds: float | None, limit: float | None = None) -> str:
    """A percentile; None when it fell on a marker never seen, `limit` s after the load (or
    when nothing was observed)."""
    if seconds is None:
        return "n/a" if limit is None else f"> {limit:.0f} s (not seen)"
    return f"{seconds:.2f} s"


def report(args: argparse.Namespace, copy_s: float, tp: dict[str, Any],
           fresh: list[dict[str, Any]], rss: dict[str, Any], minutes: float) -> Path:
    n = args.events
    copy_rate = n / copy_s
    top, e2e = tp["ceiling"]["events_per_s"], tp["end_to_end"]["events_per_s"]
    bare = tp["end_to_end_without_rollups"]["events_per_s"]
    results = {"events": n, "sessions": args.sessions,
               "copy_limit": {"seconds": copy_s, "events_per_s": copy_rate}, **tp,
               "end_to_end_over_ceiling": e2e / top, "end_to_end_over_copy": e2e / copy_rate,
               "freshness": fresh, "rss": rss, "run_minutes": round(minutes, 1)}
    e = tp["end_to_end"]
    table = [("events", f"{n:,} from {args.sessions:,} sessions active at once; "
                        f"{e['broken_sent']:,} broken ({e['errors']:,} rows in `errors`)"),
             ("ceiling: Faust agent that only counts", f"{top:,.0f} events/s"),
             ("COPY limit", f"{copy_rate:,.0f} events/s ({copy_s:.1f} s)"),
             ("end to end (filled topic → worker → PostgreSQL)",
              f"{e2e:,.0f} events/s ({e['seconds']:.1f} s)"),
             ("end to end ÷ ceiling (target ≥ 0.6)", f"{e2e / top:.2f}"),
             ("end to end without the rollups' triggers (their cost)",
              f"{bare:,.0f} events/s (with them: {e2e / bare:.2f} of it)"),
             ("end to end ÷ COPY", f"{e2e / copy_rate:.2f}")]
    for r in fresh:
        v, w, limit = r["visible"], r["worker_histogram"], r["drain_limit_seconds"]
        behind = (f"fell behind: backlog +{r['backlog_growth_events_per_s']:,.0f} events/s, "
                  f"{r['backlog_end_events']:,} at the end" if r["fell_behind"] else "kept up")
        table.append((f"freshness at {r['rate']:,.0f} events/s ({r['of_capacity']:.0%} of end "
                      f"to end) for {r['seconds']:.0f} s, sent {r['sent_events_per_s']:,}/s",
                      f"p50 {_s(v['p50'], limit)}, p95 {_s(v['p95'], limit)}, "
                      f"p99 {_s(v['p99'], limit)}; worker histogram p95 {_s(w['p95'])}, "
                      f"p99 {_s(w['p99'])}; {behind}"))
    if rss:
        table.append((f"worker RSS with {rss['sessions']:,} sessions in the table "
                      "(target ≤ 500 MB)", f"{rss['rss_mb']:.0f} MB"))
    notes = ("Freshness runs each start a worker on a topic of their own; markers are every "
             "10th event, looked for every 50 ms. The broker, PostgreSQL, the worker and the "
             "sender share the machine.")
    return write_results("ingest", results, table, notes=notes, out=args.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--sessions", type=int, default=20_000, help="sessions active at once")
    ap.add_argument("--freshness-seconds", type=float, default=60.0)
    ap.add_argument("--rss-sessions", type=int, default=1_000_000, help="0 skips the RSS step")
    ap.add_argument("--skip-freshness", action="store_true")
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--out", type=Path, default=None,
                    help="write PATH.md and PATH.json instead of bench/results/ingest.*")
    args = ap.parse_args()
    STATE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    items = load.plan(args.events, sessions=args.sessions, rate=PREFILL_RATE)
    with services() as (bootstrap, admin):
        copy_s = copy_limit(admin, items)
        print(f"COPY limit: {len(items) / copy_s:,.0f} events/s", flush=True)
        tp = throughput(bootstrap, admin, items)
        fresh = []
        if not args.skip_freshness:
            capacity = tp["end_to_end"]["events_per_s"]
            share = round(SHARE_OF_CAPACITY * capacity)
            for rate in sorted({*STEADY_RATES, share}):
                r = steady(bootstrap, admin, rate, args.freshness_seconds, args.sessions)
                fresh.append({**r, "of_capacity": rate / capacity})
        rss = {}
        if args.rss_sessions and not args.skip_rss:
            rss = memory(bootstrap, admin, args.rss_sessions)
    minutes = (time.monotonic() - started) / 60
    print(report(args, copy_s, tp, fresh, rss, minutes).read_text())


if __name__ == "__main__":
    main()
