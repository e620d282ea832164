"""Bring your model, real ones: torchvision / timm / transformers / flax models imported by gradserve and
differentiated, against torch's or JAX's own autodiff.

Paths: `export` (gs.from_torch: torch.export), `onnx-ts` and `onnx-dynamo` (torch.onnx.export, TorchScript /
dynamo exporter, into gs.from_onnx: the service's ONNX importer), `jax` (gs.from_jax of a flax apply).
Each compares the value, the gradient of a fixed weighted sum of squares w.r.t. every float input and every
weight the import maps back to the model's parameter, reporting the largest error relative to each
reference tensor's largest magnitude (float32; pass at 1e-4).

The model packages are not gradserve's dependencies: install them beside it (never into the project's venv),
e.g. `pip install --no-deps --target /work/impextra torchvision timm transformers flax ...`, and run
    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests:/work/impextra python -m benchmarks.model_zoo_sweep
        [--only NAME ...] [--paths export onnx-ts onnx-dynamo jax] [--float64] [--import-float64]
A model whose package is missing is listed as skipped. `--float64` also runs torch's reference in float64 on the
same weights (JAX under jax_enable_x64) and records ours and the framework's float32 errors against it (`f64`
column: ours / torch or JAX float32): a mismatch where float32 torch is as far off float64 as ours is rounding at a
kink or in an ill-conditioned op; one where float32 torch agrees with float64 and ours does not points at us: a
bug, or a kink where only our float32 rounded across zero (densenet121's row; perturbing the weights tells).
`--import-float64` imports each model in float64 instead (the torch module and inputs widened, JAX under
jax_enable_x64) against the framework in float64, and prints the errors without saving them. Results accumulate in
benchmarks/results/model_zoo.json (one entry per model and path); `--table` writes benchmarks/IMPORT_ZOO.md.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import time
import traceback
import warnings

import numpy as np

from benchmarks import zoo_models, zoo_models_round6, zoo_models_round8, zoo_models_round9, zoo_models_round10, \
    zoo_models_round11, zoo_models_round12, zoo_models_round13, zoo_models_round14, \
    zoo_models_round15

RTOL = 1e-4
CASES = (zoo_models.CASES + zoo_models_round6.CASES + zoo_models_round8.CASES + zoo_models_round9.CASES +
         zoo_models_round10.CASES + zoo_models_round11.CASES + zoo_models_round12.CASES +
         zoo_models_round13.CASES + zoo_models_round14.CASES + zoo_models_round15.CASES)
HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "model_zoo.json")
TABLE = os.path.join(HERE, "IMPORT_ZOO.md")


def rel_err(got, want, floor: float = 0.0) -> float:
    """max |got - want| over max |want| (the reference's own scale), the scale at least `floor`: a gradient
    that is exactly zero in exact arithmetic (a key bias under softmax) is rounding noise in both."""
    kind = np.complex128 if np.iscomplexobj(got) or np.iscomplexobj(want) else np.float64  # FNO's cfloat weights
    got, want = np.asarray(got, kind), np.asarray(want, kind)
    if got.shape != want.shape:
        return float("inf")
    if want.size == 0:
        return 0.0
    scale = max(float(np.abs(want).max()), floor)
    err = float(np.abs(got - want).max())
    return err / scale if scale > 0 else err


def max_rel_err(pairs) -> float:
    """The largest rel_err over (got, want) pairs of one model; a tensor whose reference and ours are both
    under 1e-6 of the model's largest reference magnitude is zero up to rounding (a key bias's gradient under
    softmax: exactly zero in exact arithmetic) and is measured against that largest magnitude."""
    pairs = [(np.asarray(g), np.asarray(w)) for g, w in pairs]
    top = max((float(np.abs(w).max()) for _, w in pairs if w.size), default=0.0)

    def floor(g, w):
        return top if g.size and max(np.abs(g).max(), np.abs(w).max()) < 1e-6 * top else 0.0
    return max((rel_err(g, w, floor(g, w)) for g, w in pairs), default=0.0)


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _onnx_bytes(model, inputs, exporter: str) -> bytes:
    import torch

    from importers.sweep import _torchlib_registry_built_once

    if exporter == "dynamo":
        with _torchlib_registry_built_once():
            return torch.onnx.export(model, tuple(inputs), dynamo=True, verbose=False,
                                     opset_version=18).model_proto.SerializeToString()
    f = io.BytesIO()
    torch.onnx.export(model, tuple(inputs), f, dynamo=False, do_constant_folding=False, opset_version=17)
    return f.getvalue()


class ExporterRefused(Exception):
    """torch.onnx.export itself cannot export the model (its limitation, not the importer's)."""


def match_unique(net, model):
    """An imported weight -> (torch parameter name, transposed): by name, else by a value (or its transpose)
    that exactly one torch parameter has; (None, False) otherwise (a LayerNorm's ones are every LayerNorm's,
    an exporter's folded or re-packed weight is none of them)."""
    tparams = {n: p.detach().numpy() for n, p in model.named_parameters()}

    def of(p):
        a = p.asnumpy()
        t = tparams.get(p.name)
        if t is not None and t.shape == a.shape and np.array_equal(t, a):
            return p.name, False
        hits = [(n, False) for n, t in tparams.items() if t.shape == a.shape and np.array_equal(t, a)]
        hits += [(n, True) for n, t in tparams.items()
                 if t.ndim == 2 and t.shape != a.shape and t.T.shape == a.shape and np.array_equal(t.T, a)]
        return hits[0] if len(hits) == 1 else (None, False)
    return of


def distinct_weights(model, seed=3):
    """Every parameter nudged by its own noise, as trained weights are: a fresh model's LayerNorm ones and zero
    biases are equal tensors, which the TorchScript exporter merges into one initializer (whose gradient is then
    their sum) and which no value can map back to one parameter. Frozen ones (Whisper's sinusoidal positions)
    are made trainable: their gradient is as well defined."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=g, dtype=p.dtype))
            p.requires_grad_(True)


def _exporter_reason(e) -> str:
    """The line of an exporter's error that names the op: the dynamo exporter's first line is only its step
    ("Failed to convert the exported program ..."), the cause is further down (a DispatchError naming the aten
    op, a RuntimeError from a decomposition)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    named = [ln for ln in lines if re.match(r"<class '[\w.]+(Error|Exception)'>: ", ln)]
    if named:
        return re.sub(r"^<class '(?:[\w]+\.)*(\w+)'>", r"\1", named[0])
    return f"{type(e).__name__}: {lines[0] if lines else ''}"


def _import_torch(model, inputs, path):
    import gradserve as gs

    if path == "export":
        return gs.from_torch(model, inputs), (lambda p: (p.name, False))
    try:
        data = _onnx_bytes(model, inputs, "dynamo" if path == "onnx-dynamo" else "torchscript")
    except Exception as e:  # noqa: BLE001 - the exporter's refusal, reported as such
        raise ExporterRefused(f"torch.onnx.export: {_exporter_reason(e)[:200]}") from e
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = gs.from_onnx(data)
    return net, match_unique(net, model)


def check_torch(model, inputs, path, float64: bool = False) -> dict:
    """One torch model through one path: {'forward': err, 'grads': err, 'weights': compared/total}; with
    `float64`, also ours and torch float32's errors against torch in float64 on the same weights."""
    from importers.sweep import torch_reference

    distinct_weights(model)
    model64 = _widened(_deepcopy(model)) if float64 else None
    outs, cs, gx_want, gw_want = torch_reference(model, inputs)
    net, param_of = _import_torch(model, inputs, path)
    got, gx, gw = _ours(net, inputs, cs, param_of, gw_want)
    fwd, grads = _errors((got, gx, gw), ([o.numpy() for o in outs], gx_want, gw_want))
    res = {"forward": fwd, "grads": grads, "weights": f"{len(gw)}/{len(gw_want)}"}
    if grads > RTOL and getattr(net, "folded_weights", None):  # the importer warned (FoldedWeightsWarning): a
        # mismatch row says so, since a folded value can still equal a parameter's (u * 1.0) and be matched to it
        res["why"] = f"FoldedWeightsWarning: the exporter folded {list(net.folded_weights)[:6]}"
    if float64:
        xs64 = [x.double() if x.is_floating_point() else x for x in inputs]
        try:
            o64, _, gx64, gw64 = torch_reference(model64, xs64)
        except RuntimeError as e:  # torch's own float32-only kernels (the learnable fake-quantize's scale)
            res["f64_why"] = f"torch in float64: {str(e).splitlines()[0][:120]}"
            return res
        ref64 = ([o.numpy() for o in o64], gx64, gw64)
        res["f64"] = {"ours": _errors((got, gx, gw), ref64),
                      "ref32": _errors(([o.numpy() for o in outs], gx_want, {n: gw_want[n] for n in gw}), ref64)}
    return res


def _deepcopy(model):
    """copy.deepcopy of a module, also one with torch.nn.utils.weight_norm (the hook form, HiFi-GAN's): its
    `weight` attribute is computed from g and v (not a graph leaf, which deepcopy refuses) and recomputed by the
    hook before every forward, so a detached one copies the same module."""
    import copy

    from torch.nn.utils.weight_norm import WeightNorm

    for mod in model.modules():
        for hook in mod._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm):
                setattr(mod, hook.name, getattr(mod, hook.name).detach())
    return copy.deepcopy(model)


