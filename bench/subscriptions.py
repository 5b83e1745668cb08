"""Subscription latency: seconds from an event's production to Kafka to its `next` message at a
subscriber, under steady load with many subscriptions open.

    .venv/bin/python -m bench.subscriptions            # 2,000 events/s, 100 subscriptions, 60 s
    .venv/bin/python -m bench.subscriptions --rate 200 --seconds 10 --subscriptions 10 \\
        --out bench/results/tmp/subscriptions-small    # a quick look; leaves the results alone

A fresh database, topics and worker (bench.ingest's pipeline) and `eye api` in a process of its
own; the subscribers run in another process, one WebSocket connection per subscription, as
separate clients would. A share of them (`--firehose-share`, a tenth) subscribe to `events`
with no filter and receive every event; the others follow one session each with
`sessionEvents`, the sessions with the most events in the plan. The load is bench.load's
(SDK-shaped, about 2% broken messages), sent at `--rate` for a 5 s warm-up and `--seconds`.

Each event carries the time it was built, just before the SDK's send (librdkafka stamps its
CreateTime then, to the millisecond); a subscriber takes its latency as the time its `next`
message is read minus that. Events built in the warm-up are not counted. After the load, the
run waits until the database stops growing and 3 s more, then compares what each subscription
received with the rows stored: a subscription missing rows, or closed by the server (4503: too
slow), is reported. The API runs with the default settings except the per-token limits, raised
so that one token may hold every subscription and receive the whole fan-out.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import os
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psycopg

from bench import load
from bench.common import STATE, free_port, services, write_results
from bench.ingest import pipeline
from eye.loadgen import Pacer
from tests.fixtures.processes import ROOT, settings_env

WARMUP = 5.0
SETTLE = 3.0  # seconds after the database stopped growing before the subscribers stop
PROTOCOL = "graphql-transport-ws"
FIREHOSE = "subscription { events { timestamp } }"
SESSION = "subscription($id: String!) { sessionEvents(id: $id) { timestamp } }"


def percentiles(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    out: dict[str, float | None] = {}
    for q in (50, 95, 99):
        out[f"p{q}"] = round(ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)], 4)
    out["max"] = round(ordered[-1], 4)
    return out


# ---- the subscribers' process -------------------------------------------------------------------

async def _follow(session: aiohttp.ClientSession, url: str, token: str, spec: tuple[str, str],
                  counted_from: mp.Value, stop: asyncio.Event, sink: dict[str, Any]) -> None:
    kind, arg = spec
    ws = await session.ws_connect(url, protocols=(PROTOCOL,), max_msg_size=0)
    await ws.send_str(orjson.dumps({"type": "connection_init",
                                    "payload": {"Authorization": f"Bearer {token}"}}).decode())
    ack = await ws.receive(timeout=30)
    assert ack.type == aiohttp.WSMsgType.TEXT and orjson.loads(ack.data)["type"] == \
        "connection_ack", ack
    query, variables = (FIREHOSE, {}) if kind == "firehose" else (SESSION, {"id": arg})
    await ws.send_str(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": query, "variables": variables}}).decode())
    sink["subscribed"] += 1
    field = "events" if kind == "firehose" else "sessionEvents"
    latencies: list[float] = sink["latencies"][kind]
    received = 0
    reader = asyncio.ensure_future(ws.receive())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while True:
            done, _ = await asyncio.wait({reader, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if reader not in done:
                break
            msg = reader.result()
            now = time.time()
            if msg.type != aiohttp.WSMsgType.TEXT:
                code = msg.data if msg.type == aiohttp.WSMsgType.CLOSE else ws.close_code
                sink["closes"][f"{code} {msg.extra or ''}".strip()] += 1
                return
            message = orjson.loads(msg.data)
            if message["type"] != "next":
                sink["closes"][f"message {message['type']}"] += 1
                return
            built = datetime.fromisoformat(
                message["payload"]["data"][field]["timestamp"]).timestamp()
            if built >= counted_from.value > 0:
                latencies.append(now - built)
                received += 1
            reader = asyncio.ensure_future(ws.receive())
    finally:
        reader.cancel()
        stopping.cancel()
        sink["received"].append((kind, arg, received))
        await ws.close()


async def _subscribers(url: str, token: str, specs: list[tuple[str, str]],
                       counted_from: mp.Value, ready: mp.Event, stop: mp.Event,
                       results: mp.Queue) -> None:
    sink: dict[str, Any] = {"subscribed": 0, "latencies": {"firehose": [], "session": []},
                            "closes": Counter(), "received": []}
    stopped = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(_follow(session, url, token, s, counted_from, stopped, sink))
                 for s in specs]
        while sink["subscribed"] < len(specs):
            await asyncio.sleep(0.05)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        stopped.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    results.put({"latencies": {k: percentiles(v) for k, v in sink["latencies"].items()},
                 "counted": {k: len(v) for k, v in sink["latencies"].items()},
                 "closes": dict(sink["closes"]), "received": sink["received"]})


def _subscriber_process(*args: Any) -> None:
    asyncio.run(_subscribers(*args))


# ---- the run ------------------------------------------------------------------------------------

def _start_api(settings_env_: dict[str, str], log_path: Path, port: int
               ) -> subprocess.Popen[bytes]:
    from bench.api_bench import wait_http

    env = {**os.environ, **settings_env_, "EYE_API_HOST": "127.0.0.1", "EYE_API_PORT": str(port)}
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "eye"), "api"], env=env, cwd=ROOT,
                            stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def _stored(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM events) + "
                           "(SELECT count(*) FROM errors)").fetchone()
    return int(row[0]) if row else 0


def _expected(dsn: str, since: float, sessions: list[str]) -> tuple[int, dict[str, int]]:
    """Events built at or after `since`: all of them, and per followed session."""
    at = datetime.fromtimestamp(since, UTC)
    with psycopg.connect(dsn) as conn:
        total = conn.execute('SELECT count(*) FROM events WHERE "timestamp" >= %s',
                             (at,)).fetchone()
        per = dict(conn.execute('SELECT session_id, count(*) FROM events WHERE "timestamp" >= %s'
                                " AND session_id = ANY(%s) GROUP BY 1", (at, sessions)).fetchall())
    return int(total[0]) if total else 0, per


def run(args: argparse.Namespace) -> dict[str, Any]:
    items = load.plan(int(args.rate * (WARMUP + args.seconds)), sessions=args.sessions,
                      rate=args.rate, seed=5)
    firehoses = max(1, round(args.subscriptions * args.firehose_share))
    busiest = [s for s, _ in Counter(p.session_id for p in items if p.broken is None)
               .most_common(args.subscriptions - firehoses)]
    specs = [("firehose", "")] * firehoses + [("session", s) for s in busiest]
    with services() as (bootstrap, admin), pipeline(bootstrap, admin) as p:
        from store import tokens

        with psycopg.connect(p.settings.dsn, autocommit=True) as conn:
            token = tokens.add(conn, "bench")
        env = settings_env(p.settings)
        env.update({"EYE_API_WS_MAX_SUBSCRIPTIONS": str(len(specs)),
                    "EYE_API_WS_MESSAGES_PER_SECOND": str(args.rate * len(specs) * 2)})
        port = free_port()
        api = _start_api(env, STATE / f"api-subscriptions-{port}.log", port)
        ctx = mp.get_context("spawn")
        counted_from, ready, stop, results = ctx.Value("d", 0.0), ctx.Event(), ctx.Event(), \
            ctx.Queue()
        child = ctx.Process(target=_subscriber_process, args=(
            f"http://127.0.0.1:{port}/graphql", token, specs, counted_from, ready, stop,
            results), daemon=True)
        try:
            p.worker.start(timeout=120)
            child.start()
            if not ready.wait(120):
                raise SystemExit("the subscribers did not all subscribe within 120 s")
            time.sleep(1.0)  # the server registers a subscription just after it reads it
            sender = load.Sender(bootstrap, p.settings.topic, p.app_key)
            pacer = Pacer(args.rate)
            started = time.time()
            counted_from.value = started + WARMUP
            for item in items:
                pacer.wait()
                sender.send(item)
            stopped = time.time()
            sender.flush()
            sender.known.close()
            sender.unknown.close()
            last, still_since = -1, time.monotonic()
            while time.monotonic() - still_since < SETTLE:
                n = _stored(p.settings.dsn)
                if n != last:
                    last, still_since = n, time.monotonic()
                time.sleep(0.5)
            stop.set()
            got = results.get(timeout=120)
            child.join(30)
        finally:
            if child.is_alive():
                child.kill()
            api.terminate()
            api.wait(30)
        total, per_session = _expected(p.settings.dsn, started + WARMUP, busiest)
    short = [(k, a, n) for k, a, n in got["received"]
             if n < (total if k == "firehose" else per_session.get(a, 0))]
    return {"rate": args.rate, "seconds": args.seconds, "warmup_seconds": WARMUP,
            "sent_events_per_s": round(len(items) / (stopped - started)),
            "subscriptions": len(specs), "firehose_subscriptions": firehoses,
            "session_subscriptions": len(busiest),
            "counted_events": total, "deliveries_counted": got["counted"],
            "latency_firehose": got["latencies"]["firehose"],
            "latency_session": got["latencies"]["session"],
            "subscriptions_short": len(short), "closed_by_server": got["closes"]}


def _s(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=2000.0, help="events per second sent")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured, after the warm-up")
    ap.add_argument("--subscriptions", type=int, default=100)
    ap.add_argument("--firehose-share", type=float, default=0.1,
                    help="share of the subscriptions that receive every event")
    ap.add_argument("--sessions", type=int, default=20_000, help="sessions active at once")
    ap.add_argument("--out", type=Path, default=None,
                    help="write PATH.md and PATH.json instead of bench/results/subscriptions.*")
    args = ap.parse_args()
    STATE.mkdir(parents=True, exist_ok=True)
    r = run(args)
    fire, sess = r["latency_firehose"], r["latency_session"]
    table = [
        ("events/s sent (asked)", f"{r['sent_events_per_s']:,} ({r['rate']:,.0f})"),
        ("subscriptions (all events / one session each)",
         f"{r['subscriptions']} ({r['firehose_subscriptions']} / {r['session_subscriptions']})"),
        ("events counted (built after the warm-up)", f"{r['counted_events']:,}"),
        ("`next` messages counted (all events / sessions)",
         f"{r['deliveries_counted']['firehose']:,} / {r['deliveries_counted']['session']:,}"),
        ("latency, all-events subscriptions p50 / p95 / p99 / max",
         " / ".join(_s(fire[k]) for k in ("p50", "p95", "p99", "max"))),
        ("latency, session subscriptions p50 / p95 / p99 / max",
         " / ".join(_s(sess[k]) for k in ("p50", "p95", "p99", "max"))),
        ("subscriptions that missed rows", str(r["subscriptions_short"])),
        ("closed by the server", ", ".join(f"{k}: {v}" for k, v in r["closed_by_server"].items())
         or "none"),
    ]
    path = write_results("subscriptions", r, table, notes=(
        "Latency: from the event's build time (just before the SDK's send) to its `next` "
        "message read by the subscriber, every event of every subscription after the warm-up; "
        "it includes the worker's batch interval (EYE_BATCH_INTERVAL)."), out=args.out)
    print(path.read_text())


if __name__ == "__main__":
    main()
