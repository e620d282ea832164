"""python run_side.py ms|gs|gs32 OUT.npz [filter]: every case of spec.cases() on one side, results as raw bits (a
bfloat16 one as its float32's top half), refusals as their exception class and text. ms: MindSpore 2.10 CPU, PyNative
(/work/msvenv/bin/python); gs: the SDK over an in-process engine (the tests' FakeServer: PYTHONPATH=.:clients/python:
tests from the repository root); gs32: float16 cases computed in float32 and rounded once (which ops that would fix).
Then compare.py MS.npz GS.npz [show] lists the differing elements per case."""
import os
import sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spec

side, out = sys.argv[1], sys.argv[2]
filt = sys.argv[3] if len(sys.argv) > 3 else ""
if side == "ms":
    import mindspore as ms
    from mindspore import ops, Tensor
    ms.set_context(mode=ms.PYNATIVE_MODE, device_target="CPU")
    grad = ms.grad
    DT = {"float16": ms.float16, "bfloat16": ms.bfloat16}
else:
    import httpx
    import gradserve as ms
    from gradserve import ops, Tensor
    from clients._fake_server import FakeServer
    ms.set_context(server="http://fake", http_transport=httpx.MockTransport(FakeServer()), max_retries=0)
    grad = ms.grad
    DT = {"float16": ms.float16, "bfloat16": ms.bfloat16}


WIDE = side == "gs32"


def tensor(a, dt):
    if WIDE:
        return Tensor(np.asarray(a, np.float32))
    return Tensor(np.asarray(a, np.float32), DT[dt]) if dt == "bfloat16" else Tensor(np.asarray(a))


def bits(t):
    if WIDE:
        return np.asarray(t.asnumpy(), np.float32).astype(np.float16).view(np.uint16)
    if t.dtype == DT["bfloat16"]:
        return (t.astype(ms.float32).asnumpy().view(np.uint32) >> 16).astype(np.uint16)
    a = t.asnumpy()
    if a.dtype != np.float16:
        return ("dtype", str(a.dtype))
    return a.view(np.uint16)


res = {}
for key, dt, kind, name in spec.cases():
    if WIDE and dt != 'float16':
        continue
    if filt and filt not in key:
        continue
    try:
        if kind in ("u", "ug"):
            f = spec.unary_fn(ops, name)
            x = tensor(spec.values(dt), dt)
            r = f(x) if kind == "u" else grad(lambda t: f(t).sum() if name not in ("log_softmax1", "softmax1") else (f(t) * tensor(spec.to_dt(np.linspace(-1, 1, 8), dt), dt)).sum())(x)
            rs = [r]
        elif kind in ("b", "bg"):
            f = spec.binary_fn(ops, name)
            x, y = tensor(spec.values(dt), dt), tensor(spec.others(dt), dt)
            if kind == "b":
                rs = [f(x, y)]
            else:
                rs = list(grad(lambda a, b: f(a, b).sum(), grad_position=(0, 1))(x, y))
        else:
            f = spec.reduce_fn(ops, name)
            x = tensor(spec.reduce_input(dt), dt)
            w = tensor(spec.to_dt(np.linspace(-1, 1, 16), dt), dt)
            if kind == "r":
                rs = [f(x)]
            else:
                rs = [grad(lambda t: (f(t) * (w if f(t).ndim == 2 else 1)).sum())(x)]
        out_bits = [bits(r) for r in rs]
        if any(isinstance(b, tuple) for b in out_bits):
            res[key] = "DTYPE " + str([str(r.dtype) for r in rs])
        else:
            res[key] = np.stack(out_bits) if len(out_bits) > 1 else out_bits[0]
    except Exception as e:  # noqa: BLE001
        res[key] = f"ERR {type(e).__name__}: {str(e).strip().splitlines()[0][:200] if str(e).strip() else ''}"
    print(key, "ok" if not isinstance(res[key], str) else res[key][:120], flush=True)

np.savez_compressed(out, **{k.replace("/", "."): (np.array(v) if isinstance(v, str) else v) for k, v in res.items()})
