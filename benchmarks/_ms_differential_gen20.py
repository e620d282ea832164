"""Round 20 of ms_differential.py's programs, aimed at piecewise and special-cased gradients under higher order and
forward mode (round 19 found 2-norms wrong at second order at zeros); forms rounds 1-19 did not draw (hand-written as
rounds 10-19: each a function of a Draw returning (api, body lines, lines before `def f`)):

- kink20: abs / sign / relu-family / clamp / hardtanh / shrink / maximum / minimum with ties / max / amax / sort / topk
  / median / kthvalue / cummax / cummin with ties, pow with a zero base or integer exponents, sqrt / rsqrt / log near
  0, atan2 at the origin, div by a stop_gradient; inputs in halves / ints (zeros, ties, values at the bounds); first
  order, jvp, second and third order, jvp of grad, Hessians;
- nest20 (values: f differentiates): grad of jvp, vjp of grad, jvp of grad, jvp of jvp, grad of vjp, through them;
- tied20 (values): one Parameter used in several places (and in two Cells) through get_by_list / value_and_grad
  weights, sens_param with a sens broadcast from a smaller shape, has_aux / return_ids / grad_position tuples with
  repeated positions;
- hook20 (values): a Cell's custom bprop, ops.HookBackward and Cell hooks under grad of grad and jvp."""
from __future__ import annotations

import random
import re

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen9 import _const
from _ms_differential_gen19 import _c

HIGHER = gen7.HIGHER_MODES + ["grad3", "grad3"]


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 3 + ["float64"])


def _kdom(r: random.Random) -> str:
    return r.choice(["halves", "halves", "ints", "normal"])


