"""Ingest: how close the whole pipeline comes to PostgreSQL's own COPY speed, and worker memory.

    python -m bench.ingest [--events N] [--sessions S] [--rss-sessions M]

1. the limit: COPY of N generated event rows into a fresh `events` table (same indexes);
2. end to end: the same N events produced to Kafka, timed until every row is committed;
3. their ratio (target >= 0.6);
4. worker RSS once M distinct sessions are held in its table (target <= 500 MB).
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg

from bench.common import STATE, drop_database, fresh_database, start_services, write_results
from eye.kafka import ensure_topics
from eye.processes import WorkerProcess
from eye.sdk import EyeProducer
from eye.settings import Settings
from store import applications
from store.partitions import ensure_months_sync, month_of

T0 = datetime(2026, 1, 5, tzinfo=UTC)
PAGES = ["/", "/pricing", "/docs", "/blog", "/signup", "/about"]


def generate(n: int, sessions: int, seed: int = 1) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    ids = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(sessions)]
    out = []
    for i in range(n):
        sid = ids[i % sessions]
        ts = T0 + timedelta(seconds=i // 10, microseconds=rnd.randrange(10**6))
        if i % 10 == 9:
            e = {"category": "page interaction", "name": "cta click",
                 "data": {"host": "www.example.com", "path": rnd.choice(PAGES), "element": "cta"}}
        else:
            e = {"category": "page interaction", "name": "pageview",
                 "data": {"host": "www.example.com", "path": rnd.choice(PAGES)}}
        out.append({"session_id": sid, **e, "timestamp": ts.isoformat()})
    return out


def copy_limit(dsn: str, events: list[dict[str, Any]]) -> float:
    """Seconds for one COPY of the rows into `events` (partitions made beforehand)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        ensure_months_sync(conn, {month_of(datetime.fromisoformat(e["timestamp"]))
                                  for e in events})
        now = datetime.now(UTC)
        started = time.perf_counter()
        with conn.transaction(), conn.cursor().copy(
                'COPY events (id, session_id, category, name, data, "timestamp", application_id,'
                " received_at, kafka_partition, kafka_offset) FROM STDIN") as cp:
            for i, e in enumerate(events):
                cp.write_row((uuid.uuid4(), e["session_id"], e["category"], e["name"],
                              orjson.dumps(e["data"]).decode(), e["timestamp"], 1, now, 0, i))
        return time.perf_counter() - started


def count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT (SELECT count(*) FROM events) + "
                                "(SELECT count(*) FROM errors)").fetchone()[0])  # type: ignore[index]


def produce(settings: Settings, events: list[dict[str, Any]], key: str) -> None:
    # Large batches: the producer must outpace the worker, or this measures the producer.
    with EyeProducer(settings.kafka_bootstrap, app_key=key, topic=settings.topic, linger_ms=20,
                     delivery_timeout=120,
                     config={"batch.size": 1_000_000,
                             "queue.buffering.max.messages": 1_000_000}) as eye:
        for e in events:
            eye.send(e)


def end_to_end(settings: Settings, events: list[dict[str, Any]], key: str, log: Path,
               wait: float) -> tuple[float, WorkerProcess]:
    """Seconds from the first produce to the last row committed; the worker keeps running."""
    ensure_topics(settings)
    worker = WorkerProcess(settings, log)
    worker.start()
    started = time.perf_counter()
    produce(settings, events, key)
    deadline = time.monotonic() + wait
    while count(settings.dsn) < len(events):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {count(settings.dsn)} of {len(events)} rows after {wait}s")
        time.sleep(0.1)
    return time.perf_counter() - started, worker


def settings_for(bootstrap: str, dsn: str, tag: str) -> Settings:
    return Settings(kafka_bootstrap=bootstrap, database_url=dsn, topic=f"bench-{tag}",
                    dlq_topic=f"bench-{tag}-dlq", control_topic=f"bench-{tag}-control",
                    consumer_group=f"bench-{tag}", worker_port=16066,
                    state_dir=STATE / f"worker-{tag}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--sessions", type=int, default=20_000)
    ap.add_argument("--rss-sessions", type=int, default=1_000_000)
    args = ap.parse_args()
    bootstrap, admin = start_services()
    STATE.mkdir(parents=True, exist_ok=True)
    events = generate(args.events, args.sessions)

    limit_db = fresh_database(admin)
    copy_s = copy_limit(limit_db, events)
    drop_database(admin, limit_db)
    print(f"COPY limit: {len(events) / copy_s:,.0f} events/s", flush=True)

    dsn = fresh_database(admin)
    with psycopg.connect(dsn, autocommit=True) as conn:
        key = applications.add(conn, "bench")
    tag = uuid.uuid4().hex[:8]
    settings = settings_for(bootstrap, dsn, tag)
    e2e_s, worker = end_to_end(settings, events, key, STATE / f"worker-{tag}.log", wait=1800)
    print(f"end to end: {len(events) / e2e_s:,.0f} events/s", flush=True)
    rss_small = worker.rss_bytes()
    worker.stop()
    drop_database(admin, dsn)

    rss: dict[str, Any] = {}
    if args.rss_sessions:
        dsn = fresh_database(admin)
        with psycopg.connect(dsn, autocommit=True) as conn:
            key = applications.add(conn, "bench")
        tag = uuid.uuid4().hex[:8]
        settings = settings_for(bootstrap, dsn, tag)
        one_each = generate(args.rss_sessions, args.rss_sessions, seed=2)
        rss_s, worker = end_to_end(settings, one_each, key, STATE / f"worker-{tag}.log",
                                   wait=3600)
        rss = {"sessions": args.rss_sessions, "seconds": rss_s,
               "rss_mb": worker.rss_bytes() / 2**20}
        worker.stop()
        drop_database(admin, dsn)
        print(f"RSS with {args.rss_sessions:,} sessions: {rss['rss_mb']:.0f} MB", flush=True)

    ratio = copy_s / e2e_s
    results = {"events": len(events), "sessions": args.sessions,
               "copy_limit": {"seconds": copy_s, "events_per_s": len(events) / copy_s},
               "end_to_end": {"seconds": e2e_s, "events_per_s": len(events) / e2e_s,
                              "worker_rss_mb": rss_small / 2**20},
               "ratio": ratio, "rss": rss}
    table = [("events", f"{len(events):,} over {args.sessions:,} sessions"),
             ("COPY limit", f"{len(events) / copy_s:,.0f} events/s ({copy_s:.1f} s)"),
             ("end to end (Kafka → worker → Postgres)",
              f"{len(events) / e2e_s:,.0f} events/s ({e2e_s:.1f} s)"),
             ("ratio end to end / COPY (target ≥ 0.6)", f"{ratio:.2f}")]
    if rss:
        table.append((f"worker RSS with {rss['sessions']:,} sessions in the table "
                      "(target ≤ 500 MB)", f"{rss['rss_mb']:.0f} MB"))
    print(write_results("ingest", results, table).read_text())


if __name__ == "__main__":
    main()
