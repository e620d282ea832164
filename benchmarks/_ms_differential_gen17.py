"""Round 17 of ms_differential.py's programs: where rounds 1-16 did not look, aimed at kinks, ties and edges where a
gradient is a convention (hand-written forms as rounds 8-16: each a function of a Draw returning (api, body lines,
lines before `def f`)):

- mintf17: mint.nn.functional.* (F.) activations / losses / pooling with their options, under first and higher order;
- edge17: reductions and shape ops on empty tensors (a 0 dim) under grad, int / bool inputs mixed into float math;
- reduce17: reductions with keepdims and tuple axes (negative, repeated order) over Tensor methods, ops, mint, Primitives;
- negidx17: gather / scatter / index_select / take_along_axis / indexing with negative indices, under grad;
- kink17: clamp / clip / hardtanh / relu6 / maximum with values exactly at the bound, norms at 0 (x - stop_gradient(x)),
  abs / sqrt at 0: the gradient at the kink;
- tie17: max / min / amax / argmax-style reductions, sort / topk / cummax / median with tied values: the gradient's split;
- where17: where / masked_fill with broadcast condition and branches (scalars, rows, columns) under grad;
- inplace17: in-place Tensor methods (add_, mul_, clamp_, copy_, masked_fill_, index_add_, ...) on a copy inside f,
  through every mode (jvp included);
- closure17: @ms.jit functions and Cells closing over Parameters (graph mode), a Parameter changed between calls,
  gradients w.r.t. the closed-over Parameter (values only: f differentiates)."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen9 import _const

HIGHER = gen7.HIGHER_MODES + ["grad3"]


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 4 + ["float64"])


def _x(d: gen.Draw, ft: str, domain: str = "halves") -> tuple:
    shape = (d.rng.randint(1, 3), d.rng.randint(2, 4))
    return d.tensor(ft, shape, domain), shape


# ----------------------------------------------------------------------------------------- mint.nn.functional
def mintf17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    x, (n, m) = _x(d, ft, r.choice(["normal", "halves"]))
    t = _const(d, ft, (n, m))
    forms = {
        "gelu_tanh": f"F.gelu({x}, approximate='tanh')", "gelu": f"F.gelu({x})",
        "softplus": f"F.softplus({x}, beta={r.choice([1, 2, 0.5])}, threshold={r.choice([20, 1, 0.5])})",
        "elu": f"F.elu({x}, alpha={r.choice([1.0, 0.5, 2.0])})", "leaky": f"F.leaky_relu({x}, {r.choice([0.01, 0.2, -0.5])})",
        "hardtanh": f"F.hardtanh({x}, {r.choice([-1.0, -0.5])}, {r.choice([0.5, 1.0])})", "silu": f"F.silu({x})",
        "mish": f"F.mish({x})", "hardsigmoid": f"F.hardsigmoid({x})", "hardswish": f"F.hardswish({x})",
        "logsigmoid": f"F.logsigmoid({x})", "softmax": f"F.softmax({x}, {r.choice([0, 1, -1])})",
        "log_softmax": f"F.log_softmax({x}, {r.choice([0, 1, -1])})", "relu6": f"F.relu6({x} * 4)",
        "selu": f"F.selu({x})", "hardshrink": f"F.hardshrink({x}, {r.choice([0.5, 1.0])})",
        "softshrink": f"F.softshrink({x}, {r.choice([0.5, 1.0])})",
        "threshold": f"F.threshold({x}, {r.choice([0.0, 0.5])}, {r.choice([-1.0, 2.0])})",
        "normalize": f"F.normalize({x}, p={r.choice([1.0, 2.0, 3.0])}, dim={r.choice([0, 1, -1])})",
        "glu": f"F.glu(ops.cat(({x}, {x} * 0.5), -1), {r.choice([-1, 1])})",
        "mse": f"F.mse_loss({x}, {t}, reduction='{r.choice(['mean', 'sum', 'none'])}')",
        "l1": f"F.l1_loss({x}, {t}, reduction='{r.choice(['mean', 'sum', 'none'])}')",
        "smooth_l1": f"F.smooth_l1_loss({x}, {t}, reduction='{r.choice(['mean', 'sum', 'none'])}', beta={r.choice([0.5, 1.0])})",
        "bce_logits": f"F.binary_cross_entropy_with_logits({x}, ops.sigmoid({t}), reduction='{r.choice(['mean', 'sum', 'none'])}')",
        "kl_div": f"F.kl_div(F.log_softmax({x}, -1), F.softmax({t}, -1), reduction='{r.choice(['mean', 'sum', 'batchmean', 'none'])}')",
        "linear": f"F.linear({x}, {_const(d, ft, (2, m))}, {_const(d, ft, (2,))})",
        "pad": f"F.pad({x}, ({r.choice([0, 1, 2])}, {r.choice([0, 1])}), mode='{r.choice(['constant', 'reflect', 'replicate'])}')",
        "avg_pool1d": f"F.avg_pool1d({x}.reshape(1, {n}, {m}), {r.choice([1, 2])}, {r.choice([1, 2])})",
        "max_pool2d": f"F.max_pool2d({x}.reshape(1, 1, {n}, {m}), {r.choice([1, 2])}, {r.choice([1, 2])})",
        "clamp": f"F.clamp({x}, {r.choice([-0.5, 0.0])}, {r.choice([0.5, 1.0])})",
        "tanh_sigmoid": f"F.tanh({x}) * F.sigmoid({x})",
    }
    name = r.choice(sorted(forms))
    return f"mintf17.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- empty / mixed dtypes
def edge17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    m = r.randint(1, 3)
    x = d.tensor(ft, (0, m))
    y = d.tensor(ft, (m,))
    it = r.choice(["int32", "int64", "bool", "uint8"])
    k = d.tensor(it, (m,), "nonzero" if it != "bool" else "normal")
    forms = {
        "sum0": f"ops.sum({x}, 0) * {y}", "mean1": f"{x}.mean(1)", "sum_all": f"{x}.sum() + {y}.sum()",
        "matmul_inner": f"ops.matmul(ops.transpose({x}, (1, 0)), {x}) + {y}", "cat": f"ops.cat(({x}, {y}.reshape(1, {m})), 0)",
        "softmax": f"ops.softmax({x}, {r.choice([0, 1])})", "cumsum": f"ops.cumsum({x}, {r.choice([0, 1])})",
        "bcast": f"{x} * {y} + {y}", "logsumexp": f"ops.logsumexp({x}, 0) + {y}", "prod0": f"ops.prod({x}, 0) * {y}",
        "amax1": f"ops.amax({x}, 1)", "norm": f"ops.norm({x}) + {y}", "stack": f"ops.stack(({x}, {x}), 0)",
        "mix_mul": f"{y} * {k}", "mix_add": f"{y} + {k} * 2", "mix_div": f"{k} / ({y} * {y} + 1)",
        "mix_pow": f"{y} ** 2 * {k}", "mix_max": f"ops.maximum({y}, {k})", "mix_where": f"ops.where({k} > 0, {y}, {k})",
        "mix_sum": f"({y} * {k}).sum(keepdims=True)", "mix_true_div": f"ops.div({y}, {k}) if {it!r} != 'bool' else {y}",
        "mix_lerp": f"ops.lerp({y}, {y} * 0 + 2, 0.25) * {k}",
    }
    name = r.choice(sorted(forms))
    return f"edge17.{name}.{it}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- keepdims / tuple axes
def reduce17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    rank = r.choice([2, 3])
    shape = tuple(r.randint(1, 3) for _ in range(rank))
    x = d.tensor(ft, shape, r.choice(["normal", "halves"]))
    axes = r.sample(range(-rank, rank), 2)
    if (axes[0] - axes[1]) % rank == 0:
        axes = [axes[0]]
    a = tuple(axes)
    kd = r.choice([True, False])
    forms = {
        "sum": f"ops.sum({x}, {a}, keepdim={kd})", "mean": f"ops.mean({x}, {a}, {kd})", "T_sum": f"{x}.sum({a}, keepdims={kd})",
        "T_mean": f"{x}.mean(axis={a}, keep_dims={kd})", "amax": f"ops.amax({x}, {a}, {kd})", "amin": f"ops.amin({x}, {a}, {kd})",
        "T_max": f"{x}.max(axis={a}, keepdims={kd})", "T_min": f"{x}.min(axis={a}, keepdims={kd})",
        "std": f"ops.std({x}, {a}, keepdim={kd})", "var": f"ops.var({x}, {a}, correction={r.choice([0, 1])}, keepdim={kd})",
        "logsumexp": f"ops.logsumexp({x}, {a}, {kd})", "norm": f"ops.norm({x}, dim={a}, keepdim={kd})",
        "mint_sum": f"mint.sum({x}, {a}, {kd})", "mint_mean": f"mint.mean({x}, {a}, {kd})",
        "ReduceSum": f"ops.ReduceSum(keep_dims={kd})({x}, {a})", "ReduceMax": f"ops.ReduceMax(keep_dims={kd})({x}, {a})",
        "ReduceMean": f"ops.ReduceMean(keep_dims={kd})({x}, {a})", "ReduceProd": f"ops.ReduceProd(keep_dims={kd})({x}, {a})",
        "T_prod": f"{x}.prod({a[0]}, keepdims={kd})", "var_mean": f"ops.var_mean({x}, {a}, keepdim={kd})",
        "mean_std": f"ops.std_mean({x}, {a}, keepdim={kd})", "T_var": f"{x}.var({a}, ddof={r.choice([0, 1])}, keepdims={kd})",
        "mnp_sum": f"mnp.sum({x}, {a}, keepdims={kd})", "count": f"ops.count_nonzero({x}, {a}) * 1.0 + {x}.sum()",
    }
    name = r.choice(sorted(forms))
    return f"reduce17.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- negative indices
def negidx17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    n, m = r.randint(2, 4), r.randint(2, 3)
    x = d.tensor(ft, (n, m))
    v = d.tensor(ft, (2, m))
    rows = [r.choice([-n, -1, -2, 0, n - 1]) for _ in range(2)]
    cols = [[r.choice([-m, -1, 0, m - 1]) for _ in range(m)] for _ in range(n)]
    idx, col = f"Tensor({rows}, ms.int32)", f"Tensor({cols}, ms.int64)"
    forms = {
        "gather": f"ops.gather({x}, {idx}, 0)", "gather_ax1": f"ops.gather({x}, Tensor({rows[0] % m - m}, ms.int32), 1)",
        "index_select": f"ops.index_select({x}, 0, {idx})", "getitem_list": f"{x}[{rows}]", "getitem_tensor": f"{x}[{idx}]",
        "getitem_neg": f"{x}[{rows[0]}, -1]", "gather_elements": f"ops.gather_elements({x}, 1, {col})",
        "take_along": f"mint.gather({x}, 1, {col})", "scatter": f"ops.scatter({x}, 1, {col}, {x} * 2)",
        "scatter_add": f"mint.scatter_add({x}, 1, {col}, {x} * {x})", "index_add": f"ops.index_add({x}, {idx}, {v}, 0)",
        "setitem": f"ops.index_fill({x}, 0, {idx}, 0.5) * {x}", "narrow": f"ops.narrow({x}, -1, 0, 1) * {x}",
        "tensor_scatter": f"ops.tensor_scatter_add({x}, Tensor([[{rows[0]}], [{rows[1]}]], ms.int32), {v})",
        "gather_nd": f"ops.gather_nd({x}, Tensor([[{rows[0]}, -1], [{rows[1]}, 0]], ms.int32))",
    }
    name = r.choice(sorted(forms))
    return f"negidx17.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- kinks
def kink17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    x, shape = _x(d, ft, r.choice(["halves", "ints"]))
    lo, hi = r.choice([-0.5, 0.0, -1.0]), r.choice([0.5, 1.0, 0.0])
    hi = max(hi, lo)
    z = f"({x} - ops.stop_gradient({x}))"
    forms = {
        "clamp": f"ops.clamp({x}, {lo}, {hi})", "clip": f"ops.clip({x}, {lo}, {hi})", "T_clamp": f"{x}.clamp(min={lo})",
        "T_clip_max": f"{x}.clip(max={hi})", "mint_clamp": f"mint.clamp({x}, {lo}, {hi})",
        "clip_by_value": f"ops.clip_by_value({x}, Tensor({lo}, ms.{ft}), Tensor({hi}, ms.{ft}))",
        "clamp_tensor": f"ops.clamp({x}, {x} * 0 + {lo}, {x} * 0 + {hi})", "hardtanh": f"ops.hardtanh({x}, {lo}, {hi})",
        "relu6": f"ops.relu6({x} * 6)", "relu": f"ops.relu({x})", "maximum": f"ops.maximum({x}, {x} * 0 + {lo})",
        "minimum": f"ops.minimum({x}, Tensor({hi}, ms.{ft}))", "fmax": f"ops.fmax({x}, {x} * 0 + {lo})",
        "abs": f"ops.abs({x})", "norm0": f"ops.norm({z})", "norm0_1": f"ops.norm({z}, 1)",
        "norm0_inf": f"ops.norm({z}, float('inf'))", "norm0_dim": f"ops.norm({z}, dim=-1)",
        "vector_norm0": f"ops.vector_norm({z}, {r.choice([2, 1, 3])})", "l2_normalize0": f"ops.L2Normalize(-1)({z} + {x} * 0.0)",
        "sqrt_sq": f"ops.sqrt({x} * {x})", "dist0": f"ops.dist({x}, ops.stop_gradient({x}))",
        "cdist0": f"ops.cdist({x}.reshape(1, {shape[0]}, {shape[1]}), ops.stop_gradient({x}).reshape(1, {shape[0]}, {shape[1]}))",
        "pow0": f"ops.pow({z}, {r.choice([0.5, 1.5, 2.0])})", "sign_mul": f"ops.sign({x}) * {x}",
        "leaky_relu": f"ops.leaky_relu({x}, 0.2)", "elu": f"ops.elu({x})", "softshrink": f"ops.softshrink({x}, 0.5)",
        "hardshrink": f"ops.hardshrink({x}, 0.5)", "threshold": f"ops.threshold({x}, 0.5, -1.0)",
    }
    name = r.choice(sorted(forms))
    return f"kink17.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- ties
def tie17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    x, shape = _x(d, ft, r.choice(["ints", "sign", "ones"]))
    a = r.choice([0, 1, -1])
    forms = {
        "max_all": f"{x}.max()", "min_all": f"ops.min({x})[0] if isinstance(ops.min({x}), tuple) else ops.min({x})",
        "amax": f"ops.amax({x}, {a})", "amin": f"ops.amin({x}, {a})", "max_axis": f"ops.max({x}, {a})[0]",
        "min_axis": f"ops.min({x}, {a})[0]", "mint_max": f"mint.max({x})", "mint_max_dim": f"mint.max({x}, {a})[0]",
        "mint_min_dim": f"mint.min({x}, {a}, keepdim=True)[0]", "T_max_axis": f"{x}.max({a})", "T_argmax_gather":
        f"ops.gather_elements({x}, {a % 2}, ops.argmax({x}, {a % 2}, keepdims=True))", "ReduceMax": f"ops.ReduceMax()({x})",
        "ReduceMin": f"ops.ReduceMin(True)({x}, {a})", "ArgMaxWithValue": f"ops.ArgMaxWithValue({a})({x})[1]",
        "maximum_tie": f"ops.maximum({x}, {x} * 1.0)", "minimum_tie": f"ops.minimum({x}, ops.stop_gradient({x}))",
        "sort": f"ops.sort({x}, {a}, descending={r.choice([True, False])})[0]",
        "topk": f"ops.topk({x}, 1, {a % 2})[0]", "topk2": f"ops.topk({x}, 2, largest={r.choice([True, False])})[0]",
        "cummax": f"ops.cummax({x}, {a})[0]", "cummin": f"ops.cummin({x}, {a})[0]", "median": f"ops.median({x}, {a})[0]",
        "kthvalue": f"ops.kthvalue({x}, 1, {a})[0]", "msort": f"ops.msort({x})", "max_pool": f"ops.max_pool2d({x}.reshape(1, 1, "
        f"{shape[0]}, {shape[1]}), {min(shape)})",
        "logsumexp": f"ops.logsumexp({x}, {a})", "norm_inf": f"ops.norm({x}, float('inf'))",
    }
    name = r.choice(sorted(forms))
    return f"tie17.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- broadcast where
def where17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    n, m = r.randint(1, 3), r.randint(1, 3)
    x = d.tensor(ft, r.choice([(n, m), (1, m), (n, 1)]))
    y = d.tensor(ft, r.choice([(m,), (n, 1), (), (1, 1)]))
    c = _const(d, "bool", r.choice([(n, m), (n, 1), (m,), (1,)]))
    forms = {
        "where": f"ops.where({c}, {x}, {y})", "where_scalar": f"ops.where({c}, {x}, {r.choice([0.0, 2.5])})",
        "where_rscalar": f"ops.where({c}, 1.5, {y})", "mint_where": f"mint.where({c}, {x} * {x}, ops.exp({y}))",
        "T_where": f"{x}.where({c}, {y})" if r.random() < 0.5 else f"ops.where({x} > 0, {x}, {y})",
        "masked_fill": f"ops.masked_fill({x}, {c}, 0.5) * {y}", "T_masked_fill": f"{x}.masked_fill({c}, {y}.sum())",
        "masked_select": f"ops.masked_select({x} * {y}, {c})", "select": f"ops.select({c}, {x}, {x} * {y})",
        "nested": f"ops.where({c}, ops.where({x} > {y}, {x}, {y}), {x} * {y})",
    }
    name = r.choice(sorted(forms))
    return f"where17.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- in-place
def inplace17(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    x, (n, m) = _x(d, ft, "normal")
    y = d.tensor(ft, (n, m))
    mask = _const(d, "bool", (n, m))
    ops_ = {
        "add_": f"z.add_({y}, alpha={r.choice([1, 2, -0.5])})", "mul_": f"z.mul_({y})", "sub_": f"z.sub_({y} * 2)",
        "div_": f"z.div_({y} * {y} + 1)", "clamp_": f"z.clamp_({r.choice([-0.5, 0.0])}, {r.choice([0.5, 1.0])})",
        "copy_": f"z.copy_({y} * 3)", "masked_fill_": f"z.masked_fill_({mask}, 0.25)", "fill_": "z.fill_(1.5)",
        "zero_": "z.zero_()", "exp_": "z.exp_()", "tanh_": "z.tanh_()", "sigmoid_": "z.sigmoid_()",
        "index_add_": f"z.index_add_(0, Tensor([0], ms.int32), {y}[:1])", "setitem": f"z[0] = {y}[0] * 2",
        "setitem_slice": f"z[:, 1:] = {y}[:, 1:] ** 2", "scatter_": f"z.scatter_(1, Tensor([[0]] * {n}, ms.int64), {y}[:, :1])",
    }
    picks = r.sample(sorted(ops_), r.choice([1, 2]))
    body = [f"z = {x} * 1"] + [ops_[p] for p in picks] + [f"return z * {x}" if r.random() < 0.5 else "return z"]
    return f"inplace17.{'+'.join(picks)}", body, []


# ----------------------------------------------------------------------------------------- closures over Parameters
def closure17(d: gen.Draw):
    """Values only: f differentiates (or calls a jit function that closes over a Parameter)."""
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(1, 3))
    d.tensor(ft, shape)
    par = [f"w = ms.Parameter({_const(d, ft, shape)}, name='w')", f"b = ms.Parameter({_const(d, ft, shape[1:])}, name='b')"]
    jit = ["@ms.jit", "def g(x):", "    return (ops.sin(x * w) + b * x).sum()"]
    forms = {
        "jit_value": (jit, ["return g(a0)"]),
        "jit_grad_x": (jit, ["return ops.grad(g)(a0)"]),
        "jit_grad_w": (jit, ["return ops.grad(g, None, (w, b))(a0)"]),
        "jit_vg_both": (jit, ["return ops.value_and_grad(g, 0, [w, b])(a0)"]),
        "grad_of_jit_inside": (["def h(x):", "    return (ops.tanh(x * w) * b).sum()", "hj = ms.jit(ops.grad(h, 0, (w,)))"],
                               ["return hj(a0)"]),
        "set_data_between": (jit, ["first = ops.grad(g, 0, (w,))(a0)", f"w.set_data({_const(d, ft, shape)})",
                                   "return first, ops.grad(g, 0, (w,))(a0)"]),
        "assign_in_jit": (par + ["@ms.jit", "def g2(x):", "    y = (x * w).sum()", "    ops.assign(b, b * 2)",
                                 "    return y + (x * b).sum()"], ["return g2(a0), b * 1"]),
        "nested_closure": (par + ["def outer(s):", "    @ms.jit", "    def inner(x):", "        return (ops.exp(x * w * s) + b).sum()",
                                  "    return inner"], [f"return ops.grad(outer({r.choice([0.5, 2.0])}), 0, (w, b))(a0)"]),
        "cell_jit": (["class C(nn.Cell):", "    def __init__(self):", "        super().__init__()",
                      f"        self.p = ms.Parameter({_const(d, ft, shape)}, name='p')", "    @ms.jit",
                      "    def construct(self, x):", "        return (ops.sin(x * self.p) * self.p).sum()", "c = C()"],
                     ["return ops.grad(c, 0, c.trainable_params())(a0)"]),
        "gradop_list": (jit, ["return ops.GradOperation(get_all=True, get_by_list=True)(g, ms.ParameterTuple([w, b]))(a0)"]),
    }
    name = r.choice(sorted(forms))
    pre, body = forms[name]
    pre = pre if pre[:2] == par else par + pre  # every form's w and b (the Cell's p beside them)
    return f"closure17.{name}", body, pre


FORMS = [(mintf17, 16), (edge17, 12), (reduce17, 14), (negidx17, 12), (kink17, 16), (tie17, 14), (where17, 8),
         (inplace17, 10), (closure17, 8)]


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    floats = any(kind in " ".join(draw.inputs) for kind in ("'float",))
    mode = "value" if form is closure17 or not floats else gen.first_or_higher(rng, HIGHER, 0.3)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs17(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r17", form_program, FORMS, seed, count)
