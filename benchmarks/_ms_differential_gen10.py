"""Round 10 of ms_differential.py's programs: where rounds 1-9 did not look. Hand-written program forms (as rounds
8-9: each a function of a Draw returning (api, body lines, lines before `def f`)):

- promotion across every binary op family (arithmetic, division / remainder / fmod, pow, comparisons, bitwise and
  shifts, atan2 / hypot / copysign / xlogy / logaddexp / fmax) as ops.* / mint.* / Tensor methods / operators /
  mindspore.numpy, with int8-64 / uint8 / bool / float16-64 / complex64 tensors and Python int / float / bool operands:
  the result's dtype is compared as well as its value;
- integer division / remainder / floor_divide / fmod / div(rounding_mode) signs with negative operands;
- bitwise not / and / or / xor and shifts of signed and unsigned integers;
- rounding (round with decimals, half values, rint, floor / ceil / trunc / fix / frac) and clamp / clip with tensor,
  number and None bounds;
- where / masked_fill with broadcast and mixed-dtype branches;
- reductions with keepdims, axis tuples, negative and empty axes over integer / bool / float inputs as ops / Tensor
  methods / mint / mindspore.numpy (sum / prod / mean / amax / argmax ties / max with indices / std / var / cumsum);
- NaN / inf handling: nanmean / nansum / nanmedian, max / min / argmax / sort / topk / cummax with NaN, fmax / maximum,
  nan_to_num, isclose(equal_nan) (the "nans" domain of T: every third entry NaN, one inf);
- in-place Tensor methods and setitem on views / aliases (under @ms.jit: MindSpore 2.10's PyNative in-place kernels
  write nothing), the caller's input and the alias both returned.

Integer / bool programs run in mode "value" (their values and dtypes); float programs also through rounds 6-7's
first-order forms."""
from __future__ import annotations

import random

import _ms_differential_gen as gen

C = gen._Code
SIGNED = ["int8", "int16", "int32", "int64"]
INTS = SIGNED + ["uint8"]
FLOATS = ["float16", "float32", "float64"]
ALL = INTS + ["bool"] + FLOATS + ["complex64"]


def _operand(d: gen.Draw, dtype: str, shape: tuple, positive: bool = False) -> str:
    domain = {"uint8": "index9", "bool": "normal"}.get(dtype, "nonzero" if positive else "ints")
    if dtype in FLOATS + ["complex64"]:
        domain = "nonzero" if positive else d.rng.choice(["halves", "normal", "ints"])
    return d.tensor(dtype, shape, domain)


_FAMILIES = {
    "arith": (["ops.add", "ops.sub", "ops.mul", "mint.add", "mint.sub", "mint.mul", "ops.subtract", "ops.multiply",
               "mnp.add", "mnp.subtract", "mnp.multiply", ".add", ".sub", ".mul"], ["+", "-", "*"]),
    "divide": (["ops.div", "ops.true_divide", "ops.divide", "mint.div", "mnp.divide", "mnp.true_divide", ".div",
                "ops.floor_divide", "ops.remainder", "ops.fmod", "ops.floor_mod", "ops.truncate_div",
                "ops.truncate_mod", "mint.remainder", "mint.floor_divide", "mint.fmod", "mnp.remainder", "mnp.mod",
                "mnp.fmod", "mnp.floor_divide", ".remainder", ".floor_divide", ".fmod"], ["/", "//", "%"]),
    "power": (["ops.pow", "mint.pow", "mnp.power", ".pow"], ["**"]),
    "compare": (["ops.eq", "ops.ne", "ops.gt", "ops.lt", "ops.ge", "mint.eq", "mint.gt", "mnp.equal", "mnp.less",
                 "ops.maximum", "ops.minimum", "mint.maximum", "mint.minimum", "mnp.maximum", "ops.fmax", "ops.fmin"],
                ["==", "!=", "<", ">="]),
    "bitwise": (["ops.bitwise_and", "ops.bitwise_or", "ops.bitwise_xor", "mint.bitwise_and", "mint.bitwise_or",
                 "mint.bitwise_xor", "mnp.bitwise_and", "mnp.bitwise_xor", "ops.logical_and", "ops.logical_xor",
                 "mint.logical_or", ".bitwise_and"], ["&", "|", "^"]),
    "shift": (["ops.bitwise_left_shift", "ops.bitwise_right_shift", "ops.left_shift", "ops.right_shift"], ["<<", ">>"]),
    "float2": (["ops.atan2", "mint.atan2", "ops.hypot", "ops.copysign", "ops.xlogy", "ops.logaddexp", "ops.logaddexp2",
                "mnp.arctan2", "mnp.hypot", "mnp.copysign", "mnp.logaddexp", "ops.squared_difference", "mnp.heaviside"],
               []),
}


