"""Round 23 of ms_differential.py's programs, each drawn once and run in PyNative AND GRAPH_MODE (as rounds 21-22),
on the areas rounds 1-22 drew least (hand-written forms: each a function of a Draw returning (api, body lines, lines
before `def f`); every program is a value program: f differentiates, its results are compared, values, dtypes and
shapes; with --refusals a refusal on both sides is compared by its class):

- flow23: for over a Tensor's first axis (with break / continue on Tensor conditions), while loops whose trip count
  is an int Tensor, nested functions and closures, grad inside ms.jit and an ms.jit function inside grad, a Cell
  calling another Cell twice (shared weights) through get_by_list, a Parameter updated in construct (ops.assign /
  assign_add) then differentiated (its value after);
- higher23: grad of grad with weights (ops.grad(weights=) / GradOperation(get_by_list) of a first gradient), jvp of
  vjp, vjp of jvp, jacfwd of jacrev (hessians), sens_param with a tuple of outputs, has_aux, return_ids;
- ties23: max / min / amax / topk / sort / cummax / cummin / argmax at ties, abs / relu / clamp / where at 0 and
  at the clamp bounds, sqrt / log / pow / atan2 / div / xlogy at 0, ops.norm / LpNorm / L2Normalize at a zero
  vector, reductions with keep_dims, negative axes and empty axis tuples; first and second order, jvp;
- linalg23: inverse / MatrixInverse / det / slogdet / logdet / cholesky / qr / svd (raw factors: sign conventions) /
  MatrixSolve, lgamma / digamma / erf / erfc / erfinv / bessel_*, logsumexp / softmax / log_softmax with an axis;
- shape23: interpolate (modes, align_corners, size / scale_factor), pad modes (constant / reflect / replicate /
  circular), flip (not roll: MindSpore 2.10 CPU has no Roll kernel), tile, repeat_interleave, unfold / fold, strided slices with negative steps, gather with
  negative indices, broadcast_to, expand_dims / squeeze chains."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
from _ms_differential_gen9 import _const

CONTEXTS = ("pynative", "graph")


def _ft(r: random.Random) -> str:
    return r.choice(["float32", "float32", "float32", "float64"])


def _single_api(r: random.Random, d: gen.Draw, ft: str, shape: tuple, second: bool = True) -> tuple[str, list]:
    """(api, body) differentiating g(a0) (bound before f) and its loss h; second: also second order."""
    apis = ["grad", "value_and_grad", "jvp", "vjp", "jit_grad", "grad_op"] + (["grad2", "grad2", "jvp_grad"] if second else [])
    api = r.choice(apis)
    body = {"grad": ["return ops.grad(h, 0)(a0)"], "value_and_grad": ["return ops.value_and_grad(h, 0)(a0)"],
            "jvp": [f"return ops.jvp(g, a0, {_const(d, ft, shape)})"],
            "vjp": ["out, fn = ops.vjp(g, a0)", "return out, fn(ops.ones_like(out) * 1.5)"],
            "jit_grad": ["return ms.jit(ops.grad(h, 0))(a0)"],
            "grad_op": ["return ops.GradOperation()(h)(a0)"],
            "grad2": ["return ops.grad(h1, 0)(a0)"],
            "jvp_grad": [f"return ops.jvp(ops.grad(h, 0), a0, {_const(d, ft, shape)})"]}[api]
    return api, body


_LOSS = ["def h(x):", "    y = g(x)", "    return (y * y).sum() * 0.5 + (ops.sin(y) * 0.25).sum()",
         "def h1(x):", "    return (ops.grad(h, 0)(x) * ops.cos(x)).sum()"]


# ----------------------------------------------------------------------------------------- control flow
_FLOW23 = {  # g(x, k): x float (3, 4), k an int32 Tensor (a trip count / a threshold), not differentiated
    "for_rows": ["z = x[0] * 0", "for row in x:", "    z = z * 0.5 + ops.sin(row) * row", "return z"],
    "for_rows_break": ["z = x[0] * 0 + 1", "for row in x:", "    if row.sum() > 1.0:", "        break",
                       "    z = z * row + 0.5", "return z"],
    "for_rows_continue": ["z = x[0] * 0", "for row in x:", "    if row.max() < 0.0:", "        continue",
                          "    z = z + row * row", "return z"],
    "while_count": ["z = x", "i = Tensor(0, ms.int32)", "while i < k:", "    z = ops.tanh(z) * 1.5 + x * 0.1",
                    "    i = i + 1", "return z"],
    "while_count_break": ["z = x", "i = Tensor(0, ms.int32)", "while i < k + 2:", "    z = z * 0.8 + ops.cos(x)",
                          "    if z.sum() > 6.0:", "        break", "    i = i + 1", "return z"],
    "for_range_tensor": ["z = x", "for j in range(3):", "    if j < k:", "        z = z * x + 0.25",
                         "    else:", "        z = z - ops.sin(x)", "return z"],
    "closure": ["s = x.sum()", "def inner(u):", "    return u * s + ops.exp(u * 0.25)", "def outer(u):",
                "    return inner(inner(u) * 0.5)", "return outer(x)"],
    "nested_if": ["if x.sum() > 0:", "    if x.max() > 1.0:", "        return x * x", "    return ops.sin(x)",
                  "return x * 2 + 1"],
}


def _flow_cell(r: random.Random, d: gen.Draw) -> tuple[str, list, list]:
    """A Cell calling another Cell twice, or a Parameter updated in construct, through its Parameters' gradients."""
    kind = r.choice(["shared", "shared", "assign_add", "assign", "assign_then_use"])
    d.tensor("float32", (2, 3))
    if kind == "shared":
        pre = ["class Sub(nn.Cell):", "    def __init__(self):", "        super().__init__()",
               f"        self.w = ms.Parameter({_const(d, 'float32', (3, 3))} * 0.5, name='w')",
               "        self.b = ms.Parameter(Tensor([0.1, -0.2, 0.3], ms.float32), name='b')",
               "    def construct(self, x):", "        return ops.tanh(ops.matmul(x, self.w) + self.b)",
               "class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()", "        self.sub = Sub()",
               "    def construct(self, x):", "        y = self.sub(x)", "        return (self.sub(y) * x).sum()",
               "net = Net()"]
    else:
        update = {"assign_add": "ops.assign_add(self.p, x * 0.5)", "assign": "ops.assign(self.p, x * 2.0)",
                  "assign_then_use": "ops.assign(self.p, self.p * 2.0)"}[kind]
        pre = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
               f"        self.p = ms.Parameter({_const(d, 'float32', (2, 3))}, name='p')",
               "        self.q = ms.Parameter(Tensor([0.5, -1.0, 2.0], ms.float32), name='q')",
               "    def construct(self, x):", f"        {update}", "        return (self.p * x * self.q).sum()",
               "net = Net()"]
    api = r.choice(["by_list", "grad_weights", "vg_weights", "all_by_list"])
    call = {"by_list": "ops.GradOperation(get_by_list=True)(net, ms.ParameterTuple(net.trainable_params()))(a0)",
            "all_by_list": "ops.GradOperation(get_all=True, get_by_list=True)(net, ms.ParameterTuple(net.trainable_params()))(a0)",
            "grad_weights": "ops.grad(net, 0, net.trainable_params())(a0)",
            "vg_weights": "ops.value_and_grad(net, 0, net.trainable_params())(a0)"}[api]
    return f"flow23.cell_{kind}.{api}", [f"out = {call}", "return out, [p.value() for p in net.trainable_params()]"], pre


