"""ms_differential.py's program generator: random calls drawn from _ms_differential_specs, written out as
program text (Python that both MindSpore 2.10 and gradserve's SDK run: `inputs`, then `f` or `net`).
Tensor inputs are spelled T(dtype, shape, seed, domain): each side draws them from np.random.RandomState(seed),
so the text alone fixes every number."""
from __future__ import annotations

import random
import re

import _ms_differential_specs as specs

X_DTYPES = [("float32", 55), ("float16", 15), ("int32", 10), ("bool", 4), ("float64", 16)]
OP_MODES = ["value_and_grad", "grad", "get_all", "sens", "jvp", "vjp", "jit_grad"]
LAYER_MODES = ["by_list", "value_and_grad_weights", "grad_input"]
_SIG = re.compile(r"(Tensor|ops|mint|F)\.(\w+)\((.*)\)$")  # F: mint.nn.functional


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


class Draw:
    """One program's inputs as they are drawn: T(...) spellings, each a new argument of f."""

    def __init__(self, rng: random.Random, empty_p: float = 0.05):
        self.rng, self.inputs, self.empty_p = rng, [], empty_p

    def tensor(self, dtype: str, shape, domain: str = "normal") -> str:
        self.inputs.append(f"T({dtype!r}, {tuple(shape)!r}, {self.rng.randrange(1 << 30)}, {domain!r})")
        return _Code(f"a{len(self.inputs) - 1}")

    def shape(self, lo: int = 0, hi: int = 3, empty: bool = True) -> tuple:
        rank = self.rng.randint(lo, hi)
        dims = [self.rng.randint(1, 4) for _ in range(rank)]
        if empty and dims and self.rng.random() < self.empty_p:
            dims[self.rng.randrange(rank)] = 0
        return tuple(dims)


X_SHAPES = {}  # more main-tensor kinds: name -> draw -> shape (round 7's module adds to it, and to X_KINDS / KINDS)


def _x_shape(draw: Draw, kind: str) -> tuple:
    r = draw.rng
    fixed = {"mat": lambda: (r.randint(1, 4), r.randint(1, 4)) if r.random() < .7 else (2, r.randint(1, 3), 3),
             "sq": lambda: (r.randint(1, 4),) * 2, "vec": lambda: (r.randint(1, 4),),
             "small2": lambda: (2, r.randint(1, 3)), "mat3": lambda: (2, r.randint(1, 4), 3),
             "x_even_last": lambda: draw.shape(0, 2) + (2 * r.randint(1, 2),),
             "x_nc": lambda: (r.randint(1, 3), r.randint(1, 4)) + draw.shape(0, 2, empty=False),
             "mat2d": lambda: (r.randint(1, 4), r.randint(1, 4)), "mat_out": lambda: (r.randint(1, 4), r.randint(1, 4)),
             "x3d": lambda: (r.randint(1, 2), r.randint(1, 3), r.randint(3, 5)),
             "x4d": lambda: (r.randint(1, 2), r.randint(1, 3), r.randint(2, 4), r.randint(2, 4))}
    fixed.update({k: (lambda make=make: make(draw)) for k, make in X_SHAPES.items()})
    return fixed[kind]() if kind in fixed else draw.shape()


def _broadcast_shape(draw: Draw, shape: tuple) -> tuple:
    r = draw.rng
    out = list(shape[r.randint(0, len(shape)):]) if shape else []
    return tuple(1 if d and r.random() < 0.3 else d for d in out)


def _axes(r: random.Random, rank: int):
    if rank == 0:
        return r.choice([(), None])
    if r.random() < 0.5:
        return r.randint(-rank, rank - 1)
    picked = r.sample(range(rank), r.randint(0, rank))
    return tuple(a - rank if r.random() < 0.3 else a for a in picked)


