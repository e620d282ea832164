"""Round 14 of ms_differential.py's programs: where rounds 1-13 did not look. Hand-written forms (as rounds 8-13:
each a function of a Draw returning (api, body lines, lines before `def f`)), plus user-written Cells:

- cell14: an nn.Cell subclass with Parameters whose construct branches on Tensor values (if, while with a Tensor
  bound, for over a tuple, early return, stop_gradient in one branch), nested Cells, construct under @ms.jit;
  through the layer modes (by_list, value_and_grad with weights, GradOperation get_all + get_by_list + sens_param,
  grad of grad with weights);
- flow14: the same control flow in a function, under @ms.jit or eagerly, through first, second and third order;
- spell14: one op spelled as a Tensor method, an ops function, a mint function and an nn Cell, with the keyword
  defaults left out (they differ between spellings) or keyword arguments given positionally;
- train14: Parameters updated in place between gradients (assign_sub / assign_add / scatter_update after a grad),
  optimizers with their options through TrainOneStepCell for three steps (the values only: f trains);
- multi14: functions of several outputs through jvp / vjp / jacrev, value_and_grad with has_aux, a sens tuple;
- promo14: float16 / float64 / int tensors mixed in one chain; norm14: norm layers switched train -> eval."""
from __future__ import annotations

import random
import re

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen9 import _const

HIGHER = gen7.HIGHER_MODES + ["grad3"]


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 5 + ["float64"])


# ----------------------------------------------------------------------------------------- control flow bodies
# x: the input, w / b: weights (Parameters in a Cell, inputs of f); every body returns a tensor of x's shape.
_FLOW = {
    "if_value": ["if (x * w).sum() > 0:", "    y = x * w", "else:", "    y = x - b", "return y * y"],
    "if_elif": ["s = (x * w).mean()", "if s > 0.5:", "    y = ops.sin(x) * w", "elif s > -0.5:", "    y = x * x * b",
                "else:", "    y = ops.exp(x * 0.2) * w", "return y"],
    "for_tuple": ["y = x", "for s in (0.5, 1.5, -1.0):", "    y = ops.tanh(y * w * s) + b", "return y"],
    "while_tensor_bound": ["k = ops.cast((x * x).sum() > 1.0, ms.int32) + 1", "i = 0", "y = x",
                           "while i < k:", "    y = y * w + b", "    i += 1", "return y"],
    "while_value": ["y = x * w", "i = 0", "while (y * y).sum() < 20.0 and i < 4:", "    y = y * 1.5 + b", "    i += 1",
                    "return y"],
    "early_return": ["if x.sum() < 0:", "    return x * w * w", "y = ops.sin(x) * b", "return y + w"],
    "stop_branch": ["if x.mean() > 0:", "    y = ops.stop_gradient(x * w) * w", "else:",
                    "    y = x * ops.stop_gradient(w) + b * b", "return y * x"],
    "stop_loop": ["y = x", "for i in range(3):", "    if i == 1:", "        y = ops.stop_gradient(y) * w",
                  "    else:", "        y = y * w + b", "return y"],
    "nested_if": ["if w.sum() > 0:", "    if (x * b).sum() > 0:", "        return x * w + b", "    return x * x * w",
                  "return x - w * b"],
    "max_branch": ["m = ops.amax(x * w)", "if m > 1.0:", "    y = x / m", "else:", "    y = x * m", "return y + b"],
    "select_loop": ["y = x", "for _ in range(2):", "    y = ops.where(y > 0, y * w, y * b)", "return y"],
    "accumulate": ["s = x * 0", "for v in (w, b, w * b):", "    s = s + ops.sin(x * v)", "return s"],
    "while_break": ["y = x", "i = 0", "while i < 5:", "    y = y * w + b", "    if (y * y).sum() > 6.0:", "        break",
                    "    i += 1", "return y"],
}


def _bias_shape(r: random.Random, n: int) -> tuple:
    return r.choice([(n,), (1,), ()])


def _flow_input(d: gen.Draw) -> tuple[int, str]:
    """x of a _FLOW body drawn: (its last dim n, w's length; its float dtype)."""
    r = d.rng
    n = r.randint(1, 4)
    shape = (r.randint(1, 3), n) if r.random() < 0.7 else (n,)
    ft = _f(r)
    d.tensor(ft, shape, r.choice(["normal", "normal", "halves"]))
    return n, ft