def _call(op: str, left: str, right: str) -> str:
    if op.startswith("."):  # a Tensor method: needs a Tensor on the left
        return f"{left}{op}({right})"
    return f"{op}({left}, {right})"


def promotion10(d: gen.Draw):
    """One binary op of a family over two drawn dtypes (or a Python number on either side)."""
    r = d.rng
    family = r.choice(list(_FAMILIES))
    calls, operators = _FAMILIES[family]
    op = r.choice(calls + operators * 2)
    pool = {"bitwise": INTS + ["bool"], "shift": INTS}.get(family, ALL)
    shape = d.shape(0, 2, empty=False)
    da = r.choice(pool)
    a = _operand(d, da, shape)
    divides = family == "divide"
    if r.random() < 0.45:
        nums = [2, 3, True] if family in ("bitwise", "shift") else [2, -3, 2.5, -0.5, True] if divides else \
            [2, -3, 2.5, -0.5, True, 0, 1.5]
        other = C(repr(r.choice(nums)))
    else:
        db = r.choice(pool)
        other = _operand(d, db, gen._broadcast_shape(d, shape), positive=divides or family == "power")
        if family == "shift":  # shift counts 0..3 (past the width is undefined in C; MindSpore's kernel follows it)
            d.inputs[-1] = d.inputs[-1].replace("'ints'", "'index4'").replace("'nonzero'", "'index4'").replace("'index9'", "'index4'")
        if family == "power" and db in INTS + ["bool"]:
            d.inputs[-1] = d.inputs[-1].replace("'nonzero'", "'index3'")
    swap = isinstance(other, C) and not isinstance(other, str) and other.startswith(("2", "-", "3", "T", "0", "1")) \
        and not op.startswith(".") and r.random() < 0.35
    swap = swap and other not in ("a1",)
    left, right = (other, a) if swap else (a, other)
    expr = f"{left} {op} {right}" if op in operators else _call(op, left, right)
    return f"promo10.{family}.{op.lstrip('.')}", [f"return {expr}"], []


def intdiv(d: gen.Draw):
    """Integer and float division families with negative operands (and float zeros)."""
    r = d.rng
    dtype = r.choice(SIGNED + ["uint8"] + FLOATS)
    shape = (r.randint(2, 5),)
    a = d.tensor(dtype, shape, "ints" if dtype != "uint8" else "index9")
    b = d.tensor(dtype, shape, "nonzero" if dtype != "uint8" else "index9")
    if dtype == "uint8":  # no zero divisor in integers (undefined)
        b = C(f"({b} + 1)")
    mode = r.choice(["'floor'", "'trunc'", "None"])
    forms = [f"ops.div({a}, {b}, rounding_mode={mode})", f"mint.div({a}, {b}, rounding_mode={mode})",
             f"{a}.div({b}, rounding_mode={mode})", f"ops.floor_divide({a}, {b})", f"ops.remainder({a}, {b})",
             f"ops.fmod({a}, {b})", f"mint.fmod({a}, {b})", f"mint.remainder({a}, {b})", f"{a} // {b}", f"{a} % {b}",
             f"ops.truncate_div({a}, {b})", f"ops.truncate_mod({a}, {b})", f"ops.floor_mod({a}, {b})",
             f"mnp.fmod({a}, {b})", f"mnp.remainder({a}, {b})", f"mnp.floor_divide({a}, {b})",
             f"ops.div({a}, {r.choice([2, -2, 3, -2.5])}, rounding_mode={mode})", f"{a} % {r.choice([3, -3, 2.5])}",
             f"{r.choice([7, -7, 7.5])} % {b}", f"ops.fmod({a}, {r.choice([3, -3, 2.5])})",
             f"ops.remainder({r.choice([7, -7])}, {b})"]
    if dtype in FLOATS:  # float zeros: inf / nan with IEEE signs
        z = d.tensor(dtype, shape, "halves")
        forms += [f"ops.floor_divide({a}, {z})", f"ops.remainder({a}, {z})", f"ops.fmod({a}, {z})", f"{a} / {z}",
                  f"ops.div({a}, {z}, rounding_mode={mode})"]
    return "intdiv." + dtype, [f"return {r.choice(forms)}"], []