class Ctx:
    """What the arguments of one call need to know: the main tensor's dtype, shape and the op's domain."""

    def __init__(self, draw: Draw, dtype: str, shape: tuple, domain: str):
        self.draw, self.r, self.dtype, self.shape, self.domain = draw, draw.rng, dtype, shape, domain
        self.remembered = {}  # what one argument drew that a later one must match (addmm's inner size)

    @property
    def rank(self) -> int:
        return len(self.shape)

    def axis(self) -> int:
        return self.r.randint(-self.rank, self.rank - 1) if self.rank else 0

    def remember(self, key: str, value):
        self.remembered[key] = value
        return value

    def like(self, shape=None, domain=None, dtype=None) -> str:
        return self.draw.tensor(dtype or self.dtype, self.shape if shape is None else shape, domain or self.domain)


def _other(c: Ctx) -> str:
    """A second operand: a broadcastable tensor (any of the dtypes), a 0-d tensor or a Python scalar."""
    roll = c.r.random()
    if roll < 0.15:
        return _Code(repr(c.r.choice([2.0, -1.5, 0.5, 3, 0, True])))
    dtype = _pick(c.r, X_DTYPES) if roll < 0.35 else c.dtype
    shape = () if roll < 0.45 else _broadcast_shape(c.draw, c.shape) if c.r.random() < 0.5 else c.shape
    return c.like(shape, dtype=dtype)


def _last(c: Ctx) -> int:
    return c.shape[-1] if c.shape else 1


KINDS = {
    "y": _other, "s": lambda c: c.like(), "s+": lambda c: c.like(domain="positive"),
    "s01": lambda c: c.like(domain="unit01"), "ones": lambda c: c.like((_last(c),), "ones", "float32"),
    "axis": lambda c: c.axis(), "last_axis": lambda c: c.rank - 1 if c.rank else 0,
    "axes": lambda c: _axes(c.r, c.rank), "opt_axis": lambda c: c.r.choice([None, c.axis()]) if c.rank else None,
    "axes_tuple": lambda c: tuple(c.r.sample(range(c.rank), c.r.randint(1, c.rank))) if c.rank else (),
    "new_axis": lambda c: c.r.randint(-c.rank - 1, c.rank), "minus_one": lambda c: -1,
    "bool": lambda c: c.r.random() < 0.5, "k": lambda c: c.r.randint(1, max(1, _last(c))),
    "f": lambda c: c.r.choice([0.5, -0.25, 1.5, 2.0, 0.0, -1.0]), "f_pos": lambda c: c.r.choice([0.5, 1.0, 2.0]),
    "f01": lambda c: c.r.choice([0.0, 0.3, 1.0]), "neg1": lambda c: -c.r.choice([0.5, 1.0]),
    "pos1": lambda c: c.r.choice([0.5, 1.0]), "none": lambda c: None, "ddof": lambda c: c.r.choice([0, 1]),
    "one_two": lambda c: c.r.choice([1, 2]), "small_int": lambda c: c.r.randint(-2, 2),
    "idx": lambda c: c.like((c.r.randint(0, 3),), f"index{_last(c)}", "int32"),
    "idx_full": lambda c: c.like(c.shape, f"index{_last(c)}", "int32"),
    "mask": lambda c: c.like(_broadcast_shape(c.draw, c.shape), "normal", "bool"),
    "perm": lambda c: tuple(c.r.sample(range(c.rank), c.rank)),
    "perm_args": lambda c: _Code(", ".join(map(str, c.r.sample(range(c.rank), c.rank)))),
    "reps": lambda c: tuple(c.r.randint(1, 2) for _ in range(c.r.randint(c.rank, c.rank + 1))) or (2,),
    "shape": lambda c: (2,) + tuple(c.shape), "flat": lambda c: c.r.choice([(-1,), (1, -1)]),
    "pair": lambda c: _Code(f"(a0, {c.like()})"), "gelu_mode": lambda c: c.r.choice(["none", "tanh"]),
    "mat_rhs": lambda c: c.like(c.shape[:-2] + (c.shape[-1], c.r.randint(1, 3))),
    "dense_w": lambda c: c.like((c.r.randint(1, 3), c.shape[-1])) if c.r.random() < .8 else c.like((c.shape[-1],)),
    "dense_b": lambda c: c.like((1,)) if c.r.random() < .3 else None,
    "bias_c": lambda c: c.like((c.shape[1],)), "reduction": lambda c: c.r.choice(["mean", "sum", "none"]),
    "p_norm": lambda c: c.r.choice([1.0, 2.0, 3.0]), "mat3_rhs": lambda c: c.like((2, c.r.randint(1, 3), 3)),
    "same_last": lambda c: c.like((c.r.randint(1, 3), _last(c)) if c.rank else ()),
    "float_dtype": lambda c: _Code(c.r.choice(["ms.float32", "ms.float16", "ms.float64"])),
    "index_key": lambda c: _Code(c.r.choice(["0", "-1", "slice(None, None, -1)", "..., 0", "None"])
                                 if c.rank else "..."),
}
KINDS.update({
    "mm1": lambda c: c.like((c.shape[0], c.remember("m", c.r.randint(1, 3)))),
    "mm2": lambda c: c.like((c.remembered["m"], c.shape[1])), "mat_rhs2": lambda c: KINDS["mat_rhs"](c),
    "mv_vec": lambda c: c.like((c.shape[1],)), "bmm_rhs": lambda c: c.like((c.shape[0], c.shape[2], c.r.randint(1, 3))),
    "td_rhs": lambda c: c.like((c.shape[-1], c.r.randint(1, 3))), "one": lambda c: 1, "zero": lambda c: 0,
    "two": lambda c: 2, "eps": lambda c: c.r.choice([None, 1e-6, 0.1]),
    "idx0": lambda c: c.like((c.r.randint(0, 3),), f"index{c.shape[0] if c.rank else 1}", "int32"),
    "pad2": lambda c: (c.r.randint(0, 2), c.r.randint(0, 2)), "pad_mode": lambda c: c.r.choice(["constant", "reflect",
                                                                                               "replicate"]),
    "kl_reduction": lambda c: c.r.choice(["mean", "sum", "none", "batchmean"]),
    "sign": lambda c: c.like(domain="sign"), "cls": lambda c: c.like((c.shape[0],), f"index{c.shape[1]}", "int32"),
    "bigger": lambda c: c.like((2,) + tuple(c.shape)), "y+": lambda c: c.like(domain="positive"),
})
X_KINDS = {"x", "x+", "x~", "x01", "mat", "sq", "vec", "small2", "mat3", "x_even_last", "x_nc", "mat2d", "mat_out",
           "x3d", "x4d"}