def flow23(d: gen.Draw):
    r = d.rng
    if r.random() < 0.3:
        return _flow_cell(r, d)
    name = r.choice(sorted(_FLOW23))
    ft = _ft(r)
    d.tensor(ft, (3, 4), r.choice(["normal", "halves"]))
    k = r.randint(0, 3)
    pre = [f"k = Tensor({k}, ms.int32)", "def g(x):", *("    " + line for line in _FLOW23[name]),
           "def h(x):", "    y = g(x)", "    return (y * y).sum() * 0.5 + ops.sin(y).sum()"]
    api = r.choice(["grad", "value_and_grad", "jvp", "vjp", "grad_in_jit", "jit_in_grad", "grad_op"])
    if api == "grad_in_jit":
        pre += ["@ms.jit", "def gj(x):", "    return ops.grad(h, 0)(x)"]
        body = ["return gj(a0)"]
    elif api == "jit_in_grad":
        pre += ["@ms.jit", "def hj(x):", "    return h(x)", "def hh(x):", "    return hj(x) * 2.0 + (x * x).sum()"]
        body = ["return ops.grad(hh, 0)(a0)"]
    else:
        body = {"grad": ["return ops.grad(h, 0)(a0)"], "value_and_grad": ["return ops.value_and_grad(h, 0)(a0)"],
                "jvp": [f"return ops.jvp(g, a0, {_const(d, ft, (3, 4))})"],
                "vjp": ["out, fn = ops.vjp(g, a0)", "return out, fn(ops.ones_like(out) * 1.5)"],
                "grad_op": ["return ops.GradOperation(get_all=True)(h)(a0)"]}[api]
    return f"flow23.{name}.{api}", body, pre


