"""`make bench`: every benchmark, one after another, each writing its results file."""

from __future__ import annotations

import importlib
import sys

# Each module has main(); arguments after `--only NAME` pick one.
BENCHES = ("ingest", "scaling", "indexes", "api_bench", "collector_bench")


def main() -> None:
    names = BENCHES
    if len(sys.argv) > 2 and sys.argv[1] == "--only":
        names = (sys.argv[2],)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench.{name}", flush=True)
        sys.argv = [f"bench.{name}"]
        module.main()


if __name__ == "__main__":
    main()