class _Code(str):
    """Program text that goes in as written (not repr'd)."""

    def __repr__(self) -> str:
        return str(self)


def _domain(op: str, kind: str) -> str:
    if kind == "x+" or op in specs.POSITIVE:
        return "positive"
    if kind == "x~" or op in specs.INNER_UNIT:
        return "inner_unit"
    if kind == "x01":
        return "unit01"
    return "normal"


def _parse(sig: str):
    holder, name, params = _SIG.match(sig).groups()
    out = []
    for p in filter(None, (q.strip() for q in params.split(","))):
        pname, kind = p.split(":")
        out.append((pname.rstrip("?"), kind, pname.endswith("?")))
    return holder, name, out


def _call_text(draw: Draw, sig: str) -> str:
    """One call of sig with drawn arguments: required ones positional, optional ones left out (the default),
    positional, or by keyword ($name: keyword-only)."""
    holder, name, params = _parse(sig)
    r = draw.rng
    x_kind = next((k for _, k, _ in params if k in X_KINDS), "x")
    dtype = _pick(r, X_DTYPES)
    ctx = Ctx(draw, dtype, _x_shape(draw, x_kind), _domain(name, x_kind))
    receiver = ctx.like()
    args, positional = [], True
    for pname, kind, optional in params:
        if kind in X_KINDS:
            if holder != "Tensor":
                args.append(receiver)
            continue
        if optional and r.random() < 0.4:
            positional = False
            continue
        value = repr(KINDS[kind](ctx))
        if pname.startswith("$"):
            positional = False
            args.append(f"{pname[1:]}={value}")
        elif pname.startswith("*") or not optional or (positional and r.random() < 0.5):
            args.append(value)
        else:
            positional = False
            args.append(f"{pname}={value}")
    target = f"{receiver}.{name}" if holder == "Tensor" else f"{holder}.{name}"
    return f"{target}({', '.join(args)})"


