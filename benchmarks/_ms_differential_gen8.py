"""Round 8 of ms_differential.py's programs: where rounds 1-7 did not look. Stop 40's names with their optional
arguments drawn, reductions over tuple / list / empty axes with keepdims (_ms_differential_specs8.py), and
hand-written program forms: integer / bool / mixed-dtype arithmetic with Python scalars (type promotion),
indexing and setitem (bool masks, Ellipsis, None, negative steps, tensor indices) under grad, in-place Tensor
methods inside the traced function, control flow on tensor conditions (in @ms.jit and not), loss Cells with
reduction modes and class weights, ops.vmap over a gradient with in_axes / out_axes forms.

Each form is a function of a Draw returning (api, body lines, lines before `def f`): the program text is
`inputs = [...]`, those lines, then `def f(a0, a1, ...):` with the body."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
import _ms_differential_specs8 as specs8

C = gen._Code
INF, NEG_INF = C("float('inf')"), C("float('-inf')")
INTS = ["int32", "int64", "int16", "int8", "uint8", "bool"]
FLOATS = ["float32", "float16", "float64"]
ANY_MODE = gen.OP_MODES + gen7.HIGHER_MODES


def _axes8(c: gen.Ctx):
    """An int, a tuple or a list of axes (negative too), the empty tuple, or None."""
    if not c.rank:
        return c.r.choice([(), None, 0, -1])
    roll = c.r.random()
    if roll < 0.2:
        return ()
    if roll < 0.35:
        return c.axis()
    picked = [a - c.rank if c.r.random() < 0.4 else a for a in c.r.sample(range(c.rank), c.r.randint(1, c.rank))]
    return picked if roll < 0.5 else tuple(picked)


def _dims(c: gen.Ctx):
    if c.rank < 2 or c.r.random() < 0.4:
        return c.r.choice([None, c.axis()])
    return tuple(a - c.rank if c.r.random() < 0.4 else a for a in c.r.sample(range(c.rank), 2))


gen.X_SHAPES.update({
    "x_g": lambda d: (d.rng.randint(1, 2), 4, d.rng.randint(3, 5)),
    "x_g4": lambda d: (d.rng.randint(1, 2), d.rng.choice([2, 4]), d.rng.randint(1, 3), d.rng.randint(1, 3)),
    "x_ncd": lambda d: (d.rng.randint(1, 3), d.rng.randint(2, 4), d.rng.randint(1, 3)),
})
gen.X_KINDS.update({"x_g", "x_g4", "x_ncd"})
gen.KINDS.update({
    "axes8": _axes8, "dims": _dims, "true": lambda c: True,
    "conv_b": lambda c: c.like((2,)) if c.r.random() < 0.6 else None,
    "conv_pad": lambda c: c.r.choice([0, 1, "valid", "same"]),
    "conv1d_gw": lambda c: c.like((2, c.shape[1] // 2, c.r.randint(1, 3))),
    "ln_shape2": lambda c: c.remember("ln", tuple(c.shape[-c.r.randint(1, 2):])),
    "ln_w2": lambda c: c.like(c.remembered["ln"]),
    "pad_idx_neg": lambda c: c.r.choice([None, 0, -1]),
    "pad4": lambda c: tuple(c.r.randint(0, 2) for _ in range(c.r.choice([2, 4]))),
    "pad_neg": lambda c: (c.r.choice([-1, 0, 1]), c.r.choice([-1, 1])),
    "pad_mode_c": lambda c: "constant",
    "f_thr": lambda c: c.r.choice([20.0, 1.0, 0.5]), "f_margin": lambda c: c.r.choice([0.0, 0.5, -0.3]),
    "cls_ign": lambda c: c.like((c.shape[0],), f"index{c.shape[1]}", "int32"),
    "cls_d": lambda c: c.like((c.shape[0], c.shape[2]), f"index{c.shape[1]}", "int32"),
    "class_w": lambda c: c.like((c.shape[1],), "positive", "float32" if c.dtype not in FLOATS else c.dtype),
    "out_size2": lambda c: c.r.choice([2, 1, (2, 3), (None, 2), (3, None)]),
    "norm_p": lambda c: c.r.choice([1.0, 2.0, 3.0, 0.0, 0.5, INF, NEG_INF]),
    "mat_p": lambda c: c.r.choice(["fro", "nuc"]),
    "both_dims": lambda c: c.r.choice([None, (0, 1), (-2, -1), (1, 0)]),
    "sum_size_tuple": lambda c: tuple(1 if c.r.random() < 0.5 else d for d in c.shape),
})


# ----------------------------------------------------------------------------------------- type promotion
_SCALARS = [2, -3, 2.5, -0.5, True, False, 0, 1.0]
_BINOPS = ["+", "-", "*", "/", "//", "%", "**", "==", "<", ">=", "!="]
_CALLS = ["ops.add", "ops.sub", "ops.mul", "ops.div", "mint.add", "mint.mul", "mint.div", "ops.maximum",
          "ops.minimum", "ops.floor_divide", "ops.remainder", "ops.pow", "ops.true_divide", "ops.eq"]


def _dtype_tensor(d: gen.Draw, dtype: str, shape: tuple, denominator: bool = False) -> str:
    if dtype in FLOATS:
        return d.tensor(dtype, shape, "normal")
    if dtype == "bool":
        return d.tensor(dtype, shape, "ones" if denominator else "normal")
    if dtype == "uint8":
        return d.tensor(dtype, shape, "index5" if not denominator else "ones")
    return d.tensor(dtype, shape, "nonzero" if denominator else "ints")


def promotion(d: gen.Draw):
    """`tensor op scalar`, `scalar op tensor` or `tensor op tensor` over two dtypes: the result's dtype and value."""
    r = d.rng
    dtype = r.choice(INTS + FLOATS + ["float32"])
    shape = d.shape(0, 2, empty=False)
    op = r.choice(_BINOPS + _CALLS)
    divides = op in ("/", "//", "%", "ops.div", "mint.div", "ops.floor_divide", "ops.remainder", "ops.true_divide")
    power = op in ("**", "ops.pow")
    a = _dtype_tensor(d, dtype, shape)
    if r.random() < 0.55:
        scalars = [2, -3, 2.5, -0.5, True, 1.0] if divides else [2, 3, 0.5, 2.0, True, 0] if power else _SCALARS
        other, scalar = C(repr(r.choice(scalars))), True
    else:
        other, scalar = _dtype_tensor(d, r.choice(INTS + FLOATS), gen._broadcast_shape(d, shape), divides), False
        if power:  # an integer base to a negative integer power is an error in both: exponents from 0..2
            d.inputs[-1] = d.inputs[-1].replace("'ints'", "'index3'").replace("'nonzero'", "'index3'")
    left, right = (other, a) if scalar and op not in _CALLS and r.random() < 0.35 else (a, other)
    expr = f"{op}({left}, {right})" if op in _CALLS else f"{left} {op} {right}"
    return "promotion." + (op if op in _CALLS else f"__{op}__"), [f"return {expr}"], []


