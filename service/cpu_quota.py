"""How many CPUs this process may use: the CPU affinity mask, capped by the cgroup's CPU quota.

A container limited to 2 CPUs on a 64-core node still sees 64 cores (os.cpu_count, and usually its
affinity mask too): sizing the worker pool and BLAS threads from that runs 64 workers x 32 threads
in a 2-CPU budget, throttled by the kernel. The quota is cgroup v2's cpu.max ("QUOTA PERIOD" or
"max ...") of the process's cgroup and every ancestor up to the mount, or cgroup v1's
cpu.cfs_quota_us / cpu.cfs_period_us (-1: none); the lowest limit on the path applies.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def _read(p: Path) -> str | None:
    try:
        return p.read_text().strip()
    except OSError:
        return None


def _own_path(proc_cgroup: Path, v1: bool) -> str:
    """The process's cgroup path: v2's "0::/path", or v1's line for the cpu controller."""
    for line in (_read(proc_cgroup) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if (not v1 and parts[0] == "0" and parts[1] == "") or (v1 and "cpu" in parts[1].split(",")):
            return parts[2]
    return "/"


def _ancestors(base: Path, path: str) -> list[Path]:
    """base/path, its parents up to base: a container's cgroup namespace usually makes path "/"."""
    rel = [p for p in path.strip("/").split("/") if p and p != ".."]
    return [base.joinpath(*rel[:i]) for i in range(len(rel), -1, -1)]


def quota_cpus(root: Path | None = None, proc_cgroup: Path | None = None) -> float | None:
    """CPUs allowed by the cgroup quota (e.g. 1.5), or None when there is none."""
    root, proc_cgroup = root or CGROUP, proc_cgroup or PROC_CGROUP
    limits = []
    if (root / "cgroup.controllers").exists():  # v2 (unified)
        for d in _ancestors(root, _own_path(proc_cgroup, v1=False)):
            parts = (_read(d / "cpu.max") or "").split()
            if len(parts) == 2 and parts[0] != "max" and parts[0].isdigit() and parts[1].isdigit() and int(parts[1]):
                limits.append(int(parts[0]) / int(parts[1]))
    else:  # v1: the cpu controller's own hierarchy
        base = next((root / n for n in ("cpu", "cpu,cpuacct", "cpuacct,cpu") if (root / n).is_dir()), None)
        if base is not None:
            for d in _ancestors(base, _own_path(proc_cgroup, v1=True)):
                q, p = _read(d / "cpu.cfs_quota_us"), _read(d / "cpu.cfs_period_us")
                if q and p and q.lstrip("-").isdigit() and p.isdigit() and int(q) > 0 and int(p) > 0:
                    limits.append(int(q) / int(p))
    return min(limits) if limits else None


def affinity_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def usable_cpus(root: Path | None = None, proc_cgroup: Path | None = None) -> int:
    """Whole CPUs to plan for: min(affinity, ceil(quota)), at least 1."""
    n = affinity_cpus()
    q = quota_cpus(root, proc_cgroup)
    if q is not None:
        n = min(n, math.ceil(q - 1e-9))
    return max(1, n)
