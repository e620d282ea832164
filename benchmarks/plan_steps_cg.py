"""Instructions of each kernel step of a workload's compiled plan, under callgrind (load-independent).

    python benchmarks/plan_steps_cg.py                      # L1's plan, this checkout's engine
    python benchmarks/plan_steps_cg.py --only L3 --tree /work/wt/base55 --repeat 5

plan_bench.py --profile times each step (a timer read after each line: ~1 us of the process clock per
read, and the box's load in every figure); this counts each step's instructions instead: the plan's generated
program is run once per kernel step, with marks (os.getppid / os.getpgrp, callgrind's --zero-before /
--dump-before) around that one step only, `--repeat` times after two warm runs, and each step's median is
printed, costliest first. One callgrind process (`--tree`: the engine of that checkout; the workloads are
traced by this checkout's SDK). Under valgrind the CPU has no AVX-512, so NumPy's SIMD loops and OpenBLAS
take their AVX2 paths: a BLAS call's or a SIMD loop's count is that path's, not the host's (there, fewer
and wider instructions); a step's Python and NumPy dispatch cost is counted as the host runs it.
"""
from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WARM = 2


def _kernel_lines(source: str) -> list[int]:
    """Indices of the program's lines that call a kernel (as plan_bench.profile marks them)."""
    return [i for i, ln in enumerate(source.splitlines()) if ln.startswith("        ") and
            (" = k" in ln or " = _matmul_pair(" in ln or ln.startswith("        u"))]


def marked(workload_file: str, name: str, repeat: int, labels_file: str) -> None:
    """(under callgrind) each kernel step of `name`'s plan between the marks, WARM + repeat runs a step."""
    from threadpoolctl import threadpool_limits

    from engine.api import Engine
    from engine.serialize import graph_from_json

    with open(workload_file, "rb") as f:
        doc, inputs, params = pickle.load(f)[name]
    plan = Engine().plan(graph_from_json(doc))
    prog = plan.program
    lines = prog.source.splitlines()
    ps = [params[k] if params and k in params else plan.graph.param_values[k] for k in plan.param_names]
    labels = []
    with threadpool_limits(1):
        for j in _kernel_lines(prog.source):
            body = list(lines)
            ind = body[j][:len(body[j]) - len(body[j].lstrip())]
            body[j] = f"{ind}_M0()\n{body[j]}\n{ind}_M1()"
            ns = dict(prog.namespace, _M0=os.getppid, _M1=os.getpgrp)
            exec(compile("\n".join(body) + "\n", "<marked plan>", "exec"), ns)
            run = ns["__make"]([np.empty(av.shape, av.dtype) for av in prog.buf_avals])
            for _ in range(WARM + repeat):
                run(*inputs, *ps)
            labels.append(lines[j].strip())
    Path(labels_file).write_text("\n".join(labels))


def _summary(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise ValueError(f"no summary in {path}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="L1", help="one workload of plan_bench.py (L1, L2, L3, W2)")
    ap.add_argument("--tree", default=str(ROOT), help="the checkout whose engine compiles and runs the plan")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--_marked", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._marked:
        marked(*args._marked[:2], args.repeat, args._marked[2])
        return 0
    sys.path.insert(0, str(ROOT))
    sys.argv = sys.argv[:1]
    from benchmarks import plan_bench

    tmp = Path(tempfile.mkdtemp(prefix="plan_steps_cg_"))
    (tmp / "wl.pkl").write_bytes(pickle.dumps({args.only: plan_bench.workloads()[args.only]}))
    tree = Path(args.tree).resolve()
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=f"{tree}:{tree / 'clients' / 'python'}:{ROOT}")
    out = tmp / "cg"
    subprocess.run(["valgrind", "--tool=callgrind", "--zero-before=os_getppid", "--dump-before=os_getpgrp",
                    f"--callgrind-out-file={out}", sys.executable, str(Path(__file__).resolve()), "--repeat",
                    str(args.repeat), "--_marked", str(tmp / "wl.pkl"), args.only, str(tmp / "labels")],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    labels = (tmp / "labels").read_text().splitlines()
    rows = []
    for s, lab in enumerate(labels):
        first = s * (WARM + args.repeat) + WARM + 1  # callgrind numbers the dumps from 1
        rows.append((int(np.median([_summary(Path(f"{out}.{first + r}")) for r in range(args.repeat)])), lab))
    total = sum(m for m, _ in rows)
    print(f"{args.only} ({tree}): {len(rows)} kernel steps, {total / 1e3:.1f}k instructions (the steps' medians)")
    for m, lab in sorted(rows, reverse=True):
        print(f"  {m / 1e3:7.1f}k {100 * m / total:5.1f}%  {lab}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
