"""`make bench`: every benchmark, one after another, each writing its results file."""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHES = ("ingest", "scaling", "indexes", "api_bench", "collector_bench")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run The Eye's benchmarks one after another; each writes its results to "
                    "bench/results/ (see bench/README.md). Each starts the broker, database and "
                    "processes it needs and stops them when it ends. `python -m bench.NAME "
                    "--help` shows one benchmark's own options.")
    p.add_argument("--only", choices=BENCHES, metavar="NAME",
                   help=f"run only this benchmark: one of {', '.join(BENCHES)}")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    for name in (args.only,) if args.only else BENCHES:
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench.{name}", flush=True)
        sys.argv = [f"bench.{name}"]
        module.main()


if __name__ == "__main__":
    main()
