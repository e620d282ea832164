"""Round 11 of ms_differential.py's programs: where rounds 1-10 did not look. Hand-written program forms (as rounds
8-10: each a function of a Draw returning (api, body lines, lines before `def f`)):

- indexing: advanced indices (Python lists and int32 / int64 Tensors, negative and repeated) mixed with slices, None,
  Ellipsis and bool masks; item assignment and augmented assignment with repeated indices (overwrite vs accumulate)
  and the gradients of both the written tensor and the written value;
- shape ops: squeeze / unsqueeze axes, tile, repeat_interleave (int and Tensor repeats), broadcast_to with -1, flip,
  roll, narrow, split / chunk sizes, movedim, swapaxes, unbind-free stacking;
- activations with their parameters (elu alpha, leaky_relu slope, gelu approximate, softplus beta / threshold, hardtanh,
  celu, selu, mish, threshold, hard / soft shrink, prelu, glu) on inputs with exact kinks, and the kinks of relu / abs /
  maximum / minimum / clamp / max / min / amax / sort / topk / median with ties (which subgradient MindSpore picks);
- losses with reduction modes, class weights, ignore_index, label smoothing, log_target, pos_weight, margins;
- functional layers with options: conv1d / conv2d pad modes / dilation / groups, avg / max pooling with ceil_mode /
  count_include_pad / divisor_override / padding and max ties, adaptive pooling, lp_pool, batch_norm in training and
  eval mode (running statistics), layer_norm / group_norm epsilon;
through rounds 6-7's first-order and higher-order forms (grad of grad, jvp of grad, Hessian, jacrev / jacfwd)."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7

C = gen._Code
ANY_MODE = gen.OP_MODES + gen7.HIGHER_MODES


# ----------------------------------------------------------------------------------------- indexing
def _index_list(r: random.Random, size: int, n: int) -> list:
    """Indices into a dim of `size`: negative ones and repeats on purpose."""
    return [r.randint(-size, size - 1) for _ in range(n)]


def _index_value(d: gen.Draw, r: random.Random, size: int, n: int) -> str:
    idx = _index_list(r, size, n)
    roll = r.random()
    if roll < 0.4:
        return repr(idx)
    return f"Tensor({idx!r}, ms.{r.choice(['int32', 'int64'])})"


def _key(d: gen.Draw, shape: tuple) -> str:
    r = d.rng
    rank = len(shape)
    i0 = lambda n=None: _index_value(d, r, shape[0], n or r.randint(1, 3))  # noqa: E731
    i1 = lambda n=None: _index_value(d, r, shape[1], n or r.randint(1, 3))  # noqa: E731
    forms = [f"{i0()}", f":, {i1()}", f"..., {_index_value(d, r, shape[-1], 2)}", f"None, {i0()}", f"{i0(2)}, {i1(2)}",
             f"{i0()}, 1:", f"::-1, {i1()}", f"-1, {i1()}", f"None, ..., {_index_value(d, r, shape[-1], 3)}",
             f"{i0(2)}, None, {i1(2)}", "a0 > 0", f"{i0()}, ::2", "..., None, 1:", "-1, ::-2",
             f"Tensor({[r.random() < 0.5 for _ in range(shape[0])]!r})",
             f"[[{r.randint(-shape[0], shape[0] - 1)}], [{r.randint(-shape[0], shape[0] - 1)}]], {i1(2)}"]
    if rank == 3:
        forms += [f"{i0(2)}, :, {_index_value(d, r, shape[2], 2)}", f":, {i1()}, 1:", f"..., {i1(2)}, :",
                  f"1, ..., {_index_value(d, r, shape[2], 2)}", f"{i0()}, {i1(1)}, ::-1"]
    return r.choice(forms)


def getitem11(d: gen.Draw):
    r = d.rng
    shape = (r.randint(2, 3), r.randint(2, 4)) + ((r.randint(2, 3),) if r.random() < 0.4 else ())
    d.tensor(r.choice(["float32"] * 4 + ["float64"]), shape, r.choice(["normal", "halves"]))
    key = _key(d, shape)
    return "getitem11", [f"return (a0 * a0)[{key}]" if r.random() < 0.3 else f"return a0[{key}]"], []


def setitem11(d: gen.Draw):
    """y[key] = v / y[key] += v with repeated indices: which write wins, and the gradient of the overwritten value."""
    r = d.rng
    shape = (r.randint(2, 4), r.randint(2, 3))
    d.tensor("float32", shape)
    idx = _index_list(r, shape[0], r.randint(2, 4))
    if r.random() < 0.5:  # a repeat for sure
        idx[-1] = idx[0] if idx[0] < 0 else idx[0] - shape[0]
    spell = repr(idx) if r.random() < 0.4 else f"Tensor({idx!r}, ms.{r.choice(['int32', 'int64'])})"
    key = r.choice([spell, f"{spell}, 0", f"{spell}, :", f"1:, {_index_value(d, r, shape[1], 2)}", "a0 > 0", "-1"])
    val_shape = {spell: (len(idx), shape[1]), f"{spell}, 0": (len(idx),), f"{spell}, :": (len(idx), shape[1]),
                 "-1": (shape[1],)}.get(key)
    if val_shape is None or r.random() < 0.25:
        value = C(repr(r.choice([2.5, -1.0, 0.0])))
    else:
        value = d.tensor("float32", val_shape[r.randint(0, len(val_shape) - 1):] if r.random() < 0.3 else val_shape)
    op = r.choice(["=", "=", "+=", "*=", "-="])
    return f"setitem11.{op}", ["y = a0 * 1", f"y[{key}] {op} {value}", "return y * 1"], []


# ----------------------------------------------------------------------------------------- shape ops
def shape11(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 4)) + ((r.randint(1, 3),) if r.random() < 0.5 else ())
    rank = len(shape)
    d.tensor(r.choice(["float32"] * 4 + ["float64"]), shape)
    ax = r.randint(-rank, rank - 1)
    ax1 = r.randint(-rank - 1, rank)
    size = shape[ax]
    reps = tuple(r.randint(1, 3) for _ in range(r.randint(1, rank + 1)))
    rep_t = [r.randint(0, 2) for _ in range(size)]
    start = r.randint(-size, size - 1)
    length = r.randint(0, size - (start % size))
    sections = [r.randint(0, size)]
    sections.append(size - sections[0])
    squeezable = tuple(i for i, s in enumerate(shape) if s == 1)
    bshape = tuple(r.choice([s, -1]) for s in shape)
    forms = [f"ops.tile(a0, {reps})", f"a0.tile({reps})", f"ops.repeat_interleave(a0, {r.randint(1, 3)}, {ax})",
             f"ops.repeat_interleave(a0, {r.randint(1, 3)})", f"ops.repeat_interleave(a0, Tensor({rep_t}, ms.int32), {ax})",
             f"a0.repeat_interleave({r.randint(1, 3)}, {ax})", f"mint.repeat_interleave(a0, {r.randint(1, 3)}, {ax})",
             f"ops.broadcast_to(a0, {(2,) + bshape})", f"a0.broadcast_to({bshape})", f"mint.broadcast_to(a0, {(2,) + bshape})",
             f"ops.flip(a0, {tuple(r.sample(range(rank), r.randint(1, rank)))})", f"mint.flip(a0, ({ax},))",
             f"ops.roll(a0, {r.randint(-5, 5)}, {ax})", f"ops.roll(a0, ({r.randint(-3, 3)}, {r.randint(-3, 3)}), (0, -1))",
             f"ops.narrow(a0, {ax}, {start % size}, {length})", f"mint.narrow(a0, {ax}, {start % size}, {length})",
             f"ops.split(a0, {r.randint(1, max(1, size))}, {ax})", f"ops.split(a0, {sections}, {ax})",
             f"mint.split(a0, {r.randint(1, max(1, size))}, {ax})", f"ops.chunk(a0, {r.randint(1, 4)}, {ax})",
             f"mint.chunk(a0, {r.randint(1, 4)}, {ax})", f"a0.chunk({r.randint(1, 4)}, {ax})",
             f"ops.movedim(a0, {ax}, {r.randint(-rank, rank - 1)})", f"mint.movedim(a0, (0, {ax}), ({r.randint(-rank, rank - 1)}, {r.randint(-rank, rank - 1)}))",
             f"ops.swapaxes(a0, {ax}, {r.randint(-rank, rank - 1)})", f"ops.unsqueeze(a0, {ax1})", f"ops.expand_dims(a0, {ax1})",
             f"mint.unsqueeze(a0, {ax1})", f"ops.squeeze(a0)", f"ops.squeeze(a0, {squeezable})" if squeezable else "ops.squeeze(a0, ())",
             f"a0.squeeze({squeezable[0] - rank if squeezable and r.random() < 0.5 else squeezable[0] if squeezable else ()})",
             f"mint.squeeze(a0, {ax})", f"ops.unbind(a0, {ax})", f"mint.stack(ops.unbind(a0, {ax}), {ax1 if ax1 < rank else -1})",
             f"ops.tensor_split(a0, {r.randint(1, 4)}, {ax})", f"ops.tensor_split(a0, {sorted(r.sample(range(-size, size + 1), 2))}, {ax})",
             f"ops.hsplit(a0, {r.randint(1, 2)})" if rank > 1 and shape[1] % 2 == 0 else f"ops.vsplit(a0, 1)",
             f"a0.view({tuple(reversed(shape))})" if r.random() < 0.5 else f"a0.reshape(-1, {shape[-1]})",
             f"ops.flatten(a0, start_dim={r.randint(0, rank - 1)})", f"mint.flatten(a0, {ax}, -1)",
             f"ops.cat((a0, ops.flip(a0, (0,))), {ax})", f"ops.diag_embed(a0)" if rank == 2 else "ops.trace(a0[0] if a0.ndim == 3 else a0)",
             f"ops.triu(a0, {r.randint(-1, 1)})", f"ops.tril(a0, {r.randint(-1, 1)})"]
    expr = r.choice(forms)
    scale = " * a0.sum()" if r.random() < 0.2 and not any(s in expr for s in ("split", "chunk", "unbind")) else ""
    return f"shape11.{expr.split('(')[0]}", [f"return {expr}{scale}"], []


# ----------------------------------------------------------------------------------------- kinks and activations
_ACT = ["ops.elu(a0, {alpha})", "ops.leaky_relu(a0, {slope})", "ops.gelu(a0, approximate={gelu!r})", "ops.gelu(a0)",
        "ops.softplus(a0, {beta}, {thr})", "ops.hardtanh(a0, {lo}, {hi})", "ops.celu(a0, {alpha})", "ops.selu(a0)",
        "ops.mish(a0)", "ops.threshold(a0, {t}, {v})", "ops.hardshrink(a0, {lam})", "ops.softshrink(a0, {lam})",
        "ops.relu(a0)", "ops.relu6(a0 * 6)", "ops.hardswish(a0 * 3)", "ops.hardsigmoid(a0 * 3)", "ops.silu(a0)",
        "ops.softsign(a0)", "ops.logsigmoid(a0)", "ops.prelu(a0, a0.reshape(-1)[:1] * 0 + {slope})", "ops.glu(a0, -1)",
        "F.elu(a0, {alpha})", "F.leaky_relu(a0, {slope})", "F.gelu(a0, approximate={gelu!r})", "F.softplus(a0, {beta}, {thr})",
        "F.hardtanh(a0, {lo}, {hi})", "F.threshold(a0, {t}, {v})", "F.hardshrink(a0, {lam})", "F.softshrink(a0, {lam})",
        "F.selu(a0)", "F.mish(a0)", "F.silu(a0)", "F.hardswish(a0 * 3)", "F.logsigmoid(a0)",
        "nn.ELU({alpha})(a0)", "nn.LeakyReLU({slope})(a0)", "nn.GELU(approximate={gelu_b})(a0)", "nn.Softplus({beta}, {thr})(a0)",
        "nn.Hardtanh({lo}, {hi})(a0)", "nn.CELU({alpha})(a0)", "nn.Mish()(a0)", "nn.SiLU()(a0)", "nn.SoftShrink({lam})(a0)",
        "nn.HShrink({lam})(a0)", "nn.Threshold({t}, {v})(a0)", "nn.ReLU6()(a0 * 6)", "nn.PReLU()(a0)",
        "nn.HSwish()(a0 * 3)", "nn.HSigmoid()(a0 * 3)", "nn.LogSigmoid()(a0)", "nn.Softsign()(a0)"]
_KINK = ["ops.abs(a0)", "ops.maximum(a0, a0.flip(-1))", "ops.minimum(a0, 0.5)", "ops.maximum(a0, a1)", "ops.minimum(a0, a1)",
         "ops.clamp(a0, -0.5, 0.5)", "ops.clamp(a0, a1, a1 + 0.5)", "mint.clamp(a0, 0.0)", "ops.clip(a0, max=0.5)",
         "ops.max(a0, -1)[0]", "ops.min(a0, 0, True)[0]", "a0.max()", "a0.min()", "ops.amax(a0, -1)", "ops.amin(a0)",
         "mint.max(a0)", "mint.max(a0, -1)[0]", "ops.sort(a0, -1)[0]", "ops.sort(a0, 0, descending=True)[0]",
         "ops.topk(a0, {k})[0]", "ops.topk(a0, {k}, largest=False)[0]", "ops.median(a0, -1)[0]", "ops.msort(a0)",
         "ops.kthvalue(a0, {k}, -1)[0]", "ops.norm(a0 - a0.mean())", "ops.cummax(a0, -1)[0]", "ops.cummin(a0, 0)[0]",
         "ops.sign(a0) * a0", "ops.relu(a0) - ops.relu(-a0)", "ops.fmax(a0, a1)", "ops.logsumexp(a0, -1)",
         "mint.maximum(a0, a1)", "mnp.amax(a0, -1)", "ops.max(a0)", "ops.round(a0) + a0", "ops.floor(a0) * a0",
         "ops.where(a0 > 0, a0, a0 * 0.1)", "ops.square(ops.relu(a0))", "ops.sqrt(ops.relu(a0))", "ops.pow(ops.abs(a0), 1.5)",
         "ops.norm(a0, 1)", "ops.norm(a0, float('inf'))", "ops.std(a0)", "ops.var(a0, 0)"]


def activation11(d: gen.Draw):
    r = d.rng
    kink = r.random() < 0.45
    shape = (r.randint(1, 3), r.choice([2, 4])) if r.random() < 0.8 else (r.randint(2, 5),)
    dtype = r.choice(["float32"] * 5 + ["float64", "float16"])
    d.tensor(dtype, shape, r.choice(["halves", "halves", "normal", "ints"]))
    if kink:
        form = r.choice(_KINK)
        if "a1" in form:
            d.tensor(dtype, shape[r.randint(0, len(shape)):], "halves")
    else:
        form = r.choice(_ACT)
    slot = {"alpha": r.choice([1.0, 0.5, 2.0, 0.1]), "slope": r.choice([0.01, 0.2, -0.5, 1.5]),
            "gelu": r.choice(["none", "tanh"]), "gelu_b": r.choice([True, False]), "beta": r.choice([1, 2, 0.5]),
            "thr": r.choice([20, 1, 0.5]), "lo": r.choice([-1.0, -0.5, 0.0]), "hi": r.choice([1.0, 0.5, 2.0]),
            "t": r.choice([0.0, 0.5, -0.5]), "v": r.choice([0.0, -1.0, 2.0]), "lam": r.choice([0.5, 1.0, 0.0]),
            "k": r.randint(1, shape[-1])}
    return f"{'kink' if kink else 'act'}11.{form.split('(')[0]}", [f"return {form.format(**slot)}"], []


# ----------------------------------------------------------------------------------------- losses
def loss11(d: gen.Draw):
    r = d.rng
    n, c = r.randint(1, 4), r.randint(2, 4)
    red = r.choice(["mean", "sum", "none"])
    dtype = r.choice(["float32"] * 4 + ["float64"])
    x = d.tensor(dtype, (n, c))
    name = r.choice(["ce", "ce_prob", "nll", "bce", "bcel", "kl", "smooth", "huber", "l1", "mse", "soft", "margin",
                     "hinge", "cosine", "triplet", "multi", "mlsoft", "gauss", "mlmargin"])
    weight = f", weight={_const_pos(d, (c,))}" if r.random() < 0.4 else ""
    if name in ("ce", "nll"):
        tgt = [r.randint(0, c - 1) for _ in range(n)]
        ignore = r.choice([-100, tgt[0], 1])
        target = f"Tensor({tgt}, ms.int32)"
        ls = f", label_smoothing={r.choice([0.0, 0.1, 0.3])}" if name == "ce" or r.random() < 0.3 else ""
        inp = x if name == "ce" else f"ops.log_softmax({x}, 1)"
        holder = r.choice(["ops", "F"]) if not (ls and name == "nll") else "ops"
        if holder == "F" and name == "nll":
            ls = ""
        expr = f"{holder}.{'cross_entropy' if name == 'ce' else 'nll_loss'}({inp}, {target}{weight}, ignore_index={ignore}, reduction={red!r}{ls})"
    elif name == "ce_prob":
        t = d.tensor(dtype, (n, c), "unit01")
        expr = f"ops.cross_entropy({x}, ops.softmax({t} * 3, 1){weight}, reduction={red!r}, label_smoothing={r.choice([0.0, 0.2])})"
    elif name in ("bce", "bcel"):
        t = d.tensor(dtype, (n, c), r.choice(["unit01", "sign"]))
        tgt = f"ops.relu({t})" if "sign" in d.inputs[-1] else t
        w = f", weight={_const_pos(d, (c,))}" if r.random() < 0.4 else ""
        if name == "bce":
            expr = f"{r.choice(['ops', 'F'])}.binary_cross_entropy(ops.sigmoid({x}), {tgt}{w}, reduction={red!r})"
        else:
            pw = f", pos_weight={_const_pos(d, (c,))}" if r.random() < 0.5 else ""
            expr = f"{r.choice(['ops', 'F'])}.binary_cross_entropy_with_logits({x}, {tgt}{w}{pw}, reduction={red!r})"
    elif name == "kl":
        t = d.tensor(dtype, (n, c), "unit01")
        red = r.choice(["mean", "sum", "none", "batchmean"])
        if r.random() < 0.5:
            logt = r.choice([True, False])
            tgt = f"ops.log_softmax({t}, 1)" if logt else f"ops.softmax({t}, 1)"
            expr = f"F.kl_div(ops.log_softmax({x}, 1), {tgt}, reduction={red!r}, log_target={logt})"
        else:
            expr = f"ops.kl_div(ops.log_softmax({x}, 1), ops.softmax({t}, 1), reduction={red!r})"
    elif name in ("smooth", "huber", "l1", "mse", "soft"):
        t = d.tensor(dtype, (n, c), "sign" if name == "soft" else r.choice(["normal", "halves"]))
        if name == "smooth":
            expr = f"{r.choice(['ops', 'F'])}.smooth_l1_loss({x}, {t}, beta={r.choice([1.0, 0.5, 2.0])}, reduction={red!r})"
        elif name == "huber":
            expr = f"ops.huber_loss({x}, {t}, reduction={red!r}, delta={r.choice([1.0, 0.5, 2.0])})"
        else:
            fn = {"l1": "l1_loss", "mse": "mse_loss", "soft": "soft_margin_loss"}[name]
            expr = f"{r.choice(['ops', 'F']) if name != 'soft' else 'ops'}.{fn}({x}, {t}, reduction={red!r})"
    elif name == "margin":
        y = d.tensor(dtype, (n, c))
        t = d.tensor(dtype, (n, c), "sign")
        expr = f"ops.margin_ranking_loss({x}, {y}, {t}, margin={r.choice([0.0, 0.5])}, reduction={red!r})"
    elif name == "hinge":
        t = d.tensor(dtype, (n, c), "sign")
        expr = f"ops.hinge_embedding_loss({x}, {t}, margin={r.choice([1.0, 0.5, 2.0])}, reduction={red!r})"
    elif name == "cosine":
        y = d.tensor(dtype, (n, c))
        t = d.tensor(dtype, (n,), "sign")
        expr = f"ops.cosine_embedding_loss({x}, {y}, {t}, margin={r.choice([0.0, 0.3, -0.2])}, reduction={red!r})"
    elif name == "triplet":
        p, q = d.tensor(dtype, (n, c)), d.tensor(dtype, (n, c))
        expr = (f"ops.triplet_margin_loss({x}, {p}, {q}, margin={r.choice([1.0, 0.3])}, p={r.choice([1, 2])}, "
                f"swap={r.choice([True, False])}, reduction={red!r})")
    elif name == "multi":
        tgt = [r.randint(0, c - 1) for _ in range(n)]
        expr = (f"ops.multi_margin_loss({x}, Tensor({tgt}, ms.int64), p={r.choice([1, 2])}, margin={r.choice([1, 0.5])}"
                f"{weight}, reduction={red!r})")
    elif name == "mlsoft":
        t = d.tensor(dtype, (n, c), "sign")
        expr = f"ops.multilabel_soft_margin_loss({x}, ops.relu({t}){weight}, reduction={red!r})"
    elif name == "mlmargin":
        tgt = [[r.randint(-1, c - 1) for _ in range(c)] for _ in range(n)]
        expr = f"ops.multilabel_margin_loss({x}, Tensor({tgt}, ms.int32), reduction={red!r})"
    else:
        t = d.tensor(dtype, (n, c))
        v = d.tensor(dtype, (n, c) if r.random() < 0.6 else (n, 1), "positive")
        expr = f"ops.gaussian_nll_loss({x}, {t}, {v}, full={r.choice([True, False])}, eps={r.choice([1e-6, 0.5])}, reduction={red!r})"
    return f"loss11.{name}", [f"return {expr}"], []


def _const(d: gen.Draw, dtype: str, shape: tuple, domain: str) -> str:
    """A tensor made before `def f` (a class weight, running statistics): not an input of f, not in a jit body."""
    pre = d.__dict__.setdefault("pre", [])
    pre.append(f"c{len(pre)} = T({dtype!r}, {tuple(shape)!r}, {d.rng.randrange(1 << 30)}, {domain!r})")
    return f"c{len(pre) - 1}"


def _const_pos(d: gen.Draw, shape: tuple) -> str:
    return _const(d, "float32", shape, "positive")


# ----------------------------------------------------------------------------------------- functional layers
def pool11(d: gen.Draw):
    r = d.rng
    n, c = r.randint(1, 2), r.randint(1, 2)
    h, w = r.randint(3, 6), r.randint(3, 6)
    k = r.randint(2, 3)
    s = r.choice([1, 2, k])
    p = r.randint(0, k // 2)
    ceil, cip = r.choice([True, False]), r.choice([True, False])
    dtype = r.choice(["float32"] * 4 + ["float64"])
    domain = r.choice(["halves", "halves", "normal"])
    form = r.choice(["avg2", "avg2", "Favg2", "max2", "max2", "Fmax2", "avg1", "avg1", "adapt_avg", "adapt_max", "lp",
                     "AvgCell", "MaxCell", "avg3"])
    if form == "avg1":
        d.tensor(dtype, (n, c, w + 2), domain)
    elif form == "avg3":
        d.tensor(dtype, (n, c, 3, h, w), domain)
    else:
        d.tensor(dtype, (n, c, h, w), domain)
    div = r.choice([0, 0, 3]) if form == "avg2" else r.choice([None, None, 3])
    table = {
        "avg2": f"ops.avg_pool2d(a0, {k}, {s}, {p}, ceil_mode={ceil}, count_include_pad={cip}, divisor_override={div})",
        "Favg2": f"F.avg_pool2d(a0, {k}, {s}, {p}, ceil_mode={ceil}, count_include_pad={cip}, divisor_override={div})",
        "max2": f"ops.max_pool2d(a0, {k}, {s}, {p}, dilation={r.choice([1, 1, 2]) if h > 4 and w > 4 else 1}, ceil_mode={ceil})",
        "Fmax2": f"F.max_pool2d(a0, {k}, {s}, {p}, ceil_mode={ceil})",
        "avg1": f"ops.avg_pool1d(a0, {k}, {s}, {p}, ceil_mode={ceil}, count_include_pad={cip})",
        "adapt_avg": f"ops.adaptive_avg_pool2d(a0, ({r.randint(1, h)}, {r.choice([None, r.randint(1, w)])}))",
        "adapt_max": f"ops.adaptive_max_pool2d(a0, ({r.randint(1, h)}, {r.randint(1, w)}))",
        "lp": f"ops.lp_pool2d(a0 * a0 + 0.5, {r.choice([1, 2, 3])}, {k}, {s}, ceil_mode={ceil})",
        "AvgCell": f"nn.AvgPool2d({k}, {s}, pad_mode={r.choice(['valid', 'same'])!r})(a0)",
        "MaxCell": f"nn.MaxPool2d({k}, {s}, pad_mode={r.choice(['valid', 'same'])!r})(a0)",
        "avg3": f"ops.avg_pool3d(a0, (1, {k}, {k}), (1, {s}, {s}), {p}, ceil_mode={ceil}, count_include_pad={cip})",
    }
    return f"pool11.{form}", [f"return {table[form]}"], []


def norm_conv11(d: gen.Draw):
    r = d.rng
    dtype = r.choice(["float32"] * 4 + ["float64"])
    form = r.choice(["bn_train", "bn_eval", "Fbn", "ln", "Fln", "gn", "Fgn", "conv1d", "conv2d", "conv2d"])
    n, g = r.randint(1, 3), r.choice([1, 2])
    c = g * r.randint(1, 2)
    eps = r.choice([1e-5, 0.1, 1.0])
    if form in ("bn_train", "bn_eval", "Fbn"):
        x = d.tensor(dtype, (r.randint(2, 3), c) + ((r.randint(1, 3),) if r.random() < 0.5 else ()))
        wb = [d.tensor(dtype, (c,)), d.tensor(dtype, (c,))]
        mean, var = _const(d, dtype, (c,), "normal"), _const(d, dtype, (c,), "positive")
        train = form == "bn_train" or (form == "Fbn" and r.random() < 0.5)
        holder = "F" if form == "Fbn" else "ops"
        expr = (f"{holder}.batch_norm({x}, {mean}, {var}, {wb[0]}, {wb[1]}, training={train}, "
                f"momentum={r.choice([0.1, 0.9])}, eps={eps})")
    elif form in ("ln", "Fln"):
        shape = (n, c, r.randint(1, 3))
        x = d.tensor(dtype, shape)
        norm = shape[r.choice([1, 2]):]
        w = d.tensor(dtype, norm) if r.random() < 0.7 else None
        b = d.tensor(dtype, norm) if r.random() < 0.5 else None
        expr = f"{'ops' if form == 'ln' else 'F'}.layer_norm({x}, {norm}, {w}, {b}, {eps})"
    elif form in ("gn", "Fgn"):
        x = d.tensor(dtype, (n, c, r.randint(1, 3)) + ((2,) if r.random() < 0.5 else ()))
        w = d.tensor(dtype, (c,)) if r.random() < 0.7 else None
        b = d.tensor(dtype, (c,)) if r.random() < 0.5 else None
        expr = f"{'ops' if form == 'gn' else 'F'}.group_norm({x}, {g}, {w}, {b}, {eps})"
    else:
        o, k, dil, st = g * r.randint(1, 2), r.randint(1, 3), r.choice([1, 2]), r.choice([1, 2])
        span = (k - 1) * dil + 1
        two = form == "conv2d"
        x = d.tensor(dtype, (n, c, r.randint(span, span + 3)) + ((r.randint(span, span + 2),) if two else ()))
        wt = d.tensor(dtype, (o, c // g, k) + ((k,) if two else ()))
        b = d.tensor(dtype, (o,)) if r.random() < 0.5 else None
        pm = r.choice(["valid", "same", "pad"])  # (mint's F.conv2d: Conv2DExt is unregistered on MindSpore's CPU)
        if pm == "same":
            st = 1 if r.random() < 0.5 else st
        pad = r.choice([1, 2]) if pm == "pad" else 0
        if pm == "pad" and two and r.random() < 0.4:
            pad = (1, 2)
        expr = f"ops.{form}({x}, {wt}, {b}, {st}, {pm!r}, {pad}, {dil}, {g})"
    return f"nc11.{form}", [f"return {expr}"], []


FORMS = [(getitem11, 14), (setitem11, 12), (shape11, 14), (activation11, 22), (loss11, 16), (pool11, 10),
         (norm_conv11, 12)]


def form_program(rng: random.Random, form) -> dict:
    api, src, _ = gen.form_source(rng, form)
    higher = rng.random() < 0.4
    mode = rng.choice(gen7.HIGHER_MODES if higher else gen.OP_MODES)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs11(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r11", form_program, FORMS, seed, count)