# ----------------------------------------------------------------------------------------- kinks, ties, special cases
_KINKS = {  # x: halves / ints (zeros, ties, 0.5 at clamp bounds); y: the same shape; w: a broadcast weight
    "abs_sq": "ops.abs(x) * x * w", "abs_cube": "ops.abs(x) ** 3 * w", "sign_x3": "ops.sign(x) * x * x * x",
    "abs_abs": "ops.abs(ops.abs(x) - 0.5) * x", "relu_sq": "ops.relu(x) * ops.relu(x) * w",
    "relu_x": "ops.relu(x) * x * x", "relu6": "ops.relu6(x * 4) * x", "leaky": "ops.leaky_relu(x, 0.2) * x * w",
    "elu": "ops.elu(x) * x", "selu": "ops.selu(x) * x * w", "celu": "ops.celu(x, 1.0) * x",
    "hardtanh": "ops.hardtanh(x, -0.5, 0.5) * x * x", "hardtanh_def": "ops.hardtanh(x * 2) * x",
    "clamp": "ops.clamp(x, -0.5, 0.5) * x * w", "clamp_min": "ops.clamp(x, min=0.0) ** 2 * x",
    "clamp_t": "x.clamp(-1.0, 1.0) * x * x", "clip": "ops.clip(x, -0.5, 1.0) * x",
    "hardswish": "ops.hardswish(x * 3) * x", "hardsigmoid": "ops.hardsigmoid(x * 3) * x * x",
    "softshrink": "ops.softshrink(x, 0.5) * x", "hardshrink": "ops.hardshrink(x, 0.5) * x * x",
    "mish": "ops.mish(x) * ops.relu(x)", "softplus_relu": "ops.softplus(x) * ops.relu(-x)",
    "maximum_tie": "ops.maximum(x, ops.where(y > 0, x, y)) * x * w",
    "minimum_tie": "ops.minimum(x * x, ops.where(y > 0, x * x, y * y)) * x",
    "maximum_self": "ops.maximum(x, x) * x", "max_axis": "ops.max(x * x, -1)[0] * ops.max(x, -1)[0]",
    "max_all": "ops.max(x)[0] * x", "amax": "ops.amax(x, -1) * ops.amin(x, 0).sum()", "amax_sq": "ops.amax(x * x, 0) ** 2",
    "t_max": "x.max(axis=-1) * x.min(axis=-1)", "min_keep": "ops.min(x, 0, keepdims=True)[0] * x",
    "argmax_gather": "ops.gather_elements(x, -1, ops.argmax(x, -1, keepdim=True)) * x",
    "sort": "ops.sort(x, -1)[0] * w", "sort_desc": "ops.sort(x * x, 0, descending=True)[0] * x",
    "topk": "ops.topk(x, 2)[0] * ops.topk(x, 2)[0]", "topk_small": "ops.topk(x * x, 1, sorted=True)[0] * x.sum(-1, keepdims=True)",
    "median": "ops.median(x, -1)[0] * x.sum(-1)", "median_keep": "ops.median(x * x, 0, keepdims=True)[0] * x",
    "topk_small2": "ops.topk(x, 2, -1, largest=False)[0] ** 2", "topk_dim0": "ops.topk(x * w, 1, 0)[0] * x",
    "cummax": "ops.cummax(x, -1)[0] * x * w", "cummin": "ops.cummin(x * x, 0)[0] * x",
    "cummax_t": "ops.cummax(x, 0)[0] ** 2", "pow2": "ops.pow(x, 2) * x", "pow3": "x ** 3 * w", "pow_int0": "ops.pow(x, 0) * x",
    "pow1": "ops.pow(x, 1) ** 2", "pow_neg2": "ops.pow(x * x + 1, -2) * x", "pow_half": "ops.pow(x * x, 0.5) * w",
    "pow_15": "ops.pow(ops.abs(x), 1.5) * x", "pow_base0": "ops.pow(x * 0, y * y + 1) + x",
    "pow_tt": "ops.pow(ops.abs(x), ops.abs(y) + 1) * w", "pow_exp_grad": "ops.pow(ops.abs(x) + 1, y) * x",
    "square_abs": "ops.square(ops.abs(x)) * x", "sqrt_sq": "ops.sqrt(x * x + 1e-4) * w", "sqrt_eps": "ops.sqrt(ops.abs(x) + 1e-3) * x",
    "rsqrt": "ops.rsqrt(x * x + 0.25) * x", "log_near0": "ops.log(x * x + 1e-3) * w", "log1p_abs": "ops.log1p(ops.abs(x)) * x",
    "atan2_origin": "ops.atan2(x * 0, y * 0 + x * x) + ops.atan2(x, y) * x", "atan2_tie": "ops.atan2(x, x) * x",
    "atan2": "ops.atan2(x * x, y) * w", "div_sg": "x * x / ops.stop_gradient(y * y + 1)",
    "div_sg2": "(x / ops.stop_gradient(x * x + 1)) * x", "div_sg_num": "ops.stop_gradient(x) / (x * x + 1) * x",
    "where_kink": "ops.where(x > 0, x * x, ops.abs(x) * 0.5) * w", "floor_mix": "ops.floor(x) * x * x + ops.round(x) * x",
    "sign_mix": "ops.sign(x - y) * (x - y) ** 2", "mint_relu": "mint.nn.functional.relu(x) ** 3",
    "mint_clamp": "mint.clamp(x, -0.5, 0.5) * x * x", "mint_max_tie": "mint.max(x * x) * x", "mint_abs": "mint.abs(x) * mint.abs(y) * x",
    "nn_relu": "nn.ReLU()(x) * x * x", "nn_hardtanh": "nn.Hardtanh(-0.5, 0.5)(x) * x",
    "nn_leaky": "nn.LeakyReLU(0.1)(x) * ops.abs(x)", "prelu": "ops.prelu(x, w.reshape(-1)[:1] * 0 + 0.25) * x",
    "l1": "ops.abs(x - y).sum() * x", "smooth_l1": "ops.smooth_l1_loss(x, y, 0.5, 'none') * x",
    "huber": "ops.huber_loss(x, y, 'none', 0.5) * x",
}


