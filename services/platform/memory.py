"""This process's memory, as the benchmark and the rebuild report it."""

from __future__ import annotations

import resource
import sys


def peak_rss_mb() -> float:
    """Peak RSS of this process's own memory.

    Linux keeps ``ru_maxrss`` across fork and exec, so a spawned child would report at least its
    parent's size (the generator holding the whole event set); ``VmHWM`` belongs to the memory
    of this program alone.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def rss_mb() -> float:
    """Resident memory now."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / (1024 * 1024)
    except OSError:
        return peak_rss_mb()


def proportional_mb(pid: int | str = "self") -> float | None:
    """PSS of a process: its resident pages, each shared by n processes counted 1/n. Added up
    over processes it is what they hold together (an RSS counts a shared page in each);
    None where the kernel does not say (not Linux, or the process is gone)."""
    return memory_map_mb("Pss", pid)


def memory_map_mb(field: str, pid: int | str = "self") -> float | None:
    """One total of a process's memory map (``Pss``, ``Private_Dirty``, …) as the kernel sums it
    in ``/proc/PID/smaps_rollup``; None where it does not say."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_proportional_mb() -> float:
    """This process's PSS at its peak, from above: the kernel keeps no peak of it, so PSS now
    plus what RSS has shrunk since its peak, counted as this process's own. Peak RSS where
    there is no PSS."""
    now = proportional_mb()
    if now is None:
        return peak_rss_mb()
    return now + max(0.0, peak_rss_mb() - rss_mb())
