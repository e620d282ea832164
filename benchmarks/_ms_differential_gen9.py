"""Round 9 of ms_differential.py's programs: where rounds 1-8 did not look. Hand-written program forms (as round
8's: each a function of a Draw returning (api, body lines, lines before `def f`)):

- grad_api: ops.grad / value_and_grad with grad_position ints / tuples / None, weights (a Parameter, a list) and
  has_aux; GradOperation(get_all, get_by_list, sens_param); jvp / vjp with has_aux; a third order; stop_gradient at
  varied places of the inner function;
- layers with Parameters in training mode: BatchNorm's moving statistics after a step, Dropout p=0 / 1, LayerNorm /
  GroupNorm / InstanceNorm affine, Conv1d / 2d / 3d with groups, dilation, strides and pad modes, Dense without a
  bias, LSTMCell / RNNCell(relu) (_layer9: through round 7's layer modes);
- complex64: built from two float tensors (ops.Complex) or a complex64 input, arithmetic, conj, abs / angle / real /
  imag back to reals (MindSpore's conjugate convention for a complex input's gradient);
- float16 / bfloat16 mixed with float32 (the result cast to float32 at the end);
- scans and selections: cumsum / cumprod / logcumsumexp of a broadcast product, sort / topk / msort values,
  gather_d / gather_nd / index_select / index_add / index_fill / scatter / tensor_scatter_* / masked_fill / masked_select;
- linalg: inverse, det, slogdet, cholesky, qr, svd values, pinv, matrix_power, cholesky_solve, lu-free solves.

Modes: "value" (the values only: a program whose f already differentiates or updates state), or rounds 6-7's forms."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7

C = gen._Code
FIRST = gen.OP_MODES
ANY_MODE = gen.OP_MODES + gen7.HIGHER_MODES


def _const(d: gen.Draw, dtype: str, shape: tuple, domain: str = "normal") -> str:
    """A tensor built before `def f` (a tangent, a cotangent, a Parameter's value): not an input of f."""
    return f"T({dtype!r}, {tuple(shape)!r}, {d.rng.randrange(1 << 30)}, {domain!r})"


# ----------------------------------------------------------------------------------------- gradient APIs
_INNERS = [
    "(ops.sin(x) * y * w).sum()", "(x * ops.stop_gradient(y * w)).sum()",
    "(ops.stop_gradient(x) * x * y).sum() + (w * w * x).sum()", "ops.tanh(x * w).sum() * y.sum()",
    "(ops.exp(x * 0.5) * ops.stop_gradient(w) + y ** 2).sum()", "((x - y) ** 2 * w).mean()",
    "(x * x * x * w).sum() + ops.stop_gradient((y * y).sum()) * y.sum()",
]
_AUX = ["ops.sin(x)", "x * y", "(w + 1, y * 2)"]


def grad_api(d: gen.Draw):
    r = d.rng
    n = r.randint(1, 3)
    shape = (n,) if r.random() < 0.5 else (r.randint(1, 2), n)
    dtype = r.choice(["float32"] * 4 + ["float64"])
    d.tensor(dtype, shape)
    d.tensor(dtype, shape)
    inner = r.choice(_INNERS)
    pre = [f"w = ms.Parameter({_const(d, dtype, (n,))}, name='w')"]
    aux = r.random() < 0.35
    ret = f"{inner}, {r.choice(_AUX)}" if aux else inner
    pre += ["def inner(x, y):", f"    return {ret}"]
    kind = r.choice(["grad", "grad", "value_and_grad", "value_and_grad", "GradOperation", "jvp", "vjp", "third"])
    if kind in ("grad", "value_and_grad"):
        weights = r.choice([None, "w", "[w]", "ms.ParameterTuple([w])"])
        pos = r.choice([0, 1, (0, 1), (1, 0), (1,)] + ([None] if weights else []))
        call = f"ops.{kind}(inner, grad_position={pos!r}, weights={weights}, has_aux={aux})(a0, a1)"
        return f"grad_api.{kind}", [f"return {call}"], pre
    if kind == "GradOperation":
        pre[-1] = f"    return {inner}"  # GradOperation takes no has_aux
        get_all, by_list, sens = r.random() < 0.6, r.random() < 0.5, r.random() < 0.4
        ctor = f"ops.GradOperation(get_all={get_all}, get_by_list={by_list}, sens_param={sens})"
        call = f"{ctor}(inner{', ms.ParameterTuple([w])' if by_list else ''})(a0, a1{', sens' if sens else ''})"
        if sens:
            pre.insert(0, f"sens = {_const(d, dtype, ())}")
        return "grad_api.GradOperation", [f"return {call}"], pre
    if kind == "jvp":
        pre[-1] = f"    return {'ops.sin(x) * y * w' if not aux else 'ops.sin(x) * y * w, x * 2'}"
        pre.insert(0, f"v0, v1 = {_const(d, dtype, shape)}, {_const(d, dtype, shape)}")
        return "grad_api.jvp", [f"return ops.jvp(inner, (a0, a1), (v0, v1), has_aux={aux})"], pre
    if kind == "vjp":
        pre[-1] = f"    return {'x * ops.stop_gradient(y) * w + y * y' if not aux else 'ops.tanh(x) * y, x + 1'}"
        pre.insert(0, f"ct = {_const(d, dtype, shape)}")
        body = ([f"out, fn, aux = ops.vjp(inner, a0, a1, has_aux=True)", "return out, fn(ct), aux"] if aux else
                ["out, fn = ops.vjp(inner, a0, a1)", "return out, fn(ct)"])
        return "grad_api.vjp", body, pre
    pre[-1] = f"    return {inner}"
    p = r.choice([0, 1])
    return "grad_api.third", [f"return ops.grad(ops.grad(ops.grad(inner, {p}), {p}), {p})(a0, a1)"], pre


# ----------------------------------------------------------------------------------------- layers (train mode)
def _layer9(r: random.Random, name: str) -> tuple[str, list]:
    """(constructor text, [(dtype, shape, domain) of each input])."""
    n, g = r.randint(1, 3), r.choice([1, 2])
    c, o = g * r.randint(1, 2), g * r.randint(1, 2)
    k, dil, stride = r.randint(1, 3), r.choice([1, 2]), r.choice([1, 2])
    pad_mode = r.choice(["same", "valid", "pad"])
    pad = f", padding={r.randint(0, 1)}" if pad_mode == "pad" else ""
    conv = (f"{c}, {o}, {k}, stride={stride}, pad_mode={pad_mode!r}{pad}, dilation={dil}, group={g}, "
            f"has_bias={r.random() < 0.5}")
    span = (k - 1) * dil + 1
    length = lambda: r.randint(span, span + 3)  # noqa: E731
    x = lambda *s: ("float32", s, "normal")  # noqa: E731
    table = {
        "Conv1d": (f"nn.Conv1d({conv})", [x(n, c, length())]),
        "Conv2d": (f"nn.Conv2d({conv})", [x(n, c, length(), length())]),
        "Conv3d": (f"nn.Conv3d({c}, {o}, {k}, stride={stride}, pad_mode={pad_mode!r}{pad}, dilation={dil}, "
                   f"group=1, has_bias={r.random() < 0.5})", [x(n, c, length(), length(), length())]),
        "BatchNorm1d": (f"nn.BatchNorm1d({c}, momentum={r.choice([0.9, 0.5])}, affine={r.random() < 0.7})",
                        [x(r.randint(2, 3), c)]),
        "BatchNorm2d": (f"nn.BatchNorm2d({c}, eps={r.choice([1e-5, 0.1])}, use_batch_statistics="
                        f"{r.choice([None, True, False])})", [x(r.randint(1, 3), c, 2, r.randint(1, 3))]),
        "BatchNorm3d": (f"nn.BatchNorm3d({c})", [x(2, c, 2, r.randint(1, 2), 2)]),
        "Dropout": (f"nn.Dropout(p={r.choice([0.0, 1.0])})", [x(n, c, 3)]),
        "LayerNorm": (f"nn.LayerNorm(({c}, 3), begin_norm_axis={r.choice([1, -2])}, begin_params_axis="
                      f"{r.choice([1, -2])}, epsilon={r.choice([1e-7, 0.1])})", [x(n, c, 3)]),
        "GroupNorm": (f"nn.GroupNorm({g}, {c}, eps={r.choice([1e-5, 0.1])}, affine={r.random() < 0.7})",
                      [x(n, c, r.randint(1, 3), r.randint(1, 3))]),
        "InstanceNorm2d": (f"nn.InstanceNorm2d({c}, affine={r.random() < 0.7})", [x(n, c, 2, r.randint(2, 3))]),
        "Dense": (f"nn.Dense({c}, {o}, has_bias=False, activation={r.choice([None, 'relu', 'tanh'])!r})",
                  [x(n, c)]),
        "LSTMCell": (f"nn.LSTMCell({c}, 2, has_bias={r.random() < 0.7})", [x(n, c), x(n, 2), x(n, 2)]),
        "RNNCell": (f"nn.RNNCell({c}, 2, nonlinearity={r.choice(['relu', 'tanh'])!r})", [x(n, c), x(n, 2)]),
    }
    return table[name]


LAYERS9 = ["Conv1d", "Conv2d", "Conv3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Dropout", "LayerNorm",
           "GroupNorm", "InstanceNorm2d", "Dense", "LSTMCell", "RNNCell"]


def layer_program9(rng: random.Random, name: str) -> dict:
    draw = gen.Draw(rng, 0)
    ctor, inputs = _layer9(rng, name)
    for dt, shape, domain in inputs:
        draw.tensor(dt, shape, domain)
    train = rng.random() < 0.7
    src = f"inputs = [{', '.join(draw.inputs)}]\nnet = {ctor}\nnet.set_train({train})\n"
    if name == "LSTMCell":  # its state is a tuple: a wrapper Cell takes three tensors
        src = (f"inputs = [{', '.join(draw.inputs)}]\nclass Net(nn.Cell):\n    def __init__(self):\n"
               f"        super().__init__()\n        self.cell = {ctor}\n    def construct(self, x, h, c):\n"
               f"        return self.cell(x, (h, c))\nnet = Net()\nnet.set_train({train})\n")
    return {"kind": "layer", "api": f"nn.{name}", "src": src, "mode": rng.choice(gen7.LAYER_MODES7),
            "param_seed": rng.randrange(1 << 30)}


def bn_stats(d: gen.Draw):
    """A normalisation layer's forward in training mode and its running statistics after it (one call: "value")."""
    r = d.rng
    c = r.randint(1, 3)
    kind = r.choice(["BatchNorm1d", "BatchNorm2d"])
    shape = (r.randint(2, 4), c) + ((2, r.randint(1, 3)) if kind == "BatchNorm2d" else ())
    d.tensor("float32", shape)
    ctor = f"nn.{kind}({c}, momentum={r.choice([0.9, 0.1, 0.5])}, eps={r.choice([1e-5, 0.1])})"
    calls = r.randint(1, 2)
    body = ["y = bn(a0)"] * calls + ["return y, bn.moving_mean + 0, bn.moving_variance + 0"]
    return "bn_stats." + kind, body, [f"bn = {ctor}", "bn.set_train(True)"]


# ----------------------------------------------------------------------------------------- complex64
_CPLX = ["z * z", "z * ops.conj(z)", "z / (z + 2)", "ops.exp(z)", "z + ops.conj(z) * 0.5", "z * 3 - 1",
         "ops.conj(z)", "z / (ops.conj(z) - 3)", "ops.square(z)", "z * z * z", "ops.sqrt(z)", "ops.reciprocal(z + 1)",
         "ops.exp2(z)", "ops.log(z)", "ops.tanh(z)", "ops.sin(z) * 2", "ops.tanhshrink(z)", "z.sqrt() + z.reciprocal()",
         "ops.var(z, keepdims=True) * z", "z - z.mean()", "mint.div(z, z + 1)", "ops.xlogy(z, z + 2)", "ops.sign(z) * 2"]
_BACK = ["ops.real({w}), ops.imag({w})", "ops.abs({w})", "ops.angle({w})", "ops.real({w})", "ops.imag({w})"]


def complex_form(d: gen.Draw):
    r = d.rng
    shape = d.shape(0, 2, empty=False)
    if r.random() < 0.6:
        d.tensor("float32", shape)
        d.tensor("float32", shape)
        body = ["z = ops.Complex()(a0, a1)"]
        api = "complex.built"
    else:
        d.tensor("complex64", shape)
        body = ["z = a0"]
        api = "complex.input"
    w = r.choice(_CPLX)
    body += [f"w = {w}", "return " + r.choice(_BACK).format(w="w")]
    return api, body, []


# ----------------------------------------------------------------------------------------- float16 / bfloat16
_MIXES = ["x * y", "x + y", "x - y * 2.5", "ops.matmul(x, y.T)", "(x * y).sum(-1)", "ops.cumsum(x * y, -1)",
          "(x + y).mean()", "ops.maximum(x, y)", "x / (y * y + 1)", "ops.exp(x) * y"]


def mixed_precision(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 4))
    d.tensor(r.choice(["float32", "float16"]), shape)
    d.tensor("float32", shape if r.random() < 0.7 else shape[1:])
    low = r.choice(["ms.bfloat16", "ms.bfloat16", "ms.float16"])
    casts = r.choice([("a0.astype({low})", "a1"), ("a0", "a1.astype({low})"), ("a0.astype({low})", "a1.astype({low})")])
    x, y = (c.format(low=low) for c in casts)
    return f"mixed.{low.split('.')[1]}", [f"x, y = {x}, {y}", f"out = {r.choice(_MIXES)}",
                                         "return out.astype(ms.float32)"], []


