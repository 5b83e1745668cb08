"""What every benchmark needs: the real services, a fresh database, and a place for results."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eye.processes import ROOT
from store import databases

RESULTS = ROOT / "bench" / "results"
STATE = ROOT / ".cache" / "bench"
KAFKA_PORT, PG_PORT = 19092, 15432  # the test services' ports: a `make up` stack is left alone


def start_services() -> tuple[str, str]:
    """Start (or reuse) the broker and database; return bootstrap and admin DSN."""
    for script, name, env in (("kafka.sh", "kafka", {}), ("postgres.sh", "postgres", {})):
        port = KAFKA_PORT if name == "kafka" else PG_PORT
        subprocess.run([str(ROOT / "scripts" / script), "start",
                        str(ROOT / ".cache" / "test" / name), str(port)], check=True,
                       env={**env, "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    return f"127.0.0.1:{KAFKA_PORT}", f"postgresql://eye:eye@127.0.0.1:{PG_PORT}/eye"


def fresh_database(admin_dsn: str, prefix: str = "eye_bench") -> str:
    return databases.create(admin_dsn, prefix)


def drop_database(admin_dsn: str, dsn: str) -> None:
    databases.drop(admin_dsn, dsn)


def machine() -> dict[str, Any]:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def write_results(name: str, results: dict[str, Any], table: list[tuple[str, str]],
                  notes: str = "") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python -m bench." + name, *sys.argv[1:]])
    doc = {"command": command, "machine": machine(), **results}
    (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    lines = [f"# {name}", "", f"Command: `{command}`", "",
             f"Machine: {doc['machine']['cpus']} CPUs, Python {doc['machine']['python']}, "
             f"{doc['machine']['date']}", "", "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in table]
    if notes:
        lines += ["", notes]
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    return path
