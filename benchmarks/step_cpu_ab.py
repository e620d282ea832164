"""CPU per step of a loop through the SDK against a real server, per process, two source trees alternating (issue #13).

    python benchmarks/step_cpu_ab.py --tree base=/work/wt/base48 --tree new=. [--pairs 9] [--only l1,l3] [--crossed]

Per workload, one runner process per tree (the SDK of that tree, against a server of that tree, started by it),
both warm; then blocks of N steps, the trees in turn (the order swapped each pair). Per block and process: CPU run
time (every thread's, /proc/<pid>/task/*/schedstat, ns) of the SDK's process, the server's main process and its
workers, divided by N (L1's steps read their loss, as loops_bench's L1 does: from stop 50). Medians over the pairs,
and the median of the per-pair differences (new - base), which a load that drifts between pairs moves less. The
runner started second runs slower, whichever tree it runs (LOOPS_REPORT, stop 50: the same code both sides gave
-0.5 to +78 us a step at load 16-20): `--crossed` runs each workload in both start orders and prints the mean of
the two differences, in which that excess cancels. Workloads: `l1` (L1's training step, GRAPH_MODE),
`l1_pynative`, `l3` (one small value_and_grad), `max` / `max_pynative` (a training step through six ops.maximum and a
clip: seven custom rules, 25 captured constants; defined here, so a base tree runs it too), and the held-out loops of benchmarks/loops_zoo.py by name. Wall
time is printed but means little on a shared box. Nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STEPS = {"l1": 200, "l1_pynative": 200, "l3": 400, "max": 200, "max_pynative": 200, "newton_cg": 60, "dpsgd_vmap": 60, "hmc": 60,
         "lr_tensor_eager_clip": 100}


def _runner(name: str) -> None:
    """(in a subprocess whose PYTHONPATH is the tree measured) make `name`'s step, then on each stdin line `n`
    run n steps and print the CPU ns of this process, the server's main process and its workers."""
    import gradserve as gs
    from benchmarks import loops_workloads as LW
    from benchmarks._server import cpu_ns
    from benchmarks.loops_bench import Server

    srv = Server()
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        if name in ("l1", "l1_pynative", "l3", "max", "max_pynative"):
            if not name.endswith("_pynative"):
                LW.graph_mode(gs)
            if name.startswith("max"):
                step = _max_step(gs)
            elif name == "l3":
                X, y = LW.logreg_data()
                vg, w = gs.ops.value_and_grad(LW.logp_sdk(gs, X, y)), gs.Tensor(np.zeros(X.shape[1], np.float32))
                step = lambda i: vg(w)[1].asnumpy()  # noqa: E731
            else:  # (the loss read each step, as loops_bench's L1 reads it: asnumpy() is on a loop's path)
                call = LW.dp_step_call(gs)
                step = lambda i: call()  # noqa: E731
            warm = 20
        else:
            from benchmarks import loops_zoo as LZ
            from benchmarks.loops_zoo_bench import _loop_on

            loop, warm = _loop_on(name, srv, False)
            step, warm = loop.sdk, warm + 10
        for i in range(warm):
            step(i)
        srv.cpu_s()  # (the worker pids, asked once: not within a block)
        k = warm
        print("ready", flush=True)
        for line in sys.stdin:
            n = int(line)
            c0, m0, w0, t0 = cpu_ns(os.getpid()), cpu_ns(srv.proc.pid), sum(map(cpu_ns, srv._worker_pids)), \
                time.perf_counter()
            for _ in range(n):
                step(k)
                k += 1
            t1, c1, m1, w1 = time.perf_counter(), cpu_ns(os.getpid()), cpu_ns(srv.proc.pid), \
                sum(map(cpu_ns, srv._worker_pids))
            print(json.dumps([(c1 - c0) / n / 1e3, (m1 - m0) / n / 1e3, (w1 - w0) / n / 1e3, (t1 - t0) / n * 1e6]),
                  flush=True)
    finally:
        gs.reset_context()
        srv.close()


