"""ONNX's own conformance suite (onnx.backend.test) through our importer and the engine.

The node tests are built in memory from `onnx.backend.test.case.node` (the wheel does not ship the
generated data/node folders; the cases are the same code that generates them: onnx's model, inputs and
expected outputs, computed by onnx's own NumPy reference). The model-level folders that the wheel does
ship (data/simple, data/pytorch-converted, data/pytorch-operator) are read from disk.

Each test is imported with `onnx_to_graph`, run with `engine.evaluate`, and compared as
onnx.backend.test.runner compares (same shape and dtype, `assert_allclose` at the case's rtol / atol:
1e-3 / 1e-7 unless the case says otherwise). Outcomes:
  pass         every output matches
  unsupported  the importer refused it (`UnsupportedModel`: a clear refusal naming what)
  wrong        it ran and an output differs (value, shape or dtype): the worst outcome
  crash        any other exception, in the importer or the engine

`python -m tests.importers.onnx_node_suite [--kind node] [--match REGEX] [-v]` prints the counts and the
cases per outcome (run from the repository root with the tests' PYTHONPATH).
"""
from __future__ import annotations

import argparse
import collections
import glob
import os
import re
import warnings
from dataclasses import dataclass

import numpy as np

from engine.importers.onnx_ops import NARROW_CARRIER, widen_narrow

OUTCOMES = ("pass", "unsupported", "wrong", "crash")

# Left to the helper that adds FFT ops (their node tests are theirs to enable).
OWNED_ELSEWHERE = re.compile(r"^test_(dft|stft)")


@dataclass
class Case:
    name: str
    kind: str
    model: object  # onnx.ModelProto
    data_sets: list  # [(inputs, outputs)]
    rtol: float = 1e-3
    atol: float = 1e-7


def node_cases() -> list[Case]:
    from onnx.backend.test.case import node

    with warnings.catch_warnings(), np.errstate(all="ignore"):  # the cases compute inf / nan on purpose
        warnings.simplefilter("ignore")
        cases = node.collect_testcases(None)
    return [Case(c.name, "node", c.model, [(_arrays(i), _arrays(o)) for i, o in c.data_sets], c.rtol, c.atol)
            for c in cases]


def _arrays(values):
    """Some cases give a value as a TensorProto (float8, float16 bit patterns): as onnx's runner, an array."""
    from onnx import TensorProto, numpy_helper

    return [numpy_helper.to_array(v) if isinstance(v, TensorProto) else v for v in values]


def folder_cases(kinds=("simple", "pytorch-converted", "pytorch-operator")) -> list[Case]:
    import onnx
    from onnx import numpy_helper
    import onnx.backend.test as bt

    root = os.path.join(os.path.dirname(bt.__file__), "data")
    out = []
    for kind in kinds:
        for d in sorted(glob.glob(os.path.join(root, kind, "test_*"))):
            m = onnx.load(os.path.join(d, "model.onnx"))
            sets = []
            for ds in sorted(glob.glob(os.path.join(d, "test_data_set_*"))):
                def read(prefix):
                    files = sorted(glob.glob(os.path.join(ds, f"{prefix}_*.pb")),
                                   key=lambda p: int(re.search(r"_(\d+)\.pb$", p).group(1)))
                    res = []
                    for f in files:
                        t = onnx.TensorProto()
                        with open(f, "rb") as fh:
                            t.ParseFromString(fh.read())
                        res.append(numpy_helper.to_array(t))
                    return res
                sets.append((read("input"), read("output")))
            out.append(Case(os.path.basename(d), kind, m, sets))
    return out


def all_cases(kinds=("node", "simple", "pytorch-converted", "pytorch-operator")) -> list[Case]:
    cases = node_cases() if "node" in kinds else []
    return cases + folder_cases(tuple(k for k in kinds if k != "node"))


def convert(model):
    from engine.importers import onnx_to_graph
    from engine.serialize import graph_from_json, tensor_to_json

    return graph_from_json(onnx_to_graph(model.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))


def _compare(got, want, rtol, atol) -> str | None:
    """onnx.backend.test.runner's comparison; None when equal, else what differs."""
    if len(got) != len(want):
        return f"{len(got)} outputs, expected {len(want)}"
    for i, (a, b) in enumerate(zip(got, want)):
        if isinstance(b, (list, tuple)) or b is None:
            return f"output {i}: expected a {type(b).__name__} (sequence / optional)"
        a = np.asarray(a)
        b = np.asarray(b)
        if NARROW_CARRIER.get(b.dtype.name) == a.dtype.name:
            # float8 / float4 / 4- and 2-bit values are carried in a wider type (docs/IMPORTERS.md): compared
            # exactly, as the expected ones widened (every value of the narrow type is one of the carrier)
            b = b.astype(a.dtype)
            if a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                return f"output {i}: {int((a != b).sum())} of {b.size} elements differ (carried in {a.dtype})"
            continue
        if a.shape != b.shape:
            return f"output {i}: shape {a.shape}, expected {b.shape}"
        if a.dtype != b.dtype:
            return f"output {i}: dtype {a.dtype}, expected {b.dtype}"
        if b.dtype == object or b.dtype == bool or np.issubdtype(b.dtype, np.integer):
            if not np.array_equal(a, b):
                return f"output {i}: {int((a != b).sum())} of {b.size} elements differ"
            continue
        if b.dtype.name == "bfloat16":  # the runner's own rule: float32 copies, at least two bfloat16 ulps
            a, b, rtol = a.astype(np.float32), b.astype(np.float32), max(rtol, 2 ** -6)
        try:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
        except AssertionError as e:
            return f"output {i}: " + " ".join(str(e).split("\n")[3:6]).strip()
    return None