# ----------------------------------------------------------------------------------------- scans, selections
def selection(d: gen.Draw):
    r = d.rng
    m, n = r.randint(1, 3), r.randint(2, 4)
    dtype = r.choice(["float32"] * 4 + ["float64", "float16"])
    d.tensor(dtype, (m, n))
    ax = r.choice([0, 1, -1])

    def idx(shape, bound):
        return d.tensor("int32", shape, f"index{bound}")
    forms = {
        "cumsum": lambda: f"ops.cumsum(a0 * {d.tensor(dtype, (n,))}, {ax})",
        "cumprod": lambda: f"ops.cumprod(a0 + {d.tensor(dtype, (m, 1))}, {ax})",
        "logcumsumexp": lambda: f"ops.logcumsumexp(a0 * {d.tensor(dtype, (1, n))}, {ax})",
        "sort": lambda: f"ops.sort(a0, axis={ax}, descending={r.random() < 0.5})[0]",
        "topk": lambda: f"ops.topk(a0, {r.randint(1, n)}, dim=-1, largest={r.random() < 0.5}, sorted=True)[0]",
        "msort": lambda: "ops.msort(a0)",
        "gather_d": lambda: f"ops.gather_d(a0, 1, {idx((m, r.randint(1, 3)), n)})",
        "gather_nd": lambda: f"ops.gather_nd(a0, {idx((r.randint(1, 3), 1), m)})",
        "index_select": lambda: f"ops.index_select(a0, 1, {idx((r.randint(1, 4),), n)})",
        "index_add": lambda: f"ops.index_add(a0 * 1, {idx((2,), n)}, {d.tensor(dtype, (m, 2))}, 1)",
        "index_fill": lambda: f"ops.index_fill(a0, 1, {idx((r.randint(1, 2),), n)}, {r.choice([0.0, 2.5])})",
        "scatter": lambda: (f"ops.scatter(a0, 1, {idx((m, 1), n)}, {d.tensor(dtype, (m, 1))})"),
        "tensor_scatter_elements": lambda: (f"ops.tensor_scatter_elements(a0, {idx((m, 1), n)}, "
                                            f"{d.tensor(dtype, (m, 1))}, 1, {r.choice(['none', 'add'])!r})"),
        "tensor_scatter_add": lambda: f"ops.tensor_scatter_add(a0, {idx((2, 1), m)}, {d.tensor(dtype, (2, n))})",
        "tensor_scatter_update": lambda: (f"ops.tensor_scatter_update(a0, {idx((1, 1), m)}, "
                                          f"{d.tensor(dtype, (1, n))})"),
        "masked_fill": lambda: f"ops.masked_fill(a0, {d.tensor('bool', (n,))}, {r.choice([0.0, -1.5])})",
        "masked_select": lambda: f"ops.masked_select(a0, {d.tensor('bool', (m, n))})",
    }
    name = r.choice(sorted(forms))
    return f"select.{name}", [f"return {forms[name]()}"], []