def kink20(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    b, c = r.randint(1, 3), r.randint(2, 4)
    dom = _kdom(r)
    x = d.tensor(ft, (b, c), dom)
    y = d.tensor(ft, (b, c), r.choice([dom, "normal"]))
    w = _c(d, ft, r.choice([(c,), (1, c), (b, c)]))
    name = r.choice(sorted(_KINKS))
    names = {"x": str(x), "y": str(y), "w": w}
    body = re.sub(r"\b[xyw]\b", lambda m: names[m.group(0)], _KINKS[name])
    return f"kink20.{name}", [f"return {body}"], []


# ----------------------------------------------------------------------------------------- nested forward / reverse
_INNER20 = ["ops.abs(x) * x * y", "ops.relu(x) ** 2 * y", "ops.clamp(x, -0.5, 0.5) * x * y", "ops.maximum(x, y) * x",
            "ops.sort(x * y, -1)[0] * x", "ops.hardtanh(x) * x * y", "ops.sqrt(x * x + 0.01) * y",
            "ops.atan2(x, y) * x", "ops.cummax(x, -1)[0] * y * x", "x * x / ops.stop_gradient(y * y + 1) * x",
            "ops.pow(x, 3) * y", "ops.sign(x) * x * x * y", "ops.leaky_relu(x, 0.3) * x * y", "ops.elu(x) * y * x",
            "ops.max(x * y, -1, keepdims=True)[0] * x", "ops.topk(x, 1)[0] * x * y", "ops.sin(x) * y * x"]


def nest20(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 2), r.randint(2, 3))
    d.tensor(ft, shape, _kdom(r))
    d.tensor(ft, shape, r.choice(["halves", "normal"]))
    inner = r.choice(_INNER20)
    pre = [f"v = {_const(d, ft, shape)}", f"u = {_const(d, ft, shape)}", "def inner(x, y):", f"    return {inner}",
           "def loss(x, y):", "    return inner(x, y).sum()"]
    # MindSpore's jvp parses the function it gets (no lambdas in calls) and treats what a Cell holds as constant: the
    # inner derivative is taken over both arguments, a zero tangent / the other cotangent's part left out
    jv, vj = "ops.jvp(inner, (x, y), ({t}))[1]", "ops.vjp(inner, x, y)[1](u)[{i}]"
    forms = {
        "grad_of_jvp": (f"({jv.format(t='v, v * 0')} * u).sum()", "return ops.grad(h, (0, 1))(a0, a1)"),
        "grad_of_jvp_y": (f"({jv.format(t='v * 0, v')} * u).sum()", "return ops.grad(h, (0, 1))(a0, a1)"),
        "vjp_of_grad": ("ops.grad(loss, 0)(x, y)", "out, fn = ops.vjp(h, a0, a1)\n    return out, fn(u)"),
        "jvp_of_grad": ("ops.grad(loss, 0)(x, y)", "return ops.jvp(h, (a0, a1), (v, u))"),
        "jvp_of_jvp": (jv.format(t="v, v * 0"), "return ops.jvp(h, (a0, a1), (u, v * 0))"),
        "grad_of_vjp": (f"({vj.format(i=0)} * v).sum()", "return ops.grad(h, (0, 1))(a0, a1)"),
        "grad_of_vjp_y": (f"({vj.format(i=1)} * v).sum()", "return ops.grad(h, (0, 1))(a0, a1)"),
        "vjp_of_vjp": (vj.format(i=0), "out, fn = ops.vjp(h, a0, a1)\n    return out, fn(v)"),
        "grad_of_grad_both": ("(ops.grad(loss, (0, 1))(x, y)[0] * u + ops.grad(loss, (0, 1))(x, y)[1] * v).sum()",
                              "return ops.grad(h, (0, 1))(a0, a1)"),
        "jvp_plain": ("inner(x, y)", "return ops.jvp(h, (a0, a1), (v, v * 0))"),
        "jvp_pair": ("inner(x, y)", "return ops.jvp(h, (a0, a1), (v, u))"),
    }
    name = r.choice(sorted(forms))
    expr, body = forms[name]
    pre += ["def h(x, y):", f"    return {expr}"]
    return f"nest20.{name}", body.split("\n    "), pre