# ----------------------------------------------------------------------------------------- higher order
_HG23 = {"sin_mul": "ops.sin(x) * y + x * x * y", "tanh_exp": "ops.tanh(x * y) + ops.exp(x * 0.3) * y",
         "matmul": "ops.matmul(ops.matmul(x, y.T), y) * x.sum()", "softplus": "ops.softplus(x - y) * (x + y)",
         "relu_sq": "ops.relu(x) * ops.relu(x) * y", "abs_cube": "ops.abs(x) ** 3 * y + ops.abs(y) * x"}


def higher23(d: gen.Draw):
    r = d.rng
    kind = r.choice(["gg_weights", "gg_by_list", "jvp_of_vjp", "vjp_of_jvp", "hessian", "hessian_rev", "sens_tuple",
                     "has_aux", "vg_has_aux", "return_ids", "grad_grad_pos", "grad_jvp"])
    name = r.choice(sorted(_HG23))
    ft = "float32" if kind.startswith(("hessian", "gg_")) else _ft(r)
    shape = (2, 3)
    if kind.startswith("gg_"):
        d.tensor("float32", shape, r.choice(["normal", "halves"]))
        pre = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
               f"        self.w = ms.Parameter({_const(d, 'float32', shape)}, name='w')",
               "    def construct(self, x):", "        y = self.w", f"        return ({_HG23[name]}).sum()",
               "net = Net()", "def first(x):", "    return (ops.grad(net, 0)(x) * ops.cos(x)).sum()"]
        call = "ops.grad(first, 0, net.trainable_params())(a0)" if kind == "gg_weights" else \
            "ops.GradOperation(get_by_list=True)(first, ms.ParameterTuple(net.trainable_params()))(a0)"
        return f"higher23.{kind}.{name}", [f"return {call}"], pre
    d.tensor(ft, shape, r.choice(["normal", "halves"]))
    d.tensor(ft, shape)
    pre = ["def g(x, y):", f"    return {_HG23[name]}", "def s(x, y):", "    return g(x, y).sum()"]
    t0, t1, ct = _const(d, ft, shape), _const(d, ft, shape), _const(d, ft, shape)
    if kind == "jvp_of_vjp":
        pre += [f"ct = {ct}", "def vj(x, y):", "    out, fn = ops.vjp(g, x, y)", "    return fn(ct)[0]"]
        body = [f"return ops.jvp(vj, (a0, a1), ({t0}, {t1}))"]
    elif kind == "vjp_of_jvp":
        pre += [f"t0 = {t0}", f"t1 = {t1}", "def jv(x, y):", "    return ops.jvp(g, (x, y), (t0, t1))[1]"]
        body = ["out, fn = ops.vjp(jv, a0, a1)", f"return out, fn({ct})"]
    elif kind == "hessian":
        body = ["return ms.jacfwd(ms.jacrev(s, 0), 0)(a0, a1)"]
    elif kind == "hessian_rev":
        body = ["return ms.jacrev(ms.jacrev(s, (0, 1)), 0)(a0, a1)"]
    elif kind == "sens_tuple":
        pre += ["def g2(x, y):", "    return g(x, y), ops.sin(x) * y.sum()"]
        body = [f"return ops.GradOperation(get_all=True, sens_param=True)(g2)(a0, a1, ({ct}, {t0}))"]
    elif kind == "has_aux":
        pre += ["def ga(x, y):", "    return s(x, y), x * 2, ops.cos(y)"]
        body = [f"return ops.grad(ga, {r.choice(['0', '(0, 1)', '1'])}, has_aux=True)(a0, a1)"]
    elif kind == "vg_has_aux":
        pre += ["def ga(x, y):", "    return s(x, y), (x * 2, ops.cos(y))"]
        body = [f"return ops.value_and_grad(ga, {r.choice(['0', '(0, 1)'])}, has_aux=True)(a0, a1)"]
    elif kind == "return_ids":
        body = [f"return ops.grad(s, {r.choice(['0', '(0, 1)', '(1, 0)'])}, return_ids=True)(a0, a1)"]
    elif kind == "grad_grad_pos":
        pre += ["def first(x, y):", "    gx, gy = ops.grad(s, (0, 1))(x, y)", "    return (gx * gy).sum() + (gx * gx).sum()"]
        body = [f"return ops.grad(first, {r.choice(['(0, 1)', '0', '1'])})(a0, a1)"]
    else:  # grad of a jvp's tangent
        pre += [f"t0 = {t0}", f"t1 = {t1}", "def jt(x, y):", "    return (ops.jvp(g, (x, y), (t0, t1))[1] ** 2).sum()"]
        body = ["return ops.grad(jt, (0, 1))(a0, a1)"]
    return f"higher23.{kind}.{name}.{ft}", body, pre


