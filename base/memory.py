"""The garbage collector set for a server process: started, then serving many short requests or
batches of many small objects."""

from __future__ import annotations

import gc

# A worker's batch (a thousand messages and their rows) or an API answer (thousands of objects)
# lives a few milliseconds: long enough for Python's default young-generation threshold (700
# allocations) to scan it several times. In the worker that was a third of the CPU of its own
# code; at 10,000 the scans come a fourteenth as often.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Call once started: what start-up made (modules, the schema, the app) lives as long as the
    process and is left out of every later pass (in the API a full pass over it held every
    request 40-50 ms), and young objects are collected less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 10, 10)
