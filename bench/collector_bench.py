"""How many events per second the HTTP collector accepts on this machine, beside the baseline of
raw confluent-kafka producing the same events from one Python process.

    .venv/bin/python -m bench.collector_bench [--events 20000] [--concurrency 8]

Starts (or reuses) a broker and PostgreSQL on the bench ports with our scripts, runs `eye api`
as a subprocess, drives POST /v1/events from a separate process with aiohttp, and writes
bench/results/collector.json and collector.md. Only 127.0.0.1 is ever contacted; every loop is
bounded in count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fixtures.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".cache" / "bench"
RESULTS = Path(__file__).resolve().parent / "results"
KAFKA_PORT = int(os.environ.get("EYE_BENCH_KAFKA_PORT", "29092"))
PG_PORT = int(os.environ.get("EYE_BENCH_PG_PORT", "25432"))


def _script(name: str, *args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(ROOT / "scripts" / name), *args], env={**os.environ, **(env or {})},
                          stdout=subprocess.DEVNULL).returncode


@contextmanager
def service(name: str, port: int, env: dict[str, str] | None = None) -> Iterator[None]:
    """Start a service on the bench port, and stop it afterwards if this run started it."""
    args = (str(STATE / name.removesuffix(".sh")), str(port))
    started = _script(name, "status", *args) != 0
    if _script(name, "start", *args, env=env) != 0:
        sys.exit(f"scripts/{name} start failed")
    try:
        yield
    finally:
        if started:
            _script(name, "stop", *args)


def event_bodies(events: int, batch: int) -> list[bytes]:
    """The request bodies: generated events, `batch` to a body (a bare object when 1)."""
    import orjson

    from eye.loadgen import generate

    docs = [orjson.loads(m.value) for m in generate(events, sessions=max(events // 20, 1), seed=1)]
    if batch == 1:
        return [orjson.dumps(d) for d in docs]
    return [orjson.dumps(docs[i:i + batch]) for i in range(0, len(docs), batch)]


# --- the client, in a process of its own --------------------------------------------------

def _client(url: str, key: str, bodies: list[bytes], concurrency: int, events_per_body: int,
            out: Any) -> None:
    out.put(asyncio.run(_drive(url, key, bodies, concurrency, events_per_body)))


async def _drive(url: str, key: str, bodies: list[bytes], concurrency: int,
                 events_per_body: int) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(bodies)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def worker() -> None:
            for body in queue:
                t = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                latencies.append(time.perf_counter() - t)

        # Warm-up: connections, the key cache, the producer's first metadata.
        warm = [b for _, b in zip(range(concurrency * 4), bodies, strict=False)]
        for body in warm:
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    accepted = statuses.get(202, 0) * events_per_body
    return {"requests": len(latencies), "statuses": statuses, "seconds": round(elapsed, 3),
            "events_accepted": accepted, "events_per_s": round(accepted / elapsed),
            "requests_per_s": round(len(latencies) / elapsed),
            "latency_ms_p50": round(latencies[len(latencies) // 2] * 1000, 2),
            "latency_ms_p99": round(latencies[int(len(latencies) * 0.99)] * 1000, 2)}


def run_client(url: str, key: str, bodies: list[bytes], concurrency: int,
               events_per_body: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_client, args=(url, key, bodies, concurrency, events_per_body, out))
    proc.start()
    result: dict[str, Any] = out.get(timeout=600)
    proc.join(30)
    return result


# --- the baseline -------------------------------------------------------------------------

def raw_produce_rate(bootstrap: str, topic: str, key: str, events: int) -> dict[str, Any]:
    """confluent-kafka from this one process: the same events, settings and acks, no HTTP."""
    import orjson
    from confluent_kafka import Producer

    from kafka_edge.clients import APP_KEY_HEADER, PRODUCER_DEFAULTS
    from eye.loadgen import generate

    messages = [(m.key, m.value) for m in generate(events, sessions=max(events // 20, 1), seed=1)]
    producer = Producer({**PRODUCER_DEFAULTS, "bootstrap.servers": bootstrap, "linger.ms": 5})
    producer.produce(topic, value=orjson.dumps({}), headers=[(APP_KEY_HEADER, key.encode())])
    producer.flush()  # warm: metadata and the idempotent producer id
    failures = 0

    def on_delivery(err: object, _msg: object) -> None:
        nonlocal failures
        failures += err is not None

    headers = [(APP_KEY_HEADER, key.encode())]
    started = time.perf_counter()
    for k, v in messages:
        while True:
            try:
                producer.produce(topic, value=v, key=k, headers=headers, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush()
    elapsed = time.perf_counter() - started
    return {"events": events, "failed": failures, "seconds": round(elapsed, 3),
            "events_per_s": round((events - failures) / elapsed)}


# --- the run ------------------------------------------------------------------------------

@contextmanager
def api_process(env: dict[str, str], port: int) -> Iterator[None]:
    log = (STATE / "api.log").open("ab")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "eye"), "api"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            if proc.poll() is not None:
                sys.exit(f"eye api exited; see {STATE / 'api.log'}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.25)
        else:
            sys.exit("eye api did not become healthy")
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=20_000, help="events per scenario, at least")
    p.add_argument("--min-requests", type=int, default=2_000,
                   help="requests per scenario, at least: big batches get more events")
    p.add_argument("--concurrency", default="8,32",
                   help="connections the client keeps, one scenario each")
    p.add_argument("--batches", default="1,50", help="events per request, one scenario each")
    args = p.parse_args(argv)

    import psycopg
    from confluent_kafka.admin import AdminClient

    from kafka_edge.topics import ensure_topics
    from base.settings import Settings
    from store import applications
    from store.migrate import migrate

    STATE.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    bootstrap = f"127.0.0.1:{KAFKA_PORT}"
    admin_dsn = f"postgresql://eye:eye@127.0.0.1:{PG_PORT}/eye"
    dsn = f"postgresql://eye:eye@127.0.0.1:{PG_PORT}/eye_bench_{tag}"
    api_port = free_port()
    settings = Settings(kafka_bootstrap=bootstrap, topic=f"eye-bench-{tag}",
                        dlq_topic=f"eye-bench-{tag}-dlq", control_topic=f"eye-bench-{tag}-ctl",
                        database_url=dsn, api_port=api_port)
    results: dict[str, Any] = {}
    with service("postgres.sh", PG_PORT, {"EYE_PG_FSYNC": "off"}), service("kafka.sh", KAFKA_PORT):
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "eye_bench_{tag}"')
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                migrate(conn)
                key = applications.add(conn, "bench")
            ensure_topics(settings)
            env = {**os.environ, "EYE_KAFKA_BOOTSTRAP": bootstrap, "EYE_TOPIC": settings.topic,
                   "EYE_DATABASE_URL": dsn, "EYE_API_PORT": str(api_port),
                   "EYE_API_HOST": "127.0.0.1"}
            url = f"http://127.0.0.1:{api_port}/v1/events"
            with api_process(env, api_port):
                for batch in (int(b) for b in args.batches.split(",")):
                    events = max(args.events, batch * args.min_requests)
                    bodies = event_bodies(events, batch)
                    for conns in (int(c) for c in args.concurrency.split(",")):
                        print(f"collector: {events} events, {batch} per request, "
                              f"{conns} connections ...", file=sys.stderr)
                        results[f"http_batch_{batch}_conns_{conns}"] = {
                            "events_per_request": batch, "concurrency": conns,
                            **run_client(url, key, bodies, conns, batch)}
            print("baseline: raw confluent-kafka produce ...", file=sys.stderr)
            results["baseline_raw_produce"] = raw_produce_rate(
                bootstrap, settings.topic, key, max(args.events, 50 * args.min_requests))
        finally:
            AdminClient({"bootstrap.servers": bootstrap}).delete_topics(
                [settings.topic, settings.dlq_topic, settings.control_topic])
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "eye_bench_{tag}" WITH (FORCE)')

    base = results["baseline_raw_produce"]["events_per_s"]
    for name, r in results.items():
        if name.startswith("http_"):
            r["ratio_to_baseline"] = round(r["events_per_s"] / base, 3) if base else None
    command = "cd " + shlex.quote(str(ROOT)) + " && .venv/bin/python -m bench.collector_bench " \
        + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    report = {"command": command.strip(), "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": machine(), "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "collector.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "collector.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    # Other work on the machine moves these numbers: the load average says how much there was.
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2)}


def markdown(report: dict[str, Any]) -> str:
    m, r = report["machine"], report["results"]
    base = r["baseline_raw_produce"]
    lines = [
        "# Collector throughput",
        "",
        f"`{report['command']}` — {report['when']}, {m['cpus']} CPUs ({m['cpu']}), "
        f"Python {m['python']}, load average {m['load_average_1m_at_end']} at the end. Broker, "
        "PostgreSQL, `eye api` (one process) and the client (one process) share the machine.",
        "",
        "| scenario | events/s accepted | requests/s | p50 ms | p99 ms | answers | × baseline |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for name, x in r.items():
        if name.startswith("http_"):
            lines.append(
                f"| POST /v1/events, {x['events_per_request']} event(s)/request, "
                f"{x['concurrency']} connections | {x['events_per_s']:,} | {x['requests_per_s']:,} "
                f"| {x['latency_ms_p50']} | {x['latency_ms_p99']} | "
                + ", ".join(f"{k}: {v}" for k, v in sorted(x["statuses"].items()))
                + f" | {x['ratio_to_baseline']} |")
    lines.append(f"| baseline: confluent-kafka produce from one Python process, acks=all "
                 f"| {base['events_per_s']:,} | | | | failed: {base['failed']} | 1 |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