# ----------------------------------------------------------------------------------------- ties and edges
_TIES23 = {  # g(x) over x of shape (3, 4) (halves / ints: ties and zeros)
    "max_axis": "ops.max(x, -1, True)[0] * x", "min_axis": "ops.min(x, 0)[0]", "max_all": "ops.max(x)[0] * x",
    "amax_tuple": "ops.amax(x, (0, -1), True) + x", "amin_neg": "ops.amin(x, -2)", "maximum_tie": "ops.maximum(x, ops.round(x))",
    "minimum_self": "ops.minimum(x, x * 1.0)", "topk": "ops.topk(x, 2)[0]", "topk_small": "ops.topk(x, 2, 0, False)[0]",
    "sort": "ops.sort(x, -1)[0] * Tensor([1.0, 2.0, 3.0, 4.0], x.dtype)", "sort_desc": "ops.sort(x, 0, True)[0]",
    "cummax": "ops.cummax(x, 1)[0]", "cummin": "ops.cummin(x, -2)[0]", "argmax_mul": "x * ops.cast(ops.argmax(x, -1, True), x.dtype)",
    "abs": "ops.abs(x) * x", "relu": "ops.relu(x) + ops.relu6(x * 3)", "clamp": "ops.clamp(x, -0.5, 0.5)",
    "clamp_t": "ops.clamp(x, Tensor(-1.0, x.dtype), Tensor(1.0, x.dtype))", "where0": "ops.where(x > 0, x * x, -x)",
    "where_ge": "ops.where(x >= 0.5, ops.sin(x), x * 2)", "sqrt0": "ops.sqrt(ops.relu(x))", "log0": "ops.log(ops.abs(x))",
    "pow_half": "ops.pow(ops.abs(x), 0.5)", "pow_zero_exp": "ops.pow(x, 0.0) + ops.pow(x, 1.0)", "pow_x_x": "ops.pow(ops.abs(x), x)",
    "pow2": "ops.pow(x, 2.0) + x ** 3", "atan2": "ops.atan2(x, ops.relu(x))", "atan2_00": "ops.atan2(x * 0, x * 0) + x",
    "div0": "ops.div(x, ops.abs(x) + x)", "xlogy": "ops.xlogy(x, ops.abs(x))", "sign": "ops.sign(x) * x * x",
    "norm_zero": "ops.norm(x * 0) + x.sum()", "norm_rows": "ops.norm(x * ops.cast(x > 10, x.dtype), dim=-1)",
    "norm_p1": "ops.norm(x, 1, -1, True)", "norm_inf": "ops.norm(x, float('inf'), 0)",
    "lpnorm": "ops.LpNorm(axis=-1, p=2)(x * ops.cast(x > 0.8, x.dtype))", "lpnorm_keep": "ops.LpNorm(axis=[0, 1], p=1, keep_dims=True)(x)",
    "l2normalize": "ops.L2Normalize(axis=-1)(x * ops.cast(x > 0.8, x.dtype))", "l2normalize0": "ops.L2Normalize(axis=0, epsilon=1e-6)(x)",
    "sum_empty": "ops.ReduceSum(True)(x * x, ())", "mean_empty": "ops.ReduceMean()(x * x, ())",
    "max_empty": "ops.ReduceMax(True)(x, ())", "sum_keep_neg": "ops.sum(x * x, -1, True) * x",
    "mean_tuple": "ops.mean(x * x, (-1, 0), True) + x", "prod_keep": "ops.prod(x, -1, True)", "prod_all": "ops.prod(x) + x",
    "std_keep": "ops.std(x, -1, keepdims=True)", "var_neg": "ops.var(x, -2)", "logsumexp_empty": "ops.logsumexp(x, (), True)",
    "median": "ops.median(x, -1)[0]", "kthvalue_like": "ops.sort(x, -1)[0][:, 1:3]",
}