def bitwise(d: gen.Draw):
    r = d.rng
    dtype = r.choice(INTS + ["bool"])
    shape = d.shape(1, 2, empty=False)
    a = d.tensor(dtype, shape, "wide" if dtype != "bool" else "normal")
    forms = [f"~{a}", f"ops.invert({a})", f"ops.bitwise_not({a})" , f"mint.bitwise_not({a})", f"mnp.invert({a})",
             f"{a}.bitwise_not()", f"ops.logical_not({a})"]
    if dtype != "bool":
        s = r.choice([1, 2, 3, 7])
        forms += [f"{a} << {s}", f"{a} >> {s}", f"ops.bitwise_left_shift({a}, {s})", f"ops.bitwise_right_shift({a}, {s})",
                  f"ops.bitwise_and({a}, {r.choice([-2, 3, 15])})", f"{a} ^ {r.choice([-1, 5])}", f"{a} | {r.choice([1, -8])}"]
    form = r.choice(forms)
    if form.startswith("ops.bitwise_not"):
        form = f"ops.invert({a})"
    return "bitwise." + dtype, [f"return {form}"], []


def rounding(d: gen.Draw):
    r = d.rng
    dtype = r.choice(FLOATS * 3 + SIGNED)
    shape = d.shape(1, 2, empty=False)
    a = d.tensor(dtype, shape, r.choice(["halves", "halves", "normal", "wide"]) if dtype in FLOATS else "wide")
    dec = r.choice([0, 1, 2, -1])
    forms = [f"ops.round({a})", f"ops.round({a}, decimals={dec})", f"{a}.round()", f"{a}.round(decimals={dec})",
             f"mint.round({a})", f"mint.round({a}, decimals={dec})", f"ops.rint({a})", f"ops.floor({a})", f"ops.ceil({a})",
             f"ops.trunc({a})", f"ops.fix({a})", f"mnp.around({a}, {dec})", f"mnp.rint({a})", f"mnp.fix({a})",
             f"{a}.trunc()", f"ops.frac({a})", f"mint.trunc({a})", f"{a}.floor()", f"{a}.ceil()"]
    scale = r.choice(["", " * 10.05", " / 3"]) if dtype in FLOATS else ""
    return "rounding." + dtype, [f"return {r.choice(forms).replace(str(a), f'({a}{scale})', 1) if scale else r.choice(forms)}"], []


def clamp(d: gen.Draw):
    r = d.rng
    dtype = r.choice(FLOATS * 2 + INTS)
    shape = d.shape(1, 2, empty=False)
    a = d.tensor(dtype, shape, "ints" if dtype != "uint8" else "index9")
    bounds = [(-1, 2), (1.5, 3.5), (None, 2), (-1, None), (3, 1), (-0.5, 0.5), (0, True)]
    lo, hi = r.choice(bounds)
    if r.random() < 0.35:
        lo = d.tensor(r.choice(["float32", dtype, "int32"]), gen._broadcast_shape(d, shape), "ints")
        if r.random() < 0.5:
            hi = d.tensor(r.choice(["float32", dtype]), gen._broadcast_shape(d, shape), "ints")
        elif hi is None and r.random() < 0.5:
            hi = C("None")
    name = r.choice(["ops.clamp", "ops.clip", "mint.clamp", ".clamp", ".clip", "mnp.clip"])
    if name == "mnp.clip" and lo is None and hi is None:
        lo = 0
    return f"clamp.{name.lstrip('.')}", [f"return {_call(name, a, f'{lo}, {hi}')}"], []


def where_form(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 3))
    cond = d.tensor("bool", gen._broadcast_shape(d, shape) or (1,))
    branch = []
    for _ in range(2):
        if r.random() < 0.35:
            branch.append(C(repr(r.choice([2, -1, 2.5, True, 0.5]))))
        else:
            dt = r.choice(ALL[:-1])
            branch.append(d.tensor(dt, gen._broadcast_shape(d, shape) if r.random() < 0.5 else shape,
                                   "ints" if dt in SIGNED else "index5" if dt == "uint8" else "normal"))
    if all(isinstance(b, C) and not b.startswith("a") for b in branch):
        branch[0] = d.tensor("float32", shape)
    x, y = branch
    name = r.choice(["ops.where", "mint.where", "mnp.where", "masked_fill", ".masked_fill", "mint.masked_fill"])
    if "masked_fill" in name:
        if not str(x).startswith("a") or str(x) == str(cond):
            x = d.tensor(r.choice(ALL[:-1]), shape, "ints")
        value = y if not str(y).startswith("a") else C(f"{y}.sum()" if r.random() < 0.5 else f"{y}.reshape(-1)[0]")
        expr = (f"{x}.masked_fill({cond}, {value})" if name == ".masked_fill" else
                f"{'ops' if name == 'masked_fill' else 'mint'}.masked_fill({x}, {cond}, {value})")
    else:
        expr = f"{name}({cond}, {x}, {y})"
    return "where." + name.lstrip("."), [f"return {expr}"], []