# ----------------------------------------------------------------------------------------- tied parameters, sens, positions
_NETS20 = {  # a Cell whose one Parameter p (shape (c,)) is used several times; q a second one
    "twice": "return ops.abs(x * self.p) * self.p + x * self.q",
    "thrice": "return ops.relu(x * self.p) * self.p * self.p + self.q",
    "sub": "return self.lin(x) * self.p + self.lin2(x * self.p)",
    "clamp": "return ops.clamp(x * self.p, -0.5, 0.5) * self.p + ops.maximum(x, self.q) * self.p",
    "sort": "return ops.sort(x * self.p, -1)[0] * self.p + self.q * x",
}


def _net_lines(d: gen.Draw, name: str, ft: str, c: int) -> list:
    lines = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
             f"        self.p = ms.Parameter({_const(d, ft, (c,), 'halves')}, name='p')",
             f"        self.q = ms.Parameter({_const(d, ft, (c,))}, name='q')"]
    if name == "sub":
        lines += ["        self.lin = Lin(self.p)", "        self.lin2 = Lin(self.p)"]
        lines = ["class Lin(nn.Cell):", "    def __init__(self, p):", "        super().__init__()", "        self.p = p",
                 "    def construct(self, x):", "        return x * self.p * self.p", *lines]
    return lines + ["    def construct(self, x):", f"        {_NETS20[name]}", "net = Net()"]


