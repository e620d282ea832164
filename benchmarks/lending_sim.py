"""Core lending's verdicts (service.core_lending.WorkEstimates) of two trees fed the same simulated runs.

    python benchmarks/lending_sim.py --base /path/to/other/tree [--trials 2000]

A W2-like graph: 10.5 ms alone (--alone; --first: its first alone run), 6.1 ms lent (--lent), lend_min_ms 5
(--min-ms); each lent run meets a neighbour with probability p (+5 ms, its threads wait ~5 ms for a CPU), each
alone run with p too (+2 ms); --jitter spreads every run by that relative sd. Per tree, over `trials`
sequences of n calls after the graph's compile (which the pool does not count): the share of sequences whose
median call ran lent and undisturbed (below the midpoint of lent and alone), and the mean of the medians. No
timing of this machine enters: the verdicts alone, deterministic for a seed.
"""
from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def estimates(tree: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, tree / "service" / "core_lending.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.WorkEstimates


def median_call(cls, p: float, n: int, rng: random.Random, alone: float = 10.5, lent: float = 6.1,
                jitter: float = 0.0, min_ms: float = 5.0, first: float | None = None) -> float:
    w, ts = cls(), []
    for i in range(n):
        hit = rng.random() < p
        spread = 1.0 + rng.gauss(0.0, jitter) if jitter else 1.0  # an undisturbed run's own variation
        if w.worth_lending("k", min_ms):
            ms = lent * spread + 5.0 * hit
            try:
                w.note("k", ms, True, 5.0 if hit else 0.02)
            except TypeError:  # a tree whose verdict takes no CPU wait
                w.note("k", ms, True)
        else:
            ms = (alone if i or first is None else first) * spread + 2.0 * hit
            w.note("k", ms, False)
        ts.append(ms)
    return statistics.median(ts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, type=Path, help="the other tree (a checkout)")
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lent", type=float, default=6.1, help="a lent run's ms (alone: 10.5); 8.3-8.8 is what lending "
                    "gave W2 on some VMs, where a verdict at the margin decides how many calls run lent")
    ap.add_argument("--jitter", type=float, default=0.0, help="relative spread (sd) of every run, e.g. 0.05")
    ap.add_argument("--alone", type=float, default=10.5, help="an alone run's ms (W2 on stop 31's VM: ~5)")
    ap.add_argument("--min-ms", type=float, default=5.0, help="the pool's lend_min_ms")
    ap.add_argument("--first", type=float, help="the first alone run's ms (default --alone), e.g. a slower first run")
    args = ap.parse_args()
    fast = (args.lent + args.alone) / 2  # a median call under this ran lent and undisturbed
    trees = {"base": estimates(args.base, "lending_base"), "this": estimates(ROOT, "lending_this")}
    for n in (5, 15, 60):
        for p in (0.0, 0.1, 0.3, 0.5):
            parts = []
            for name, cls in trees.items():
                rng = random.Random(args.seed)  # the same runs for both trees
                meds = [median_call(cls, p, n, rng, args.alone, args.lent, args.jitter, args.min_ms, args.first)
                        for _ in range(args.trials)]
                parts.append(f"{name} {sum(m <= fast for m in meds) / len(meds):4.0%} {statistics.mean(meds):5.2f} ms")
            print(f"n={n:2d} p={p}: median call lent and fast in / mean median: " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