STATIC = "must be a constant here"  # the importer's refusal of a run-time shape / axes / sizes input


def bind_inputs(model, names, inputs, bind: set):
    """The model with the inputs named in `bind` made initializers holding the test's values: gradserve graphs
    have static shapes, so a model file carries its axes / shapes / sizes / scales as constants, where the node
    tests pass them as inputs. Returns the model and the values of the inputs left."""
    import onnx
    from onnx import numpy_helper

    m = onnx.ModelProto()
    m.CopyFrom(model)
    values = dict(zip(names, inputs))
    m.graph.initializer.extend(numpy_helper.from_array(np.asarray(values[n]), n) for n in names if n in bind)
    keep = [vi for vi in m.graph.input if vi.name not in bind]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    return m, [v for n, v in zip(names, inputs) if n not in bind]


def run_case(case: Case) -> tuple[str, str]:
    """(outcome, detail) of one case. A case refused only for a run-time shape input is run again with that
    input (and the integer ones) bound as constants; its detail then starts with "bound"."""
    from engine.importers import UnsupportedModel

    try:
        g = convert(case.model)
    except UnsupportedModel as e:
        if STATIC not in str(e):
            return "unsupported", str(e)
        return _run_bound(case, str(e))
    except Exception as e:  # noqa: BLE001 - a crash is an outcome here
        return "crash", f"import: {type(e).__name__}: {e}"
    inits = {t.name for t in case.model.graph.initializer}
    names = [vi.name for vi in case.model.graph.input if vi.name not in inits]
    return _run_sets(g, [([np.asarray(v) for v, _ in zip(i, names)], o) for i, o in case.data_sets], case)


def bound_graph(case: Case, inputs):
    """(graph, the inputs left) of `case` for one data set's `inputs`: its integer inputs bound, then each input
    the importer names as having to be a constant. Raises the importer's error when that does not do."""
    from engine.importers import UnsupportedModel

    inits = {t.name for t in case.model.graph.initializer}
    names = [vi.name for vi in case.model.graph.input if vi.name not in inits]
    bind = {n for n, v in zip(names, inputs) if np.asarray(v).dtype.kind in "iub"}
    while True:
        m, rest = bind_inputs(case.model, names, inputs, bind)
        try:
            return convert(m), [np.asarray(v) for v in rest]
        except UnsupportedModel as e:
            named = re.search(r"input '([^']+)' " + STATIC, str(e))
            if not (named and named.group(1) in names and named.group(1) not in bind):
                raise
            bind.add(named.group(1))


def _run_bound(case: Case, why: str) -> tuple[str, str]:
    from engine.importers import UnsupportedModel

    for inputs, outputs in case.data_sets:
        try:
            g, rest = bound_graph(case, inputs)
        except UnsupportedModel as e:
            return "unsupported", why if STATIC in str(e) else f"{why}; bound: {e}"
        except Exception as e:  # noqa: BLE001
            return "crash", f"bound import: {type(e).__name__}: {e}"
        outcome, detail = _run_sets(g, [(rest, outputs)], case)
        if outcome != "pass":
            return outcome, f"bound: {detail}"
    return "pass", "bound"


def _run_sets(g, sets, case: Case) -> tuple[str, str]:
    from engine import evaluate

    for ins, outputs in sets:
        try:
            with np.errstate(all="ignore"):
                got = evaluate(g, *[widen_narrow(np.asarray(v)) for v in ins])  # narrow inputs in their carrier
        except Exception as e:  # noqa: BLE001
            return "crash", f"run: {type(e).__name__}: {e}"
        got = list(got) if isinstance(got, tuple) else [got]
        diff = _compare(got, list(outputs), case.rtol, case.atol)
        if diff:
            return "wrong", diff
    return "pass", ""


def run_all(cases, verbose=False) -> dict[str, list[tuple[str, str]]]:
    res: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for c in cases:
        if OWNED_ELSEWHERE.match(c.name):
            continue
        outcome, detail = run_case(c)
        res[outcome].append((f"{c.kind}/{c.name}", detail))
        if verbose:
            print(f"{outcome:12s} {c.kind}/{c.name} {detail[:300]}", flush=True)
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kind", action="append", help="node, simple, pytorch-converted, pytorch-operator")
    p.add_argument("--match", default=None, help="a regex on the case name")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--write-passing", action="store_true", help="rewrite onnx_node_passing.txt (the CI's list)")
    a = p.parse_args(argv)
    kinds = tuple(a.kind or ("node", "simple", "pytorch-converted", "pytorch-operator"))
    cases = [c for c in all_cases(kinds) if a.match is None or re.search(a.match, c.name)]
    res = run_all(cases, a.verbose)
    for k in kinds:
        counts = {o: sum(1 for n, _ in res[o] if n.startswith(k + "/")) for o in OUTCOMES}
        print(k, counts, "total", sum(counts.values()))
    print("all", {o: len(res[o]) for o in OUTCOMES}, "of which bound:",
          {o: sum(1 for _, d in res[o] if d.startswith("bound")) for o in OUTCOMES})
    if a.write_passing:
        path = os.path.join(os.path.dirname(__file__), "onnx_node_passing.txt")
        with open(path, "w") as f:
            f.write("# onnx.backend.test cases that pass (test_onnx_node_suite.py); written by\n"
                    "# python -m tests.importers.onnx_node_suite --write-passing ('bound': integer inputs bound)\n")
            f.writelines(f"{n}{'  bound' if d.startswith('bound') else ''}\n" for n, d in sorted(res["pass"]))


if __name__ == "__main__":
    main()
