"""The GraphQL API's latency on generated events, beside PostGraphile serving the same tables.

    .venv/bin/python -m bench.api_bench                  # 10M events (the issue's size)
    .venv/bin/python -m bench.api_bench --events 200000  # a quick run
    .venv/bin/python -m bench.api_bench --events 1000000 3000000 10000000 --no-postgraphile
                                                         # the cost curve, one results file

Generates events inside PostgreSQL (generate_series) into a database of its own on the test
server (port 15432, started by scripts/postgres.sh when not running and stopped again at
the end), serves it with `eye api`
and with PostGraphile 4 (npm, into .cache/postgraphile), and times questions over HTTP
from one client, one request at a time: a session's events, the first page of a category in a
time range, daily counts over 30 days, and (The Eye only, read from the rollups) daily counts by
category and name over 30 and 365 days and the top pages over 30 and 365 days. Writes JSON and
a markdown table to bench/results/; with several --events sizes, also one table of every size,
to show how the cost follows the volume.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from bench.common import service
from tests.fixtures.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_DIR = ROOT / ".cache" / "test" / "postgres"
PG_PORT = int(os.environ.get("EYE_TEST_PG_PORT", "15432"))
ADMIN_DSN = f"postgresql://eye:eye@127.0.0.1:{PG_PORT}/eye"
PGL_DIR = ROOT / ".cache" / "postgraphile"
PGL_PACKAGES = ["postgraphile@4.14.1", "postgraphile-plugin-connection-filter@2.3.0"]
START = datetime(2024, 1, 1, tzinfo=UTC)
EVENTS_PER_SESSION = 10

TARGETS_MS = {"session_events": 10, "category_page": 30, "daily_counts": 300,
              "grouped_counts_30d": 30, "grouped_counts_365d": 100,
              "top_pages_30d": 30, "top_pages_365d": 100}
# The window of each question that asks about a time range.
WINDOWS = {"category_page": timedelta(days=1), "daily_counts": timedelta(days=30),
           "grouped_counts_30d": timedelta(days=30), "grouped_counts_365d": timedelta(days=365),
           "top_pages_30d": timedelta(days=30), "top_pages_365d": timedelta(days=365)}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- data --------------------------------------------------------------------------------------

def generate(dsn: str, events: int, days: int) -> None:
    """`events` events in sessions of 10, spread over `days` days from START; sessions rows too.

    Secondary indexes and the primary key are dropped for the load and built after it, which
    is several times faster than maintaining them row by row.
    """
    from store.migrate import migrate
    from store.partitions import ensure_months_sync, month_of

    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        months = {month_of(START + timedelta(days=d)) for d in range(days + 1)}
        ensure_months_sync(conn, months)
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE "
                               "tablename = 'events' AND indexname <> 'events_pkey'").fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("ALTER TABLE events DROP CONSTRAINT events_pkey")
        sessions = max(1, events // EVENTS_PER_SESSION)
        span = days * 86400
        t0 = time.monotonic()
        # Session k starts at a pseudo-random second of the span; its events follow 30 s apart.
        # Categories: 70 % page views, 15 % CTA clicks, 15 % form submits; 50 pages, 3 apps.
        step = 1_000_000
        for lo in range(0, events, step):
            hi = min(events, lo + step)
            conn.execute("""
                INSERT INTO events (id, session_id, category, name, data, "timestamp",
                                    application_id, received_at, kafka_partition, kafka_offset)
                SELECT gen_random_uuid(), 's' || lpad(k::text, 9, '0'),
                       CASE WHEN r < 85 THEN 'page interaction' ELSE 'form interaction' END,
                       CASE WHEN r < 70 THEN 'pageview' WHEN r < 85 THEN 'cta click'
                            ELSE 'submit' END,
                       jsonb_build_object('host', 'www.example.com', 'path', '/p' || (i * 7 %% 50)),
                       ts, k %% 3 + 1, ts, (k %% 12)::int, i
                FROM (SELECT i, i / %(per)s AS k, (i * 37 + 11) %% 100 AS r,
                             %(start)s::timestamptz
                               + ((hashint8(i / %(per)s) & 2147483647) %% %(span)s) * interval '1 second'
                               + (i %% %(per)s) * interval '30 seconds' AS ts
                      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) i) g
            """, {"per": EVENTS_PER_SESSION, "start": START, "span": span, "lo": lo, "hi": hi})
            log(f"  {hi:,} events ({time.monotonic() - t0:.0f} s)")
        conn.execute('ALTER TABLE events ADD PRIMARY KEY (id, "timestamp")')
        for name, definition in indexes:
            # pg_indexes shows a partitioned index as `ON ONLY events`, which would skip the
            # partitions; without ONLY it is built on each of them.
            conn.execute(definition.replace(" ON ONLY ", " ON "))
            log(f"  index {name} ({time.monotonic() - t0:.0f} s)")
        conn.execute("""
            INSERT INTO sessions (session_id, application_id, first_seen, last_seen,
                                  duration_seconds, event_count, pageviews, entry_page,
                                  exit_page, bounce)
            SELECT session_id, min(application_id), min("timestamp"), max("timestamp"),
                   extract(epoch FROM max("timestamp") - min("timestamp")), count(*),
                   count(*) FILTER (WHERE name = 'pageview'),
                   (array_agg(data->>'path' ORDER BY "timestamp", id))[1],
                   (array_agg(data->>'path' ORDER BY "timestamp" DESC, id DESC))[1],
                   count(*) FILTER (WHERE name = 'pageview') <= 1
            FROM events GROUP BY session_id""")
        log(f"  {sessions:,} sessions ({time.monotonic() - t0:.0f} s)")
        conn.execute("VACUUM (ANALYZE) events")
        conn.execute("VACUUM (ANALYZE) sessions")
        # The rollups were filled by the trigger on events as the rows went in.
        for table in ("event_counts_hourly", "event_counts_daily", "page_views_hourly",
                      "page_views_daily"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        # PostGraphile's side of daily counts: a custom query, its usual way for aggregates.
        conn.execute("""
            CREATE FUNCTION daily_event_counts(start_at timestamptz, end_at timestamptz)
            RETURNS TABLE (bucket timestamptz, count bigint) LANGUAGE sql STABLE AS $$
              SELECT date_trunc('day', "timestamp", 'UTC'), count(*) FROM events
              WHERE "timestamp" >= start_at AND "timestamp" < end_at GROUP BY 1 ORDER BY 1 $$""")
        # Only the tables the questions read are PostGraphile's to serve.
        hidden = [r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND c.relname NOT IN ('events', 'sessions')")]
        for table in hidden:
            conn.execute(f"COMMENT ON TABLE \"{table}\" IS E'@omit'")
        log(f"generated in {time.monotonic() - t0:.0f} s")


def prepare_database(events: int, days: int, reuse: bool) -> str:
    name = f"eye_bench_{events}_{days}d"
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reuse:
            with psycopg.connect(dsn) as conn:
                done = conn.execute("SELECT count(*) FROM pg_proc WHERE proname = "
                                    "'daily_event_counts'").fetchone()
            if done and done[0]:
                log(f"reusing database {name}")
                from store.migrate import migrate

                with psycopg.connect(dsn, autocommit=True) as conn:
                    # A database generated before a migration gets it (the rollups' backfill).
                    applied = migrate(conn)
                    if applied:
                        log(f"  applied {', '.join(applied)}")
                        conn.execute("VACUUM ANALYZE")
                return dsn
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    log(f"generating {events:,} events over {days} days into {name}")
    generate(dsn, events, days)
    return dsn


# ---- servers -----------------------------------------------------------------------------------

def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers; a 4xx is fine for readiness
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"no answer from {url} after {timeout} s")


def start_eye(dsn: str, log_path: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    from store import tokens

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM api_tokens WHERE name = 'bench'")
        token = tokens.add(conn, "bench")
    port = free_port()
    env = {**os.environ, "EYE_DATABASE_URL": dsn, "EYE_API_PORT": str(port),
           "EYE_API_HOST": "127.0.0.1"}
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "eye"), "api"], env=env, cwd=ROOT,
                            stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc)
    return proc, f"http://127.0.0.1:{port}/graphql", token


def start_postgraphile(dsn: str, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = PGL_DIR / "node_modules" / ".bin" / "postgraphile"
    if not binary.exists():
        log(f"installing {' '.join(PGL_PACKAGES)} into {PGL_DIR}")
        PGL_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(PGL_DIR), "--no-save", "--no-audit",
                        "--no-fund", "--loglevel=error", *PGL_PACKAGES], check=True)
    port = free_port()
    cmd = [str(binary), "-c", dsn, "--schema", "public", "--host", "127.0.0.1", "--port",
           str(port), "--disable-query-log", "--dynamic-json", "--disable-default-mutations",
           "--use-partitioned-parent",
           "--append-plugins", "postgraphile-plugin-connection-filter"]
    proc = subprocess.Popen(cmd, cwd=PGL_DIR, stdout=log_path.open("wb"),
                            stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/graphql", proc)
    return proc, f"http://127.0.0.1:{port}/graphql"


# ---- the questions -----------------------------------------------------------------------------

EVENT_FIELDS = "id sessionId category name data timestamp"

EYE = {
    "session_events": f"""query($id: String!) {{ session(id: $id) {{ sessionId eventCount
        events {{ {EVENT_FIELDS} }} }} }}""",
    "category_page": f"""query($category: String!, $from: DateTime!, $to: DateTime!) {{
        events(filter: {{category: $category, from: $from, to: $to}}, first: 100) {{
          edges {{ cursor node {{ {EVENT_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}""",
    "daily_counts": """query($from: DateTime!, $to: DateTime!) {
        eventCounts(from: $from, to: $to, bucket: DAY) { bucket count } }""",
    **{f"grouped_counts_{d}": """query($from: DateTime!, $to: DateTime!) {
        eventCounts(from: $from, to: $to, bucket: DAY, groupBy: [CATEGORY, NAME]) {
          bucket category name count } }""" for d in ("30d", "365d")},
    **{f"top_pages_{d}": """query($from: DateTime!, $to: DateTime!) {
        topPages(from: $from, to: $to, limit: 10) { host path views } }"""
       for d in ("30d", "365d")},
}

PGL = {
    "session_events": f"""query($id: String!) {{ sessionBySessionId(sessionId: $id) {{ sessionId
        eventCount }} allEvents(condition: {{sessionId: $id}}, orderBy: [TIMESTAMP_ASC, ID_ASC]) {{
          nodes {{ {EVENT_FIELDS} }} }} }}""",
    "category_page": f"""query($category: String!, $from: Datetime!, $to: Datetime!) {{
        allEvents(filter: {{category: {{equalTo: $category}},
                             timestamp: {{greaterThanOrEqualTo: $from, lessThan: $to}}}},
                  orderBy: [TIMESTAMP_ASC, ID_ASC], first: 100) {{
          edges {{ cursor node {{ {EVENT_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}""",
    "daily_counts": """query($from: Datetime!, $to: Datetime!) {
        dailyEventCounts(startAt: $from, endAt: $to) { nodes { bucket count } } }""",
}


def variables(question: str, rnd: random.Random, sessions: int, days: int) -> dict[str, Any]:
    if question == "session_events":
        return {"id": f"s{rnd.randrange(sessions):09d}"}
    window = WINDOWS[question]
    # A window as long as the data starts within its first day, still at a random second.
    latest = max(86400, days * 86400 - int(window.total_seconds()))
    start = START + timedelta(seconds=rnd.randrange(latest + 1))
    v = {"from": start.isoformat(), "to": (start + window).isoformat()}
    if question == "category_page":
        v["category"] = rnd.choice(["page interaction", "form interaction"])
    return v


def check_answer(question: str, server: str, body: dict[str, Any]) -> int:
    """How many items the answer holds; stops the run on an error or an empty answer."""
    if "errors" in body:
        raise SystemExit(f"{server} {question}: {body['errors']}")
    data = body["data"]
    if question == "session_events":
        items = (data["session"] or {}).get("events", []) if server == "eye" \
            else data["allEvents"]["nodes"]
    elif question == "category_page":
        items = data["events" if server == "eye" else "allEvents"]["edges"]
    elif question.startswith("top_pages"):
        items = data["topPages"]
    else:
        items = data["eventCounts"] if server == "eye" else data["dailyEventCounts"]["nodes"]
    if not items:
        raise SystemExit(f"{server} {question}: empty answer {body}")
    return len(items)


async def time_question(session: aiohttp.ClientSession, url: str, headers: dict[str, str],
                        query: str, question: str, server: str, vars_list: list[dict[str, Any]],
                        warmup: int) -> dict[str, Any]:
    times: list[float] = []
    sizes: list[int] = []
    for n, v in enumerate(vars_list):
        t = time.perf_counter()
        async with session.post(url, json={"query": query, "variables": v},
                                headers=headers) as resp:
            body = await resp.json()
        elapsed = (time.perf_counter() - t) * 1000
        sizes.append(check_answer(question, server, body))
        if n >= warmup:
            times.append(elapsed)
    times.sort()
    q = statistics.quantiles(times, n=100, method="inclusive")
    return {"runs": len(times), "p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2),
            "p99_ms": round(q[98], 2), "max_ms": round(times[-1], 2),
            "mean_items": round(statistics.mean(sizes), 1)}


async def measure(servers: dict[str, tuple[str, dict[str, str], dict[str, str]]], runs: int,
                  warmup: int, events: int, days: int, seed: int) -> dict[str, Any]:
    sessions = max(1, events // EVENTS_PER_SESSION)
    out: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        for question in EYE:
            rnd = random.Random(f"{seed}-{question}")
            vars_list = [variables(question, rnd, sessions, days) for _ in range(warmup + runs)]
            for server, (url, headers, queries) in servers.items():
                if question not in queries:
                    continue
                log(f"timing {question} on {server} ({runs} runs)")
                out.setdefault(question, {})[server] = await time_question(
                    session, url, headers, queries[question], question, server, vars_list, warmup)
    return out


# ---- report ------------------------------------------------------------------------------------

def markdown(result: dict[str, Any]) -> str:
    lines = [f"# API bench — {result['events']:,} events over {result['days']} days",
             "", f"Command: `{result['command']}`  ",
             f"When: {result['finished_at']}; machine: {result['machine']}", "",
             "| question | target p95 | The Eye p50 | The Eye p95 | PostGraphile 4 p50 "
             "| PostGraphile 4 p95 |", "|---|---|---|---|---|---|"]
    for question, by_server in result["results"].items():
        eye, pgl = by_server.get("eye", {}), by_server.get("postgraphile", {})
        lines.append(f"| {question} | {TARGETS_MS[question]} ms | {eye.get('p50_ms', '–')} ms "
                     f"| **{eye.get('p95_ms', '–')} ms** | {pgl.get('p50_ms', '–')} ms "
                     f"| {pgl.get('p95_ms', '–')} ms |")
    lines += ["", "Each figure is over the runs after warm-up, one request at a time, over HTTP "
              "from the same client; the same random sessions and windows for both servers. "
              "The Eye's requests carry a bearer token (one extra lookup each); PostGraphile's "
              "run without auth. session_events: The Eye `session(id) { events }`, PostGraphile "
              "`sessionBySessionId` + `allEvents(condition: {sessionId})`. category_page: first "
              "100 events of a category in a 1-day window. daily_counts: 30 days by day; "
              "PostGraphile through a SQL function (`daily_event_counts`), its custom-query way. "
              + ABOUT_ROLLUP_QUESTIONS]
    return "\n".join(lines) + "\n"


ABOUT_ROLLUP_QUESTIONS = (
    "grouped_counts_30d / grouped_counts_365d: `eventCounts(bucket: DAY, groupBy: [CATEGORY, "
    "NAME])` over 30 / 365 days; top_pages_30d / top_pages_365d: `topPages(limit: 10)` over "
    "30 / 365 days; The Eye only. Windows start at a random second, so each reads whole days "
    "and hours from the rollups and two partial hours from `events`.")


def curve_markdown(runs: list[dict[str, Any]], command: str) -> str:
    """One row per question, the p50/p95 of The Eye at each size side by side."""
    sizes = [r["events"] for r in runs]
    lines = [f"# API bench — cost against volume ({', '.join(f'{n:,}' for n in sizes)} events "
             f"over {runs[0]['days']} days)", "", f"Command: `{command}`  ",
             f"When: {runs[-1]['finished_at']}; machine: {runs[-1]['machine']}", "",
             "| question | target p95 | " + " | ".join(f"{n:,} p50 | {n:,} p95" for n in sizes)
             + " |", "|---|---|" + "---|---|" * len(sizes)]
    for question in runs[0]["results"]:
        cells = []
        for r in runs:
            eye = r["results"].get(question, {}).get("eye", {})
            cells.append(f"{eye.get('p50_ms', '–')} ms | **{eye.get('p95_ms', '–')} ms**")
        lines.append(f"| {question} | {TARGETS_MS[question]} ms | " + " | ".join(cells) + " |")
    lines += ["", "The Eye only, over HTTP, one request at a time, the same windows at every "
              "size. " + ABOUT_ROLLUP_QUESTIONS]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, nargs="+", default=[10_000_000],
                   help="events to generate; several sizes run one after the other and also "
                        "write one results file of them all (api-curve)")
    p.add_argument("--days", type=int, default=365, help="the span the events cover")
    p.add_argument("--runs", type=int, default=300, help="timed requests per question and server")
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reuse", action="store_true",
                   help="keep a database generated before with the same size and span")
    p.add_argument("--no-postgraphile", action="store_true")
    args = p.parse_args(argv)
    command = "python -m bench.api_bench " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))

    # The server is stopped at the end when this run started it (bench/common.py).
    runs = []
    with service("postgres.sh", PG_DIR, PG_PORT, env={"EYE_PG_FSYNC": "off"}):
        for events in args.events:
            runs.append(run_size(args, events, command))
    if len(runs) > 1:
        sizes = sorted(args.events)
        stem = RESULTS / ("api-curve" if sizes == [1_000_000, 3_000_000, 10_000_000]
                          else "api-curve-" + "-".join(str(n) for n in sizes))
        stem.with_suffix(".json").write_text(json.dumps(runs, indent=2) + "\n")
        stem.with_suffix(".md").write_text(curve_markdown(runs, command))
        print(curve_markdown(runs, command))
        log(f"wrote {stem}.json and {stem}.md")
    return 0


def run_size(args: argparse.Namespace, events: int, command: str) -> dict[str, Any]:
    dsn = prepare_database(events, args.days, args.reuse)
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS / "tmp"
    tmp.mkdir(exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        eye_proc, eye_url, token = start_eye(dsn, tmp / "eye-api.log")
        procs.append(eye_proc)
        servers = {"eye": (eye_url, {"Authorization": f"Bearer {token}"}, EYE)}
        if not args.no_postgraphile:
            pgl_proc, pgl_url = start_postgraphile(dsn, tmp / "postgraphile.log")
            procs.append(pgl_proc)
            servers["postgraphile"] = (pgl_url, {}, PGL)
        results = asyncio.run(measure(servers, args.runs, args.warmup, events, args.days,
                                      args.seed))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    result = {"events": events, "days": args.days, "command": command,
              "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": f"{os.cpu_count()} CPUs, {sys.platform}", "results": results}
    # The size is the record; smaller runs keep their own files.
    stem = RESULTS / ("api" if events == 10_000_000 else f"api-{events}")
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    log(f"wrote {stem}.json and {stem}.md")
    return result


if __name__ == "__main__":
    sys.exit(main())