def _widened(model):
    """The model in float64, complex weights in complex128: Module.to(torch.float64) casts complex parameters
    to real, dropping their imaginary parts (FNO's cfloat spectral weights)."""
    import torch

    return model._apply(lambda t: t.to(torch.complex128) if t.is_complex() else
                        t.to(torch.float64) if t.is_floating_point() else t)


def _ours(net, inputs, cs, param_of, gw_want):
    """Our outputs, input gradients and the weight gradients mapped back to torch's parameter names."""
    from gradserve import Tensor, ops
    from importers.sweep import WeightedSumSq

    xs = [Tensor(x.numpy()) for x in inputs]
    got = [g.asnumpy() for g in _outs(net(*xs))]
    pos = tuple(i for i, x in enumerate(inputs) if x.is_floating_point())
    weights = net.trainable_params()
    grads = ops.grad(WeightedSumSq(net, cs, len(xs)), grad_position=pos or None, weights=weights)(*xs)
    if pos:
        gx, gw = grads
        gx = gx if isinstance(gx, (tuple, list)) else (gx,)
    else:  # token ids only: the weights' gradients alone
        gx, gw = (), grads
    # a parameter used twice (ALBERT's shared layers) can be exported as one initializer per use (each its
    # own transposed copy): its gradient is their sum
    summed: dict = {}
    for p, g in zip(weights, gw):
        name, transposed = param_of(p)
        if name is None or name not in gw_want:
            continue
        g = g.asnumpy().T if transposed else g.asnumpy()
        summed[name] = summed[name] + g if name in summed else g
    return got, [g.asnumpy() for g in gx], summed


