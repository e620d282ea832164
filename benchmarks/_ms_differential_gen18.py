"""Round 18 of ms_differential.py's programs: forms rounds 1-17 did not draw (hand-written as rounds 10-17: each a
function of a Draw returning (api, body lines, lines before `def f`)):

- layer18: composite nn layers with options (LayerNorm over one or two axes, GroupNorm, BatchNorm1d / 2d in training
  and eval, Dropout(p=0.0), Conv1d / Conv2d with stride / dilation / group / pad_mode, Max / AvgPool with
  ceil_mode / count_include_pad / pad_mode) under higher order w.r.t. the input (their weights set from T(...));
- kinkhigh18: composites of ops with kinks (relu, abs, maximum, clamp, leaky_relu, smooth_l1, hardswish) always under a
  second or third order, on inputs with ties and zeros;
- gradapi18 (values only: f differentiates): GradOperation(sens_param) on tuple / nested outputs, get_by_list with a
  Parameter shared by two Cells / used twice / listed twice, grad of Cells returning nested tuples, vjp of jvp,
  jvp of grad, jvp of vjp;
- vmap18 (values only): ops.vmap with in_axes None / negative, out_axes negative, grad inside and grad of a vmap;
- dtype18: float16 / float64 / int64 inputs and complex64 under first-order gradients (the gradient's dtype)."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen9 import _const

HIGHER = gen7.HIGHER_MODES + ["grad3"]


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 3 + ["float64"])


# ----------------------------------------------------------------------------------------- composite nn layers
def _set(d: gen.Draw, ft: str, name: str, shape: tuple) -> str:
    return f"net.{name}.set_data({_const(d, ft, shape)})"


def _conv(d: gen.Draw, r: random.Random, dims: int) -> tuple[str, tuple, list]:
    g = r.choice([1, 1, 2])
    c, o = 2 * g if g > 1 else r.randint(1, 3), 2 * g if g > 1 else r.randint(1, 3)
    k = r.randint(1, 3)
    pad_mode = r.choice(["same", "valid", "pad"])
    pad = f", padding={r.randint(0, 2)}" if pad_mode == "pad" else ""
    stride, dil = r.choice([1, 2]), r.choice([1, 2])
    ctor = (f"nn.Conv{dims}d({c}, {o}, {k}, stride={stride}, pad_mode={pad_mode!r}{pad}, dilation={dil}, group={g}, "
            f"has_bias={r.random() < .5})")
    spatial = tuple(r.randint(3, 6) for _ in range(dims))
    wshape = (o, c // g) + ((1, k) if dims == 1 else (k, k))  # Conv1d's weight: (out, in / group, 1, k)
    return ctor, (r.randint(1, 2), c) + spatial, [f"net.weight.set_data({_const(d, 'float32', wshape)})",
                                                   "if net.bias is not None:",
                                                   f"    net.bias.set_data({_const(d, 'float32', (o,))})"]


def layer18(d: gen.Draw):
    r = d.rng
    n, c, h, w = r.randint(1, 3), r.randint(1, 4), r.randint(2, 4), r.randint(2, 5)
    eps = r.choice([1e-5, 0.1])
    train = r.choice([True, False])
    table = {
        "LayerNorm": lambda: (f"nn.LayerNorm(({w},), epsilon={eps})", (n, c, w), []),
        "LayerNorm2": lambda: (f"nn.LayerNorm(({c}, {w}), begin_norm_axis=-2, begin_params_axis=-2, epsilon={eps})",
                               (n, c, w), []),
        "GroupNorm": lambda: (f"nn.GroupNorm({r.choice([1, 2])}, {2 * c}, eps={eps}, affine={r.random() < .7})",
                              (n, 2 * c, h, w), []),
        "BatchNorm1d": lambda: (f"nn.BatchNorm1d({c}, eps={eps}, momentum={r.choice([0.9, 0.5])})", (r.randint(2, 4), c),
                                [f"net.set_train({train})"]),
        "BatchNorm2d": lambda: (f"nn.BatchNorm2d({c}, eps={eps})", (r.randint(1, 2), c, h, w),
                                [f"net.set_train({train})", _set(d, "float32", "moving_variance", (c,)).replace(
                                    "'normal')", "'positive')")]),
        "Dropout0": lambda: ("nn.Dropout(p=0.0)", (n, c, w), ["net.set_train(True)"]),
        "Conv1d": lambda: _conv(d, r, 1), "Conv2d": lambda: _conv(d, r, 2),
        "MaxPool2d": lambda: (f"nn.MaxPool2d({r.choice([2, 3])}, {r.choice([1, 2])}, pad_mode='pad', padding=1, "
                              f"ceil_mode={r.random() < .5})", (n, c, h + 1, w + 1), []),
        "AvgPool2d": lambda: (f"nn.AvgPool2d({r.choice([2, 3])}, {r.choice([1, 2])}, pad_mode='pad', padding=1, "
                              f"ceil_mode={r.random() < .5}, count_include_pad={r.random() < .5})", (n, c, h + 1, w + 1), []),
        "AvgPool1d": lambda: (f"nn.AvgPool1d({r.choice([2, 3])}, {r.choice([1, 2])}, pad_mode={r.choice(['same', 'valid'])!r})",
                              (n, c, w + 2), []),
        "MaxPool1d": lambda: (f"nn.MaxPool1d({r.choice([2, 3])}, {r.choice([1, 2])}, pad_mode={r.choice(['same', 'valid'])!r})",
                              (n, c, w + 2), []),
        "Seq": lambda: (f"nn.SequentialCell([nn.Dense({w}, 3), nn.LayerNorm((3,)), nn.GELU(), nn.Dense(3, 2)])",
                        (n, w), [f"net[0].weight.set_data({_const(d, 'float32', (3, w))})",  # Dense's bias is drawn too
                                 f"net[0].bias.set_data({_const(d, 'float32', (3,))})",
                                 f"net[3].weight.set_data({_const(d, 'float32', (2, 3))})",
                                 f"net[3].bias.set_data({_const(d, 'float32', (2,))})"]),
    }
    name = r.choice(sorted(table))
    ctor, shape, setup = table[name]()
    d.tensor("float32", shape, r.choice(["normal", "normal", "halves"]))
    out = r.choice(["net(a0)", "net(a0) * a0" if name.startswith(("LayerNorm", "GroupNorm", "Batch", "Dropout")) else
                    "ops.tanh(net(a0))", "net(a0) ** 2"])
    return f"layer18.{name}", [f"return {out}"], [f"net = {ctor}", *setup]


# ----------------------------------------------------------------------------------------- kinks under higher order
def kinkhigh18(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(2, 4))
    x = d.tensor(ft, shape, r.choice(["halves", "ints", "normal"]))
    y = d.tensor(ft, shape, r.choice(["halves", "ints"])) if r.random() < .4 else None
    z = y or f"({x} * 0.5)"
    forms = {
        "relu_x": f"ops.relu({x}) * {x}", "relu_sq": f"ops.relu({x}) ** 2", "abs_cube": f"ops.abs({x}) ** 3",
        "abs_x": f"ops.abs({x}) * {x}", "max_xy": f"ops.maximum({x}, {z}) * {x}", "min_sq": f"ops.minimum({x}, {z}) ** 2",
        "clamp_x": f"ops.clamp({x}, -0.5, 0.5) * {x}", "leaky": f"ops.leaky_relu({x}, 0.1) * {x}",
        "hardswish": f"ops.hardswish({x} * 3)", "hardsigmoid_x": f"ops.hardsigmoid({x} * 3) * {x}",
        "smooth_l1": f"ops.smooth_l1_loss({x}, {z}, beta=0.5, reduction='none') * {x}",
        "huber": f"ops.huber_loss({x}, {z}, reduction='none', delta=0.5)", "elu_x": f"ops.elu({x}, 0.5) * {x}",
        "relu6_x": f"ops.relu6({x} * 6) * {x}", "softplus_thr": f"ops.softplus({x}, 2, 0.5) * {x}",
        "where_x": f"ops.where({x} > 0, {x} ** 3, {x} * {z})", "sign_sq": f"ops.sign({x}) * {x} ** 2",
        "max_reduce": f"ops.amax({x} * {x}, -1)", "norm_x": f"ops.norm({x}, dim=-1) * {x}.sum()",
        "gelu_x": f"ops.gelu({x}) * {x}", "silu_x": f"ops.silu({x}) * {x}",
    }
    name = r.choice(sorted(forms))
    return f"kinkhigh18.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- gradient APIs
_CELL = ["class Twin(nn.Cell):", "    def __init__(self, w, b):", "        super().__init__()",
         "        self.w, self.b = w, b", "    def construct(self, x):",
         "        y = ops.tanh(x * self.w) * self.w + self.b", "        return y, (y * x, ops.sin(x * self.b))"]


def gradapi18(d: gen.Draw):
    """Values only: f differentiates itself."""
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(1, 3))
    d.tensor(ft, shape)
    s1, s2, s3 = (_const(d, ft, shape) for _ in range(3))
    par = [f"w = ms.Parameter({_const(d, ft, shape)}, name='w')", f"b = ms.Parameter({_const(d, ft, shape[1:])}, name='b')"]
    tup = ["def g(x):", "    return ops.sin(x) * w, x * x * b"]
    nest = ["def g(x):", "    return (ops.sin(x) * w, x * x), ops.exp(x * 0.5) * b"]
    shared = ["class Half(nn.Cell):", "    def __init__(self, p):", "        super().__init__()", "        self.p = p",
              "    def construct(self, x):", "        return ops.tanh(x * self.p)",
              "class Both(nn.Cell):", "    def __init__(self):", "        super().__init__()",
              "        self.one, self.two = Half(w), Half(w)", "    def construct(self, x):",
              "        return (self.one(x) * self.two(x * 2) + b * x).sum()", "net = Both()"]
    forms = {
        "sens_tuple": (tup, [f"return ops.GradOperation(sens_param=True)(g)(a0, ({s1}, {s2}))"]),
        "sens_tuple_all": (tup, [f"return ops.GradOperation(get_all=True, sens_param=True)(g)(a0, ({s1}, {s2}))"]),
        "sens_nested": (nest, [f"return ops.GradOperation(sens_param=True)(g)(a0, (({s1}, {s2}), {s3}))"]),
        "sens_nested_list": (nest, ["gl = ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)",
                                    f"return gl(g, ms.ParameterTuple([w, b]))(a0, (({s1}, {s2}), {s3}))"]),
        "grad_nested": (nest, ["return ops.grad(g)(a0)"]),
        "grad_nested_w": (nest, ["return ops.grad(g, 0, (w, b))(a0)"]),
        "shared_by_list": (shared, ["return ops.GradOperation(get_by_list=True)(net, net.trainable_params())(a0)"]),
        "shared_twice": (["def g(x):", "    return (ops.sin(x * w) * w * w).sum() + (b * x).sum()"],
                         ["return ops.GradOperation(get_by_list=True)(g, ms.ParameterTuple([w, b]))(a0)"]),
        "shared_params": (shared, ["return ops.grad(net, 0, net.trainable_params())(a0), len(net.trainable_params()) * 1.0"]),
        "cell_nested": (_CELL + ["net = Twin(w, b)"], ["return ops.grad(net, (0,), (w, b))(a0)"]),
        "cell_nested_sens": (_CELL + ["net = Twin(w, b)"],
                             [f"return ops.GradOperation(get_all=True, sens_param=True)(net)(a0, ({s1}, ({s2}, {s3})))"]),
        "vjp_of_jvp": (tup + ["def gg(y):", "    return g(y)[0] * g(y)[1]", "def h(x):", f"    return ops.jvp(gg, x, {s1})[1]"],
                       [f"return ops.vjp(h, a0)[1]({s2})"]),
        "jvp_of_grad": (tup + ["def gs(x):", "    return (g(x)[0] * g(x)[1]).sum()", "h = ops.grad(gs)"],
                        [f"return ops.jvp(h, a0, {s1})"]),
        "jvp_of_vjp": (tup + ["def gc(y):", "    return g(y)[1] * ops.cos(y)", "def h(x):",
                              f"    return ops.vjp(gc, x)[1]({s2})[0]"], [f"return ops.jvp(h, a0, {s1})"]),
        "grad_of_jvp": (tup + ["def g0(y):", "    return g(y)[0]", "def h(x):", f"    return (ops.jvp(g0, x, {s1})[1] * {s2}).sum()"],
                        ["return ops.grad(h)(a0)"]),
        "vg_nested_aux": (nest + ["def h(x):", "    return (g(x)[0][0] * g(x)[1]).sum(), (g(x)[0][1], x)"],
                          ["return ops.value_and_grad(h, 0, (w,), has_aux=True)(a0)"]),
    }
    name = r.choice(sorted(forms))
    pre, body = forms[name]
    return f"gradapi18.{name}", body, par + pre


# ----------------------------------------------------------------------------------------- vmap with None / negative axes
def vmap18(d: gen.Draw):
    """Values only."""
    r = d.rng
    ft = _f(r)
    b, n = r.randint(2, 3), r.randint(1, 3)
    d.tensor(ft, (n, b))  # batched on -1
    d.tensor(ft, (n,))  # not batched (None)
    inner = r.choice(["(ops.sin(x) * y).sum()", "(x * x * y).sum() + ops.relu(x).sum()", "ops.logsumexp(x * y, 0)",
                      "(ops.tanh(x) ** 2 * y).mean()"])
    pre = ["def inner(x, y):", f"    return {inner}"]
    forms = {
        "grad_in": "ops.vmap(ops.grad(inner), in_axes=(-1, None), out_axes={o})(a0, a1)",
        "grad_both": "ops.vmap(ops.grad(inner, (0, 1)), in_axes=(-1, None), out_axes={o})(a0, a1)",
        "value": "ops.vmap(inner, in_axes=(-1, None))(a0, a1)",
        "grad_of_vmap": "ops.grad(lambda x, y: ops.vmap(inner, in_axes=(-1, None))(x, y).sum(), (0, 1))(a0, a1)",
        "grad_of_vmap_w": "ops.grad(lambda x, y: (ops.vmap(inner, in_axes=(1, None))(x, y) ** 2).sum(), 1)(a0, a1)",
        "vg_in": "ops.vmap(ops.value_and_grad(inner, 1), in_axes=(-1, None), out_axes=0)(a0, a1)",
        "nested": "ops.vmap(ops.vmap(lambda x, y: ops.grad(inner)(x, y), in_axes=(0, None)), in_axes=(1, None))"
                  "(a0.reshape({n}, 1, {b}) * ops.ones(({n}, 2, {b}), a0.dtype), a1)",
        "jvp_in": "ops.vmap(jvp_one, in_axes=(-1, None), out_axes=-1)(a0, a1)",
    }
    pre += ["def jvp_one(x, y):", "    def s(t):", "        return ops.sin(t) * y", "    return ops.jvp(s, x, y)[1]"]
    name = r.choice(sorted(forms))
    return f"vmap18.{name}", ["return " + forms[name].format(o=r.choice([0, -1]), n=n, b=b)], pre


# ----------------------------------------------------------------------------------------- dtypes of gradients
def dtype18(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 3))
    ft = r.choice(["float16", "float64", "float32"])
    x = d.tensor(ft, shape)
    it = r.choice(["int64", "int32"])
    forms = {
        "unary": f"ops.tanh({x}) * {x}", "sigmoid": f"ops.sigmoid({x}) + ops.exp({x} * 0.25)",
        "sum_dtype": f"ops.sum({x}, 0)", "mean": f"{x}.mean(-1, keep_dims=True) * {x}",
        "softmax": f"ops.softmax({x}, -1)", "int_mul": f"{x} * {d.tensor(it, shape, 'nonzero')}",
        "int_div": f"{x} / {d.tensor(it, shape, 'nonzero')}", "int_pow": f"{x} ** {d.tensor(it, shape, 'index3')}",
        "scalar_mix": f"{x} * 2 + 1.5", "cast_up": f"ops.cast({x}, ms.float32) * 2",
        "cast_down": f"ops.cast({x}, ms.float16) * 2", "cast_64": f"{x}.astype(ms.float64) ** 2",
        "mix_f32": f"{x} * {d.tensor('float32', shape)}", "mix_f16": f"{x} + {d.tensor('float16', shape)}",
        "matmul": f"ops.matmul({x}, {x}.T)", "norm": f"ops.norm({x}, dim=-1)", "where_int": f"ops.where({x} > 0, {x}, 0)",
    }
    if r.random() < 0.25:  # complex64 (MindSpore's CPU differentiates a few)
        z = d.tensor("complex64", shape)
        forms = {"abs": f"ops.abs({z})", "real_mul": f"ops.real({z} * {z})", "conj": f"ops.real({z} * ops.conj({z}))",
                 "imag_exp": f"ops.imag(ops.exp({z}))", "angle": f"ops.angle({z})", "square_abs": f"ops.abs({z} * {z})"}
        name = r.choice(sorted(forms))
        return f"dtype18.c64_{name}", [f"return {forms[name]}"], []
    name = r.choice(sorted(forms))
    return f"dtype18.{name}.{ft}", [f"return {forms[name]}"], []


FORMS = [(layer18, 30), (kinkhigh18, 18), (gradapi18, 18), (vmap18, 10), (dtype18, 14)]
VALUE_ONLY = (gradapi18, vmap18)


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    if form in VALUE_ONLY:
        mode = "value"
    elif form is kinkhigh18:
        mode = rng.choice(HIGHER)
    elif form is layer18:
        mode = gen.first_or_higher(rng, HIGHER, 0.5)
    else:
        mode = rng.choice(gen.OP_MODES)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs18(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r18", form_program, FORMS, seed, count)