def op_program(rng: random.Random, sig: str, empty_p: float = 0.05) -> dict:
    draw = Draw(rng, empty_p)
    call = _call_text(draw, sig)
    params = ", ".join(f"a{i}" for i in range(len(draw.inputs)))
    src = f"inputs = [{', '.join(draw.inputs)}]\ndef f({params}):\n    return {call}\n"
    return {"kind": "op", "api": sig.split("(")[0], "src": src, "mode": rng.choice(OP_MODES)}


def signatures(available) -> list[str]:
    """Every signature whose name the SDK lists (available(holder, name) -> bool)."""
    sigs = [f"ops.{n}(x:{'x+' if n in specs.POSITIVE else 'x~' if n in specs.INNER_UNIT else 'x'})"
            for n in specs.UNARY]
    sigs += [f"ops.{n}(x:x, other:y)" for n in specs.BINARY] + specs.SIGNATURES
    return [s for s in sigs if available(*_parse(s)[:2])]


def _layer(r: random.Random, name: str) -> tuple[str, list]:
    """(constructor text with the default arguments but the sizes, [(dtype, shape, domain) of each input])."""
    n, c, l, h = r.randint(1, 3), r.randint(1, 4), r.randint(3, 6), r.randint(3, 5)
    x2, x3, x4 = ("float32", (n, c), "normal"), ("float32", (n, c, l), "normal"), ("float32", (n, c, h, l), "normal")
    act = r.choice([x2, x3, x4])
    table = {
        "Dense": (f"nn.Dense({c}, {r.randint(1, 4)})", [x2]), "Conv1d": (f"nn.Conv1d({c}, 2, 3)", [x3]),
        "Conv2d": (f"nn.Conv2d({c}, 2, {r.choice([1, 3])})", [x4]), "LayerNorm": (f"nn.LayerNorm(({l},))", [x3]),
        "BatchNorm1d": (f"nn.BatchNorm1d({c})", [x2]), "BatchNorm2d": (f"nn.BatchNorm2d({c})", [x4]),
        "MaxPool2d": ("nn.MaxPool2d(2, 1)", [x4]), "AvgPool2d": ("nn.AvgPool2d(2, 1)", [x4]),
        "AvgPool1d": ("nn.AvgPool1d(2, 1)", [x3]), "PReLU": ("nn.PReLU()", [act]),
        "Embedding": (f"nn.Embedding(5, {c})", [("int32", (n, l), "index5")]),
        "SequentialCell": (f"nn.SequentialCell([nn.Dense({c}, 3), nn.ReLU(), nn.Dense(3, 2)])", [x2]),
        "Conv2dTranspose": (f"nn.Conv2dTranspose({c}, 2, 3)", [x4]),
        "GroupNorm": (f"nn.GroupNorm(1, {c})", [x4]), "InstanceNorm2d": (f"nn.InstanceNorm2d({c})", [x4]),
        "AdaptiveAvgPool2d": ("nn.AdaptiveAvgPool2d(2)", [x4]),
        "MSELoss": ("nn.MSELoss()", [act, act]), "L1Loss": ("nn.L1Loss()", [act, act]),
        "SmoothL1Loss": ("nn.SmoothL1Loss()", [act, act]),
        "BCEWithLogitsLoss": ("nn.BCEWithLogitsLoss()", [act, (act[0], act[1], "unit01")]),
        "CrossEntropyLoss": ("nn.CrossEntropyLoss()", [x2, ("int32", (n,), f"index{c}")]),
        "RNN": (f"nn.RNN({c}, 2, batch_first=True)", [x3[:1] + ((n, l, c),) + x3[2:]]),
        "GRU": (f"nn.GRU({c}, 2, batch_first=True)", [x3[:1] + ((n, l, c),) + x3[2:]]),
        "LSTM": (f"nn.LSTM({c}, 2, batch_first=True)", [x3[:1] + ((n, l, c),) + x3[2:]]),
        "Bilinear": (f"nn.Bilinear({c}, 2, 3)", [x2, ("float32", (n, 2), "normal")]),
    }
    return table.get(name, (f"nn.{name}()", [act]))