def _errors(ours, ref):
    """(forward error, gradient error) of (outputs, input grads, {name: weight grad}) against a reference's."""
    got, gx, gw = ours
    outs, gx_want, gw_want = ref
    fwd = max(rel_err(g, w) for g, w in zip(got, outs)) if len(got) == len(outs) else float("inf")
    pairs = list(zip(gx, gx_want)) + [(g, gw_want[name]) for name, g in gw.items()]
    return fwd, max_rel_err(pairs)


def check_jax(fn, params, x, options=None, float64: bool = False) -> dict:
    """One JAX function through gs.from_jax (`options`: its keywords, e.g. while_max_trips); with `float64`, JAX
    itself run again under jax_enable_x64 on the same values is the second reference."""
    import jax

    import gradserve as gs
    from gradserve import Tensor, ops
    from importers.sweep import WeightedSumSq

    want = np.asarray(jax.jit(fn)(params, x))
    c = np.random.default_rng(5).uniform(0.5, 1.5, want.shape).astype(np.float32)
    ref = _jax_reference(fn, params, x, c)
    net = gs.from_jax(fn, x, params=params, **(options or {}))
    xn = np.asarray(x)
    got = net(Tensor(xn)).asnumpy()
    gx, gw = ops.grad(WeightedSumSq(net, [c], 1), grad_position=0, weights=net.trainable_params())(Tensor(xn))
    ours = ([got], [gx.asnumpy()], {i: g.asnumpy() for i, g in enumerate(gw)})
    fwd, grads = _errors(ours, ref)
    res = {"forward": fwd, "grads": grads, "weights": f"{len(gw)}/{len(ref[2])}"}
    if float64:
        with jax.enable_x64(True):
            wide = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64)
                                          if np.issubdtype(np.asarray(a).dtype, np.floating) else a, (params, x))
            ref64 = _jax_reference(fn, *wide, c.astype(np.float64))
        res["f64"] = {"ours": _errors(ours, ref64), "ref32": _errors(ref, ref64)}
    return res


