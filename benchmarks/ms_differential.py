"""Differential against real MindSpore 2.10: random programs (an op signature of the SDK's ops listing with
drawn dtypes float16/32/64, int32, bool, broadcasting, keepdims, negative axes, empty dims, 0-d tensors and
Python scalars, left-out defaults; or an nn layer with its default arguments) run as the same program text
in MindSpore (MS_PYTHON, default /work/msvenv) and in gradserve's SDK through the rename-only shim against a
real server. Forward values and gradients are compared: GradOperation get_all / get_by_list / sens_param,
ops.grad (also under ms.jit), ops.value_and_grad (inputs and weights), ops.jvp, ops.vjp. The loss is sum(out_i * w_i) with
fixed weights per program. Tolerances and the comparison: mindspore_suite/grad_diff.py.

  python ms_differential.py run OUT_DIR [--seed S] [--count N] [--round 6|7|...|24] [--refusals] [-v]   # generate, both sides, compare
  (--refusals: gradserve also runs what MindSpore refused; an answer there counts as ms_refuses)
  python ms_differential.py gs OUT_DIR [-v]       # gradserve's side of what MindSpore ran, then compare
  python ms_differential.py compare OUT_DIR [-v]
  python ms_differential.py side OUT_DIR ms|gs                          # one side, in the Python it runs under
Runnable by hand, not in CI (MindSpore is kept out of the project's dependencies)."""
from __future__ import annotations

import argparse
import json
import linecache
import os
import signal
import subprocess
import sys
import types

import _ms_differential_higher as higher

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "mindspore_suite")
sys.path[:0] = [HERE, SUITE]
MS_PYTHON = os.environ.get("MS_PYTHON", "/work/msvenv/bin/python")
PROGRAM_TIMEOUT_S = 60


# ----------------------------------------------------------------------------------------- one side
def make_tensor(dtype: str, shape: tuple, seed: int, domain: str):
    """T(...) of the program text: the same numbers on both sides (RandomState streams are fixed); one seed
    in five rounds normal draws to halves, so ties, zeros and kinks come up."""
    import numpy as np
    from mindspore import Tensor
    rs = np.random.RandomState(seed)
    a = rs.standard_normal(shape)
    if domain == "positive":
        a = np.abs(a) + 0.1
    elif domain == "inner_unit":
        a = 0.9 * np.tanh(a)
    elif domain == "unit01":
        a = rs.uniform(0, 1, shape)
    elif domain == "sign":
        a = np.where(a > 0, 1.0, -1.0)
    elif domain == "ones":
        a = np.ones(shape)
    elif domain == "ints":
        a = rs.randint(-4, 5, shape)
    elif domain == "nonzero":
        a = rs.randint(1, 5, shape) * rs.choice([-1, 1], shape)
    elif domain.startswith("index"):
        a = rs.randint(0, max(1, int(domain[5:])), shape)
    elif domain == "halves":  # round 10: ties for round / argmax / sort
        a = np.round(a * 2) / 2
    elif domain == "wide":  # round 10: three decimals up to ~100 (integers: through int64, so uint8 wraps defined)
        a = np.round(a * 40, 3)
        if dtype not in ("float16", "float32", "float64", "complex64", "bool"):
            a = a.astype(np.int64)
    elif domain == "nans":  # round 10: every third entry NaN, the last one +-inf
        a = a.ravel()
        a[::3] = np.nan
        if a.size > 1:
            a[-1] = np.inf if seed % 2 else -np.inf
        a = a.reshape(shape)
    elif seed % 5 == 0:
        a = np.round(a * 2) / 2
    if dtype == "complex64":  # the imaginary parts: the stream's next draw
        a = a + 1j * rs.standard_normal(shape)
    if dtype == "bool":
        a = a > 0
    elif dtype == "int32" and domain == "normal":
        a = np.round(a * 2)
    return Tensor(np.asarray(a).astype(dtype))


def _flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _is_float(t) -> bool:
    """A differentiated input: float, or complex (round 9)."""
    return hasattr(t, "asnumpy") and t.asnumpy().dtype.kind in "fc"