# ----------------------------------------------------------------------------------------- indexing, setitem
def _index_key(d: gen.Draw, shape: tuple):
    """(key text, the shape the key selects, or None for a data-dependent shape)."""
    r, m, rest = d.rng, shape[0], shape[1:]
    k = r.randint(1, 3)
    forms = [
        ("a0 > 0", None), ("..., None", shape + (1,)), ("None, ..., ::-1", (1,) + shape), ("::-1", shape),
        (":, ::-2", (shape[0], (shape[1] + 1) // 2) + shape[2:]), ("-1, ...", rest), ("1:, None", (m - 1, 1) + rest),
        ("[0, -1]", (2,) + rest), ("..., -1", shape[:-1]), ("None", (1,) + shape), ("::2, ..., 1:", None),
    ]
    key, sel = r.choice(forms)
    if key == "::2, ..., 1:":
        sel = ((m + 1) // 2,) + shape[1:-1] + (shape[-1] - 1,)
    roll = r.random()
    if roll < 0.15:
        key, sel = d.tensor("int32", (k,), f"index{m}"), (k,) + rest
    elif roll < 0.25:
        key, sel = f":, {d.tensor('int32', (k,), f'index{shape[1]}')}", (m, k) + shape[2:]
    elif roll < 0.35:
        key, sel = d.tensor("bool", shape[:r.randint(1, len(shape))], "normal"), None
    return key, sel


def indexing(d: gen.Draw):
    """x[key] inside the differentiated function, or a setitem (=, +=, *=) into a copy."""
    r = d.rng
    shape = (r.randint(2, 4), r.randint(2, 3)) + ((r.randint(1, 3),) if r.random() < 0.4 else ())
    d.tensor(r.choice(["float32"] * 4 + ["float16", "float64"]), shape)
    key, sel = _index_key(d, shape)
    if r.random() < 0.45:
        return "index.getitem", [f"return a0[{key}] * 2"], []
    if sel is None or r.random() < 0.4:
        value = C(repr(r.choice([0.0, 2.5, -1]))) if r.random() < 0.6 else d.tensor("float32", ())
    else:
        value = d.tensor(r.choice(["float32", "float32", "float64", "int32"]), sel[r.randint(0, len(sel)):])
    op = r.choice(["=", "=", "+=", "*="])
    copy = r.choice(["a0 * 1", "a0.copy()", "ops.sin(a0)"])
    return f"index.setitem{op}", [f"y = {copy}", f"y[{key}] {op} {value}", "return y * a0"], []


# ----------------------------------------------------------------------------------------- in-place methods
def inplace(d: gen.Draw):
    """1-3 in-place methods on a copy (or, one in six, on the input itself) inside the traced function."""
    r = d.rng
    shape = d.shape(1, 3, empty=False)
    dtype = r.choice(["float32"] * 4 + ["float16", "float64"])
    d.tensor(dtype, shape)
    b = d.tensor(r.choice([dtype, dtype, "float32", "int32"]), gen._broadcast_shape(d, shape))
    target = "a0" if r.random() < 1 / 6 else r.choice(["a0 * 1", "a0.copy()", "a0 + 0"])
    body = [f"y = {target}"] if target != "a0" else ["y = a0"]
    methods = [
        f"y.add_({b})", f"y.add_({b}, alpha=2.0)", f"y.sub_({b})", f"y.mul_({b})", "y.add_(1.5)", "y.mul_(-0.5)",
        f"y.div_({b} * {b} + 1)", "y.div_(2)", "y.clamp_(-0.5, 0.5)", "y.clamp_(min=0.0)", "y.neg_()", "y.sin_()",
        "y.exp_()", "y.sigmoid_()", "y.tanh_()", "y.square_()", "y.pow_(2)", "y.abs_()", "y.fill_(1.5)", "y.zero_()",
        f"y.masked_fill_({b} > 0, 0.25)", f"y.copy_({b})", "y.floor_()", "y.sign_()",
    ]
    uses = r.sample(methods, r.randint(1, 3))
    if r.random() < 0.2:
        uses[-1] = "z = " + uses[-1]  # the method's own result (the tensor itself)
        body += uses + ["return z * y + a0"]
    else:
        body += uses + [r.choice(["return y", "return y * a0", "return y, a0"])]
    # MindSpore 2.10's CPU in-place kernels write nothing in PyNative (README, round 6a): two in three run under
    # @ms.jit, where it carries them out. Drawn from the text, not from r: the other programs of a seed stay as drawn
    jit = random.Random("\n".join(body) + d.inputs[0]).random() < 2 / 3
    return "inplace." + ("jit" if jit else "eager"), body, ["@ms.jit"] if jit else []


# ----------------------------------------------------------------------------------------- control flow
_CONDS = ["a0.sum() > 0", "a0.max() > a1.min()", "(a0 > a1).all()", "a0.mean() < 0.2", "(a0 * a1).sum() >= 0",
          "a0[0].sum() > a1.sum()", "(a0 * a1).any()"]


def control(d: gen.Draw):
    """if / while / for on tensor conditions, under @ms.jit (two in three) or run eagerly."""
    r = d.rng
    shape = d.shape(1, 2, empty=False)
    dtype = r.choice(["float32"] * 4 + ["float64"])
    d.tensor(dtype, shape)
    d.tensor(dtype, shape if r.random() < 0.6 else gen._broadcast_shape(d, shape))
    cond = r.choice(_CONDS)
    n = r.randint(1, 3)
    forms = [
        [f"if {cond}:", "    y = a0 * a1", "else:", "    y = a0 - a1 * 2", "return y"],
        [f"if {cond}:", "    return ops.sin(a0) * a1", "return a0 ** 2 + a1"],
        ["y = a0", "i = 0", f"while i < {n}:", "    y = y * a1 + 0.5", "    i += 1", "return y"],
        ["y = a0", f"for _ in range({n}):", "    if y.sum() > 0:", "        y = y - a1", "    else:",
         "        y = y * 1.5 + a1", "return y"],
        ["y = a0 + 0", "i = 0", "while y.abs().sum() < 8 and i < 4:", "    y = y * 2 + a1", "    i += 1", "return y"],
        [f"y = ops.relu(a0) * a1 if {cond} else ops.tanh(a0) + a1", "return y"],
        [f"if {cond}:", "    if a1.sum() > 0:", "        return a0 * a1", "    return a0 + a1", "return a0 - a1"],
        ["s = a0 * 0", f"for i in range({n}):", "    s = s + a0 * i - a1", "return s"],
    ]
    body = r.choice(forms)
    jit = r.random() < 2 / 3
    return "control." + ("jit" if jit else "eager"), body, ["@ms.jit"] if jit else []


# ----------------------------------------------------------------------------------------- loss Cells
def loss_cell(d: gen.Draw):
    """A loss Cell built with a drawn reduction (and class weights, margins, ...) called on drawn tensors."""
    r = d.rng
    red = repr(r.choice(["mean", "sum", "none"]))
    n, c = r.randint(1, 3), r.randint(2, 4)
    x = d.shape(1, 3, empty=False)
    dtype = r.choice(["float32"] * 4 + ["float16", "float64"])

    def t(shape, domain="normal", dt=None):
        return d.tensor(dt or dtype, shape, domain)

    def w(shape, dt=None):  # class / element weights: built with the Cell, so T(...) in its constructor
        return C(f"T({dt or dtype!r}, {shape!r}, {r.randrange(1 << 30)}, 'positive')") if r.random() < 0.6 else None

    table = {
        "MSELoss": lambda: (f"nn.MSELoss({red})", [t(x), t(x)]),
        "L1Loss": lambda: (f"nn.L1Loss(reduction={red})", [t(x), t(x)]),
        "SmoothL1Loss": lambda: (f"nn.SmoothL1Loss({r.choice([0.5, 1.0, 2.0])}, {red})", [t(x), t(x)]),
        "HuberLoss": lambda: (f"nn.HuberLoss({red}, delta={r.choice([0.5, 1.0, 2.0])})", [t(x), t(x)]),
        "CrossEntropyLoss": lambda: (f"nn.CrossEntropyLoss(weight={w((c,))}, ignore_index={r.choice([-100, 0, 1])}, "
                                     f"reduction={red}, label_smoothing={r.choice([0.0, 0.0, 0.2])})",
                                     [t((n, c)), t((n,), f"index{c}", "int32")]),
        "CrossEntropyLoss.probs": lambda: (f"nn.CrossEntropyLoss(reduction={red})", [t((n, c)), t((n, c), "unit01")]),
        "NLLLoss": lambda: (f"nn.NLLLoss(weight={w((c,))}, ignore_index={r.choice([-100, 0])}, reduction={red})",
                            [t((n, c)), t((n,), f"index{c}", "int32")]),
        "BCELoss": lambda: (f"nn.BCELoss(weight={w(x)}, reduction={red})", [t(x, "unit01"), t(x, "unit01")]),
        "BCEWithLogitsLoss": lambda: (f"nn.BCEWithLogitsLoss({red}, weight={w(x[-1:])}, pos_weight={w(x[-1:])})",
                                      [t(x), t(x, "unit01")]),
        "KLDivLoss": lambda: (f"nn.KLDivLoss({r.choice(['sum', 'none', 'batchmean'])!r})", [t(x), t(x, "positive")]),
        "SoftMarginLoss": lambda: (f"nn.SoftMarginLoss({red})", [t(x), t(x, "sign")]),
        "CosineEmbeddingLoss": lambda: (f"nn.CosineEmbeddingLoss({r.choice([0.0, 0.5])}, {red})",
                                        [t((n, c)), t((n, c)), t((n,), "sign")]),
        "MarginRankingLoss": lambda: (f"nn.MarginRankingLoss({r.choice([0.0, 0.5])}, {red})",
                                      [t((n,)), t((n,)), t((n,), "sign")]),
        "MultiMarginLoss": lambda: (f"nn.MultiMarginLoss({r.choice([1, 2])}, {r.choice([1.0, 0.5])}, {red}, "
                                    f"weight={w((c,), 'float32')})", [t((n, c)), t((n,), f"index{c}", "int64")]),
        "MultiLabelSoftMarginLoss": lambda: (f"nn.MultiLabelSoftMarginLoss(weight={w((c,))}, reduction={red})",
                                             [t((n, c)), t((n, c), "unit01")]),
        "HingeEmbeddingLoss": lambda: (f"nn.HingeEmbeddingLoss({r.choice([1.0, 0.5])}, {red})", [t(x), t(x, "sign")]),
        "PoissonNLLLoss": lambda: (f"nn.PoissonNLLLoss({r.random() < .5}, {r.random() < .5}, reduction={red})",
                                   [t(x, "positive"), t(x, "positive")]),
        "GaussianNLLLoss": lambda: (f"nn.GaussianNLLLoss(full={r.random() < .5}, reduction={red})",
                                    [t(x), t(x), t(x, "positive")]),
        "MAELoss": lambda: (f"nn.MAELoss({red})", [t(x), t(x)]), "RMSELoss": lambda: ("nn.RMSELoss()", [t(x), t(x)]),
        "DiceLoss": lambda: ("nn.DiceLoss()", [t((n, c), "unit01"), t((n, c), "unit01")]),
    }
    name = r.choice(sorted(table))
    ctor, args = table[name]()
    return f"loss.{name}", [f"return loss_cell({', '.join(args)})"], [f"loss_cell = {ctor}"]


# ----------------------------------------------------------------------------------------- vmap over grad
_INNERS = ["(ops.sin(x) * y).sum()", "(x * x * y).sum()", "ops.tanh(x).sum() * y.sum()",
           "(x ** 3).sum() + (x * y).mean()", "ops.logsumexp(x * y, 0)", "(ops.exp(x) * y).max()"]


def vmap(d: gen.Draw):
    """ops.vmap(grad form of inner)(a0, a1) with in_axes / out_axes; the program's own mode differentiates it."""
    r = d.rng
    b, n = r.randint(1, 3), r.randint(1, 3)
    dtype = r.choice(["float32"] * 4 + ["float64"])
    axes = r.choice([(0, 0), (0, None), (None, 0), (1, 1), (-1, 0), (1, None), 0])
    for ax in (axes, axes) if isinstance(axes, int) else axes:
        d.tensor(dtype, (n,) if ax is None else (b, n) if ax == 0 else (n, b))
    form = r.choice(["ops.grad(inner)", "ops.grad(inner, grad_position=(0, 1))", "ops.grad(inner, grad_position=1)",
                     "ops.value_and_grad(inner)"])
    out = "0" if "value" in form else r.choice(["0", "1", "-1"] + (["(0, 1)"] if "(0, 1)" in form else []))
    in_axes = repr(axes)
    pre = ["def inner(x, y):", f"    return {r.choice(_INNERS)}"]
    return "vmap." + form.split("(")[0].split(".")[1], [f"return ops.vmap({form}, in_axes={in_axes}, "
                                                       f"out_axes={out})(a0, a1)"], pre


FORMS = [(promotion, 15), (indexing, 15), (inplace, 10), (control, 10), (loss_cell, 10), (vmap, 7)]


def form_program(rng: random.Random, form) -> dict:
    draw = gen.Draw(rng, 0)
    api, body, pre = form(draw)
    params = ", ".join(f"a{i}" for i in range(len(draw.inputs)))
    src = "\n".join([f"inputs = [{', '.join(draw.inputs)}]", *pre, f"def f({params}):", *("    " + b for b in body)])
    modes = gen.OP_MODES if api.startswith(("control", "vmap")) else ANY_MODE
    return {"kind": "op", "api": api, "src": src + "\n", "mode": rng.choice(modes)}


def programs8(seed: int, count: int, available) -> list[dict]:
    """count programs: 22% stop 40's names, 11% reductions (any mode), the rest the hand-written forms."""
    rng = random.Random(seed)
    stop40 = [s for s in specs8.STOP40 if available(*gen._parse(s)[:2])]
    reductions = [s for s in specs8.REDUCTIONS if available(*gen._parse(s)[:2])]
    weighted = [("stop40", 22), ("reductions", 11)] + FORMS
    out = []
    for i in range(count):
        pick = gen._pick(rng, weighted)
        if pick in ("stop40", "reductions"):
            prog = gen.op_program(rng, rng.choice(stop40 if pick == "stop40" else reductions), gen7.EMPTY_P)
            prog["mode"] = rng.choice(ANY_MODE)
        else:
            prog = form_program(rng, pick)
        out.append({"name": f"r8:{seed}:{i}:{prog['api']}", **prog})
    return out