def tied20(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    b, c = r.randint(1, 3), r.randint(2, 3)
    d.tensor(ft, (b, c), _kdom(r))
    d.tensor(ft, (b, c), "normal")
    kind = r.choice(["by_list", "by_list_dup", "vg_weights", "grad_weights_pos", "sens_bcast", "sens_scalar",
                     "pos_repeat", "pos_repeat_aux", "return_ids", "return_ids_w", "aux_second", "by_list_second"])
    if kind in ("by_list", "by_list_dup", "vg_weights", "grad_weights_pos", "return_ids_w", "by_list_second"):
        net = r.choice(sorted(_NETS20))
        pre = _net_lines(d, net, ft, c)
        params = {"by_list_dup": "ms.ParameterTuple([net.p, net.q, net.p])"}.get(kind, "net.trainable_params()")
        pre += ["def loss(x, y):", "    return (net(x) * y).sum()"]
        body = {
            "by_list": f"return ops.GradOperation(get_all=True, get_by_list=True)(loss, ms.ParameterTuple({params}))(a0, a1)",
            "by_list_dup": f"return ops.GradOperation(get_by_list=True)(loss, {params})(a0, a1)",
            "vg_weights": f"return ops.value_and_grad(loss, grad_position={r.choice([None, 0, (0, 1)])}, weights={params})(a0, a1)",
            "grad_weights_pos": f"return ops.grad(loss, {r.choice([0, (1, 0), (0,)])}, [net.p, net.q])(a0, a1)",
            "return_ids_w": "pg, wg = ops.grad(loss, (0, 1), net.trainable_params(), return_ids=True)(a0, a1)\n    "
                            "return [i for i, _ in pg], [g for _, g in pg], [float(n == 'p') for n, _ in wg], "
                            "[g for _, g in wg]",  # (the names as numbers: the comparison encodes no strings)
            "by_list_second": "g = ops.GradOperation(get_by_list=True)(loss, ms.ParameterTuple([net.p]))\n    "
                              "return ops.grad(lambda x, y: (g(x, y)[0] * x.sum(0)).sum(), (0, 1))(a0, a1)",
        }[kind]
        return f"tied20.{kind}.{net}", body.split("\n    "), pre
    inner = r.choice(_INNER20)
    pre = ["def inner(x, y):", f"    return {inner}"]
    if kind in ("sens_bcast", "sens_scalar"):
        sens = _const(d, ft, r.choice([(c,), (1, c), (1, 1)]) if kind == "sens_bcast" else ())
        pre.insert(0, f"sens = {sens}")
        return f"tied20.{kind}", ["return ops.GradOperation(get_all=True, sens_param=True)(inner)(a0, a1, sens)"], pre
    if kind in ("pos_repeat", "pos_repeat_aux"):
        pos = r.choice([(0, 0), (1, 0, 1), (0, 1, 0), (1, 1)])
        aux = kind == "pos_repeat_aux"
        if aux:
            pre = ["def inner(x, y):", f"    return ({inner}).sum(), ops.abs(x) * y"]
        else:
            pre += ["def loss(x, y):", "    return inner(x, y).sum()"]
        fn = "inner" if aux else "loss"
        return f"tied20.{kind}", [f"return ops.grad({fn}, {pos!r}, has_aux={aux})(a0, a1)"], pre
    if kind == "aux_second":
        # the aux comes back a 1-tuple (MindSpore 2.10); an outer grad differentiates it
        pre = ["def inner(x, y):", f"    return ({inner}).sum(), ops.relu(x) * y",
               "def g1(x, y):", "    g, aux = ops.grad(inner, 0, has_aux=True)(x, y)", "    return (g * aux[0]).sum()"]
        return f"tied20.{kind}", ["return ops.grad(g1, (0, 1))(a0, a1)"], pre
    pre += ["def loss(x, y):", "    return inner(x, y).sum()"]
    return f"tied20.{kind}", [f"return ops.grad(loss, {r.choice([(0, 1), (1, 0), 1])}, return_ids=True)(a0, a1)"], pre


# ----------------------------------------------------------------------------------------- custom bprop / hooks, higher order
def hook20(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 2), r.randint(2, 3))
    d.tensor(ft, shape, _kdom(r))
    d.tensor(ft, shape, "normal")
    kind = r.choice(["bprop", "bprop_kink", "hook_backward", "bprop_jvp", "bprop_sq"])
    bprop = {"bprop": "return (dout * y * 2, dout * x)", "bprop_kink": "return (dout * ops.sign(x) * y, dout * ops.abs(x))",
             "hook_backward": "", "bprop_jvp": "return (dout * y, dout * x * 3)", "bprop_sq": "return (dout * x * y, dout * x * x)"}
    fwd = {"bprop": "x * y", "bprop_kink": "ops.abs(x) * y", "bprop_jvp": "x * y", "bprop_sq": "x * x * y * 0.5"}
    if kind == "hook_backward":
        # MindSpore 2.10 passes the hook (grad,) and wants a Tensor back
        pre = ["def scale(grad):", "    return grad[0] * 2", "hook = ops.HookBackward(scale)", "def inner(x, y):",
               "    return ops.relu(hook(x * y)) * x"]
    else:
        pre = ["class Mul(nn.Cell):", "    def construct(self, x, y):", f"        return {fwd[kind]}",
               "    def bprop(self, x, y, out, dout):", f"        {bprop[kind]}", "mul = Mul()",
               "def inner(x, y):", "    return mul(x, y) * ops.abs(x)"]
    pre += ["def loss(x, y):", "    return inner(x, y).sum()"]
    nest = r.choice(["grad", "grad_grad", "jvp", "grad_of_jvp"])
    v = _const(d, ft, shape)
    pre.insert(0, f"v = {v}")
    body = {"grad": "return ops.grad(loss, (0, 1))(a0, a1)",
            "grad_grad": "return ops.grad(lambda x, y: (ops.grad(loss, 0)(x, y) * v).sum(), (0, 1))(a0, a1)",
            "jvp": "return ops.jvp(inner, (a0, a1), (v, v * 0))",
            "grad_of_jvp": "return ops.grad(jsum, (0, 1))(a0, a1)"}[nest]
    pre += ["def jsum(x, y):", "    return ops.jvp(inner, (x, y), (v, v * 0))[1].sum()"]
    return f"hook20.{kind}.{nest}", [body], pre


FORMS = [(kink20, 44), (nest20, 22), (tied20, 20), (hook20, 10)]
VALUE_ONLY = (nest20, tied20, hook20)


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    mode = "value" if form in VALUE_ONLY else gen.first_or_higher(rng, HIGHER, 0.55)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs20(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r20", form_program, FORMS, seed, count)