def ties23(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_TIES23))
    ft = "float32" if name.startswith(("lpnorm", "l2normalize")) else _ft(r)  # MindSpore's LpNorm: float16 / 32
    d.tensor(ft, (3, 4), r.choice(["halves", "halves", "ints", "normal"]))
    pre = ["def g(x):", f"    return {_TIES23[name]}", *_LOSS]
    api, body = _single_api(r, d, ft, (3, 4))
    return f"ties23.{name}.{api}", body, pre


# ----------------------------------------------------------------------------------------- linalg and special
_LINALG23 = {  # g(x) over x (3, 3) ('spd' builds a symmetric positive definite a from x)
    "inverse": "ops.inverse(x + 3 * ops.eye(3, 3, x.dtype))", "matrix_inverse": "ops.MatrixInverse()(x + 3 * ops.eye(3, 3, x.dtype))",
    "det": "ops.det(x)", "det_batch": "ops.det(ops.stack([x, x.T * 2]))", "slogdet": "ops.slogdet(x)[1] * ops.slogdet(x)[0]",
    "logdet": "ops.logdet(SPD)", "cholesky": "ops.cholesky(SPD)", "cholesky_upper": "ops.cholesky(SPD, upper=True)",
    "qr": "ops.qr(x)[0] * 2 + ops.qr(x)[1]", "qr_r": "ops.qr(x)[1]", "svd_s": "ops.svd(x, compute_uv=False)",
    "svd_uv": "ops.svd(x)[1] * ops.svd(x)[2]", "svd_recon": "ops.matmul(ops.svd(x)[1] * ops.svd(x)[0], ops.svd(x)[2].T)",
    "solve": "ops.MatrixSolve()(x + 3 * ops.eye(3, 3, x.dtype), x[:, :2])",
    "solve_adj": "ops.MatrixSolve(adjoint=True)(SPD, x)", "matrix_power": "ops.matrix_power(x, 3)",
    "lgamma": "ops.lgamma(ops.abs(x) + 0.3)", "digamma": "ops.digamma(ops.abs(x) + 0.5)", "erf": "ops.erf(x) * x",
    "erfc": "ops.erfc(x)", "erfinv": "ops.erfinv(ops.tanh(x) * 0.9)", "bessel_i0": "ops.bessel_i0(x)",
    "bessel_i1": "ops.bessel_i1(x)", "bessel_i0e": "ops.bessel_i0e(x)", "bessel_i1e": "ops.bessel_i1e(x)",
    "bessel_j0": "ops.bessel_j0(x)", "bessel_j1": "ops.bessel_j1(x)", "bessel_k0": "ops.bessel_k0(ops.abs(x) + 0.2)",
    "bessel_y0": "ops.bessel_y0(ops.abs(x) + 0.2)", "logsumexp": "ops.logsumexp(x, -1)", "logsumexp_keep": "ops.logsumexp(x, 0, True)",
    "softmax0": "ops.softmax(x, 0)", "softmax_neg": "ops.softmax(x * 2, -2)", "log_softmax0": "ops.log_softmax(x, 0)",
    "log_softmax": "ops.log_softmax(x, -1)", "polygamma1": "ops.polygamma(Tensor(1, ms.int32), ops.abs(x) + 0.5)",
    "mvlgamma": "ops.mvlgamma(ops.abs(x) + 1.5, 2)", "trace": "ops.trace(ops.matmul(x, x))", "pinv": "ops.pinv(x + 3 * ops.eye(3, 3, x.dtype))",
}