def _op_grads(prog: dict, f, inputs: list, weights: list):
    import mindspore as ms
    from mindspore import ops
    from grad_diff import _weighted_loss
    pos = [i for i, a in enumerate(inputs) if _is_float(a)]

    def g(*diff):
        merged = list(inputs)
        for i, d in zip(pos, diff):
            merged[i] = d
        return f(*merged)
    loss, diff, every = _weighted_loss(g, weights), [inputs[i] for i in pos], tuple(range(len(pos)))
    mode, single = prog["mode"], len(weights) == 1 and weights[0] is not None
    if mode in higher.OP_MODES:
        return higher.op_grads(prog, f if len(pos) == len(inputs) else None, g, diff, weights,
                               lambda dtype, shape, seed: make_tensor(dtype, shape, seed, "normal"))
    if mode == "value_and_grad":
        return ops.value_and_grad(loss, grad_position=every)(*diff)[1]
    if mode == "grad":
        return ops.grad(loss, grad_position=every)(*diff)
    if mode == "sens" and single:
        return ops.GradOperation(get_all=True, sens_param=True)(g)(*diff, weights[0])
    if mode == "jvp" and len(pos) == len(inputs):  # MindSpore's jvp parses f (a *args closure fails)
        tangents = [make_tensor(str(d.asnumpy().dtype), d.shape, 7 + i, "normal") for i, d in enumerate(diff)]
        one = len(diff) == 1  # MindSpore's jvp takes one input bare: a 1-tuple fails to join
        return ops.jvp(f, diff[0] if one else tuple(diff), tangents[0] if one else tuple(tangents))[1]
    if mode == "jit_grad" and len(pos) == len(inputs):  # graph mode: MindSpore parses f
        return ms.jit(ops.grad(_weighted_loss(f, weights), grad_position=every))(*diff)
    if mode == "vjp" and single:
        return ops.vjp(g, *diff)[1](weights[0])
    return ops.GradOperation(get_all=True)(loss)(*diff)


def _layer_grads(prog: dict, net, inputs: list, weights: list):
    from mindspore import ParameterTuple, ops
    from grad_diff import _weighted_loss
    params = net.trainable_params()
    loss = _weighted_loss(lambda *a: _flat(net(*a)), weights)  # LSTM's (out, (h, c)): one weight per tensor
    mode = prog["mode"] if params else "grad_input"
    if mode in higher.LAYER_MODES:
        return higher.layer_grads(prog, net, loss, inputs, weights, _is_float)
    if mode == "grad_input" and not _is_float(inputs[0]):
        return []
    if mode == "by_list":
        return ops.GradOperation(get_by_list=True)(loss, ParameterTuple(params))(*inputs)
    if mode == "value_and_grad_weights":
        return ops.value_and_grad(loss, grad_position=0 if _is_float(inputs[0]) else None, weights=params)(*inputs)[1]
    return ops.grad(loss, grad_position=0)(*inputs)


def _program_module(prog: dict, names: dict) -> dict:
    """The program text run as a module of its own, with its source in linecache: MindSpore's jvp parses f
    (it reads the source and imports f's module by name)."""
    module = types.ModuleType(f"_ms_differential_{len(sys.modules)}")
    sys.modules[module.__name__] = module
    filename = f"<ms_differential {prog['name']}>"
    linecache.cache[filename] = (len(prog["src"]), None, prog["src"].splitlines(True), filename)
    module.__dict__.update(names)
    exec(compile(prog["src"], filename, "exec"), module.__dict__)  # noqa: S102 - text this script generated
    return module.__dict__


def evaluate(prog: dict) -> dict:
    import mindspore as ms
    import mindspore.numpy as mnp
    from mindspore import Tensor, mint, nn, ops
    from mindspore.mint.nn import functional
    from grad_diff import _encode, _weights
    ms.set_context(mode=ms.GRAPH_MODE if prog.get("context") == "graph" else ms.PYNATIVE_MODE)  # round 21: both
    ns = _program_module(prog, {"ms": ms, "ops": ops, "nn": nn, "mint": mint, "F": functional, "Tensor": Tensor,
                                "T": make_tensor, "mnp": mnp})
    inputs = ns["inputs"]
    record = {}
    if prog["kind"] == "layer":
        net = f = ns["net"]
        for i, p in enumerate(net.trainable_params()):
            p.set_data(make_tensor(str(p.asnumpy().dtype), p.shape, prog["param_seed"] + i, "normal"))
        record["params"] = [[p.name.split(".")[-1], list(p.shape)] for p in net.trainable_params()]
    else:
        f = ns["f"]
    outs = _flat(f(*inputs))
    record["values"], record["grads"] = [_encode(o) for o in outs], None
    weights = _weights(prog["name"], outs)
    if prog["mode"] == "value":  # f differentiates itself or updates state (round 9): its values only
        return record
    if any(w is not None for w in weights) and (prog["kind"] == "layer" or any(map(_is_float, inputs))):
        grads = _layer_grads if prog["kind"] == "layer" else _op_grads
        record["grads"] = [_encode(g) for g in _flat(grads(prog, f, inputs, weights))]
    return record


