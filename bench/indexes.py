"""Time-range index: btree on ("timestamp", id) against BRIN on "timestamp", on the same rows.

    python -m bench.indexes [--events N] [--runs R]

Events arrive roughly in time order, which is BRIN's good case: a block range's minimum and
maximum are close, so a small index can still skip most of the table. This measures whether
that holds for The Eye's time-range questions: a first page of 100 events in a one-hour window,
and a count over one day.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import psycopg

from bench.common import drop_database, fresh_database, services, write_results

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SPAN_DAYS = 28

PAGE = ('SELECT id FROM events WHERE "timestamp" >= %s AND "timestamp" < %s '
        'ORDER BY "timestamp", id LIMIT 100')
COUNT = 'SELECT count(*) FROM events WHERE "timestamp" >= %s AND "timestamp" < %s'


def load(dsn: str, n: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP INDEX events_time")  # each variant makes its own
        conn.execute("CREATE TABLE events_2026_03 PARTITION OF events FOR VALUES FROM "
                     "('2026-03-01 00:00:00+00') TO ('2026-04-01 00:00:00+00')")
        # In arrival order, as the worker writes them: time increases with small jitter.
        conn.execute(
            'INSERT INTO events (id, session_id, category, name, data, "timestamp", received_at,'
            " kafka_partition, kafka_offset) SELECT gen_random_uuid(), 's' || (i %% 50000),"
            " 'page interaction', 'pageview', '{\"host\": \"h\", \"path\": \"/\"}',"
            " %s::timestamptz + (i * %s::float8 + random() * 5) * interval '1 second', now(), 0, i"
            " FROM generate_series(1, %s) AS i",
            (T0, SPAN_DAYS * 86400 / n, n))
        conn.execute("VACUUM ANALYZE events")


def timed(dsn: str, query: str, windows: list[tuple[datetime, datetime]]) -> list[float]:
    out = []
    with psycopg.connect(dsn) as conn:
        conn.execute("SET jit = off")
        for start, end in windows:
            t = time.perf_counter()
            conn.execute(query, (start, end)).fetchall()
            out.append((time.perf_counter() - t) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    with services() as (_, admin):
        dsn = fresh_database(admin)
        load(dsn, args.events)
        rnd = random.Random(5)
        hours = [T0 + timedelta(seconds=rnd.randrange((SPAN_DAYS - 1) * 86400))
                 for _ in range(args.runs)]
        page_windows = [(h, h + timedelta(hours=1)) for h in hours]
        day_windows = [(h, h + timedelta(days=1)) for h in hours]
        variants = {
            "btree": 'CREATE INDEX events_time ON events ("timestamp", id)',
            "brin": 'CREATE INDEX events_time ON events USING brin ("timestamp")',
        }
        results: dict[str, dict[str, float]] = {}
        for name, ddl in variants.items():
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP INDEX IF EXISTS events_time")
                t = time.perf_counter()
                conn.execute(ddl)
                build = time.perf_counter() - t
                conn.execute("ANALYZE events")
                size = conn.execute(
                    "SELECT sum(pg_relation_size(indexrelid)) FROM pg_index "
                    "WHERE indexrelid::regclass::text LIKE 'events_2026_03_timestamp%%'"
                ).fetchone()[0]  # type: ignore[index]
            timed(dsn, PAGE, page_windows[:20])  # warm the cache
            page_ms, count_ms = timed(dsn, PAGE, page_windows), timed(dsn, COUNT, day_windows)
            results[name] = {"index_mb": size / 2**20, "build_s": build,
                             "page_p50_ms": p(page_ms, 50), "page_p95_ms": p(page_ms, 95),
                             "day_count_p50_ms": p(count_ms, 50),
                             "day_count_p95_ms": p(count_ms, 95)}
            print(name, results[name], flush=True)
        drop_database(admin, dsn)
    b, r = results["btree"], results["brin"]
    table = [("rows", f"{args.events:,} over {SPAN_DAYS} days, in arrival order")]
    for key, label in (("index_mb", "index size (MB)"), ("build_s", "build (s)"),
                       ("page_p95_ms", "first 100 of an hour, p95 (ms)"),
                       ("day_count_p95_ms", "count over a day, p95 (ms)")):
        table.append((label, f"btree {b[key]:.2f} · BRIN {r[key]:.2f} · BRIN/btree "
                             f"{r[key] / b[key]:.2f}"))
    print(write_results("indexes", {"events": args.events, "results": results}, table,
                        notes="BRIN is the smaller index by far; the btree answers the API's "
                              "keyset pages, ordered by (timestamp, id), without a sort. Compare "
                              "the ratios above before trading one for the other.").read_text())


if __name__ == "__main__":
    main()
