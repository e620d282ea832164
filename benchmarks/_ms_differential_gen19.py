"""Round 19 of ms_differential.py's programs, aimed at the engine's optimiser passes and fused kernels (round 18 found a
contraction bug in sum(x * x * w, 1)); forms rounds 1-18 did not draw (hand-written as rounds 10-18: each a function
of a Draw returning (api, body lines, lines before `def f`)):

- contract19: sums / means / einsum / matmul chains over products with repeated and broadcast factors, reductions
  over several axes with keepdims, transposes / reshapes / broadcast_to between contractions;
- select19: where / select / masked_fill with broadcast conditions, gather / index_select / gather_elements /
  tensor_scatter_add / index_add with repeated indices, cumsum / cumprod / logcumsumexp along negative axes;
- softmax19: softmax / log_softmax / logsumexp along a non-last axis, always second or third order;
- norm19: norms (ops.norm, LpNorm, vector_norm, matrix_norm) of tensors with a zero row (a kink), or all zeros;
- conv19: conv1d / conv2d / pooling after a transpose, and a contraction after the convolution;
- vmap19 (values only): ops.vmap with in_axes on a middle axis, grad inside and outside, nested."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen9 import _const

HIGHER = gen7.HIGHER_MODES + ["grad3"]


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 3 + ["float64"])


def _c(d: gen.Draw, dtype: str, shape: tuple, domain: str = "normal") -> str:
    """A constant bound before `def f` (MindSpore's graph mode, jit / jacrev / hessian, cannot parse T inside f)."""
    d.pre = getattr(d, "pre", [])
    d.pre.append(f"c{len(d.pre)} = {_const(d, dtype, shape, domain)}")
    return f"c{len(d.pre) - 1}"


def _dom(r: random.Random) -> str:
    return r.choice(["normal", "normal", "halves"])


# ----------------------------------------------------------------------------------------- contractions
def contract19(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    big = r.random() < .45  # sizes past contract.py's thresholds (its matmul / ones-product / outer rewrites)
    a, b, c = (r.choice([2, 3, 9]), r.choice([3, 8, 17]), r.choice([4, 16, 65])) if big else \
        (r.randint(1, 3), r.randint(2, 3), r.randint(2, 4))
    x = d.tensor(ft, (a, b, c), _dom(r))
    w = d.tensor(ft, r.choice([(c,), (1, c), (b, 1), (b, c), (1, 1, c), (a, 1, 1)]))
    m = d.tensor(ft, (b, b)) if r.random() < .5 else None
    v = d.tensor(ft, (c,))
    forms = {
        "sum_xxw_axes_keep": f"ops.sum({x} * {x} * {w}, (0, 2), keepdim=True) * {x}",
        "sum_xwx_02": f"ops.sum({x} * {w} * {x}, (0, -1))",
        "sum_wxxw": f"ops.sum({w} * {x} * {w} * {x}, -2)",
        "mean_xwxw_keep": f"({x} * {w} * {x} * {w}).mean((1, -1), keep_dims=True)",
        "mean_cube": f"ops.mean({x} * {x} * {x} * {w}, (0, 1))",
        "sum_keep_div": f"({x} * {x}).sum(-1, keepdims=True) / ({x} * {x} + 1).sum((-2, -1), keepdims=True)",
        "sum_all_xxx": f"({x} * {x} * {x}).sum() * {w}",
        "sum_T_prod": f"ops.sum(ops.transpose({x}, (2, 1, 0)) * ops.transpose({x} * {w}, (2, 1, 0)), (0, 2))",
        "sum_swap": f"ops.sum({x}.swapaxes(0, 2) * {x}.swapaxes(0, 2), 1, keepdim=True)",
        "sum_reshape": f"ops.sum(ops.reshape({x} * {x} * {w}, ({a}, {b * c})) * ops.reshape({x}, ({a}, {b * c})), -1)",
        "sum_bcast_to": f"ops.sum(ops.broadcast_to({w}, {x}.shape) * {x} * {x}, -1, keepdim=True) * {x}",
        "sum_bcast_to2": f"ops.broadcast_to(ops.sum({x} * {w}, 0), ({a}, {b}, {c})) * {x}",
        "sum_expand": f"ops.sum(ops.expand_dims({x}.sum(0) * {v}, 0) * {x} * {x}, (1, 2))",
        "matmul_xxT": f"ops.matmul({x} * {w}, ops.transpose({x}, (0, 2, 1)))",
        "matmul_chain": f"ops.matmul(ops.matmul({x}, ops.transpose({x} * {w}, (0, 2, 1))), {x})",
        "matmul_vec": f"ops.matmul({x} * {x}, {v}) * {x}.sum(-1)",
        "matmul_sum": f"ops.matmul({x}, {v} * {v}).sum(0, keepdims=True)",
        "bmm_sq": f"ops.bmm({x} * {w}, ops.transpose({x} * {w}, (0, 2, 1))).sum(-1)",
        "outer_sq": f"ops.sum(ops.outer({v}, {v}) * ops.outer({v}, {x}.sum((0, 1))), 1)",
        "prod_keep": f"ops.prod({x} * {w}, -2, keep_dims=True) * {x}",
        "einsum_xxw": f"ops.einsum('abc,abc,c->a', {x}, {x}, {v})",
        "einsum_chain": f"ops.einsum('abc,adc->abd', {x} * {w}, {x})",
        "mint_einsum": f"mint.einsum('abc,abc->b', {x} * {w}, {x})",
        "mint_sum_keep": f"mint.sum({x} * {x} * {w}, (0, 2), keepdim=True) * mint.mean({x} * {w}, -1, True)",
        "std_axes": f"ops.std({x} * {w}, (0, 2), keepdims=True) * {x}",
        "var_sq": f"({x} * {x} * {w}).var((1, 2), ddof=1, keepdims=True)",
        "sum_diff0": f"({x} * {w}).sum(0) - ({x} * {x}).sum(0)",
        "sum_diff1": f"ops.sum({x} * {w} * {x}, 1) - ops.sum({x} * {w}, 1) * 2",
        "outer_run": f"({x}.sum(-1, keepdims=True) * {v} * {x}.sum(-1, keepdims=True)).sum(1)",
        "reuse_chain": f"({x} * 3.0 * {w}) * ops.sin({x}) + {x} * {w} * {x}",
        "double_sq": f"({x} * {w}) * ({x} * {w}) + ({x} * {w} * {x} * {w})",
        "sum_mid": f"ops.sum({x} * {x}, 1) * ops.sum({x} * {w}, 1, keepdim=False)",
    }
    if m is not None:
        forms.update({
            "mm_mxm": f"ops.matmul(ops.matmul({m}, {x} * {w}), ops.transpose({x}, (0, 2, 1)))",
            "mm_mmT": f"ops.sum(ops.matmul({m}, {m}.T) * {m} * {m}, 1)",
            "mm_m_x_m": f"ops.matmul({m} * {m}, {x}) * ops.matmul({m}, {x})",
            "mm_tr": f"ops.matmul({m}.T, ops.matmul({x}, {x}.transpose(0, 2, 1))).sum((0, 2))",
        })
    name = r.choice(sorted(forms))
    return f"contract19.{name}" + (".big" if big else ""), [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- select / index / scans
def select19(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    b, c = r.randint(2, 4), r.randint(2, 4)
    x = d.tensor(ft, (b, c), _dom(r))
    y = d.tensor(ft, r.choice([(c,), (1, c), (b, 1), (b, c)]))
    k = r.randint(2, 5)
    ib = _c(d, "int32", (k,), f"index{b}")
    ic = _c(d, "int32", (k,), f"index{c}")
    ie = _c(d, "int64", (b, c), f"index{c}")
    isc = _c(d, "int32", (k, 1), f"index{b}")
    cond = _c(d, "float32", r.choice([(c,), (1, c), (b, 1), (b, c)]))
    xz = d.tensor(ft, (b, c), r.choice(["ints", "halves"]))
    forms = {
        "where_bcast": f"ops.where({cond} > 0, {x} * {y}, {x} * {x})",
        "where_scalar": f"ops.where({cond} > 0, {x} * {x}, 0.5) * {y}",
        "where_nested": f"ops.where({x} > 0, ops.where({cond} > 0, {x}, {y}), {x} * {y})",
        "select_bcast": f"ops.select({cond} > 0, {x} * {y}, {y} * {y} + {x})",
        "masked_fill": f"ops.masked_fill({x} * {y}, {cond} > 0, 0.5) * {x}",
        "masked_fill_t": f"{x}.masked_fill({cond} < 0, 2.0) * {y}",
        "gather0": f"ops.gather({x} * {y}, {ib}, 0) * 2",
        "gather1": f"ops.gather({x} * {x}, {ic}, 1).sum(0) * ops.gather({y}, {ic}, -1).sum()",
        "gather_neg": f"ops.gather({x}, {ic}, -1) * ops.gather({x}, {ic}, -1)",
        "index_select": f"ops.index_select({x} * {y}, 0, {ib}) * ops.index_select({x}, 0, {ib})",
        "gather_elements": f"ops.gather_elements({x} * {y}, 1, {ie}) * {x}",
        "gather_elements_neg": f"ops.gather_elements({x} * {x}, -1, {ie}) + {x}",
        "tensor_scatter_add": f"ops.tensor_scatter_add({x}, {isc}, ops.ones(({k}, {c}), {x}.dtype) * {y}.sum(0) * {x}.sum())",
        "index_add": f"ops.index_add({x} * 1, {ib}, ops.ones(({k}, {c}), {x}.dtype) * {y}.sum(0) * {y}.sum(0), 0)",
        "index_add_t": f"{x}.index_add(0, {ib}, ops.ones(({k}, {c}), {x}.dtype) * {y}.sum(0) * {x}.sum(), alpha=2)",
        "getitem_rep": f"{x}[{ib}] * {x}[{ib}] * {y}.sum(0)",
        "cumsum_neg": f"ops.cumsum({x} * {y}, -1) * {x}",
        "cumsum_neg2": f"ops.cumsum({x} * {x}, -2).sum(-1)",
        "cumprod_neg": f"ops.cumprod({xz} * {y}, -1)",
        "cumprod_neg2": f"ops.cumprod({xz}, -2) * {x}",
        "cumprod_t": f"{xz}.cumprod(-1) + {x}.cumsum(-2)",
        "logcumsumexp_neg": f"ops.logcumsumexp({x} * {y}, -2)",
        "cummax_neg": f"ops.cummax({xz} * {y}, -1)[0]",
        "cummin_neg": f"ops.cummin({xz} * {x}, -2)[0]",
        "mint_cumsum": f"mint.cumsum({x} * {y}, -1) * mint.cumprod({xz}, -1)",
    }
    name = r.choice(sorted(forms))
    return f"select19.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- softmax along other axes
def softmax19(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(2, 3), r.randint(2, 3), r.randint(1, 3))
    x = d.tensor(ft, shape, _dom(r))
    w = _c(d, ft, (shape[0], 1, shape[2]))
    forms = {
        "softmax0": f"ops.softmax({x}, 0) * {w}", "softmax1": f"ops.softmax({x} * {x}, 1)",
        "softmax_neg2": f"ops.softmax({x}, -2) * {x}", "softmax_neg3": f"ops.softmax({x} * {w}, -3)",
        "log_softmax0": f"ops.log_softmax({x}, 0) * {w}", "log_softmax1": f"ops.log_softmax({x} * {x}, 1) * {x}",
        "log_softmax_neg2": f"ops.log_softmax({x}, -2)", "logsumexp0": f"ops.logsumexp({x}, 0, keep_dims=True) * {x}",
        "logsumexp_axes": f"ops.logsumexp({x} * {w}, (0, 2))", "logsumexp1": f"ops.logsumexp({x} * {x}, 1)",
        "nn_softmax0": f"nn.Softmax(axis=0)({x}) * {x}", "nn_logsoftmax1": f"nn.LogSoftmax(axis=1)({x} * {w})",
        "mint_softmax0": f"mint.nn.functional.softmax({x}, dim=0) * {w}",
        "mint_log_softmax1": f"mint.nn.functional.log_softmax({x}, dim=1) * {x}",
        "mint_logsumexp": f"mint.logsumexp({x}, 1, True) * {x}",
        "softmax_T": f"ops.softmax(ops.transpose({x}, (1, 0, 2)), -1) * ops.transpose({x}, (1, 0, 2))",
        "softmax_sum": f"(ops.softmax({x}, 1) * {x}).sum(1)",
        "attention": f"ops.matmul(ops.softmax(ops.matmul({x}, {x}.transpose(0, 2, 1)), 1), {x})",
    }
    name = r.choice(sorted(forms))
    return f"softmax19.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- norms at kinks
def norm19(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    b, c = r.randint(1, 3), r.randint(2, 4)
    x = d.tensor(ft, (b, c), _dom(r))
    z = r.choice([f"ops.concat(({x}, {x}[:1] * 0), 0)", f"{x} * 0", f"ops.concat(({x}[:, :1] * 0, {x}), 1)"])
    forms = {
        "norm_dim": f"ops.norm({{z}}, dim=-1)", "norm_keep": f"ops.norm({{z}}, dim=-1, keepdim=True) * {{z}}",
        "norm_all": "ops.norm({z})", "norm_1": "ops.norm({z}, 1, -1)", "norm_inf": "ops.norm({z}, float('inf'), -1)",
        "norm_3": "ops.norm({z}, 3.0, 0)", "norm_fro": "ops.norm({z}, 'fro')",
        "lpnorm2": "ops.LpNorm(axis=-1, p=2)({z})", "lpnorm1": "ops.LpNorm(axis=[0, 1], p=1)({z})",
        "lpnorm_keep": "ops.LpNorm(axis=0, p=2, keep_dims=True)({z}) * {z}",
        "vector_norm3": "ops.vector_norm({z}, 3, -1)", "vector_norm2": "ops.vector_norm({z}, 2, (0, 1))",
        "vector_norm_inf": "ops.vector_norm({z}, float('inf'), 0)", "vector_norm_half": "ops.vector_norm({z} + 1, 0.5, -1)",
        "matrix_norm_fro": "ops.matrix_norm({z}, 'fro')", "matrix_norm_1": "ops.matrix_norm({z} + 1, 1)",
        "normalize": "{z} / ops.clamp(ops.norm({z}, dim=-1, keepdim=True), 1e-6)",
        "l2_normalize": "ops.L2Normalize(axis=-1)({z})", "mint_norm": "mint.norm({z}, 2, -1)",
        "norm_sq": "ops.norm({z}, dim=-1) ** 2", "norm_times": "ops.norm({z} * {z}, dim=0) * {z}.sum()",
    }
    name = r.choice(sorted(forms))
    return f"norm19.{name}", ["z = " + z.replace(str(x), "a0"), "return " + forms[name].format(z="z")], []


# ----------------------------------------------------------------------------------------- conv / pool after a transpose
def conv19(d: gen.Draw):
    r = d.rng
    n, c, h, w = r.randint(1, 2), r.randint(1, 3), r.randint(3, 5), r.randint(3, 5)
    o, k = r.randint(1, 3), r.randint(1, 3)
    x = d.tensor("float32", (n, h, w, c), _dom(r))
    wt = d.tensor("float32", (o, c, k, k))
    stride, pm = r.choice([1, 2]), r.choice(["valid", "same", "pad"])
    pad = f", padding={r.randint(0, 1)}" if pm == "pad" else ""
    xt = f"ops.transpose({x}, (0, 3, 1, 2))"
    xs = f"{x}.permute(0, 3, 2, 1)"
    forms = {
        "conv2d_T": f"ops.conv2d({xt}, {wt}, stride={stride}, pad_mode={pm!r}{pad})",
        "conv2d_T_sq": f"ops.conv2d({xt} * {xt}, {wt}, pad_mode={pm!r}{pad}).sum((2, 3))",
        "conv2d_perm": f"ops.conv2d({xs}, {wt} * {wt}, stride={stride}, pad_mode={pm!r}{pad})",
        "conv2d_then_T": f"ops.transpose(ops.conv2d({xt}, {wt}, pad_mode='same'), (0, 2, 3, 1)) * {x}.sum(-1, keepdims=True)",
        "conv2d_mm": f"ops.matmul(ops.conv2d({xt}, {wt}, pad_mode='valid').reshape({n}, {o}, -1), "
                     f"ops.conv2d({xt}, {wt}, pad_mode='valid').reshape({n}, {o}, -1).transpose(0, 2, 1))",
        "avg_pool_T": f"ops.avg_pool2d({xt} * {xt}, {min(k, h, w)}, {stride})",
        "max_pool_T": f"ops.max_pool2d({xt}, {min(k + 1, h, w)}, {stride})",
        "max_pool_perm": f"ops.max_pool2d({xs} * 2, 2, 1) * 3",
        "adaptive_T": f"ops.adaptive_avg_pool2d({xt} * {xt}, (2, 2))",
        "conv1d_T": f"ops.conv1d(ops.transpose({x}.reshape({n}, {h * w}, {c}), (0, 2, 1)), {wt}[:, :, 0], "
                    f"stride={stride}, pad_mode={pm!r}{pad})",
        "nn_conv_T": f"net({xt}) * {wt}.sum()",
        "avg_pool_reshape": f"ops.avg_pool2d(ops.reshape({xt}, ({n}, {c}, {w}, {h})), 2, 1) * 2",
    }
    pre = []
    name = r.choice(sorted(forms))
    if name == "nn_conv_T":
        pre = [f"net = nn.Conv2d({c}, {o}, {k}, stride={stride}, pad_mode={pm!r}{pad}, has_bias=True)",
               f"net.weight.set_data({_const(d, 'float32', (o, c, k, k))})",
               f"net.bias.set_data({_const(d, 'float32', (o,))})"]
    return f"conv19.{name}", [f"return {forms[name]}"], pre


# ----------------------------------------------------------------------------------------- vmap on a middle axis
def vmap19(d: gen.Draw):
    """Values only."""
    r = d.rng
    ft = _f(r)
    a, bb, c = r.randint(1, 3), r.randint(2, 3), r.randint(2, 3)
    d.tensor(ft, (a, bb, c), _dom(r))  # batched on axis 1
    d.tensor(ft, (a, c))  # not batched, or batched on 0 when in_axes (1, 0) with shape (bb, ...): see below
    inner = r.choice(["(x * x * y).sum()", "(x * y * x * y).sum() + ops.sum(x * x, (0, 1))",
                      "ops.logsumexp(x * y, 0).sum()", "(ops.softmax(x, 0) * y).sum()",
                      "(ops.cumsum(x * y, -1) * x).sum()", "ops.norm(x * y, dim=-1).sum()",
                      "ops.matmul(x * y, (x * y).T).sum()", "(ops.where(x > 0, x * y, x * x)).sum()",
                      "ops.sum(x * x * y, 1, keepdim=True).sum()", "(ops.gather(x * y, IDX, 1) * x[:, :1]).sum()"])
    inner = inner.replace("IDX", _c(d, "int32", (3,), f"index{c}"))
    pre = ["def inner(x, y):", f"    return {inner}"]
    forms = {
        "grad_in": "ops.vmap(ops.grad(inner), in_axes=(1, None), out_axes={o})(a0, a1)",
        "grad_both": "ops.vmap(ops.grad(inner, (0, 1)), in_axes=(1, None), out_axes={o})(a0, a1)",
        "value": "ops.vmap(inner, in_axes=(1, None))(a0, a1)",
        "value_neg": "ops.vmap(inner, in_axes=(-2, None))(a0, a1)",
        "grad_of_vmap": "ops.grad(lambda x, y: ops.vmap(inner, in_axes=(1, None))(x, y).sum(), (0, 1))(a0, a1)",
        "grad_of_vmap_sq": "ops.grad(lambda x, y: (ops.vmap(inner, in_axes=(1, None))(x, y) ** 2).sum(), (0, 1))(a0, a1)",
        "grad_of_vmap_grad": "ops.grad(lambda x, y: (ops.vmap(ops.grad(inner, 1), in_axes=(1, None))(x, y) * y).sum(), "
                             "0)(a0, a1)",
        "vg_in": "ops.vmap(ops.value_and_grad(inner, (0, 1)), in_axes=(1, None), out_axes=0)(a0, a1)",
        "nested": "ops.vmap(ops.vmap(ops.grad(inner), in_axes=(1, None)), in_axes=(1, None))"
                  "(ops.expand_dims(a0, 1) * ops.ones(({a}, 2, {bb}, {c}), a0.dtype), a1)",
        "both_batched": "ops.vmap(ops.grad(inner, (0, 1)), in_axes=(1, 1))(a0, ops.stack([a1] * {bb}, 1) * 1.5)",
        "jvp_in": "ops.vmap(jvp_one, in_axes=(1, None), out_axes=1)(a0, a1)",
    }
    pre += ["def jvp_one(x, y):", "    def s(t):", "        return inner(t, y) * t", "    return ops.jvp(s, x, y)[1]"]
    name = r.choice(sorted(forms))
    return f"vmap19.{name}", ["return " + forms[name].format(o=r.choice([0, 1, -1]), a=a, bb=bb, c=c)], pre


FORMS = [(contract19, 30), (select19, 24), (softmax19, 12), (norm19, 14), (conv19, 10), (vmap19, 12)]
VALUE_ONLY = (vmap19,)


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    if form in VALUE_ONLY:
        mode = "value"
    elif form is softmax19:
        mode = rng.choice(HIGHER)
    elif api.endswith(".big"):  # no Jacobians / Hessians of thousands of entries
        mode = rng.choice(gen.OP_MODES + ["grad_grad", "grad3", "jvp_grad"])
    elif form in (norm19, contract19):
        mode = gen.first_or_higher(rng, HIGHER, 0.4)
    else:
        mode = gen.first_or_higher(rng, HIGHER, 0.2)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs19(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r19", form_program, FORMS, seed, count)
