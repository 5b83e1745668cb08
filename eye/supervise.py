"""Keeps one process running: restarts it with a doubling backoff when it exits, and logs why.

    python -m eye.supervise --name worker --log .cache/stack/worker.log \
        --journal .cache/stack/supervisor.log -- .venv/bin/eye worker

The child runs in a process group of its own, its output appended to --log. Each exit is written
to --journal with its reason (exit code or signal) and the last lines of --log. The wait before a
restart doubles from --first to --cap seconds, and starts again from --first once the child has
run --steady seconds. SIGTERM or SIGINT stops the child's group (SIGTERM, then SIGKILL after
--grace seconds) and then the supervisor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from base.backoff import delays

TAIL_LINES = 20


def exit_reason(returncode: int) -> str:
    """'exited with 3' or 'killed by SIGKILL', from a returncode as asyncio reports it."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with {returncode}"


def tail(path: Path, since: int, n: int = TAIL_LINES) -> list[str]:
    """The last `n` lines written to `path` after byte `since`."""
    try:
        with path.open("rb") as f:
            f.seek(since)
            lines = f.read().decode(errors="replace").splitlines()[-n:]
    except FileNotFoundError:
        return []
    return lines or ["(no output)"]


class Supervisor:
    def __init__(self, name: str, argv: list[str], log: Path, journal: Path, *, first: float,
                 cap: float, steady: float, grace: float) -> None:
        self.name, self.argv, self.log, self.journal = name, argv, log, journal
        self.first, self.cap, self.steady, self.grace = first, cap, steady, grace
        self.stopping = asyncio.Event()

    def note(self, text: str, lines: Sequence[str] = ()) -> None:
        """One entry in the journal, in one write, so supervisors can share the file."""
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        entry = f"{stamp} {self.name}: {text}\n" + "".join(f"    | {line}\n" for line in lines)
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, entry.encode())
        finally:
            os.close(fd)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        waits = delays(self.first, self.cap)
        while not self.stopping.is_set():
            started = time.monotonic()
            with self.log.open("ab") as log:
                since = log.tell()
                child = await asyncio.create_subprocess_exec(
                    *self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    process_group=0)
            self.note(f"started pid {child.pid}: {' '.join(self.argv)}")
            await self._exited_or_stopping(child)
            if self.stopping.is_set():
                await self._stop(child)  # also when it exited on its own: what it left behind
                self.note(f"stopping: pid {child.pid} {exit_reason(await child.wait())}")
                break
            ran = time.monotonic() - started
            _kill_group(child.pid, signal.SIGKILL)  # whatever it left behind goes with it
            if ran >= self.steady:
                waits = delays(self.first, self.cap)
            wait = next(waits)
            self.note(f"pid {child.pid} {exit_reason(await child.wait())} after {ran:.1f} s;"
                      f" restarting in {wait:g} s; its last lines in {self.log}:",
                      tail(self.log, since))
            try:
                await asyncio.wait_for(self.stopping.wait(), wait)
            except TimeoutError:
                pass
        self.note("stopped")
        return 0

    async def _exited_or_stopping(self, child: asyncio.subprocess.Process) -> None:
        """Wait for the child to exit or for a stop request, whichever comes first."""
        exited = asyncio.ensure_future(child.wait())
        stop = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({exited, stop}, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        stop.cancel()

    async def _stop(self, child: asyncio.subprocess.Process) -> None:
        _kill_group(child.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), self.grace)
        except TimeoutError:
            self.note(f"pid {child.pid} still running {self.grace:g} s after SIGTERM; SIGKILL")
        _kill_group(child.pid, signal.SIGKILL)  # the child, if it is still there, and its leftovers
        await child.wait()


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eye.supervise", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True, help="how the journal names the process")
    p.add_argument("--log", type=Path, required=True, help="the child's output, appended")
    p.add_argument("--journal", type=Path, required=True, help="starts, exits and their reasons")
    p.add_argument("--first", type=float, default=1.0, help="first wait before a restart (s)")
    p.add_argument("--cap", type=float, default=30.0, help="longest wait before a restart (s)")
    p.add_argument("--steady", type=float, default=60.0,
                   help="a child that ran this long (s) restarts after --first again")
    p.add_argument("--grace", type=float, default=20.0, help="SIGTERM to SIGKILL on stop (s)")
    p.add_argument("command", nargs="+", help="the command to keep running, after --")
    args = p.parse_args(argv)
    supervisor = Supervisor(args.name, args.command, args.log, args.journal, first=args.first,
                            cap=args.cap, steady=args.steady, grace=args.grace)
    return asyncio.run(supervisor.run())


if __name__ == "__main__":
    sys.exit(main())