def _jax_reference(fn, params, x, c):
    """JAX's value and gradients (input, then each parameter leaf by index) of the weighted sum of squares."""
    import jax

    want = np.asarray(jax.jit(fn)(params, x))
    jp, jx = jax.jit(jax.grad(lambda p, z: ((fn(p, z) * c) ** 2).sum() / 2, argnums=(0, 1)))(params, x)
    return [want], [np.asarray(jx)], {i: np.asarray(w) for i, w in enumerate(jax.tree_util.tree_leaves(jp))}


def run_case(case, path, float64: bool = False) -> dict:
    from gradserve.importers import UnsupportedModel

    t0 = time.perf_counter()
    try:
        built = case.build()
    except ImportError as e:
        return {"status": "skipped", "why": f"{type(e).__name__}: {e}"}
    try:
        res = check_jax(*built, float64=float64) if path == "jax" else check_torch(*built, path, float64)
    except ExporterRefused as e:
        return {"status": "exporter", "why": str(e)}
    except UnsupportedModel as e:  # refused by name, saying what to do: not a failure
        return {"status": "refused", "why": f"UnsupportedModel: {str(e)[:300]}",
                "seconds": round(time.perf_counter() - t0, 1)}
    except Exception as e:  # noqa: BLE001 - the sweep reports every failure and goes on
        tb = traceback.format_exc().strip().splitlines()
        return {"status": "error", "why": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}",
                "where": tb[-3:-1], "seconds": round(time.perf_counter() - t0, 1)}
    ok = res["forward"] <= RTOL and res["grads"] <= RTOL
    return {"status": "ok" if ok else "mismatch", **res, "seconds": round(time.perf_counter() - t0, 1)}


def _load() -> dict:
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            return json.load(f)
    return {}


def _save(key: str, result: dict):
    """One entry into the results file, read again first: sweeps of other models may run beside this one."""
    results = _load()
    results[key] = result
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS + ".tmp", "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    os.replace(RESULTS + ".tmp", RESULTS)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.1e}"


def _fmt_f64(f64) -> str:
    """ours / the reference framework's float32 (torch or JAX), each the larger of its forward and gradient
    errors against the framework in float64."""
    return "-" if not f64 else f"{_fmt(max(f64['ours']))} / {_fmt(max(f64['ref32']))}"