def side(folder: str, which: str) -> None:
    """Every program of OUT/programs.jsonl not yet in OUT/<which>.jsonl (a rerun after a crash resumes)."""
    if which == "gs":
        os.environ["GS_SHIM"] = "1"
        import conftest  # noqa: F401  (mindspore_suite's: `import mindspore` gives gradserve)
    import mindspore as ms
    from grad_diff import _on_alarm  # raises on SIGALRM: a program past PROGRAM_TIMEOUT_S is that side's error
    ms.set_context(mode=ms.PYNATIVE_MODE)
    out = os.path.join(folder, f"{which}.jsonl")
    done = {json.loads(line)["name"] for line in open(out)} if os.path.exists(out) else set()
    signal.signal(signal.SIGALRM, _on_alarm)
    ms_side = _load(os.path.join(folder, "ms.jsonl")) if which == "gs" else {}
    refusals = os.environ.get("MS_DIFF_REFUSALS") == "1"  # round 15: also what MindSpore refused
    compared = {name for name, r in ms_side.items() if r["outcome"] == "ok" or refusals}
    with open(out, "a") as f:
        for prog in map(json.loads, open(os.path.join(folder, "programs.jsonl"))):
            if prog["name"] in done or (which == "gs" and prog["name"] not in compared):
                continue
            f.write(json.dumps({"name": prog["name"], "outcome": "running"}) + "\n")
            f.flush()  # a crash leaves this line: the program counts as that side's error
            signal.alarm(PROGRAM_TIMEOUT_S)
            try:
                record = {"outcome": "ok", **evaluate(prog)}
            except BaseException as exc:  # noqa: BLE001 - any failure is this program's outcome
                record = {"outcome": "error", "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            finally:
                signal.alarm(0)
            f.write(json.dumps({"name": prog["name"], **record}) + "\n")
            f.flush()
            if which == "ms" and record["outcome"] != "ok":
                sys.exit(3)  # MindSpore's next op after an error can fail on its leftover state: a fresh process


def _run_side(python: str, folder: str, which: str, env: dict) -> None:
    from grad_diff import _lines
    target, size = os.path.join(folder, f"{which}.jsonl"), -1
    while size != _lines(target):  # a side that exits early is restarted; it resumes after the program it left
        size = _lines(target)
        if subprocess.call([python, os.path.abspath(__file__), "side", folder, which], env=env, cwd=folder) == 0:
            return


def _available(holder: str, name: str) -> bool:
    import gradserve
    from gradserve import mint
    from gradserve.mint.nn import functional
    holders = {"ops": gradserve.ops, "Tensor": gradserve.Tensor, "nn": gradserve.nn, "mint": mint, "F": functional}
    return hasattr(holders[holder], name)


def run(folder: str, seed: int, count: int, verbose: bool, gs_only: bool = False, round_: int = 24,
        refusals: bool = False) -> None:
    """Generate, MindSpore's side, gradserve's side (the programs MindSpore ran: gs_only after a MindSpore side
    stopped part way), compare."""
    import _ms_differential_gen
    import _ms_differential_gen7
    import _ms_differential_gen8
    import _ms_differential_gen9
    import _ms_differential_gen10
    import _ms_differential_gen11
    import _ms_differential_gen12
    import _ms_differential_gen13
    import _ms_differential_gen14
    import _ms_differential_gen15
    import _ms_differential_gen16
    import _ms_differential_gen17
    import _ms_differential_gen18
    import _ms_differential_gen19
    import _ms_differential_gen20
    import _ms_differential_gen21
    import _ms_differential_gen22
    import _ms_differential_gen23
    import _ms_differential_gen24
    from doc_examples import _gradserve_env
    folder = os.path.abspath(folder)
    if not gs_only:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "programs.jsonl"), "w") as f:
            draw = {6: _ms_differential_gen.programs, 7: _ms_differential_gen7.programs7,
                    8: _ms_differential_gen8.programs8, 9: _ms_differential_gen9.programs9,
                    10: _ms_differential_gen10.programs10, 11: _ms_differential_gen11.programs11,
                    12: _ms_differential_gen12.programs12, 13: _ms_differential_gen13.programs13,
                    14: _ms_differential_gen14.programs14, 15: _ms_differential_gen15.programs15,
                    16: _ms_differential_gen16.programs16, 17: _ms_differential_gen17.programs17,
                    18: _ms_differential_gen18.programs18, 19: _ms_differential_gen19.programs19,
                    20: _ms_differential_gen20.programs20, 21: _ms_differential_gen21.programs21,
                    22: _ms_differential_gen22.programs22, 23: _ms_differential_gen23.programs23,
                    24: _ms_differential_gen24.programs24}[round_]
            for prog in draw(seed, count, _available):
                f.write(json.dumps(prog) + "\n")
        _run_side(MS_PYTHON, folder, "ms", dict(os.environ, PYTHONPATH=f"{HERE}:{SUITE}"))
    with _gradserve_env() as env:
        _run_side(sys.executable, folder, "gs", dict(env, MS_DIFF_REFUSALS="1" if refusals else "0"))
    compare(folder, verbose)