def _max_step(gs):
    """One step (its loss read) of SGD on sum(clip(max^6(Dense(x), c_i), -1, 1)^2): each ops.maximum and the clip's
    two are a custom rule (ops/_nan_pick), whose traced derivatives capture their own constant Tensors."""
    nn, ops, T = gs.nn, gs.ops, gs.Tensor
    rng = np.random.default_rng(0)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.d = nn.Dense(8, 8, weight_init=T((rng.normal(size=(8, 8)) / 3).astype(np.float32)))

        def construct(self, x):
            h = self.d(x)
            for i in range(6):
                h = ops.maximum(h, 0.1 * i - 0.3)
            return ops.sum(ops.clip(h, -1.0, 1.0) ** 2)

    net = Net()
    opt = nn.SGD(net.trainable_params(), learning_rate=1e-3)
    vg = ops.value_and_grad(net, None, opt.parameters)
    x = T(rng.normal(size=(4, 8)).astype(np.float32))

    def step(i):
        loss, g = vg(x)
        opt(g)
        return loss.asnumpy()
    return step


def ab(name: str, trees: list, pairs: int, n: int) -> dict:
    procs = {}
    try:
        for tname, tree in trees:
            env = dict(os.environ, PYTHONPATH=f"{tree}:{tree}/clients/python")
            procs[tname] = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "step_cpu_ab.py"), "--_runner",
                                             name], env=env, cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            text=True)
        for p in procs.values():
            assert p.stdout.readline().strip() == "ready"
        got: dict = {t: [] for t, _ in trees}
        for k in range(pairs):
            for tname, _ in (trees if k % 2 == 0 else trees[::-1]):
                p = procs[tname]
                p.stdin.write(f"{n}\n")
                p.stdin.flush()
                got[tname].append(json.loads(p.stdout.readline()))
        return got
    finally:
        for p in procs.values():
            p.stdin.close()
            p.wait(120)


def _print_ab(name: str, trees: list, got: dict, note: str) -> np.ndarray:
    """Print each tree's medians and the median of the pair differences (new - base); return the latter."""
    for tname, _ in trees:
        med = np.median(np.array(got[tname]), axis=0)
        print(f"{name:22s} {tname:6s} {med[0]:8.1f} {med[1]:8.1f} {med[2]:10.1f} {med[:3].sum():9.1f} {med[3]:8.1f}")
    d = np.array(got[trees[1][0]]) - np.array(got[trees[0][0]])
    dm = np.median(d, axis=0)
    print(f"{name:22s} {'diff':6s} {dm[0]:8.1f} {dm[1]:8.1f} {dm[2]:10.1f} {np.median(d[:, :3].sum(1)):9.1f} "
          f"{dm[3]:8.1f}   (new - base, median of pairs; {note}; load {os.getloadavg()[0]:.1f})", flush=True)
    return dm


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[], help="name=path of a source tree (two, the first the base)")
    ap.add_argument("--pairs", type=int, default=9)
    ap.add_argument("--only", default="l1,l1_pynative,l3,newton_cg,dpsgd_vmap")
    ap.add_argument("--crossed", action="store_true",
                    help="each workload twice, the runners started in either order: the runner started second "
                         "runs slower, whichever tree (LOOPS_REPORT, stop 50); the mean of the two differences")
    ap.add_argument("--json")
    ap.add_argument("--_runner", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._runner:
        _runner(args._runner)
        return 0
    trees = [tuple(t.split("=", 1)) for t in args.tree]
    assert len(trees) == 2, "two trees: --tree base=PATH --tree new=PATH"
    out = {}
    print(f"{'workload':22s} {'tree':6s} {'sdk_us':>8s} {'main_us':>8s} {'workers_us':>10s} {'total_us':>9s} "
          f"{'wall_us':>8s}   (medians of {args.pairs} blocks; load {os.getloadavg()[0]:.1f})")
    for name in args.only.split(","):
        diffs = []
        for order in (trees, trees[::-1]) if args.crossed else (trees,):
            got = ab(name, order, args.pairs, STEPS.get(name, 60))
            out[name if order is trees else f"{name}@swapped"] = got
            diffs.append(_print_ab(name, trees, got, f"{order[1][0]} started second"))
        if args.crossed:
            dm = (diffs[0] + diffs[1]) / 2
            print(f"{name:22s} {'cross':6s} {dm[0]:8.1f} {dm[1]:8.1f} {dm[2]:10.1f} {dm[:3].sum():9.1f} {dm[3]:8.1f}"
                  "   (new - base, the two start orders' mean: the second runner's excess cancels)", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