def cell14(d: gen.Draw):
    """A user-written Cell: the api names the control flow; the layer modes differentiate w.r.t. its Parameters."""
    r = d.rng
    n, ft = _flow_input(d)
    name = r.choice(sorted(_FLOW))
    jit = r.random() < 0.5
    nested = r.random() < 0.35
    cls = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
           f"        self.w = ms.Parameter({_const(d, ft, (n,))}, name='w')",
           f"        self.b = ms.Parameter({_const(d, ft, _bias_shape(r, n))}, name='b')"]
    if nested:
        cls = ["class Inner(nn.Cell):", "    def __init__(self):", "        super().__init__()",
               f"        self.v = ms.Parameter({_const(d, ft, (n,))}, name='v')",
               "    def construct(self, x):", "        return ops.tanh(x * self.v) + x", *cls,
               "        self.inner = Inner()"]
    body = [_self_refs(line) for line in _FLOW[name]]
    if nested:
        body = ["x = self.inner(x)"] + body
    cls += (["    @ms.jit"] if jit else []) + ["    def construct(self, x):"] + ["        " + b for b in body]
    return f"cell14.{name}{'.jit' if jit else ''}{'.nested' if nested else ''}", cls + ["net = Net()"]


def _self_refs(line: str) -> str:
    """w / b of a _FLOW body as the Cell's Parameters (whole words only)."""
    return re.sub(r"\b([wb])\b", r"self.\1", line)


def flow14(d: gen.Draw):
    r = d.rng
    n, ft = _flow_input(d)
    d.tensor(ft, (n,))
    d.tensor(ft, _bias_shape(r, n))
    name = r.choice(sorted(_FLOW))
    jit = r.random() < 0.5
    body = ["x, w, b = a0, a1, a2"] + _FLOW[name]
    return f"flow14.{name}{'.jit' if jit else ''}", body, ["@ms.jit"] if jit else []