_REDUCE = ["sum", "prod", "mean", "amax", "amin", "all", "any", "logsumexp", "std", "var", "nansum", "nanmean", "max",
           "min", "argmax", "argmin", "median", "cumsum", "cumprod", "cummax", "cummin", "count_nonzero", "norm"]


def _axis_arg(r: random.Random, rank: int):
    if rank == 0:
        return r.choice([None, (), 0, -1])
    roll = r.random()
    if roll < 0.15:
        return ()
    if roll < 0.25:
        return None
    if roll < 0.6:
        return r.randint(-rank, rank - 1)
    picked = r.sample(range(rank), r.randint(1, rank))
    axes = [a - rank if r.random() < 0.4 else a for a in picked]
    return axes if roll < 0.7 else tuple(axes)


def reduction10(d: gen.Draw):
    r = d.rng
    dtype = r.choice(FLOATS * 2 + INTS + ["bool"])
    shape = d.shape(0, 3, empty=True)
    d.empty_p = 0.1
    a = d.tensor(dtype, shape, "halves" if dtype in FLOATS else "ints" if dtype in SIGNED else "index4" if dtype == "uint8" else "normal")
    rank = len(shape)
    name = r.choice(_REDUCE)
    axis = _axis_arg(r, rank)
    single = axis if isinstance(axis, int) else (r.randint(-rank, rank - 1) if rank else 0)
    kd = r.choice([True, False])
    holder = r.choice(["ops", "Tensor", "mint", "mnp"])
    if name in ("cumsum", "cumprod", "cummax", "cummin"):
        expr = {"ops": f"ops.{name}({a}, {single})", "Tensor": f"{a}.{name}({single})" if name in ("cumsum", "cumprod") else f"ops.{name}({a}, {single})",
                "mint": f"mint.{name}({a}, {single})", "mnp": f"mnp.{name}({a}, {single})" if name in ("cumsum", "cumprod") else f"ops.{name}({a}, {single})"}[holder]
    elif name in ("max", "min", "argmax", "argmin", "median"):
        with_axis = r.random() < 0.7
        if holder == "ops":
            expr = f"ops.{name}({a}, {single}, {kd})" if with_axis else f"ops.{name}({a})"
        elif holder == "mint":
            expr = f"mint.{name}({a}, {single}, {kd})" if with_axis else f"mint.{name}({a})"
        elif holder == "Tensor":
            expr = f"{a}.{name}({single}, keepdims={kd})" if with_axis and name not in ("median",) else f"{a}.{name}()"
        else:
            expr = f"mnp.{'amax' if name == 'max' else 'amin' if name == 'min' else name}({a}, {single})"
    else:
        if holder == "ops":
            expr = f"ops.{name}({a}, {axis!r}, keep_dims={kd})" if name not in ("std", "var", "norm", "count_nonzero", "nanmean", "nansum", "logsumexp") \
                else f"ops.{name}({a}, {axis!r}, keepdims={kd})" if name not in ("count_nonzero", "logsumexp") else f"ops.{name}({a}, {axis!r})"
        elif holder == "Tensor":
            expr = f"{a}.{name}({axis!r}, keepdims={kd})"
        elif holder == "mint":
            expr = f"mint.{name}({a}, {axis!r}, {kd})" if name not in ("norm", "count_nonzero") else f"mint.{name}({a})"
        else:
            expr = f"mnp.{name}({a}, {axis!r}, keepdims={kd})"
        if r.random() < 0.15 and name in ("sum", "mean", "prod", "cumsum"):
            expr = expr[:-1] + ", dtype=ms.float64)"
    return f"reduce10.{holder}.{name}", [f"return {expr}"], []