def layer_program(rng: random.Random, name: str) -> dict:
    draw = Draw(rng)
    ctor, inputs = _layer(rng, name)
    dtype = "float16" if rng.random() < 0.1 else None
    for dt, shape, domain in inputs:
        draw.tensor(dtype if dtype and dt == "float32" else dt, shape, domain)
    train = name.startswith("BatchNorm") and rng.random() < 0.5  # Dropout's training mode: random draws
    src = (f"inputs = [{', '.join(draw.inputs)}]\nnet = {ctor}\n" + (f"net = net.to_float(ms.float16)\n" if dtype else "")
           + f"net.set_train({train})\n")
    return {"kind": "layer", "api": f"nn.{name}", "src": src, "mode": rng.choice(LAYER_MODES),
            "param_seed": rng.randrange(1 << 30)}


def form_source(rng: random.Random, form) -> tuple[str, str, Draw]:
    """One hand-written form (rounds 10-12) drawn: (its api, the program text, the Draw with its inputs).
    Lines the form binds before `def f` (its Draw's `pre`, then its own) come after `inputs`."""
    draw = Draw(rng, 0)
    api, body, pre = form(draw)
    pre = getattr(draw, "pre", []) + pre
    params = ", ".join(f"a{i}" for i in range(len(draw.inputs)))
    src = "\n".join([f"inputs = [{', '.join(draw.inputs)}]", *pre, f"def f({params}):", *("    " + b for b in body)])
    return api, src, draw


def form_programs(tag: str, form_program, forms, seed: int, count: int, net_program=None,
                  net_weight: float = 0.0) -> list[dict]:
    """count programs of a round (10 on): each a hand-written form drawn by its weight, or with net_program one in
    1 / net_weight a network (rounds 14, 16, 17); named `tag:seed:index:api`. The one round driver the
    generators share: a round's programs are its forms, its form_program (modes) and its net_program."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        if net_program is not None and rng.random() < net_weight:
            prog = net_program(rng)
        else:
            prog = form_program(rng, _pick(rng, forms))
        out.append({"name": f"{tag}:{seed}:{i}:{prog['api']}", **prog})
    return out


def first_or_higher(rng: random.Random, higher_modes: list, p: float = 0.35) -> str:
    """A differentiating mode: one of higher_modes with probability p, else a first-order one (OP_MODES)."""
    return rng.choice(higher_modes if rng.random() < p else OP_MODES)


def net_program(rng: random.Random, form, tail: tuple = ()) -> dict:
    """A user-written network (form(Draw) -> (api, lines binding `net`), then tail lines) through a layer mode."""
    import _ms_differential_higher as higher
    draw = Draw(rng, 0)
    api, lines = form(draw)
    src = "\n".join([f"inputs = [{', '.join(draw.inputs)}]", *lines, *tail]) + "\n"
    mode = rng.choice(LAYER_MODES + list(higher.LAYER_MODES))
    return {"kind": "layer", "api": api, "src": src, "mode": mode, "param_seed": rng.randrange(1 << 30)}


def programs(seed: int, count: int, available) -> list[dict]:
    """count programs, about one in six an nn layer; each named by seed and index."""
    rng = random.Random(seed)
    sigs = signatures(available)
    layers = [n for n in specs.LAYERS if available("nn", n)]
    out = []
    for i in range(count):
        prog = layer_program(rng, rng.choice(layers)) if rng.random() < 1 / 6 else op_program(rng, rng.choice(sigs))
        out.append({"name": f"{seed}:{i}:{prog['api']}", **prog})
    return out
