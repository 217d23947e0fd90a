"""What /proc says about the machine while a benchmark runs: load, other processes' CPU, RSS.

On a shared machine the load average alone cannot tell noise from the benchmark's own work
(wrk, the upstream and the target keep two cores busy by themselves). `CpuMeter` measures the
CPU that processes *outside* this benchmark's process tree took during a run, in cores.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def load1() -> float:
    """The 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def _stat_fields(pid: int | str) -> list[str]:
    # the command name may hold spaces and parentheses: split after its closing one
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_tree(pid: int) -> set[int]:
    """`pid` and every live process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat_fields(entry.name)[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return tree


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` and its descendants (`airlock serve --workers N` forks), in KiB."""
    total = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _busy_ticks() -> int:
    """Ticks all CPUs spent not idle (user, nice, system, irq, softirq, steal)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal


def _own_ticks() -> int:
    """This process, its reaped children (each wrk run) and its live descendants (services)."""
    me = os.getpid()
    total = 0
    for pid in process_tree(me):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        total += utime + stime + (cutime + cstime if pid == me else 0)
    return total


class CpuMeter:
    """`with CpuMeter() as m: ...`, then `m.others`: cores other processes kept busy meanwhile."""

    def __enter__(self) -> CpuMeter:
        self.others = 0.0
        self._started = time.monotonic()
        self._busy, self._own = _busy_ticks(), _own_ticks()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.monotonic() - self._started
        foreign = (_busy_ticks() - self._busy) - (_own_ticks() - self._own)
        self.others = round(max(0, foreign) / _TICKS / elapsed, 2) if elapsed > 0 else 0.0