# ----------------------------------------------------------------------------------------- comparison
def _load(path: str) -> dict:
    return {r["name"]: r for r in map(json.loads, open(path))} if os.path.exists(path) else {}


def _is_class(gs_cls: str, ms_cls: str) -> bool:
    """Whether gradserve's exception class (a name) is MindSpore's builtin one or derives from it (the SDK's DtypeError
    is a TypeError, ShapeError a ValueError): `except TypeError` catches both alike."""
    import builtins
    from gradserve import errors
    cls, base = getattr(errors, gs_cls, getattr(builtins, gs_cls, None)), getattr(builtins, ms_cls, None)
    return gs_cls == ms_cls or (isinstance(cls, type) and isinstance(base, type) and issubclass(cls, base))


def _classify(ms: dict, gs) -> tuple[str, str]:
    """grad_diff.classify, "refusal_class" where both refuse with different exception classes, and "params" where a layer's trainable_params() differ in order / names / shapes (the
    parameters are filled by position: a different order is a different network, and get_by_list's order)."""
    from grad_diff import classify
    if ms["outcome"] == "error" and gs and gs.get("outcome") == "ok":
        return "ms_refuses", f"gradserve answers; MindSpore: {ms.get('error')}"
    if ms["outcome"] == "error" and gs and gs.get("outcome") == "error":  # round 22: refusals compared by class
        ms_cls, gs_cls = (r.get("error", "").split(":", 1)[0] for r in (ms, gs))
        if not _is_class(gs_cls, ms_cls):
            return "refusal_class", f"gradserve {gs['error']}; MindSpore {ms['error']}"
    if gs and gs.get("outcome") == "ok" and ms.get("params") is not None and gs.get("params") != ms["params"]:
        return "params", f"{gs.get('params')} vs MindSpore {ms['params']}"
    return classify(ms, gs)