# ----------------------------------------------------------------------------------------- spellings
def _spell_forms(x: str, y: str, r: random.Random) -> dict:
    k = r.choice([1, 2])
    return {
        "std": [f"{x}.std()", f"ops.std({x})", f"mint.std({x})", f"{x}.std(1, 1, True)", f"ops.std({x}, 1, 1, True)"],
        "var": [f"{x}.var()", f"ops.var({x})", f"mint.var({x})", f"{x}.var(0, 1)", f"ops.var({x}, 0, 1)",
                f"ops.var_mean({x})", f"ops.std_mean({x}, 1)"],
        "leaky_relu": [f"ops.leaky_relu({x})", f"F.leaky_relu({x})", f"nn.LeakyReLU()({x})", f"ops.leaky_relu({x}, 0.3)",
                       f"F.leaky_relu({x}, 0.3)"],
        "gelu": [f"ops.gelu({x})", f"F.gelu({x})", f"nn.GELU()({x})", f"nn.GELU(False)({x})", f"ops.gelu({x}, 'tanh')",
                 f"F.gelu({x}, approximate='tanh')"],
        "softmax": [f"ops.softmax({x})", f"{x}.softmax(0)", f"F.softmax({x}, 0)", f"ops.log_softmax({x})",
                    f"F.log_softmax({x}, 1)", f"nn.Softmax()({x})", f"nn.LogSoftmax(0)({x})", f"mint.softmax({x}, -1)"],
        "cumsum": [f"ops.cumsum({x}, 0)", f"{x}.cumsum()", f"{x}.cumsum(1)", f"mint.cumsum({x}, 0)", f"ops.cumprod({x}, 1)",
                   f"{x}.cumprod(0)"],
        "norm": [f"ops.norm({x})", f"{x}.norm()", f"mint.norm({x})", f"ops.norm({x}, 1)", f"mint.norm({x}, 1)",
                 f"ops.norm({x}, 2, 1)", f"{x}.norm(1, 0, True)", f"mint.norm({x}, 3.0, 1)", f"ops.norm({x}, float('inf'))"],
        "prod": [f"ops.prod({x})", f"{x}.prod()", f"{x}.prod(1)", f"mint.prod({x}, 1)", f"ops.prod({x}, 0, True)"],
        "logsumexp": [f"ops.logsumexp({x}, 1)", f"mint.logsumexp({x}, 1)", f"{x}.logsumexp(1, True)",
                      f"ops.logsumexp({x}, 0, True)"],
        "hardtanh": [f"ops.hardtanh({x})", f"F.hardtanh({x}, -0.5, 0.5)", f"nn.Hardtanh()({x})", f"ops.hardtanh({x}, -0.5)"],
        "softplus": [f"ops.softplus({x})", f"ops.softplus({x}, 2, 1)", f"F.softplus({x})", f"F.softplus({x}, 2.0, 1.0)"],
        "elu": [f"ops.elu({x})", f"F.elu({x})", f"nn.ELU()({x})", f"ops.celu({x})", f"ops.selu({x})", f"F.selu({x})"],
        "mean": [f"ops.mean({x})", f"{x}.mean()", f"mint.mean({x})", f"ops.mean({x}, 1, True)", f"{x}.mean(0)"],
        "clamp": [f"ops.clamp({x}, -0.5)", f"{x}.clamp(None, 0.5)", f"mint.clamp({x}, max=0.5)", f"{x}.clip(-0.5, 0.5)",
                  f"ops.clip({x}, -0.5, 0.5)", f"mint.clamp({x}, -0.5)"],
        "tril": [f"ops.tril({x})", f"{x}.tril(-1)", f"mint.tril({x}, 1)", f"ops.triu({x}, {k})", f"{x}.triu()"],
        "max": [f"ops.max({x})[0]", f"{x}.max()", f"mint.max({x})", f"mint.max({x}, 1)[0]", f"ops.max({x}, 1, True)[0]",
                f"{x}.max(0)", f"ops.amax({x})", f"{x}.amax(1)", f"mint.min({x}, 0, True)[0]", f"ops.min({x}, 1)[0]"],
        "topk": [f"ops.topk({x}, {k})[0]", f"{x}.topk({k})[0]", f"mint.topk({x}, {k})[0]", f"ops.topk({x}, 1, 0, False)[0]",
                 f"ops.sort({x})[0]", f"mint.sort({x}, descending=True)[0]", f"{x}.sort(0)[0]"],
        "smooth_l1": [f"ops.smooth_l1_loss({x}, {y})", f"F.smooth_l1_loss({x}, {y})", f"nn.SmoothL1Loss()({x}, {y})",
                      f"ops.smooth_l1_loss({x}, {y}, 0.5)", f"ops.huber_loss({x}, {y})", f"nn.HuberLoss()({x}, {y})",
                      f"F.smooth_l1_loss({x}, {y}, 'sum', 0.5)"],
        "l1_mse": [f"ops.l1_loss({x}, {y})", f"F.l1_loss({x}, {y})", f"nn.L1Loss()({x}, {y})", f"ops.mse_loss({x}, {y})",
                   f"F.mse_loss({x}, {y})", f"nn.MSELoss('sum')({x}, {y})"],
        "cosine": [f"ops.cosine_similarity({x}, {y})", f"F.cosine_similarity({x}, {y})", f"ops.cosine_similarity({x}, {y}, 0)",
                   f"ops.pairwise_distance({x}, {y})", f"ops.dist({x}, {y})", f"ops.dist({x}, {y}, 1)",
                   f"ops.cdist({x}, {y})", f"nn.CosineSimilarity()({x}, {y})"],
        "normalize": [f"F.normalize({x})", f"F.normalize({x}, 1.0, 0)", f"ops.L2Normalize()({x})",
                      f"ops.L2Normalize(0)({x})", f"ops.renorm({x}, 2, 0, 1.0)"],
        "glu": [f"ops.glu(ops.cat(({x}, {y}), -1))", f"F.glu(ops.cat(({x}, {y}), -1))", f"ops.glu(ops.cat(({x}, {y}), 0), 0)"],
        "logit": [f"ops.logit(ops.sigmoid({x}))", f"ops.sigmoid({x}).logit()", f"ops.logit(ops.sigmoid({x}), 0.2)",
                  f"ops.sigmoid({x}).logit(0.2)"],
        "lerp_addcmul": [f"ops.lerp({x}, {y}, 0.3)", f"{x}.lerp({y}, 0.3)", f"ops.addcmul({x}, {x}, {y}, Tensor(0.5, {x}.dtype))",
                         f"{x}.addcmul({x}, {y}, 0.5)", f"ops.addcdiv({x}, {x}, {y} * {y} + 1, Tensor(2.0, {x}.dtype))"],
        "diff": [f"ops.diff({x})", f"ops.diff({x}, 2, 1)", f"{x}.diff()", f"ops.diff({x}, 1, 0)"],
        "kl": [f"ops.kl_div(ops.log_softmax({x}, 1), ops.softmax({y}, 1))", f"F.kl_div(ops.log_softmax({x}, 1), ops.softmax({y}, 1))",
               f"ops.kl_div(ops.log_softmax({x}, 1), ops.softmax({y}, 1), 'batchmean')",
               f"F.kl_div(ops.log_softmax({x}, 1), ops.log_softmax({y}, 1), 'sum', True)"],
        "hardshrink": [f"ops.hardshrink({x})", f"F.hardshrink({x})", f"nn.HShrink()({x})", f"ops.softshrink({x})",
                       f"F.softshrink({x}, 0.25)", f"nn.SoftShrink()({x})", f"ops.hardswish({x})", f"ops.hardsigmoid({x})"],
        "flatten": [f"ops.flatten({x} * {x})", f"{x}.flatten()", f"mint.flatten({x}, 0, 1)", f"ops.flatten({x}, start_dim=0)"],
    }


