"""Round 13 of ms_differential.py's programs: where rounds 1-12 did not look. Hand-written program forms (as rounds
8-12: each a function of a Draw returning (api, body lines, lines before `def f`)):

- complex-valued gradients: complex64 inputs through abs / real / imag / conj / angle / mul / exp / square /
  complex(a, b) / polar, real outputs (the Wirtinger convention of docs/API.md against MindSpore's);
- integer and bool tensors mixed into float graphs: float * int32, float / int, float ** int tensor, where over a bool
  input, cast bool -> float, float + bool, comparisons fed back as weights;
- broadcasting with 0-size dims and reductions of empty tensors (sum / mean / prod / amax / logsumexp, keepdims);
- strided and negative-step slicing and its gradients (steps 2 / 3 / -1 / -2 over several axes, empty slices);
- gather / scatter / index_add / index_select / gather_elements / tensor_scatter_* with duplicate indices;
- ops.where / masked_fill / nan_to_num / fmax / nansum gradients where the other branch is NaN or inf;
- reductions with keepdims over several (negative) axes: sum / mean / prod / amax / amin / std / var / logsumexp /
  norm / mint's dim tuples;
- interpolate modes (nearest / linear / bilinear / bicubic / area / nearest-exact) with align_corners and
  scale_factor; embedding with padding_idx / max_norm; conv with dilation + padding + stride, conv_transpose,
  ops.pad modes; nn layers in eval and train (BatchNorm with and without use_batch_statistics, Dropout p=0);
through rounds 6-7's first-order and higher-order forms (grad of grad, jvp of grad, Hessian, jacrev, jacfwd, vjp)."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen11 import _const


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 4 + ["float64", "float16"])


# ----------------------------------------------------------------------------------------- complex
def complex13(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 3))
    built = r.random() < 0.4
    if built:  # complex built from real inputs: no convention enters
        d.tensor("float32", shape)
        d.tensor("float32", shape)
        pre = ["z = ops.complex(a0, a1)"]
    else:
        d.tensor("complex64", shape)
        pre = ["z = a0 * 1"]
    forms = {
        "abs": "ops.abs(z)", "abs2": "ops.real(z * ops.conj(z))", "real_imag": "ops.real(z) * 2 + ops.imag(z)",
        "angle": "ops.angle(z)", "exp": "ops.real(ops.exp(z))", "square": "ops.imag(ops.square(z))",
        "mul": "ops.real(z * z * (1 + 2j))" if not built else "ops.real(z * ops.conj(z) * z)",
        "conj": "ops.imag(ops.conj(z) * 3)", "sum_abs": "ops.abs(z.sum())",
        "log_abs": "ops.real(ops.log(z))", "sqrt": "ops.real(ops.sqrt(z))", "reciprocal": "ops.imag(1 / (z + 2))",
        "sin": "ops.real(ops.sin(z))", "tanh": "ops.imag(ops.tanh(z))", "matmul": "ops.real(ops.matmul(z, z.T))",
    }
    name = r.choice(sorted(forms))
    return f"complex13.{name}{'.built' if built else ''}", pre + [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- mixed dtypes
def mixed13(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 4))
    ft = _f(r)
    d.tensor(ft, shape, r.choice(["normal", "halves"]))
    it = r.choice(["int32", "int64", "bool", "uint8", "int8"])
    d.tensor(it, shape[r.randint(0, 1):], "nonzero" if it != "bool" else "normal")
    forms = {
        "mul": "a0 * a1", "div": "a0 / a1", "rdiv": "a1 / (a0 * a0 + 1)", "add": "a0 + a1", "sub": "a1 - a0",
        "pow": "ops.pow(a0, a1)" if it != "bool" else "ops.pow(a0, ops.cast(a1, ms.int32) + 1)",
        "rpow": "ops.pow(a1, a0 * 0.5)" if it not in ("bool",) else "a0 ** 2 * a1",
        "where": "ops.where(ops.cast(a1, ms.bool_), a0, a0 * a0)", "cast_mul": "a0 * ops.cast(a1, a0.dtype)",
        "maximum": "ops.maximum(a0, a1)", "minimum": "ops.minimum(a0, a1)", "atan2": "ops.atan2(a0, a1)",
        "floor_div": "ops.floor_divide(a0, a1) + a0", "mod": "ops.remainder(a0, a1)" if it != "bool" else "ops.remainder(a0, 2)",
        "cmp_weight": "a0 * (a0 > a1)", "fmod": "ops.fmod(a0, a1)" if it != "bool" else "ops.fmod(a0, 1.5)",
        "Tmul": "a0.mul(a1)", "mint_add": "mint.add(a0, a1, alpha=2)", "lerp": "ops.lerp(a0, a0 * 0 + 1, ops.cast(a1, a0.dtype) * 0.25)",
        "copysign": "ops.copysign(a0, a1)" if it != "bool" else "ops.copysign(a0, -1.0)",
        "hypot": "ops.hypot(a0, ops.cast(a1, a0.dtype))", "xlogy": "ops.xlogy(a1, ops.abs(a0) + 0.5)",
    }
    name = r.choice(sorted(forms))
    return f"mixed13.{name}.{it}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- empty broadcasting
def empty13(d: gen.Draw):
    r = d.rng
    a = [r.randint(1, 3), 0, r.randint(1, 3)]
    r.shuffle(a)
    shape = tuple(a)
    ft = _f(r)
    d.tensor(ft, shape)
    zero_axis = shape.index(0)
    ones = tuple(1 if i != zero_axis and r.random() < 0.5 else s for i, s in enumerate(shape))
    other = tuple(1 if s == 0 else s for s in shape)
    form = r.choice(["bcast_one", "bcast_other", "sum", "mean", "prod", "amax", "logsumexp", "sum_keep", "matmul",
                     "cat", "norm", "var", "cumsum", "softmax", "max_empty_other_axis"])
    keep = r.choice([True, False])
    ax = r.choice([zero_axis, zero_axis - 3, (zero_axis, (zero_axis + 1) % 3)])
    if form in ("bcast_one", "bcast_other"):
        d.tensor(ft, ones if form == "bcast_one" else other)
        expr = "a0 * a1 + a1"
    elif form == "matmul":
        d.tensor(ft, (shape[-1], 2))
        expr = "ops.matmul(a0, a1) + a1.sum()"
    elif form == "cat":
        d.tensor(ft, other)
        expr = f"ops.cat((a0, a1 * 2), {zero_axis})"
    elif form == "max_empty_other_axis":
        nonzero = [i for i, s in enumerate(shape) if s]
        expr = f"ops.amax(a0, {r.choice(nonzero)}, {keep})"
    else:
        expr = {"sum": f"ops.sum(a0, {ax}, {keep})", "mean": f"ops.mean(a0, {ax}, {keep})",
                "prod": f"ops.prod(a0, {zero_axis}, {keep})", "amax": f"ops.amax(a0, {zero_axis}, {keep})",
                "logsumexp": f"ops.logsumexp(a0, {zero_axis}, {keep})", "sum_keep": f"a0.sum(axis={ax}, keepdims={keep}) + 1",
                "norm": f"ops.norm(a0, None, {zero_axis}, {keep})", "var": f"ops.var(a0, {zero_axis}, keepdims={keep})",
                "cumsum": f"ops.cumsum(a0, {zero_axis}) + 1", "softmax": f"ops.softmax(a0, {zero_axis})"}[form]
    return f"empty13.{form}", [f"return {expr}"], []


# ----------------------------------------------------------------------------------------- strided slicing
def _slice(r: random.Random, size: int) -> str:
    step = r.choice([2, 3, -1, -2, -3, 1])
    start = r.choice(["", str(r.randint(-size, size - 1))])
    stop = r.choice(["", str(r.randint(-size - 1, size))])
    return f"{start}:{stop}:{step}"


def slice13(d: gen.Draw):
    r = d.rng
    rank = r.randint(1, 3)
    shape = tuple(r.randint(2, 5) for _ in range(rank))
    d.tensor(_f(r), shape, r.choice(["normal", "halves"]))
    key = ", ".join(_slice(r, s) if r.random() < 0.8 else ":" for s in shape)
    form = r.choice(["get", "get", "get_sq", "set", "setadd", "strided", "chain", "Tslice_mul"])
    if form == "get":
        body = [f"return a0[{key}]"]
    elif form == "get_sq":
        body = [f"return (a0 * a0)[{key}] * 2"]
    elif form == "set":
        body = ["y = a0 * 1", f"y[{key}] = 0.5", "return y * a0"]
    elif form == "setadd":
        body = ["y = a0 * 2", f"y[{key}] += a0[{key}] * a0[{key}]", "return y"]
    elif form == "chain":
        key2 = _slice(r, 3)
        body = [f"return a0[{key}][..., {key2}] * 3"]
    elif form == "Tslice_mul":
        body = [f"return a0[{key}] * a0[{key}].sum()"]
    else:
        begin = tuple(r.randint(0, s - 1) for s in shape)
        end = tuple(s for s in shape)
        strides = tuple(r.choice([1, 2, 3]) for _ in shape)
        body = [f"return ops.strided_slice(a0, {begin}, {end}, {strides}) * 2"]
    return f"slice13.{form}", body, []


# ----------------------------------------------------------------------------------------- gather / scatter
def scatter13(d: gen.Draw):
    r = d.rng
    n, m = r.randint(2, 4), r.randint(1, 3)
    ft = r.choice(["float32"] * 3 + ["float64"])
    d.tensor(ft, (n, m))
    k = r.randint(2, 4)
    idx = [r.randrange(n) for _ in range(k)]
    if r.random() < 0.7:
        idx[r.randrange(k)] = idx[0]  # a duplicate
    neg = [i - n if r.random() < 0.3 else i for i in idx]
    it = r.choice(["int32", "int64"])
    d.tensor(ft, (k, m))
    I = f"Tensor({idx}, ms.{it})"
    forms = {
        "index_add": f"ops.index_add(a0 * 1, {I}, a1, 0)", "mint_index_add": f"mint.index_add(a0, 0, {I}, a1, alpha=2)",
        "Tindex_add": f"a0.index_add(0, {I}, a1)",
        "tensor_scatter_add": f"ops.tensor_scatter_add(a0, {I}.reshape({k}, 1), a1)",
        "tensor_scatter_update": f"ops.tensor_scatter_update(a0 * a0, {I}.reshape({k}, 1), a1 * 2)",
        "tensor_scatter_max": f"ops.tensor_scatter_max(a0, {I}.reshape({k}, 1), a1)",
        "tensor_scatter_min": f"ops.tensor_scatter_min(a0, {I}.reshape({k}, 1), a1)",
        "tensor_scatter_mul": f"ops.tensor_scatter_mul(a0, {I}.reshape({k}, 1), a1)",
        "scatter_nd": f"ops.scatter_nd({I}.reshape({k}, 1), a1, ({n}, {m})) + a0",
        "gather": f"ops.gather(a0, Tensor({neg if r.random() < 0.3 else idx}, ms.{it}), 0) * a1",
        "index_select": f"ops.index_select(a0, 0, {I}) * a1",
        "mint_gather": f"mint.gather(a0, 0, Tensor([[i % {n}] * {m} for i in {idx}], ms.int64)) * a1",
        "gather_elements": f"ops.gather_elements(a0, 0, Tensor([[i] * {m} for i in {idx}], ms.int64)) * a1",
        "scatter_add_elems": f"mint.scatter_add(a0, 0, Tensor([[i] * {m} for i in {idx}], ms.int64), a1)",
        "mint_scatter": f"mint.scatter(a0, 0, Tensor([[i] * {m} for i in {idx}], ms.int64), a1)",
        "take_along": f"ops.gather_d(a0, 0, Tensor([[i] * {m} for i in {idx}], ms.int64)) * a1",
        "getitem_dup": f"a0[{I}] * a1",
        "index_fill": f"ops.index_fill(a0, 0, {I}, -1.5) * a0",
        "unsorted_segment_sum": f"ops.unsorted_segment_sum(a1, {I}, {n}) * a0",
        "embedding_like": f"ops.gather(a0, {I}, 0).sum(0) * a0",
    }
    name = r.choice(sorted(forms))
    return f"scatter13.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- NaN branches
def nan13(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(2, 4))
    ft = r.choice(["float32"] * 3 + ["float64", "float16"])
    dom = r.choice(["nans", "normal", "halves"])
    d.tensor(ft, shape, dom)
    forms = {
        "where_sqrt": "ops.where(a0 > 0, ops.sqrt(a0), 0.0)", "where_log": "ops.where(a0 > 0, ops.log(a0), a0)",
        "where_isnan": "ops.where(ops.isnan(a0), 0.0, a0) * 2", "where_nan_branch": "ops.where(a0 > 0, a0, a0 / 0.0)",
        "masked_fill": "ops.masked_fill(a0, a0 < 0, 0.5) * a0", "masked_fill_nan": "ops.masked_fill(a0 * 2, ops.isnan(a0), 0.0)",
        "Tmasked_fill": "a0.masked_fill(a0 > 0.5, 1.0)", "nan_to_num": "ops.nan_to_num(a0 * 3, 0.0, 7.0, -7.0)",
        "fmax": "ops.fmax(a0, a0 * 0.5)", "fmin": "ops.fmin(a0, -a0)", "nansum": "ops.nansum(a0 * a0, -1)",
        "nanmean": "ops.nanmean(a0, 0)", "where_div": "ops.where(a0 != 0, 1 / a0, 0.0)",
        "where_mixed": "ops.where(a0 > 0, a0 * a0, ops.exp(a0))", "mint_where": "mint.where(a0 < 0.5, a0, ops.log(ops.abs(a0)))",
        "clamp_nan": "ops.clamp(a0, -1.0, 1.0)", "maximum_nan": "ops.maximum(a0, 0.0)", "relu_nan": "ops.relu(a0) * 2",
        "isfinite_w": "a0 * ops.isfinite(a0)",
    }
    name = r.choice(sorted(forms))
    return f"nan13.{name}.{dom}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- reductions
def reduce13(d: gen.Draw):
    r = d.rng
    rank = r.randint(2, 4)
    shape = tuple(r.randint(1, 3) for _ in range(rank))
    d.tensor(_f(r), shape, r.choice(["normal", "halves", "halves"]))
    k = r.randint(2, rank)
    axes = tuple(sorted(r.sample(range(rank), k)))
    axes = tuple(a - rank if r.random() < 0.4 else a for a in axes)
    keep = r.choice([True, False])
    forms = {
        "sum": f"ops.sum(a0, {axes}, {keep})", "mean": f"ops.mean(a0, {axes}, {keep})",
        "prod": f"ops.prod(a0, {axes}, {keep})", "amax": f"ops.amax(a0, {axes}, {keep})",
        "amin": f"ops.amin(a0, {axes}, {keep})", "std": f"ops.std(a0, {axes}, {r.choice([0, 1])}, {keep})",
        "var": f"ops.var(a0, {axes}, {r.choice([0, 1])}, {keep})", "logsumexp": f"ops.logsumexp(a0, {axes}, {keep})",
        "norm": f"ops.norm(a0, None, {axes}, {keep})", "norm1": f"ops.norm(a0, 1, {axes[:2]}, {keep})",
        "mint_sum": f"mint.sum(a0, {axes}, {keep})", "mint_mean": f"mint.mean(a0, {axes}, {keep})",
        "Tsum": f"a0.sum({axes}, keepdims={keep})", "Tmean": f"a0.mean({axes}, {keep})", "Tmax": f"a0.max({axes}, {keep})",
        "Tstd": f"a0.std({axes}, keepdims={keep})", "mint_amax": f"mint.amax(a0, {axes}, {keep})",
        "std_mean": f"ops.std_mean(a0, {axes}, keepdims={keep})", "var_mean": f"ops.var_mean(a0, {axes}, keepdims={keep})",
        "mnp_mean": f"mnp.mean(a0, {axes}, keepdims={keep})", "count": f"a0 * ops.count_nonzero(a0, {axes}, {keep}).sum()",
        "mint_var": f"mint.var(a0, {axes}, correction={r.choice([0, 1])}, keepdim={keep})",
        "mint_std": f"mint.std(a0, {axes}, correction={r.choice([0, 1])}, keepdim={keep})",
        "logsumexp_big": f"ops.logsumexp(a0 * 50, {axes}, {keep})",
    }
    name = r.choice(sorted(forms))
    return f"reduce13.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- interpolate
def interp13(d: gen.Draw):
    r = d.rng
    rank = r.choice([1, 2, 2, 3])
    spatial = tuple(r.randint(2, 4) for _ in range(rank))
    ft = r.choice(["float32"] * 4 + ["float64"])
    d.tensor(ft, (r.randint(1, 2), r.randint(1, 2)) + spatial)
    modes = {1: ["nearest", "linear", "area", "nearest-exact"], 2: ["nearest", "bilinear", "bicubic", "area", "nearest-exact"],
             3: ["nearest", "trilinear", "area"]}[rank]
    mode = r.choice(modes)
    if r.random() < 0.5:
        size = tuple(r.randint(1, 6) for _ in spatial)
        how = f"size={size}"
    else:
        sf = r.choice([2.0, 1.5, 0.5, 3.0])
        how = f"scale_factor={(sf,) * rank}" + (f", recompute_scale_factor={r.choice([True, False])}" if r.random() < 0.4 else "")
    ac = r.choice([True, False]) if mode in ("linear", "bilinear", "bicubic", "trilinear") else None
    holder = r.choice(["ops", "F"])
    return f"interp13.{holder}.{mode}", [f"return {holder}.interpolate(a0, {how}, mode={mode!r}, align_corners={ac})"], []


# ----------------------------------------------------------------------------------------- embedding
def embed13(d: gen.Draw):
    r = d.rng
    v, e = r.randint(3, 6), r.randint(1, 4)
    ft = r.choice(["float32"] * 3 + ["float64"])
    d.tensor(ft, (v, e))
    width = r.randint(1, 4)
    ids = [[r.randrange(v) for _ in range(width)] for _ in range(r.randint(1, 2))]
    if r.random() < 0.6:
        ids[0][-1] = ids[0][0]
    pad = r.choice(["None", str(ids[0][0]), str(ids[0][0] - v)])
    mx = r.choice(["None", "None", "1.0", "0.5"])
    nt = r.choice([2.0, 1.0])
    sgf = r.choice([False, True])
    form = r.choice(["F", "F", "ops_gather"])
    if form == "F":
        expr = f"F.embedding(Tensor({ids}, ms.int32), a0 * 1, padding_idx={pad}, max_norm={mx}, norm_type={nt}, scale_grad_by_freq={sgf})"
    else:
        expr = f"ops.gather(a0, Tensor({ids}, ms.int32), 0)"
    return f"embed13.{form}.pad{pad != 'None'}.max{mx != 'None'}.sgf{sgf}", [f"return {expr}"], []


# ----------------------------------------------------------------------------------------- conv / pad
def conv13(d: gen.Draw):
    r = d.rng
    ft = r.choice(["float32"] * 4 + ["float64"])
    form = r.choice(["conv2d", "conv2d", "conv1d", "conv3d", "conv_transpose2d", "pad", "pad", "max_pool_dil",
                     "avg_pool_ceil", "unfold", "fold", "pixel_shuffle"])
    n, c, g = r.randint(1, 2), r.randint(1, 2), 1
    if form in ("conv2d", "conv1d", "conv3d"):
        two = {"conv1d": 1, "conv2d": 2, "conv3d": 3}[form]
        k, dil, st = r.randint(1, 3), r.choice([1, 2, 3]), r.choice([1, 2, 3])
        span = (k - 1) * dil + 1
        sizes = tuple(r.randint(span, span + 3) for _ in range(two))
        x = d.tensor(ft, (n, c) + sizes)
        o = r.randint(1, 2)
        wt = d.tensor(ft, (o, c) + (k,) * two)
        pad = r.randint(0, 2)
        if form == "conv3d":
            expr = f"ops.conv3d({x}, {wt}, None, {st}, 'pad', {pad}, {dil})"
        else:
            expr = f"ops.{form}({x}, {wt}, None, {st}, 'pad', {pad}, {dil})"
    elif form == "conv_transpose2d":
        k, st = r.randint(1, 3), r.choice([1, 2])
        x = d.tensor(ft, (n, c, r.randint(2, 4), r.randint(2, 4)))
        o = r.randint(1, 2)
        wt = d.tensor(ft, (c, o, k, k))
        pad, op_ = r.randint(0, k - 1), r.choice([0, st - 1])
        dil = r.choice([1, 2]) if op_ == 0 else 1
        expr = f"F.conv_transpose2d({x}, {wt}, None, {st}, {pad}, {op_}, 1, {dil})"
    elif form == "pad":
        x = d.tensor(ft, (n, c, r.randint(2, 4), r.randint(2, 4)))
        mode = r.choice(["constant", "reflect", "replicate", "circular"])
        p = tuple(r.randint(0 if mode != "constant" else -1, 1) for _ in range(r.choice([2, 4])))
        expr = f"ops.pad({x}, {p}, {mode!r}" + (", 0.5)" if mode == "constant" else ")")
    elif form == "max_pool_dil":
        h, w = r.randint(4, 7), r.randint(4, 7)
        x = d.tensor(ft, (n, c, h, w), "halves")
        k, dil = r.choice([2, 3]), r.choice([1, 2])
        st = r.choice([1, 2])
        p = r.randint(0, k // 2)
        expr = f"ops.max_pool2d({x}, {k}, {st}, {p}, {dil}, ceil_mode={r.choice([True, False])})"
    elif form == "avg_pool_ceil":
        x = d.tensor(ft, (n, c, r.randint(3, 6), r.randint(3, 6)))
        k, st = r.choice([2, 3]), r.choice([2, 3])
        p = r.randint(0, k // 2)
        expr = f"ops.avg_pool2d({x}, {k}, {st}, {p}, ceil_mode=True, count_include_pad={r.choice([True, False])})"
    elif form == "unfold":
        x = d.tensor(ft, (n, c, r.randint(3, 5), r.randint(3, 5)))
        expr = f"ops.unfold({x}, {r.choice([2, 3])}, {r.choice([1, 2])}, {r.choice([0, 1])}, {r.choice([1, 2])})"
    elif form == "fold":
        k = 2
        x = d.tensor(ft, (n, c * k * k, 4))
        expr = f"ops.fold({x}, Tensor([3, 3], ms.int32), {k}, 1, 0, 1)"
    else:
        x = d.tensor(ft, (n, 4 * c, 2, r.randint(1, 3)))
        expr = f"ops.pixel_shuffle({x}, 2) * {x}.sum()"
    return f"conv13.{form}", [f"return {expr}"], []


# ----------------------------------------------------------------------------------------- layers eval / train
def layer13(d: gen.Draw):
    r = d.rng
    ft = r.choice(["float32"] * 4 + ["float64"])
    c = r.randint(1, 3)
    form = r.choice(["bn_eval", "bn_train", "bn_ubs", "dropout", "ln_cell", "in", "gn_cell", "dense_dropout"])
    pre = []
    if form.startswith("bn"):
        x = d.tensor(ft, (r.randint(2, 3), c, r.randint(1, 3), r.randint(1, 2)))
        ubs = {"bn_eval": "None", "bn_train": "None", "bn_ubs": r.choice(["True", "False"])}[form]
        pre = [f"bn = nn.BatchNorm2d({c}, eps={r.choice([1e-5, 0.1])}, momentum={r.choice([0.9, 0.1])}, "
               f"use_batch_statistics={ubs}, dtype=ms.{ft})",
               f"bn.set_train({form != 'bn_eval'})"]
        expr = f"bn({x}) * {x}"
    elif form == "dropout":
        x = d.tensor(ft, (2, c))
        pre = ["drop = nn.Dropout(p=0.5)", f"drop.set_train({r.choice([True, False])})"] if r.random() < 0.5 else \
              ["drop = nn.Dropout(p=0.0)", "drop.set_train(True)"]
        expr = f"drop({x}) * {x}"
        if "0.5" in pre[0] and pre[1].endswith("True)"):
            pre = ["drop = nn.Dropout(p=0.5)", "drop.set_train(False)"]
    elif form == "dense_dropout":
        x = d.tensor(ft, (2, c))
        pre = ["drop = nn.Dropout(p=0.3)"]  # a Cell's default: eval until set_train
        expr = f"ops.tanh(drop({x}) * 2)"
    elif form == "ln_cell":
        x = d.tensor(ft, (2, c, 3))
        pre = [f"ln = nn.LayerNorm(({c}, 3), begin_norm_axis=1, begin_params_axis=1, epsilon={r.choice([1e-7, 0.5])}, dtype=ms.{ft})"]
        expr = f"ln({x}) * {x}"
    elif form == "in":
        x = d.tensor("float32", (2, c, 3, 2))
        pre = [f"inorm = nn.InstanceNorm2d({c}, affine={r.choice([True, False])})",
               f"inorm.set_train({r.choice([True, False])})"]
        expr = f"inorm({x}) * {x}"
    else:
        x = d.tensor("float32", (2, 2 * c, 3))
        pre = [f"gn = nn.GroupNorm(2, {2 * c}, eps={r.choice([1e-5, 0.5])})"]
        expr = f"gn({x}) * {x}"
    return f"layer13.{form}", [f"return {expr}"], pre


FORMS = [(complex13, 12), (mixed13, 12), (empty13, 8), (slice13, 10), (scatter13, 14), (nan13, 10), (reduce13, 12),
         (interp13, 10), (embed13, 6), (conv13, 10), (layer13, 6)]


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    floats = any(kind in " ".join(draw.inputs) for kind in ("'float", "'complex"))
    if not floats:
        mode = "value"
    else:
        mode = gen.first_or_higher(rng, gen7.HIGHER_MODES)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs13(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r13", form_program, FORMS, seed, count)