# ----------------------------------------------------------------------------------------- linalg
def linalg(d: gen.Draw):
    r = d.rng
    k = r.randint(1, 3)
    batch = (2,) if r.random() < 0.3 else ()
    dtype = r.choice(["float32"] * 3 + ["float64"])
    sq = batch + (k, k)
    name = r.choice(["inverse", "det", "slogdet", "cholesky", "qr", "svd", "pinv", "matrix_power", "cholesky_solve",
                     "svd_values"])
    if name in ("cholesky", "cholesky_solve"):  # an SPD matrix built inside f: a @ a.T + k I
        d.tensor(dtype, sq)
        spd = f"ops.matmul(a0, a0.swapaxes(-1, -2)) + {k} * ops.eye({k}, {k}, ms.{dtype})"
        if name == "cholesky":
            return "linalg.cholesky", [f"return ops.cholesky({spd}, upper={r.random() < 0.5})"], []
        b = d.tensor(dtype, batch + (k, r.randint(1, 2)))
        return "linalg.cholesky_solve", [f"u = ops.cholesky({spd})", f"return ops.cholesky_solve({b}, u)"], []
    if name in ("qr", "svd", "pinv", "svd_values"):
        d.tensor(dtype, batch + (r.randint(1, 3), r.randint(1, 3)))
        if name == "qr":
            return "linalg.qr", [f"return ops.qr(a0, mode={r.choice(['reduced', 'complete'])!r})"], []
        if name == "svd":  # U and V only up to signs: their products, which are unique for distinct values
            return "linalg.svd", ["s, u, v = ops.svd(a0, full_matrices=False, compute_uv=True)",
                                  "return s, ops.matmul(u * s.expand_dims(-2), v.swapaxes(-1, -2))"], []
        if name == "svd_values":
            return "linalg.svd_values", ["return ops.svd(a0, compute_uv=False)"], []
        return "linalg.pinv", ["return ops.pinv(a0)"], []
    d.tensor(dtype, sq)
    if name == "matrix_power":
        return "linalg.matrix_power", [f"return ops.matrix_power(a0, {r.choice([0, 1, 2, 3, -1])})"], []
    return f"linalg.{name}", [f"return ops.{name}(a0)"], []