def spell14(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(2, 3), r.randint(2, 4))
    x = d.tensor(ft, shape, r.choice(["normal", "halves"]))
    y = d.tensor(ft, shape)
    forms = _spell_forms(x, y, r)
    op = r.choice(sorted(forms))
    i = r.randrange(len(forms[op]))
    return f"spell14.{op}.{i}", [f"return {forms[op][i]}"], []


# ----------------------------------------------------------------------------------------- state
_OPTIMIZERS = [
    "nn.SGD(ps, 0.1)", "nn.SGD(ps, 0.1, momentum=0.9)", "nn.SGD(ps, 0.1, 0.9, 0.1, 0.01, True)",
    "nn.SGD(ps, 0.1, momentum=0.5, dampening=0.2, weight_decay=0.05, loss_scale=2.0)",
    "nn.Momentum(ps, 0.1, 0.9)", "nn.Momentum(ps, 0.05, 0.9, weight_decay=0.1, use_nesterov=True)",
    "nn.Momentum(ps, [0.1, 0.05, 0.01], 0.8)", "nn.Adam(ps, 0.01)", "nn.Adam(ps, 0.01, weight_decay=0.1)",
    "nn.Adam(ps, 0.05, 0.8, 0.9, 1e-6, use_nesterov=True)", "nn.Adam(ps, 0.05, use_amsgrad=True)",
    "nn.AdamWeightDecay(ps, 0.01, weight_decay=0.1)", "nn.RMSProp(ps, 0.01)", "nn.RMSProp(ps, 0.01, 0.9, 0.5, centered=True)",
    "nn.Adagrad(ps, 0.1, 0.1)", "nn.Adagrad(ps, learning_rate=0.1, weight_decay=0.1)", "nn.Adadelta(ps, 1.0, 0.9, 1e-4)",
    "nn.AdaMax(ps, 0.01)", "nn.ASGD(ps, 0.05)", "nn.Rprop(ps, 0.05)",
    "nn.SGD([{'params': [net.weight], 'weight_decay': 0.1, 'lr': 0.05}, {'params': [net.bias]}], 0.1, 0.5)",
    "nn.Adam([{'params': [net.weight], 'weight_decay': 0.1}, {'params': [net.bias], 'lr': 0.2}], 0.01)",
]
_LOSSES = ["nn.MSELoss()", "nn.L1Loss()", "nn.SmoothL1Loss(0.5)", "nn.MSELoss('sum')", "nn.HuberLoss(delta=0.3)"]


