"""Isolation under load: cheap GraphQL requests beside expensive ones while the worker ingests.

    .venv/bin/python -m bench.isolation                  # 50 clients, 60 s a phase, 2,000 events/s
    .venv/bin/python -m bench.isolation --clients 12 --seconds 10 --rate 200 --events 50000 \\
        --out bench/results/tmp/isolation-small           # a quick look; leaves the results alone

A fresh database (bench.ingest's pipeline: topics, a registered app, a worker) is preloaded with
`--events` events generated inside PostgreSQL (bench.api_bench.generate: sessions of 10 spread
over `--days` days from 2024-01-01, 70% page views) and a twentieth as many rejected messages.
`eye api` runs in a process of its own with the default settings (`--api-setting` changes
some); the cheap clients in another and the expensive ones in a third, with
asyncio and one aiohttp session each; bench.load's SDK-shaped traffic is sent to the worker at
`--rate` events/s throughout, from this process.

Clients are closed loops: each sends a request, reads the answer, waits a random think time
(exponential, mean `--think` seconds, `--expensive-think` for the expensive clients) and sends
the next. Most are cheap (`session(id)` with its
events, 70% of their requests; the first page of a category in a day, 30%), spread over
`--cheap-tokens` tokens. `--expensive` of them (a fifth) ask expensive questions over
`--expensive-tokens` tokens, each client one kind, in turn: eventCounts over the whole span by
day and category and name and topPages over the whole span (both read the rollups); a page of
errors naming a session (a scan of the payloads) with the error counts; deep pagination (pages
of 1,000 events, following the cursor); twenty aliases of topPages over a month (the alias and
statement limits); 19 sessions with their events (20 statements, the most allowed); the
standard introspection query.

Two phases of `--seconds` each, after a warm-up of `--warmup` seconds: the baseline, the cheap
clients alone, then the mix, the same cheap clients with the expensive ones. Per kind of
request: requests, their rate, latency p50/p95/p99/max (from sending the request to reading the
whole answer), and how many were refused (a 4xx, or a limit's error code) or failed (any other
error, e.g. a statement timeout). The headline is `session(id)`'s p95 in the mix (target ≤ 20
ms) and its ratio to the baseline's. The API process's CPU share in each phase is read from
/proc. Results: bench/results/isolation.md and .json, or PATH.md and PATH.json with --out.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import queue
import random
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psycopg
from graphql import get_introspection_query

from bench import load
from bench.api_bench import EVENTS_PER_SESSION, START, generate
from bench.common import STATE, free_port, services, write_results
from bench.ingest import pipeline
from bench.subscriptions import _start_api, percentiles
from eye.loadgen import Pacer
from tests.fixtures.processes import settings_env

TARGET_MS = 20.0
CHEAP = ("session", "category_page")
EXPENSIVE = ("event_counts", "top_pages", "errors_page", "deep_pages", "aliases",
             "sessions_events", "introspection")
CATEGORIES = ("page interaction", "form interaction")
GRAPHQL_RESPONSE = "application/graphql-response+json"
# Refusals: the request-level limits (400 with these codes) and HTTP statuses 4xx.
REFUSED_CODES = {"MAX_TOKENS_EXCEEDED", "MAX_DEPTH_EXCEEDED", "MAX_ALIASES_EXCEEDED",
                 "MAX_COST_EXCEEDED", "MAX_STATEMENTS_EXCEEDED", "MAX_INTROSPECTION_EXCEEDED",
                 "TOO_MANY_REQUESTS"}

SESSION = """query($id: String!) { session(id: $id) {
  sessionId eventCount pageviews entryPage exitPage durationSeconds
  events { id name category timestamp data } } }"""
CATEGORY_PAGE = """query($c: String!, $f: DateTime, $t: DateTime) {
  events(filter: {category: $c, from: $f, to: $t}, first: 20) {
    nodes { id sessionId name timestamp data } pageInfo { hasNextPage endCursor } } }"""
EVENT_COUNTS = """query($f: DateTime!, $t: DateTime!) {
  eventCounts(from: $f, to: $t, bucket: DAY, groupBy: [CATEGORY, NAME]) {
    bucket category name count } }"""
TOP_PAGES = """query($f: DateTime!, $t: DateTime!) {
  topPages(from: $f, to: $t, limit: 20) { host path views } }"""
ERRORS_PAGE = """query($s: String!) {
  errorCounts { reason count }
  errors(filter: {sessionId: $s}, first: 100) {
    nodes { id reason detail payload receivedAt } pageInfo { endCursor } } }"""
DEEP_PAGES = """query($after: String) {
  events(first: 1000, after: $after) {
    nodes { id sessionId category name timestamp data } pageInfo { hasNextPage endCursor } } }"""
ALIASES = ("query($f: DateTime!, $t: DateTime!) { " + " ".join(
    f"p{i}: topPages(from: $f, to: $t, limit: 1) {{ views }}" for i in range(20)) + " }")
SESSIONS_EVENTS = """query($f: DateTime!) {
  sessions(filter: {from: $f}, first: 19) {
    nodes { sessionId eventCount events { name timestamp data } } } }"""
INTROSPECTION = get_introspection_query(True, True, True, True, True)


# ---- the clients' process ----------------------------------------------------------------------

class Asker:
    """The next request of one kind: its query and variables, drawn from the preloaded data."""

    def __init__(self, sessions: int, days: int, rnd: random.Random) -> None:
        self.sessions, self.days, self.rnd = sessions, days, rnd
        self.cursor: str | None = None
        self.depth = 0

    def _session_id(self) -> str:
        return "s" + str(self.rnd.randrange(self.sessions)).rjust(9, "0")

    def next(self, kind: str) -> tuple[str, dict[str, Any]]:
        end = START + timedelta(days=self.days)
        span = {"f": START.isoformat(), "t": end.isoformat()}
        if kind == "session":
            return SESSION, {"id": self._session_id()}
        if kind == "category_page":
            day = START + timedelta(days=self.rnd.randrange(self.days))
            return CATEGORY_PAGE, {"c": self.rnd.choice(CATEGORIES), "f": day.isoformat(),
                                   "t": (day + timedelta(days=1)).isoformat()}
        if kind == "event_counts":
            return EVENT_COUNTS, span
        if kind == "top_pages":
            return TOP_PAGES, span
        if kind == "errors_page":
            return ERRORS_PAGE, {"s": self._session_id()}
        if kind == "deep_pages":
            return DEEP_PAGES, {"after": self.cursor}
        if kind == "aliases":
            month = START + timedelta(days=30 * self.rnd.randrange(max(self.days // 30, 1)))
            return ALIASES, {"f": month.isoformat(),
                             "t": (month + timedelta(days=30)).isoformat()}
        if kind == "sessions_events":
            day = START + timedelta(days=self.rnd.randrange(self.days))
            return SESSIONS_EVENTS, {"f": day.isoformat()}
        if kind == "introspection":
            return INTROSPECTION, {}
        raise ValueError(kind)

    def answered(self, kind: str, body: dict[str, Any]) -> None:
        if kind != "deep_pages":
            return
        info = ((body.get("data") or {}).get("events") or {}).get("pageInfo") or {}
        self.depth += 1
        # Deep, not endless: back to the start after 20 pages (20,000 events).
        if info.get("hasNextPage") and self.depth < 20:
            self.cursor = info.get("endCursor")
        else:
            self.cursor, self.depth = None, 0


def _outcome(status: int, body: dict[str, Any]) -> str:
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
    if 400 <= status < 500 or codes & REFUSED_CODES:
        return "refused"
    if status != 200 or codes:
        return "failed"
    return "ok"


async def _client(session: aiohttp.ClientSession, url: str, token: str, kinds: tuple[str, ...],
                  weights: tuple[float, ...], asker: Asker, think: float, counted_from: float,
                  until: float, sink: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": GRAPHQL_RESPONSE}
    rnd = asker.rnd
    await asyncio.sleep(rnd.uniform(0, think or 0.1))  # the clients do not start in step
    while time.monotonic() < until:
        kind = rnd.choices(kinds, weights)[0]
        query, variables = asker.next(kind)
        started = time.monotonic()
        try:
            async with session.post(url, json={"query": query, "variables": variables},
                                    headers=headers) as resp:
                raw = await resp.read()
                status = resp.status
            body = orjson.loads(raw) if raw else {}
        except (aiohttp.ClientError, orjson.JSONDecodeError, asyncio.TimeoutError) as exc:
            status, body = 0, {"errors": [{"message": repr(exc)}]}
        took = time.monotonic() - started
        if started >= counted_from:
            outcome = _outcome(status, body)
            sink["outcomes"][kind][outcome] += 1
            if outcome == "ok":
                sink["latencies"][kind].append(took)
            else:
                for e in body.get("errors") or ():
                    code = (e.get("extensions") or {}).get("code") or f"HTTP {status}"
                    sink["codes"][kind][code] += 1
        asker.answered(kind, body)
        await asyncio.sleep(rnd.expovariate(1 / think) if think > 0 else 0)


async def _clients(url: str,
                   specs: list[tuple[str, tuple[str, ...], tuple[float, ...], float]],
                   sessions: int, days: int, warmup: float, seconds: float,
                   seed: int) -> dict[str, Any]:
    sink: dict[str, Any] = {"latencies": defaultdict(list),
                            "outcomes": defaultdict(Counter), "codes": defaultdict(Counter)}
    now = time.monotonic()
    counted_from, until = now + warmup, now + warmup + seconds
    lags: list[float] = []

    async def lag() -> None:
        """How late this process's loop wakes: when it is late, so are the clients' timings."""
        while time.monotonic() < until:
            asked = time.monotonic()
            await asyncio.sleep(0.01)
            if asked >= counted_from:
                lags.append(time.monotonic() - asked - 0.01)
    # One connection per client, as separate programs would have.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(lag(), *(
            _client(session, url, token, kinds, weights,
                    Asker(sessions, days, random.Random(seed * 1000 + i)), think,
                    counted_from, until, sink)
            for i, (token, kinds, weights, think) in enumerate(specs)))
    kinds = sorted(set(sink["latencies"]) | set(sink["outcomes"]))
    loop_lag = {q: None if v is None else round(v * 1000, 1) for q, v in percentiles(lags).items()}
    return {"client_loop_lag_ms": loop_lag, "kinds": {k: {"requests": sum(sink["outcomes"][k].values()),
                "per_second": round(sum(sink["outcomes"][k].values()) / seconds, 1),
                **{o: sink["outcomes"][k][o] for o in ("ok", "refused", "failed")},
                "codes": dict(sink["codes"][k]),
                "latency_ms": {q: None if v is None else round(v * 1000, 1)
                               for q, v in percentiles(sink["latencies"][k]).items()}}
            for k in kinds}}


def _client_process(out: mp.Queue, *args: Any) -> None:
    out.put(asyncio.run(_clients(*args)))


# ---- the run -----------------------------------------------------------------------------------

def preload(dsn: str, events: int, days: int) -> int:
    """`events` events (api_bench's shapes) and a twentieth as many rejected messages, some
    naming a session in their payload; the number of sessions."""
    generate(dsn, events, days)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""
            INSERT INTO errors (reason, detail, payload, topic, "partition", "offset",
                                received_at)
            SELECT (ARRAY['malformed_json', 'missing_field', 'invalid_timestamp',
                          'unauthorized_app'])[1 + i %% 4], 'preloaded',
                   convert_to('{"session_id": "s' || lpad((i * 7919 %% %(s)s)::text, 9, '0')
                              || '", "category": "page interaction", "name": "pageview"',
                              'UTF8'),
                   'preload', 0, i,
                   %(start)s::timestamptz + (i %% (%(days)s * 86400)) * interval '1 second'
            FROM generate_series(1, %(n)s) i""",
                     {"n": max(events // 20, 1), "s": max(events // EVENTS_PER_SESSION, 1),
                      "start": START, "days": days})
        conn.execute("VACUUM (ANALYZE) errors")
    return max(events // EVENTS_PER_SESSION, 1)


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_specs(args: argparse.Namespace, tokens: list[str], with_expensive: bool
                 ) -> list[tuple[str, tuple[str, ...], tuple[float, ...], float]]:
    cheap_tokens, expensive_tokens = tokens[:args.cheap_tokens], tokens[args.cheap_tokens:]
    cheap = args.clients - args.expensive
    specs = [(cheap_tokens[i % len(cheap_tokens)], CHEAP, (0.7, 0.3), args.think)
             for i in range(cheap)]
    if with_expensive:
        specs += [(expensive_tokens[i % len(expensive_tokens)], (EXPENSIVE[i % len(EXPENSIVE)],),
                   (1.0,), args.expensive_think) for i in range(args.expensive)]
    return specs


def phase(args: argparse.Namespace, name: str, url: str, specs: list[Any], sessions: int,
          sender: load.Sender, items: list[load.Planned], at: int, api_pid: int
          ) -> tuple[dict[str, Any], int]:
    """One phase: the cheap clients in a process of their own, the expensive ones in another
    (reading their large answers would make the cheap ones' timings late), the load sent from
    here meanwhile."""
    ctx = mp.get_context("spawn")
    groups = {"cheap": [s for s in specs if s[1] == CHEAP],
              "expensive": [s for s in specs if s[1] != CHEAP]}
    outs: dict[str, mp.Queue] = {}
    children: dict[str, Any] = {}
    for seed, (group, members) in enumerate(groups.items(), 1):
        if not members:
            continue
        outs[group] = ctx.Queue()
        children[group] = ctx.Process(target=_client_process, daemon=True, args=(
            outs[group], url, members, sessions, args.days, args.warmup, args.seconds, seed))
    print(f"{name}: {len(specs)} clients for {args.warmup:.0f} + {args.seconds:.0f} s",
          flush=True)
    for child in children.values():
        child.start()
    results: dict[str, Any] = {}
    pacer = Pacer(args.rate)
    started = time.monotonic()
    cpu_at = None
    sent = 0
    try:
        while len(results) < len(children):
            if cpu_at is None and time.monotonic() - started >= args.warmup:
                cpu_at = (time.monotonic(), _cpu_seconds(api_pid), _machine_busy())
            for _ in range(max(int(args.rate / 20), 1)):
                pacer.wait()
                sender.send(items[at % len(items)])
                at += 1
                sent += 1
            sender.known.poll(0)
            sender.unknown.poll(0)
            for group, out in outs.items():
                if group in results:
                    continue
                try:
                    results[group] = out.get_nowait()
                except queue.Empty:
                    if not children[group].is_alive():
                        raise RuntimeError(f"the {group} clients' process exited "
                                           f"({children[group].exitcode})") from None
        elapsed = time.monotonic() - started
        cpu = busy = None
        if cpu_at is not None:
            cpu = (_cpu_seconds(api_pid) - cpu_at[1]) / (time.monotonic() - cpu_at[0])
            now_busy = _machine_busy()
            busy = (now_busy[0] - cpu_at[2][0]) / max(now_busy[1] - cpu_at[2][1], 1)
    finally:
        for child in children.values():
            child.join(30)
            if child.is_alive():
                child.kill()
    return {"clients": len(specs),
            "kinds": {k: v for r in results.values() for k, v in sorted(r["kinds"].items())},
            "client_loop_lag_ms": {g: r["client_loop_lag_ms"] for g, r in results.items()},
            "sent_events_per_s": round(sent / elapsed),
            "api_cpu_share": None if cpu is None else round(cpu, 2),
            "machine_busy_share": None if busy is None else round(busy, 2)}, at


def run(args: argparse.Namespace) -> dict[str, Any]:
    items = load.plan(int(args.rate * (args.warmup + args.seconds) * 2 + args.rate * 10),
                      sessions=args.sessions, rate=args.rate, seed=14)
    with services() as (bootstrap, admin), pipeline(bootstrap, admin) as p:
        from store import tokens as store_tokens

        t0 = time.monotonic()
        sessions = preload(p.settings.dsn, args.events, args.days)
        preload_s = time.monotonic() - t0
        n_tokens = args.cheap_tokens + args.expensive_tokens
        with psycopg.connect(p.settings.dsn, autocommit=True) as conn:
            tokens = [store_tokens.add(conn, f"bench-{i}") for i in range(n_tokens)]
        port = free_port()
        env = settings_env(p.settings)
        env.update(dict(s.split("=", 1) for s in args.api_setting))
        api = _start_api(env, STATE / f"api-isolation-{port}.log", port)
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            p.worker.start(timeout=120)
            sender = load.Sender(bootstrap, p.settings.topic, p.app_key)
            at = 0
            phases = {}
            for name, with_expensive in (("baseline", False), ("mixed", True)):
                phases[name], at = phase(args, name, url, client_specs(args, tokens,
                                                                       with_expensive),
                                         sessions, sender, items, at, api.pid)
                s = phases[name]["kinds"].get("session", {}).get("latency_ms", {})
                print(f"  session(id) p50 {s.get('p50')} ms, p95 {s.get('p95')} ms, "
                      f"p99 {s.get('p99')} ms", flush=True)
            sender.flush()
            if not p.worker.alive():
                raise RuntimeError(f"the worker exited:\n{p.worker.log_tail()}")
        finally:
            api.terminate()
            api.wait(30)
        with psycopg.connect(p.settings.dsn) as conn:
            stored = conn.execute("SELECT count(*) FROM events WHERE \"timestamp\" >= %s",
                                  (datetime.now(UTC) - timedelta(days=1),)).fetchone()
    base = phases["baseline"]["kinds"]["session"]["latency_ms"]["p95"]
    mixed = phases["mixed"]["kinds"]["session"]["latency_ms"]["p95"]
    return {"events": args.events, "days": args.days, "sessions": sessions,
            "preload_seconds": round(preload_s, 1), "clients": args.clients,
            "expensive_clients": args.expensive, "cheap_tokens": args.cheap_tokens,
            "expensive_tokens": args.expensive_tokens, "think_seconds": args.think,
            "expensive_think_seconds": args.expensive_think,
            "rate": args.rate, "seconds": args.seconds, "warmup_seconds": args.warmup,
            "api_settings": args.api_setting,
            "ingested_during_run": int(stored[0]) if stored else 0,
            "session_p95_ms": {"baseline": base, "mixed": mixed,
                               "ratio": None if not base or mixed is None
                               else round(mixed / base, 2),
                               "target": TARGET_MS, "met": mixed is not None
                               and mixed <= TARGET_MS},
            "phases": phases}


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def report(args: argparse.Namespace, r: dict[str, Any]) -> Path:
    s = r["session_p95_ms"]
    table = [
        ("data", f"{r['events']:,} events in {r['sessions']:,} sessions over {r['days']} days, "
                 f"{r['events'] // 20:,} rejected messages (preloaded in "
                 f"{r['preload_seconds']:.0f} s)"),
        ("clients (expensive)", f"{r['clients']} ({r['expensive_clients']}), think time "
                                f"{r['think_seconds']} s (expensive ones "
                                f"{r['expensive_think_seconds']} s), {r['cheap_tokens']} cheap "
                                "tokens, "
                                f"{r['expensive_tokens']} expensive ones"),
        ("**session(id) p95, mix (target ≤ 20 ms)**",
         f"**{_ms(s['mixed'])} ms** ({'met' if s['met'] else 'not met'})"),
        ("session(id) p95, baseline (cheap clients only)", f"{_ms(s['baseline'])} ms"),
        ("ratio mix ÷ baseline", "–" if s["ratio"] is None else f"{s['ratio']:.2f}"),
    ]
    for name, ph in r["phases"].items():
        table.append((f"{name}: events/s sent (asked {r['rate']:,.0f}); API process CPU; "
                      "machine CPU busy",
                      f"{ph['sent_events_per_s']:,}; {ph['api_cpu_share']} of a core; "
                      f"{ph['machine_busy_share']:.0%} of all cores"))
        for group, lag in ph["client_loop_lag_ms"].items():
            table.append((f"{name}: the {group} clients' own loop late by p50 / p99 / max ms",
                          " / ".join(_ms(lag[q]) for q in ("p50", "p99", "max"))))
        for kind, k in ph["kinds"].items():
            lat = k["latency_ms"]
            codes = ", ".join(f"{c} {n}" for c, n in k["codes"].items())
            table.append((f"{name}: {kind} — requests (/s), refused, failed; "
                          "p50 / p95 / p99 / max ms",
                          f"{k['requests']:,} ({k['per_second']}/s), {k['refused']}, "
                          f"{k['failed']}{' (' + codes + ')' if codes else ''}; "
                          + " / ".join(_ms(lat[q]) for q in ("p50", "p95", "p99", "max"))))
    notes = ("Latency: from sending the request to reading the whole answer, answered requests "
             "only, after the warm-up. Refused: a 4xx or a limit's code (MAX_*); failed: any "
             "other error (STATEMENT_TIMEOUT, …). The broker, PostgreSQL, the worker, the API, "
             "the clients and the sender share the machine.")
    return write_results("isolation", r, table, notes=notes, out=args.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=50, help="clients in the mix")
    ap.add_argument("--expensive", type=int, default=None,
                    help="of them, clients asking expensive questions (default: a fifth)")
    ap.add_argument("--cheap-tokens", type=int, default=5, help="tokens the cheap clients use")
    ap.add_argument("--expensive-tokens", type=int, default=3,
                    help="tokens the expensive clients use")
    ap.add_argument("--think", type=float, default=0.5,
                    help="mean seconds a client waits between an answer and its next request")
    ap.add_argument("--expensive-think", type=float, default=0.1,
                    help="the same for the expensive clients: they press harder")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured, per phase")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds before each phase counts")
    ap.add_argument("--rate", type=float, default=2000.0, help="events per second sent")
    ap.add_argument("--sessions", type=int, default=20_000,
                    help="sessions active at once in the ingested load")
    ap.add_argument("--events", type=int, default=500_000, help="events preloaded")
    ap.add_argument("--days", type=int, default=365, help="days the preloaded events span")
    ap.add_argument("--api-setting", action="append", default=[], metavar="EYE_NAME=VALUE",
                    help="a setting for the API process (repeatable), e.g. "
                         "EYE_API_HEAVY_CONCURRENCY=1; the defaults otherwise")
    ap.add_argument("--out", type=Path, default=None,
                    help="write PATH.md and PATH.json instead of bench/results/isolation.*")
    args = ap.parse_args()
    if args.expensive is None:
        args.expensive = args.clients // 5
    if any("=" not in s or not s.startswith("EYE_") for s in args.api_setting):
        ap.error("--api-setting takes EYE_NAME=VALUE")
    if not 0 <= args.expensive < args.clients:
        ap.error("--expensive must leave at least one cheap client")
    STATE.mkdir(parents=True, exist_ok=True)
    r = run(args)
    print(report(args, r).read_text())


if __name__ == "__main__":
    main()