FORMS = [(grad_api, 20), (bn_stats, 5), (complex_form, 12), (mixed_precision, 10), (selection, 15), (linalg, 12)]
VALUE_ONLY = ("grad_api", "bn_stats")  # f already differentiates / updates state: one call, its values


def form_program(rng: random.Random, form) -> dict:
    draw = gen.Draw(rng, 0)
    api, body, pre = form(draw)
    params = ", ".join(f"a{i}" for i in range(len(draw.inputs)))
    src = "\n".join([f"inputs = [{', '.join(draw.inputs)}]", *pre, f"def f({params}):", *("    " + b for b in body)])
    if api.startswith(VALUE_ONLY):
        mode = "value"
    elif api.startswith("complex") and rng.random() < 0.4:  # MindSpore refuses most complex gradients: its values
        mode = "value"
    else:
        mode = rng.choice(ANY_MODE if api.startswith(("linalg", "select")) else FIRST)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs9(seed: int, count: int, available) -> list[dict]:
    """count programs: a fifth round 9's layers (round 7's layer modes), the rest the hand-written forms."""
    rng = random.Random(seed)
    layers = [n for n in LAYERS9 if available("nn", n)]
    out = []
    for i in range(count):
        pick = gen._pick(rng, [("layer", 18)] + FORMS)
        prog = layer_program9(rng, rng.choice(layers)) if pick == "layer" else form_program(rng, pick)
        out.append({"name": f"r9:{seed}:{i}:{prog['api']}", **prog})
    return out