def train14(d: gen.Draw):
    """Values only: f takes optimizer steps or in-place updates itself."""
    r = d.rng
    ft = "float32"
    n, c, o = r.randint(1, 3), r.randint(1, 3), r.randint(1, 3)
    d.tensor(ft, (n, c))
    d.tensor(ft, (n, o))
    form = r.choice(["optimizer", "optimizer", "optimizer", "assign_loop", "scatter_between", "assign_in_f"])
    pre = [f"net = nn.Dense({c}, {o}, weight_init={_const(d, ft, (o, c))}, bias_init={_const(d, ft, (o,))})"]
    if form == "optimizer":
        opt = r.choice(_OPTIMIZERS).replace("ps", "net.trainable_params()")
        pre += [f"step = nn.TrainOneStepCell(nn.WithLossCell(net, {r.choice(_LOSSES)}), {opt})"]
        body = ["l0 = step(a0, a1)", "l1 = step(a0, a1)", "l2 = step(a0 * 2, a1)", "return l0, l1, l2, net.weight * 1, net.bias * 1"]
        return f"train14.{opt.split('(')[0]}", body, pre
    loss = r.choice(["(ops.tanh(net(x)) - y) ** 2", "ops.abs(net(x) - y)", "net(x) * net(x) * y"])
    pre += ["def loss(x, y):", f"    return ({loss}).sum()", "g = ops.grad(loss, None, net.trainable_params())"]
    if form == "assign_loop":
        body = ["for _ in range(3):", "    gw, gb = g(a0, a1)", "    ops.assign_sub(net.weight, gw * 0.1)",
                "    ops.assign_add(net.bias, gb * -0.1)", "return g(a0, a1), net.weight * 1, net.bias * 1"]
    elif form == "scatter_between":
        row = r.randrange(o)
        body = ["g0 = g(a0, a1)", f"ops.scatter_update(net.weight, Tensor([{row}], ms.int32), "
                f"Tensor([[0.5] * {c}], ms.float32))", "g1 = g(a0, a1)", "ops.assign(net.bias, net.bias * 2)",
                "return g0, g1, g(a0, a1), net.weight * 1"]
    else:
        body = ["gw0, _ = g(a0, a1)", "ops.assign(net.weight, net.weight - gw0)", "v, (gw1, gb1) = ops.value_and_grad(loss, None, "
                "net.trainable_params())(a0, a1)", "return gw0, v, gw1, gb1"]
    return f"train14.{form}", body, pre


# ----------------------------------------------------------------------------------------- several outputs
def multi14(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(1, 3))
    d.tensor(ft, shape)
    d.tensor(ft, shape[1:] if r.random() < 0.4 else shape)
    outs = {
        "three": "return ops.sin(a0) * a1, a0 * a0, (a0 + a1).sum()",
        "shared": "h = ops.tanh(a0 * a1)\n    return h, h * h, ops.stop_gradient(h) * a0",
        "split": "p, q = ops.split(a0 * a1, 1, -1)[0], a0[..., :1]\n    return p * q, p + q",
        "minmax": "return ops.max(a0 * a1, -1)[0], ops.min(a0, -1)[0] * a1.sum()",
        "chunk_cat": "u = ops.cat((a0, a1 * a0), -1)\n    return ops.chunk(u, 2, -1)",
        "tuple_nested": "return (a0 * 2, (a1 * a0, ops.exp(a0 * 0.1)))",
        "unbind": "return ops.unbind(a0 * a1, -1)",
        "with_int": "return ops.argmax(a0, -1), ops.softmax(a0 * a1, -1), ops.cast(a0 > 0, ms.int32)",
    }
    name = r.choice(sorted(outs))
    return f"multi14.{name}", outs[name].split("\n    "), []


def api14(d: gen.Draw):
    """Values only: f calls the gradient API itself on a function of several outputs."""
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(1, 3))
    d.tensor(ft, shape)
    d.tensor(ft, shape)
    pre = ["def h(x, y):", "    return (ops.sin(x) * y).sum(), x * y, ops.exp(x * 0.3)"]
    form = r.choice(["aux_vg", "aux_grad", "jvp_multi", "vjp_multi", "sens_tuple", "jacrev_aux", "grad3_cf"])
    if form == "aux_vg":
        body = [f"return ops.value_and_grad(h, grad_position={r.choice([0, 1, (0, 1), (1, 0)])}, has_aux=True)(a0, a1)"]
    elif form == "aux_grad":
        body = [f"return ops.grad(h, {r.choice([0, 1, (0, 1)])}, has_aux=True)(a0, a1)"]
    elif form == "jvp_multi":
        pre.insert(0, f"t0, t1 = {_const(d, ft, shape)}, {_const(d, ft, shape)}")
        body = ["return ops.jvp(h, (a0, a1), (t0, t1))"]
    elif form == "vjp_multi":
        pre.insert(0, f"c1, c2 = {_const(d, ft, shape)}, {_const(d, ft, shape)}")
        body = ["out, fn = ops.vjp(h, a0, a1)", f"return out, fn((Tensor({r.choice([1.0, 0.5, 0.0])}, a0.dtype), c1, c2))"]
    elif form == "sens_tuple":
        pre.insert(0, f"c1, c2 = {_const(d, ft, shape)}, {_const(d, ft, shape)}")
        body = ["return ops.GradOperation(get_all=True, sens_param=True)(h)(a0, a1, (Tensor(2.0, a0.dtype), c1, c2))"]
    elif form == "jacrev_aux":
        pre = ["def h(x, y):", "    return ops.sin(x) * y, x * y"]
        body = [f"return ops.{r.choice(['jacrev', 'jacfwd'])}(h, {r.choice([0, 1, (0, 1)])}, has_aux=True)(a0, a1)"]
    else:
        pre = ["def h(x, y):", "    if x.sum() > 0:", "        return (x * x * x * y).sum()", "    return (ops.sin(x) * y).sum()"]
        body = ["return ops.grad(ops.grad(ops.grad(h)))(a0, a1)"]
    return f"api14.{form}", body, pre