def write_table(results: dict):
    lines = ["# Model zoo through the importers", "",
             "Generated by `python -m benchmarks.model_zoo_sweep --table` from benchmarks/results/model_zoo.json "
             "(see the script's docstring for how to run it). Error: max |got - want| / max |want| per tensor, "
             f"the largest over the outputs (forward) or over the input and weight gradients (grads); ok at "
             f"{RTOL:g} (float32). `weights`: weight gradients compared / the model's parameters (an ONNX path compares "
             "the initializers that map back to one parameter by name or value: the dynamo exporter folds eval-mode "
             "batch norm into the convolutions, so fewer). Weights are nudged off their init (trained-like: no two "
             "equal); a gradient zero in exact arithmetic (a key bias under softmax) counts as zero. `f64` (rows run "
             "with --float64): ours / torch's (or JAX's) float32 largest error against the same framework in "
             "float64 on the same weights: both large is rounding (a kink, an ill-conditioned op), ours alone large "
             "points at us (a bug, or a kink only our float32 crossed: see densenet121).", "",
             "| model | family | path | forward | grads | weights | f64 | status | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for case in CASES:
        for path in case.paths:
            r = results.get(f"{case.name}/{path}")
            if r is None:
                continue
            why = re.sub(r"\x1b\[[0-9;]*m", "", r.get("why", ""))  # the exporter's colours
            note = "; ".join(t for t in (case.note, why[:160]) if t)
            lines.append(f"| {case.name} | {case.family} | {path} | {_fmt(r.get('forward'))} | "
                         f"{_fmt(r.get('grads'))} | {r.get('weights', '-')} | {_fmt_f64(r.get('f64'))} | "
                         f"{r['status']} | "
                         f"{note.replace('|', '/')} |")
    counts: dict = {}
    for r in results.values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines[4:4] = ["Summary (model x path): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
                  ". `exporter`: torch.onnx.export itself failed; `refused`: the importer (or torch.export "
                  "inside from_torch) refused the model by name, saying what cannot be imported and what to do; "
                  "`mismatch` / `error` (any other failure): see the note.", ""]
    sections = [m.SECTION for m in (zoo_models, zoo_models_round6, zoo_models_round8, zoo_models_round9,
                                 zoo_models_round10, zoo_models_round11, zoo_models_round12, zoo_models_round13,
                                 zoo_models_round14, zoo_models_round15)
                if getattr(m, "SECTION", "")]  # a round's findings, kept with its models
    with open(TABLE, "w") as f:
        f.write("\n".join(lines + ([""] + sections if sections else [])) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="model names (default: all)")
    ap.add_argument("--paths", nargs="*", help="paths to run (default: each model's)")
    ap.add_argument("--table", action="store_true", help="write benchmarks/IMPORT_ZOO.md from the results")
    ap.add_argument("--float64", action="store_true", help="also compare against torch in float64 (see above)")
    ap.add_argument("--fake", action="store_true", help="an in-process engine-backed server, not a real one")
    ap.add_argument("--import-float64", action="store_true",
                    help="import each model in float64 instead (widened torch module and inputs, JAX under "
                         "jax_enable_x64) against the framework in float64; printed, not saved")
    args = ap.parse_args()
    if not (args.table and args.only is None):
        with _service(args.fake):
            _sweep(args)
    if args.table:
        write_table(_load())


@contextlib.contextmanager
def _service(fake: bool):
    """The SDK wired to a real gradserve-server on loopback (cpu pool, default limits but for big bodies), or
    the in-process one."""
    import tempfile
    from pathlib import Path

    import gradserve as gs

    gs.reset_context()
    if fake:
        import httpx
        from clients._fake_server import FakeServer

        gs.set_context(server="http://fake", http_transport=httpx.MockTransport(FakeServer()), max_retries=0)
        yield
        return
    from e2e.server import Server

    with tempfile.TemporaryDirectory() as tmp:
        # ViT-B/16's 86 M weights are a 460 MB graph body: above the default 256 MiB limit, and more parsing
        # than one client's default share of a loaded server (a sweep is the server's only client) or its 30 s
        # default deadline allow
        server = Server(Path(tmp) / "server.log", base_env={}, devices="cpu",
                        env={"GRADSERVE_MAX_BODY_BYTES": str(1 << 30), "GRADSERVE_PARSE_SHARE": "1",
                             "GRADSERVE_PARSE_BURST_S": "600", "GRADSERVE_DEFAULT_DEADLINE_S": "600",
                             "GRADSERVE_MAX_OUTPUT_BYTES": str(1 << 30)})  # its 346 MB of weight gradients
        try:
            gs.set_context(server=server.url, max_retries=0, timeout=600)
            yield
        finally:
            server.stop()


def _sweep(args):
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        for path in case.paths:
            if args.paths and path not in args.paths:
                continue
            if args.import_float64:
                _print_float64_import(case, path)
                continue
            r = run_case(case, path, args.float64)
            print(f"{case.name:28s} {path:12s} {r['status']:9s} fwd {_fmt(r.get('forward'))} "
                  f"grad {_fmt(r.get('grads'))} {r.get('weights', '')} {_fmt_f64(r.get('f64'))} "
                  f"{r.get('why', '')[:150]}", flush=True)
            _save(f"{case.name}/{path}", r)


def _print_float64_import(case, path):
    """One model imported in float64 against its framework in float64: dtype handling, and where the model or an
    exporter rounds through float32 (round 11's notes)."""
    try:
        built = case.build()
        if path == "jax":
            import jax

            with jax.enable_x64(True):
                fn, params, x = built[:3]
                params, x = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64) if np.issubdtype(
                    np.asarray(a).dtype, np.floating) else a, (params, x))
                r = check_jax(fn, params, x, *built[3:])
        else:
            model, inputs = built
            r = check_torch(_widened(model), tuple(x.double() if x.is_floating_point() else x for x in inputs), path)
        line = f"fwd {_fmt(r['forward'])} grad {_fmt(r['grads'])} {r['weights']}"
    except Exception as e:  # noqa: BLE001 - reported, as the sweep does
        line = f"{type(e).__name__}: {str(e).splitlines()[0][:150] if str(e) else ''}"
    print(f"{case.name:28s} {path:12s} float64 import: {line}", flush=True)


if __name__ == "__main__":
    main()