def linalg23(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_LINALG23))
    ft = _ft(r)
    d.tensor(ft, (3, 3))
    expr = _LINALG23[name].replace("SPD", "(ops.matmul(x, x.T) + ops.eye(3, 3, x.dtype))")
    pre = ["def g(x):", f"    return {expr}", *_LOSS]
    api, body = _single_api(r, d, ft, (3, 3), second=not name.startswith(("svd", "qr", "cholesky", "bessel", "erfinv")))
    return f"linalg23.{name}.{api}", body, pre


# ----------------------------------------------------------------------------------------- shape ops
_SHAPE23 = {  # name: (x's shape, g(x))
    "interp_nearest": ((1, 2, 3), "ops.interpolate(x, size=5, mode='nearest')"),
    "interp_linear": ((1, 2, 3), "ops.interpolate(x, size=5, mode='linear')"),
    "interp_linear_ac": ((1, 2, 3), "ops.interpolate(x, size=5, mode='linear', align_corners=True)"),
    "interp_linear_sf": ((1, 2, 4), "ops.interpolate(x, scale_factor=1.5, mode='linear', recompute_scale_factor=True)"),
    "interp_bilinear": ((1, 1, 2, 3), "ops.interpolate(x, size=(3, 4), mode='bilinear')"),
    "interp_bilinear_ac": ((1, 1, 2, 3), "ops.interpolate(x, size=(4, 5), mode='bilinear', align_corners=True)"),
    "interp_bicubic": ((1, 1, 3, 3), "ops.interpolate(x, size=(4, 5), mode='bicubic')"),
    "interp_bicubic_ac": ((1, 1, 3, 3), "ops.interpolate(x, size=(5, 4), mode='bicubic', align_corners=True)"),
    "interp_nearest2d": ((1, 2, 2, 3), "ops.interpolate(x, scale_factor=(2.0, 1.5), mode='nearest', recompute_scale_factor=True)"),
    "interp_area": ((1, 1, 4, 6), "ops.interpolate(x, size=(2, 3), mode='area')"),
    "interp_trilinear": ((1, 1, 2, 2, 3), "ops.interpolate(x, size=(3, 3, 4), mode='trilinear')"),
    "pad_const": ((2, 3), "ops.pad(x, (1, 2), mode='constant', value=0.5)"),
    "pad_neg": ((3, 4), "ops.pad(x, (-1, 1, 0, -1))"),
    "pad_reflect": ((1, 2, 4), "ops.pad(x, (2, 1), mode='reflect')"),
    "pad_reflect2d": ((1, 1, 3, 3), "ops.pad(x, (1, 2, 2, 1), mode='reflect')"),
    "pad_replicate": ((1, 2, 3), "ops.pad(x, (2, 3), mode='replicate')"),
    "pad_replicate2d": ((1, 1, 2, 3), "ops.pad(x, (1, 1, 2, 0), mode='replicate')"),
    "pad_circular": ((1, 2, 4), "ops.pad(x, (1, 2), mode='circular')"),
    "pad_circular2d": ((1, 1, 3, 3), "ops.pad(x, (1, 1, 2, 1), mode='circular')"),
    "flip": ((3, 4), "ops.flip(x, (0, -1)) * x"), "flip1": ((2, 3, 2), "ops.flip(x, (1,))"),
    "tile": ((2, 3), "ops.tile(x, (2, 1, 2))"), "tile_short": ((2, 3), "ops.tile(x, (2,))"),
    "repeat_interleave": ((2, 3), "ops.repeat_interleave(x, 2, 1)"),
    "repeat_interleave_t": ((3, 2), "ops.repeat_interleave(x, Tensor([1, 0, 2], ms.int32), 0)"),
    "repeat_interleave_flat": ((2, 3), "ops.repeat_interleave(x, 2)"),
    "unfold": ((1, 2, 3, 4), "ops.unfold(x, 2)"), "unfold_opts": ((1, 1, 4, 4), "ops.unfold(x, (2, 3), dilation=1, padding=1, stride=2)"),
    "unfold_dil": ((1, 2, 5, 5), "ops.unfold(x, 2, dilation=2, padding=0, stride=1)"),
    "fold": ((1, 4, 6), "ops.fold(x, Tensor([3, 4], ms.int32), 2)"),
    "fold_stride": ((1, 4, 4), "ops.fold(x, Tensor([4, 4], ms.int32), 2, stride=2)"),
    "slice_neg": ((3, 4), "x[::-1, ::-2] * x[:, 1::2].sum()"), "slice_neg2": ((4, 3), "x[-1:0:-1] * 2 + x[2::-2].sum()"),
    "slice_neg3": ((3, 5), "x[:, -2::-3]"), "strided_slice": ((3, 4), "ops.StridedSlice()(x, (2, 3), (0, 0), (-1, -2))"),
    "gather_neg": ((3, 4), "ops.gather(x, Tensor([-1, 0, -2], ms.int32), 0)"),
    "gather_neg_ax": ((3, 4), "ops.gather(x, Tensor([[-1, 1], [0, -4]], ms.int32), 1)"),
    "take_neg": ((3, 4), "x[Tensor([-1, -3], ms.int32)] * x[:, -1:]"),
    "broadcast_to": ((3, 1), "ops.broadcast_to(x, (2, 3, 4))"), "broadcast_to_neg": ((1, 4), "ops.broadcast_to(x, (3, -1)) * x"),
    "expand_squeeze": ((3, 4), "ops.squeeze(ops.expand_dims(ops.expand_dims(x, 0), -1), (0,)) * 2"),
    "squeeze_chain": ((1, 3, 1, 2), "ops.squeeze(ops.squeeze(x, 0), 1) * 3"),
    "unsqueeze_neg": ((3, 2), "ops.unsqueeze(x, -2) * ops.unsqueeze(x, 0)"),
    "moveaxis": ((2, 3, 4), "ops.moveaxis(x, 0, -1) * 2"), "flatten_unflatten": ((2, 3, 4), "ops.flatten(x, start_dim=1).reshape(4, 6)"),
}


def shape23(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_SHAPE23))
    shape, expr = _SHAPE23[name]
    ft = _ft(r)
    d.tensor(ft, shape, r.choice(["normal", "halves"]))
    pre = ["def g(x):", f"    return {expr}", *_LOSS]
    api, body = _single_api(r, d, ft, shape)
    return f"shape23.{name}.{api}", body, pre


FORMS = [(flow23, 16), (higher23, 16), (ties23, 20), (linalg23, 16), (shape23, 16)]


def form_program(rng: random.Random, form) -> dict:
    api, src, _ = gen.form_source(rng, form)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": "value"}


def programs23(seed: int, count: int, available) -> list[dict]:
    """count programs, each twice: PyNative, then GRAPH_MODE (`context`; names end in @pynative / @graph)."""
    return [{**p, "name": f"{p['name']}@{ctx}", "context": ctx}
            for p in gen.form_programs("r23", form_program, FORMS, seed, count) for ctx in CONTEXTS]