# ----------------------------------------------------------------------------------------- promotion / norm layers
def promo14(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 3))
    d.tensor("float16", shape)
    d.tensor("float64", shape[1:])
    d.tensor(r.choice(["int32", "int64", "uint8", "bool"]), shape, "nonzero")
    forms = ["(a0 * a1 + a2) * a0", "ops.exp(a0 * 0.5) / (a1 * a1 + 1) + a2", "ops.sqrt(ops.abs(a0) + a2 * 1.0) * a1",
             "mint.mul(a0, a2) + mint.div(a1, 2)", "(a0 + 1).sum(-1) * a1.mean() + a2.sum()", "ops.where(a2 > 1, a0, a1)",
             "ops.maximum(a0 * a2, a1)", "ops.pow(a0, 2) * a1 - a2", "a0 @ ops.ones((a0.shape[-1], 2), ms.float64) + a1.sum()",
             "ops.cat((ops.cast(a0, ms.float32), ops.cast(a2, ms.float32)), -1) * 2"]
    i = r.randrange(len(forms))
    return f"promo14.{i}", [f"return {forms[i]}"], []


def norm14(d: gen.Draw):
    r = d.rng
    c = r.randint(1, 3)
    kind = r.choice(["BatchNorm1d", "BatchNorm2d", "GroupNorm", "InstanceNorm2d", "LayerNorm"])
    if kind == "BatchNorm1d":
        x = d.tensor("float32", (r.randint(2, 3), c))
        ctor = f"nn.BatchNorm1d({c}, {r.choice([1e-5, 0.1])}, {r.choice([0.9, 0.5])}, affine={r.choice([True, False])})"
    elif kind in ("BatchNorm2d", "InstanceNorm2d"):
        x = d.tensor("float32", (2, c, 2, r.randint(1, 3)))
        ctor = f"nn.{kind}({c}, {r.choice([1e-5, 0.1])}, {r.choice([0.9, 0.5])}, affine={r.choice([True, False])})"
    elif kind == "GroupNorm":
        x = d.tensor("float32", (2, 2 * c, 3))
        ctor = f"nn.GroupNorm({r.choice([1, 2])}, {2 * c}, {r.choice([1e-5, 0.1])}, affine={r.choice([True, False])})"
    else:
        x = d.tensor("float32", (2, c, 3))
        ctor = f"nn.LayerNorm(({c}, 3), 1, 1, epsilon={r.choice([1e-7, 0.3])})"
    pre = [f"layer = {ctor}"]
    pre += ["def loss(z):", "    return (layer(z) * z).sum()", "vg = ops.value_and_grad(loss, 0, layer.trainable_params())"]
    stats = ", layer.moving_mean * 1, layer.moving_variance * 1" if kind.startswith("BatchNorm") else ""
    body = ["layer.set_train(True)", f"t = vg({x} * 2)", "layer.set_train(False)", f"e = vg({x})", f"return t, e{stats}"]
    return f"norm14.{kind}", body, pre


FORMS = [(flow14, 18), (spell14, 24), (train14, 14), (multi14, 10), (api14, 10), (promo14, 6), (norm14, 8)]
CELL_WEIGHT = 0.2  # one program in five a user-written Cell


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    if form in (train14, api14, norm14):
        mode = "value"
    else:
        mode = gen.first_or_higher(rng, HIGHER)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs14(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r14", form_program, FORMS, seed, count,
                             lambda rng: gen.net_program(rng, cell14, ("net.set_train(False)",)), CELL_WEIGHT)