def compare(folder: str, verbose: bool) -> dict:
    """Counts by outcome (grad_diff.classify: pass / value / grad / dtype / gs_error / ms_error); prints the
    silently wrong ones (value, grad) with their program text, and with -v the dtype and gradserve errors."""
    import collections
    progs = {p["name"]: p for p in map(json.loads, open(os.path.join(folder, "programs.jsonl")))}
    ms, gs = _load(os.path.join(folder, "ms.jsonl")), _load(os.path.join(folder, "gs.jsonl"))
    results = {name: _classify(ms[name], gs.get(name)) for name in progs if name in ms and ms[name]["outcome"] != "running"}
    counts = collections.Counter(o for o, _ in results.values())
    print(f"{len(results)} programs: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    shown = ("value", "grad", "params") + (("dtype", "gs_error", "ms_refuses", "refusal_class") if verbose else ())
    for name, (outcome, detail) in results.items():
        if outcome in shown:
            print(f"--- {outcome} {name} [{progs[name]['mode']}]: {detail}\n{progs[name]['src']}")
    return dict(counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["run", "gs", "side", "compare"], help="gs: gradserve's side and compare")
    ap.add_argument("folder")
    ap.add_argument("which", nargs="?", choices=["ms", "gs"])
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--round", type=int, choices=list(range(6, 25)), default=24, help="6: one call / layer and the first-order "
                    "forms; 7: higher order, mint / mint.nn.functional, layers through GradOperation; 8: stop 40's "
                    "names, promotion, indexing / setitem, in-place methods, control flow, loss Cells, vmap of grad; "
                    "9: gradient APIs with weights / has_aux / sens, layers in training mode, complex64, bfloat16, "
                    "scans / scatters, linalg; 10: dtype promotion of every binary family, integer division / "
                    "bitwise / rounding / clamp / where, reductions over Tensor / ops / mint / numpy, NaN handling, "
                    "in-place writes through views; 11: indexing / item assignment with repeats, shape ops, activations with "
                    "parameters and kinks / ties, losses with options, pooling / conv / norm options, higher order; "
                    "12: linear algebra, FFT, cumulative ops, sorting / counting, special functions, vmap of them; 13: complex gradients, int / bool mixed into float graphs, "
                    "empty broadcasting, strided slicing, gather / scatter with duplicates, NaN branches of where, "
                    "multi-axis reductions, interpolate, embedding, conv / pad options, layers in eval / train; 14: user-written "
                    "Cells with control flow on Tensor values, nested Cells, third order, keyword defaults across spellings, "
                    "optimizers / in-place Parameter updates between gradients, several outputs, norm layers train -> eval; 15: "
                    "keyword arguments and NumPy-style Tensor method arguments, integer / float16 / bfloat16 reductions with "
                    "dtype=, negative and out-of-range axes, alpha= / beta= / value= and in-place methods under grad, "
                    "gradient API spellings (top-level mindspore.grad, return_ids, get_all=False, tuple sens); 16: networks of nn layers "
                    "with options and a loss Cell, RNN / GRU / LSTM layers and cells, losses with weights / ignore_index, control "
                    "flow with continue / nested loops / return in a loop / grad in a loop, duplicate-index writes, has_aux + "
                    "weights + positions, jvp / vjp of tuples; 17: mint.nn.functional, empty tensors and int / bool mixed "
                    "into float, keepdims with tuple axes, negative indices into gather / scatter, kinks (clamp at the bound, "
                    "norms at 0), ties (max / min / sort / topk), broadcast where, in-place methods under jvp, jit closures "
                    "over Parameters; 18: composite nn layers with options under higher order, kinks under second / third "
                    "order, sens_param on nested outputs, shared Parameters, vjp of jvp, vmap with None / negative axes, "
                    "gradient dtypes (float16 / float64 / int64 / complex64); 19: the engine's passes and fused kernels: sums / means / "
                    "einsum / matmul chains over repeated and broadcast factors, multi-axis keepdims, where / masked_fill / "
                    "gather / index_add with repeats, cumulative ops on negative axes, softmax on other axes at second order, "
                    "norms at zero rows, conv / pool after transposes, vmap on a middle axis; 20: piecewise / special-cased "
                    "gradients (abs / sign / relu family / clamp / ties of max / sort / topk / median / cummax, pow at 0, "
                    "sqrt / log near 0, atan2 at the origin) at second / third order and under jvp, grad of jvp / vjp of "
                    "grad, tied Parameters through get_by_list, broadcast sens, repeated grad positions, custom bprop / "
                    "HookBackward under higher order; 21: each program in PyNative and GRAPH_MODE: nn layers with Parameters "
                    "through get_by_list / weights, assign / assign_add inside the differentiated function, control flow, "
                    "structured outputs with sens, int / bool inputs in grad_position, promotion, depend / stop_gradient; 22: each "
                    "program in both modes: Conv1d / 2d / 3d (groups, dilation, pad modes) and their transposes, BatchNorm1d / 2d / "
                    "3d statistics, LayerNorm / GroupNorm axes, RNN / LSTM / GRU / cells / MultiheadAttention, loss Cells with "
                    "reductions and weights (CTC, KLDiv, label smoothing, pos_weight), item writes / scatters / gathers under "
                    "grad and jvp, float16 / float64 gradients and sens dtypes, jacfwd / jacrev / vmap of grad; 23: each program in both "
                    "modes: control flow over Tensors (for over an axis, Tensor trip counts, closures, grad in jit / jit in grad, "
                    "shared Cells, Parameters assigned in construct), grad of grad with weights, jvp of vjp / vjp of jvp, "
                    "hessians, tuple sens, has_aux, return_ids, ties and kinks (max / topk / sort / cummax, clamp bounds, "
                    "norms at 0, empty axis tuples), linalg and special functions, interpolate / pad / roll / tile / "
                    "unfold / fold / negative-step slices / negative gather indices; 24: each program in both modes: optimizers' "
                    "first two steps (SGD / Momentum / Adam / AdamWeightDecay / Adagrad / RMSProp / Lamb / FTRL / AdaMax / "
                    "Adadelta / ProximalAdagrad with options), nn layers in training mode with weight gradients and moving "
                    "statistics, loss Cells with reductions / weights / label smoothing / ignore_index, float16 / float64 / "
                    "int / bool inputs in grad positions and mixed-dtype promotion")
    ap.add_argument("--refusals", action="store_true", help="gradserve also runs the programs MindSpore refused")
    ap.add_argument("-v", action="store_true", help="also list dtype differences and gradserve errors")
    a = ap.parse_args()
    if a.command in ("run", "gs"):
        run(a.folder, a.seed, a.count, a.v, gs_only=a.command == "gs", round_=a.round, refusals=a.refusals)
    elif a.command == "side":
        side(a.folder, a.which)
    else:
        compare(a.folder, a.v)


if __name__ == "__main__":
    main()
