"""Round 15 of ms_differential.py's programs: where rounds 1-14 did not look. Hand-written forms (as rounds 8-14:
each a function of a Draw returning (api, body lines, lines before `def f`)):

- kw15: ops / Tensor methods / mint called with keyword arguments (axis= / dim=, keepdims= / keep_dims= / keepdim=,
  dtype=, input=, descending=, largest=, ord=, approximate=...), NumPy-style Tensor method arguments (initial=,
  where=, ddof=, take / ptp / diagonal / trace / repeat(axis=) / transpose() / swapaxes);
- dtype15: int8 / int32 / int64 / uint8 / bool / float16 / bfloat16 inputs to reductions and scans with and without
  dtype=, mean / prod / cumsum / argmax of them, float16 / bfloat16 chains ending in float32;
- axis15: negative and out-of-range axes (rank-1 .. rank, 0-d inputs, size-0 / size-1 dims), so a side answering
  where the other refuses shows up (ms_differential.py `--refusals` runs gradserve on MindSpore's refusals too);
- alpha15: alpha= / beta= / value= keywords (add / sub / addmm / addmv / addbmm / baddbmm / addr / addcmul /
  addcdiv, Tensor.add_ / sub_ / index_add_ with alpha) and in-place Tensor methods under grad;
- api15: gradient API spellings: mindspore.grad / value_and_grad / jvp / vjp at the package's top level,
  return_ids, GradOperation with get_all=False on several outputs, sens_param with a tuple, grad_position in
  descending order, a Python number or a keyword argument beside the differentiated inputs, grad of a grad with
  grad_position tuples, value_and_grad of several outputs without has_aux, Parameters outside a Cell as weights."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen9 import _const

FIRST = gen.OP_MODES
HIGHER = gen7.HIGHER_MODES + ["grad3"]
FLOATS = ("float32", "float64")


def _x(d: gen.Draw, ft: str, one: bool = True) -> tuple:
    """A 2-D x, a size-1 dim one time in four."""
    r = d.rng
    shape = [r.randint(2, 3), r.randint(2, 4)]
    if one and r.random() < 0.25:
        shape[r.randrange(2)] = 1
    return d.tensor(ft, tuple(shape), r.choice(["normal", "normal", "halves"])), tuple(shape)


# ----------------------------------------------------------------------------------------- keyword arguments
def _kw_forms(x: str, m: str) -> dict:
    """m: a bool mask of x's shape (NumPy's where=)."""
    return {
        "sum": [f"{x}.sum(axis=1, keepdims=True)", f"{x}.sum(initial=1.5)", f"{x}.sum(axis=0, initial=-2.0)",
                f"ops.sum({x}, dim=1, keepdim=True)", f"ops.sum(input={x}, dim=-1)", f"{x}.sum(axis=(0, 1), keepdims=True)",
                f"mint.sum({x}, dim=(0, -1), keepdim=True)", f"ops.sum({x}, dtype=ms.float64)", f"{x}.sum(0, ms.float64)",
                f"ops.ReduceSum(keep_dims=True)({x}, 1)", f"{x}.sum(where={m})", f"{x}.sum(axis=1, where={m}, initial=0.5)"],
        "max": [f"{x}.max(axis=0, initial=0.3)", f"{x}.max(initial=-1.0, where={m})", f"{x}.min(axis=1, keepdims=True)",
                f"{x}.min(initial=0.1)", f"{x}.max(axis=-1, keepdims=True, initial=0.0)", f"ops.amax({x}, axis=(0, 1))",
                f"ops.amin({x}, axis=-1, keepdims=True)", f"ops.max({x}, axis=1, keepdims=True)[0]",
                f"mint.max({x}, dim=0, keepdim=True)[0]", f"ops.max({x}, axis=0)[1] * 1.0", f"{x}.argmax(axis=-1) * 1.0",
                f"ops.argmax({x}, dim=0, keepdim=True) * 1.0", f"{x}.argmin(axis=1) * 1.0"],
        "mean": [f"{x}.mean(axis=0, keep_dims=True)", f"ops.mean({x}, axis=(0, 1), keep_dims=True)", f"ops.mean(input={x})",
                 f"mint.mean({x}, dim=-1, keepdim=True)", f"ops.mean({x}, dtype=ms.float64)", f"{x}.mean(-1, True)",
                 f"ops.ReduceMean(keep_dims=True)({x}, (0,))"],
        "var": [f"{x}.var(axis=1, ddof=1, keepdims=True)", f"{x}.std(ddof=0)", f"ops.std({x}, axis=1, ddof=1)",
                f"ops.var({x}, axis=0, ddof=0, keepdims=True)", f"{x}.var(ddof=1)", f"{x}.std(axis=0, ddof=1)",
                f"ops.std_mean({x}, axis=1, ddof=0)[0]", f"ops.var_mean({x}, 0, correction=0)[0]",
                f"mint.var({x}, dim=1, correction=0)", f"mint.std({x}, dim=0, correction=1, keepdim=True)"],
        "prod": [f"{x}.prod(axis=1, keepdims=True)", f"{x}.prod(initial=2.0)", f"ops.prod({x}, axis=0, keep_dims=True)",
                 f"mint.prod({x}, dim=-1, keepdim=True)", f"{x}.prod(axis=0, initial=0.5)", f"ops.prod(input={x}, dim=1)"],
        "cum": [f"ops.cumsum({x}, axis=-1, dtype=ms.float64)", f"{x}.cumsum(axis=0)", f"{x}.cumsum(axis=1, dtype=ms.float64)",
                f"mint.cumsum({x}, dim=0)", f"ops.cumprod({x}, dim=1)", f"ops.logcumsumexp({x}, axis=0)",
                f"ops.cummax({x}, axis=1)[0]", f"ops.cummin({x}, axis=0)[0]", f"{x}.cumsum()"],
        "numpy": [f"{x}.take(Tensor([1, 0, -1], ms.int32), axis=1)", f"{x}.take(Tensor([2, 0], ms.int32))", f"{x}.ptp(axis=1)",
                  f"{x}.ptp()", f"{x}.diagonal(offset=1)", f"{x}.diagonal(offset=-1, axis1=1, axis2=0)",
                  f"{x}.trace(offset=-1)", f"{x}.trace(1)", f"{x}.transpose()", f"{x}.swapaxes(0, -1)",
                  f"{x}.repeat(2, axis=1)", f"{x}.repeat(Tensor([1, 2], ms.int32) if {x}.shape[0] == 2 else 2, axis=0)",
                  f"{x}.repeat(2)", f"{x}.flatten(order='F')", f"{x}.ravel()", f"{x}.squeeze(axis=())",
                  f"ops.expand_dims({x}, axis=-3)", f"{x}.reshape(-1, 1)", f"{x}.resize(1, {x}.size)"],
        "softmax": [f"ops.softmax({x}, axis=-2)", f"ops.log_softmax({x}, axis=0)", f"ops.softmax({x}, axis=0, dtype=ms.float64)",
                    f"mint.softmax({x}, dim=0)", f"F.log_softmax({x}, dim=-1)", f"ops.logsumexp({x}, axis=-1, keep_dims=True)",
                    f"mint.logsumexp({x}, dim=0, keepdim=True)", f"nn.Softmax(axis=0)({x})", f"nn.LogSoftmax(axis=-2)({x})"],
        "norm": [f"ops.norm({x}, ord=1, dim=-1)", f"ops.norm({x}, ord=2, dim=0, keepdim=True)", f"{x}.norm(p=1, dim=-1)",
                 f"ops.norm({x}, dim=(0, 1))", f"mint.norm({x}, p=3.0, dim=1, keepdim=True)", f"ops.norm({x}, ord='fro')",
                 f"ops.norm({x}, ord=float('inf'), dim=1)", f"ops.norm({x}, ord=-1, dim=1)", f"ops.norm({x}, ord=0, dim=0)",
                 f"ops.norm({x}, ord='nuc')", f"ops.norm({x}, ord=2)", f"ops.norm({x}, ord=-2)", f"ops.norm({x}, ord=1)"],
        "select": [f"ops.topk({x}, k=1, dim=0, largest=False)[0]", f"ops.sort({x}, axis=0, descending=True)[0]",
                   f"mint.sort({x}, dim=-1, descending=False, stable=True)[0]", f"ops.topk({x}, 2, dim=-1, sorted=True)[0]",
                   f"{x}.sort(axis=0, descending=True)[0]", f"ops.msort({x})", f"{x}.topk(1, dim=-2, largest=False)[0]",
                   f"ops.kthvalue({x}, 1, dim=0, keepdim=True)[0]", f"ops.median({x}, axis=1, keepdims=True)[0]",
                   f"ops.quantile({x}, 0.25, axis=1, keepdims=True)", f"ops.nanquantile({x}, 0.5, axis=0)"],
        "shape": [f"ops.flip({x}, dims=(-1,))", f"ops.roll({x}, shifts=1, dims=0)", f"ops.roll({x}, shifts=(1, -1), dims=(0, 1))",
                  f"ops.cat(({x}, {x} * 2), axis=-1)", f"ops.stack([{x}, {x} * 2], axis=-1)", f"mint.cat(({x}, {x}), dim=-2)",
                  f"ops.split({x}, split_size_or_sections=1, axis=1)[-1]", f"ops.unsqueeze({x}, dim=-1)",
                  f"ops.tile({x}, dims=(2, 1))", f"ops.narrow({x}, axis=1, start=1, length=1)", f"ops.movedim({x}, source=0, destination=-1)",
                  f"ops.gather({x}, Tensor([1, 0, 1], ms.int32), axis=1)", f"ops.gather({x}, Tensor([0], ms.int32), 0, batch_dims=0)",
                  f"ops.repeat_interleave({x}, repeats=2, dim=1)", f"ops.flatten({x}, start_dim=-2, end_dim=-1)",
                  f"ops.chunk({x}, chunks=2, axis=-1)[0]", f"ops.index_select({x}, axis=-1, index=Tensor([1, 0], ms.int32))"],
        "act": [f"ops.gelu({x}, approximate='tanh')", f"ops.leaky_relu({x}, alpha=0.3)", f"ops.elu({x}, alpha=0.5)",
                f"ops.softplus({x}, beta=2, threshold=1)", f"ops.hardtanh({x}, min_val=-0.5, max_val=0.5)",
                f"ops.clamp({x}, min=-0.5, max=0.5)", f"ops.clamp({x}, max=0.25)", f"mint.clamp({x}, min=-0.25)",
                f"ops.celu({x}, alpha=2.0)", f"ops.threshold({x}, thr=0.5, value=-1.0)", f"ops.softshrink({x}, lambd=0.25)",
                f"ops.hardshrink({x}, lambd=0.75)", f"ops.rrelu({x}, lower=0.2, upper=0.2)", f"ops.logit(ops.sigmoid({x}), eps=0.3)",
                f"ops.round({x} * 3, decimals=1)", f"{x}.round(decimals=1)", f"ops.xlogy(input={x} * {x}, other={x} * {x} + 1)"],
    }


def kw15(d: gen.Draw):
    r = d.rng
    ft = r.choice(["float32"] * 4 + ["float64"])
    x, shape = _x(d, ft)
    forms = _kw_forms(x, "m")
    op = r.choice(sorted(forms))
    i = r.randrange(len(forms[op]))
    return f"kw15.{op}.{i}", [f"return {forms[op][i]}"], [f"m = {_const(d, 'bool', shape)}"]


# ----------------------------------------------------------------------------------------- dtypes
_LOW = ("int8", "int32", "int64", "uint8", "bool", "float16", "bfloat16")


def dtype15(d: gen.Draw):
    """A low-precision or integer x through a reduction / scan: values (and dtypes) for integers, gradients for the
    float16 / bfloat16 ones (cast to float32 at the end, so both sides differentiate the same loss)."""
    r = d.rng
    dt = r.choice(_LOW)
    shape = (r.randint(1, 3), r.randint(1, 4))
    x = d.tensor("float32", shape, "ints") if dt == "bfloat16" else d.tensor(dt, shape, r.choice(["ints", "wide", "normal"]))
    if dt == "bfloat16":
        x = f"ops.cast({x} * 0.5, ms.bfloat16)"
    forms = [f"{x}.sum()", f"{x}.sum(axis=0, dtype=ms.float32)", f"ops.sum({x}, 1, dtype=ms.int64)", f"{x}.mean()",
             f"ops.mean({x}, 0)", f"{x}.prod()", f"ops.prod({x}, 1)", f"{x}.cumsum(0)", f"ops.cumsum({x}, 1, dtype=ms.float32)",
             f"ops.cumprod({x}, 0)", f"{x}.argmax()", f"ops.argmax({x}, 1)", f"{x}.max(axis=0)", f"ops.amax({x}, 1)",
             f"ops.cummax({x}, 0)[0]", f"{x}.any(1)", f"{x}.all()", f"ops.count_nonzero({x}, 1)", f"{x}.std()",
             f"ops.square({x})", f"ops.abs({x}) * 2", f"-{x}", f"{x} // 2", f"{x} * True", f"{x}.astype(ms.float16) * 0.5",
             f"ops.logsumexp({x}, 0)", f"ops.softmax({x}, 0)", f"mint.sum({x}, 0, dtype=ms.float64)",
             f"{x}.sum(initial=3)", f"ops.norm({x}, dim=1)", f"{x}.var(0)", f"ops.sort({x}, 0)[0]", f"ops.topk({x}, 1)[0]"]
    i = r.randrange(len(forms))
    body = f"ops.cast({forms[i]}, ms.float32)" if dt in ("float16", "bfloat16") else forms[i]
    return f"dtype15.{dt}.{i}", [f"return {body}"], []


# ----------------------------------------------------------------------------------------- axes
_AXIS_OPS = ["ops.sum({x}, {a})", "{x}.mean({a})", "ops.amax({x}, {a})", "ops.softmax({x}, {a})", "ops.cumsum({x}, {a})",
             "ops.argmax({x}, {a}) * 1.0", "ops.squeeze({x}, {a})", "ops.unsqueeze({x}, {a})", "ops.expand_dims({x}, {a})",
             "ops.flip({x}, ({a},))", "ops.roll({x}, 1, {a})", "ops.cat(({x}, {x}), {a})", "ops.stack(({x}, {x}), {a})",
             "ops.split({x}, 1, {a})[0]", "ops.narrow({x}, {a}, 0, 1)", "ops.norm({x}, dim={a})", "ops.logsumexp({x}, {a})",
             "ops.sort({x}, {a})[0]", "ops.topk({x}, 1, {a})[0]", "ops.std({x}, {a})", "ops.prod({x}, {a})",
             "ops.cumprod({x}, {a})", "ops.diff({x}, 1, {a})", "ops.movedim({x}, {a}, 0)", "ops.swapaxes({x}, {a}, 0)",
             "ops.repeat_interleave({x}, 2, {a})", "ops.flatten({x}, start_dim={a})", "ops.unbind({x}, {a})[0]",
             "{x}.max({a})", "mint.max({x}, {a})[0]", "{x}.var({a})", "ops.log_softmax({x}, {a})", "ops.index_select({x}, {a}, Tensor([0], ms.int32))",
             "ops.gather({x}, Tensor([0, 0], ms.int32), {a})", "ops.mean({x}, ({a}, 0))", "ops.sum({x}, ({a}, {a}))",
             "{x}.sum(axis={a}, keepdims=True)", "ops.count_nonzero({x}, {a}) * 1.0", "ops.cummax({x}, {a})[0]",
             "ops.tensor_split({x}, 2, {a})[0]", "mint.cumsum({x}, {a})", "ops.renorm({x}, 2, {a}, 1.0)"]


def axis15(d: gen.Draw):
    r = d.rng
    rank = r.choice([0, 1, 1, 2, 2, 3])
    shape = tuple(r.choice([1, 2, 3, 0] if r.random() < 0.15 else [1, 2, 3]) for _ in range(rank))
    x = d.tensor(r.choice(FLOATS), shape)
    a = r.choice([-rank - 1, -rank, -1, 0, rank - 1, rank, rank + 1] if rank else [-2, -1, 0, 1])
    i = r.randrange(len(_AXIS_OPS))
    return f"axis15.{i}.{'out' if not -max(rank, 1) <= a < max(rank, 1) else 'in'}", \
        [f"return {_AXIS_OPS[i].format(x=x, a=a)}"], []


# ----------------------------------------------------------------------------------------- alpha / in-place
def alpha15(d: gen.Draw):
    r = d.rng
    ft = r.choice(["float32"] * 4 + ["float64"])
    n, k, m = r.randint(1, 3), r.randint(1, 3), r.randint(1, 3)
    x = d.tensor(ft, (n, m))
    y = d.tensor(ft, r.choice([(n, m), (m,), (1, m)]))
    a, b = r.choice([2, 0.5, -1.5, 0]), r.choice([1, 0.5, 0, -2])
    forms = [f"mint.add({x}, {y}, alpha={a})", f"mint.sub({x}, {y}, alpha={a})", f"{x}.add({y}, alpha={a})",
             f"{x}.sub({y}, alpha={a})", f"ops.add({x}, {y})", f"ops.sub({x}, {y})",
             f"ops.addmm({x}, {x}.T if {n} == {m} else ops.ones(({n}, {m}), {x}.dtype), {x} * 0 + ops.eye({m}, {m}, {x}.dtype), beta={b}, alpha={a})",
             f"ops.addmv({y}.reshape(-1)[:1] * 0 + ops.ones(({n},), {x}.dtype), {x}, ops.ones(({m},), {x}.dtype) * 0.5, beta={b}, alpha={a})",
             f"ops.addr({x}, ops.sin({x}[:, 0]), ops.cos({x}[0]), beta={b}, alpha={a})",
             f"ops.baddbmm({x}.unsqueeze(0), {x}.unsqueeze(0), {x}.T.unsqueeze(0) if {n} == {m} else ops.ones((1, {m}, {m}), {x}.dtype), beta={b}, alpha={a})",
             f"ops.addbmm({x}, ({x} * 2).unsqueeze(0), ops.ones((1, {m}, {m}), {x}.dtype) * 0.5, beta={b}, alpha={a})",
             f"ops.addcmul({x}, {x}, {y}, value={a})", f"ops.addcdiv({x}, {x}, {y} * {y} + 1, value={a})",
             f"{x}.addcmul({x}, {y}, value={a})", f"ops.lerp({x}, {y}, weight={a})", f"mint.lerp({x}, {y}, {a})"]
    inplace = ["z = {x} * 1", "z.add_({y}, alpha={a})", "z.sub_({y} * {y}, alpha={b})", "z.mul_({y})", "z.div_({y} * {y} + 1)",
               "z.clamp_(min=-0.5)", "z.copy_({y})", "z.fill_(0.5)", "z.zero_()", "z.masked_fill_({x} > 0, {a})",
               "z.index_add_(1, Tensor([0] * {m}, ms.int32), {x}, alpha={a})", "z.addcmul_({x}, {y}, value={a})",
               "z.lerp_({y}, 0.25)", "z[..., -1] = {y}.sum() * {a}", "z[-1:] *= {b}", "z[z > 0] = 0.5"]
    if r.random() < 0.4:
        picks = sorted(r.sample(range(1, len(inplace)), r.randint(1, 3)))
        lines = [inplace[0]] + [inplace[j] for j in picks] + ["return z * {x}"]
        return "alpha15.inplace." + ".".join(map(str, picks)), [s.format(x=x, y=y, a=a, b=b, m=m) for s in lines], []
    i = r.randrange(len(forms))
    return f"alpha15.{i}", [f"return {forms[i]}"], []


# ----------------------------------------------------------------------------------------- gradient APIs
def api15(d: gen.Draw):
    """Values only: f calls the gradient API itself."""
    r = d.rng
    ft = r.choice(FLOATS)
    shape = (r.randint(1, 3), r.randint(1, 3))
    d.tensor(ft, shape)
    d.tensor(ft, shape)
    pre = ["def h(x, y):", "    return (ops.sin(x) * y).sum(), x * y * y"]
    one = ["def s(x, y, scale=1.0):", "    return (ops.sin(x) * y * y * scale).sum()"]
    forms = {
        "ms_grad": (one, [f"return ms.grad(s, grad_position={r.choice([0, 1, (0, 1), (1, 0)])})(a0, a1)"]),
        "ms_vg": (pre, [f"return ms.value_and_grad(h, {r.choice([0, 1, (1, 0)])}, None, has_aux=True)(a0, a1)"]),
        "ms_vg_multi": (pre, [f"return ms.value_and_grad(h, {r.choice([0, (0, 1), (1, 0)])})(a0, a1)"]),
        "ms_jvp": (pre, [f"return ms.jvp(h, (a0, a1), ({_const(d, ft, shape)}, {_const(d, ft, shape)}))"]),
        "ms_vjp": (pre, ["out, fn = ms.vjp(h, a0, a1)", f"return out, fn((Tensor(0.5, a0.dtype), {_const(d, ft, shape)}))"]),
        "vjp_aux": (pre, ["out, fn, aux = ops.vjp(h, a0, a1, has_aux=True)", "return out, fn(Tensor(2.0, a0.dtype)), aux"]),
        "jvp_aux": (pre, [f"return ops.jvp(h, (a0, a1), ({_const(d, ft, shape)}, {_const(d, ft, shape)}), has_aux=True)"]),
        "return_ids": (one, [f"return ops.grad(s, {r.choice([0, 1, (0, 1), (1, 0)])}, None, False, True)(a0, a1)"]),
        "ids_weights": (["w = ms.Parameter(" + _const(d, ft, shape) + ", name='w')", "def s(x, y):",
                         "    return (ops.sin(x * w) * y).sum()"],
                        [f"return ops.grad(s, {r.choice([0, (1, 0), None])}, w, return_ids=True)(a0, a1)"]),
        "get_all_false": (pre, ["return ops.GradOperation()(h)(a0, a1)"]),
        "get_all_multi": (pre, ["return ops.GradOperation(get_all=True)(h)(a0, a1)"]),
        "sens_multi": (pre, [f"return ops.GradOperation(sens_param=True)(h)(a0, a1, (Tensor(-1.5, a0.dtype), {_const(d, ft, shape)}))"]),
        "grad_multi": (pre, [f"return ops.grad(h, {r.choice([(0, 1), (1, 0), 1])})(a0, a1)"]),
        "python_arg": (one, [f"return ops.grad(s, {r.choice([0, 1, (0, 1)])})(a0, a1, {r.choice([2.0, -0.5])})"]),
        "kwarg": (one, ["return ops.grad(s, (0, 1))(a0, a1, scale=0.5)"]),
        "grad_grad_pos": (one, [f"return ops.grad(lambda x, y: ops.grad(s, (1, 0))(x, y)[{r.choice([0, 1])}].sum(), "
                                f"{r.choice([(0, 1), (1, 0), 0])})(a0, a1)"]),
        "grad_of_vg": (one, ["return ops.grad(lambda x, y: ops.value_and_grad(s, 1)(x, y)[1].sum(), (0, 1))(a0, a1)"]),
        "param_list": (["w1 = ms.Parameter(" + _const(d, ft, shape) + ", name='w1')",
                        "w2 = ms.Parameter(" + _const(d, ft, shape[1:]) + ", name='w2')", "def s(x, y):",
                        "    return (ops.tanh(x * w1 + w2) * y).sum()"],
                       [f"return ms.value_and_grad(s, {r.choice([None, 0, (1, 0)])}, [w2, w1])(a0, a1)"]),
        "jacrev_multi": (pre, [f"return ops.{r.choice(['jacrev', 'jacfwd'])}(h, {r.choice([(1, 0), 1])})(a0, a1)"]),
    }
    name = r.choice(sorted(forms))
    pre_lines, body = forms[name]
    return f"api15.{name}", body, pre_lines


FORMS = [(kw15, 34), (dtype15, 14), (axis15, 16), (alpha15, 16), (api15, 20)]


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    if form is api15 or (form is dtype15 and api.split(".")[1] not in ("float16", "bfloat16")):
        mode = "value"
    else:
        mode = gen.first_or_higher(rng, HIGHER, 0.3) if form is kw15 else rng.choice(FIRST)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs15(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r15", form_program, FORMS, seed, count)