def nans(d: gen.Draw):
    r = d.rng
    dtype = r.choice(["float32"] * 3 + ["float16", "float64"])
    shape = (r.randint(1, 3), r.randint(2, 4))
    a = d.tensor(dtype, shape, "nans")
    ax = r.choice([0, 1, -1])
    forms = [f"ops.nanmean({a}, {ax})", f"ops.nanmean({a})", f"ops.nansum({a}, {ax})", f"ops.nansum({a})",
             f"ops.nanmedian({a}, {ax})", f"ops.nanmedian({a})", f"ops.max({a}, {ax})", f"ops.min({a}, {ax})",
             f"ops.amax({a}, {ax})", f"ops.amin({a})", f"ops.argmax({a}, {ax})", f"ops.argmin({a}, {ax})",
             f"ops.sort({a}, {ax})", f"ops.sort({a}, {ax}, descending=True)", f"ops.topk({a}, 2)", f"ops.argsort({a}, {ax})",
             f"ops.maximum({a}, {a}[:1] * 0)", f"ops.fmax({a}, {a}[:1] * 0)", f"ops.fmin({a}, 0.5 + {a}[:1] * 0)",
             f"mint.maximum({a}, {a}[:1] * 0)", f"ops.cummax({a}, {ax})", f"ops.cummin({a}, {ax})", f"ops.cumsum({a}, {ax})",
             f"ops.nan_to_num({a})", f"ops.nan_to_num({a}, 0.0, 1.0, -1.0)", f"ops.isclose({a}, {a}, equal_nan=True)",
             f"ops.isclose({a}, {a})", f"ops.clamp({a}, -0.5, 0.5)", f"{a}.max()", f"{a}.min()", f"mint.max({a})",
             f"mint.sort({a}, dim={ax})", f"mnp.nanmax({a}, {ax})", f"mnp.nanmin({a}, {ax})", f"mnp.nanargmax({a}, {ax})",
             f"mnp.nanstd({a}, {ax})", f"mnp.nanvar({a}, {ax})", f"mnp.nansum({a}, {ax})", f"mnp.nanmean({a}, {ax})",
             f"ops.logsumexp({a}, {ax})", f"ops.softmax({a}, {ax})", f"ops.relu({a})", f"ops.sign({a})",
             f"ops.isinf({a})", f"ops.isneginf({a})", f"ops.kthvalue({a}, 1, {ax})", f"ops.median({a}, {ax})",
             f"ops.msort({a})", f"mint.nan_to_num({a}, nan=2.0)", f"ops.where(ops.isnan({a}), 0.0, {a})",
             f"ops.fmax({a}, {a}.flip(-1))", f"ops.maximum({a}, {a}.flip(-1))"]
    return "nans", [f"return {r.choice(forms)}"], []


_INPLACE = ["y.add_(a1)", "y.add_(a1, alpha=2)", "y.sub_(a1)", "y.mul_(a1)", "y.div_(a1 * a1 + 1)", "y.copy_(a1)",
            "y.fill_(2.5)", "y.clamp_(-0.5, 0.5)", "y.zero_()", "y.masked_fill_(a1 > 0, 9.0)", "y.exp_()", "y.add_(1)",
            "y.mul_(2)", "y.sigmoid_()", "y[0] = a1[-1]", "y[::-1] = a1", "y[a1 > 0] = 7.0", "y[..., ::-2] = 1.5",
            "y[a1 > 0] += 1.0", "y[1:] *= 3", "y[:, 0] += a1[:, -1]", "y[None] = a1 * 0 + 4"]
_ALIASES = ["y = a0 * 1", "y = a0[0]", "y = a0.reshape(-1)", "y = a0[:, 1:]", "y = a0.T", "y = a0[::-1]",
            "y = a0.copy()"]


def inplace10(d: gen.Draw):
    """An in-place method or setitem on a view / alias of a copy; the copy, the view and a second name returned."""
    r = d.rng
    shape = (r.randint(2, 3), r.randint(2, 3))
    dtype = r.choice(["float32"] * 3 + ["float64"])
    d.tensor(dtype, shape)
    alias = r.choice(_ALIASES)
    view_shape = {"y = a0[0]": shape[1:], "y = a0.reshape(-1)": (shape[0] * shape[1],),
                  "y = a0[:, 1:]": (shape[0], shape[1] - 1), "y = a0.T": shape[::-1]}.get(alias, shape)
    d.tensor(dtype, view_shape)
    ops_ = [s for s in _INPLACE if not (len(view_shape) == 1 and ("[:, 0]" in s or "[:, -1]" in s))]
    body = ["x = a0 * 1", alias.replace("a0", "x"), "z = y", r.choice(ops_)]
    if r.random() < 0.4:
        body.append(r.choice(ops_))
    body.append("return x * 1, y * 1, z * 1")
    return "inplace10", body, ["@ms.jit"]


FORMS = [(promotion10, 35), (intdiv, 10), (bitwise, 6), (rounding, 8), (clamp, 8), (where_form, 8), (reduction10, 15),
         (nans, 8), (inplace10, 6)]


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    floats = any(f"'{t}'" in i for i in draw.inputs for t in ("float32", "float64"))
    discrete = api.startswith(("bitwise", "intdiv.int", "intdiv.uint", "rounding", "promo10.bitwise", "promo10.shift"))
    mode = "value" if not floats or discrete or rng.random() < 0.4 else rng.choice(gen.OP_MODES)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs10(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r10", form_program, FORMS, seed, count)
