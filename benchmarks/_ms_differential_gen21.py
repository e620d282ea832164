"""Round 21 of ms_differential.py's programs, each drawn once and run in PyNative AND GRAPH_MODE (round 20 found
has_aux's outputs differentiated differently per mode), on forms rounds 1-20 did not draw (hand-written as rounds
10-20: each a function of a Draw returning (api, body lines, lines before `def f`); every program is a value
program: f differentiates, its results are compared):

- cell21: nn layers with Parameters (Dense / Conv1d / Conv2d / BatchNorm1d / 2d in train and eval / LayerNorm /
  Embedding / LSTM / GRU / Dropout(p=0) / pooling) under GradOperation(get_by_list), ops.grad(weights=...) and
  value_and_grad(weights=...), a BatchNorm's moving statistics after the gradient;
- state21: assign / assign_add / assign_sub / Parameter.set_data inside the differentiated function (a Cell's or
  a global Parameter), the gradient, then the Parameter's value after the call;
- flow21: if / while / for over tensors and Python ints, break / continue, early return, under grad,
  value_and_grad, GradOperation and jvp;
- struct21: tuple / list / dict / nested outputs with a sens of the same structure (GradOperation sens_param, vjp),
  their value_and_grad value and jvp;
- mix21: int and bool inputs beside float ones in grad_position, float16 / float64 / int mixes (the gradient's
  dtype);
- chain21: ops.depend / ops.stop_gradient in the middle of a chain, value_and_grad's value;
- pack21 (added after seeds 21 / 121): a Tensor held in a tuple / list / dict argument and passed beside it
  (PyNative differentiates the object: the sum over both places; GRAPH_MODE each place its own)."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
from _ms_differential_gen9 import _const
from _ms_differential_gen19 import _c

CONTEXTS = ("pynative", "graph")


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 3 + ["float64"])


def _fill(d: gen.Draw, net: str = "net") -> list:
    """Lines giving every trainable Parameter of net drawn values (the layers' own initializers are random)."""
    return [f"for _i, _p in enumerate({net}.trainable_params()):",
            f"    _p.set_data(T(str(_p.asnumpy().dtype), _p.shape, {d.rng.randrange(1 << 30)} + _i, 'normal') * 0.5)"]


# ----------------------------------------------------------------------------------------- Cells with Parameters
def _layer(r: random.Random, d: gen.Draw, ft: str):
    """(layer kind, layer spelling, the input drawn, the loss's lines over `y = net(x)`)."""
    kind = r.choice(["dense", "dense_act", "conv1d", "conv2d", "conv2d_pool", "bn1d", "bn2d", "layernorm",
                     "embedding", "lstm", "gru", "dropout0", "conv1d_pool", "seq"])
    n, c, k = r.randint(1, 3), r.randint(2, 4), r.randint(2, 3)
    if kind in ("dense", "dense_act", "dropout0"):
        act = r.choice(["None", "'relu'", "'tanh'"]) if kind == "dense_act" else "None"
        layer = f"nn.Dense({c}, {k}, has_bias={r.choice([True, False])}, activation={act}, dtype=ms.{ft})"
        if kind == "dropout0":
            layer = f"nn.SequentialCell([{layer}, nn.Dropout(p=0.0)])"
        return kind, layer, d.tensor(ft, (n, c)), "y"
    if kind in ("conv1d", "conv1d_pool"):
        pad = r.choice(["'same'", "'valid'", "'pad'"])
        extra = ", padding=1" if pad == "'pad'" else ""
        layer = f"nn.Conv1d({c}, {k}, 3, stride={r.choice([1, 2])}, pad_mode={pad}{extra}, has_bias={r.choice([True, False])}, dtype=ms.{ft})"
        if kind == "conv1d_pool":
            layer = f"nn.SequentialCell([{layer}, nn.{r.choice(['MaxPool1d', 'AvgPool1d'])}(2, 1)])"
        return kind, layer, d.tensor(ft, (n, c, r.randint(4, 6))), "y"
    if kind in ("conv2d", "conv2d_pool"):
        pad = r.choice(["'same'", "'valid'", "'pad'"])
        extra = ", padding=1" if pad == "'pad'" else ""
        layer = f"nn.Conv2d({c}, {k}, {r.choice([2, 3])}, stride={r.choice([1, 2])}, pad_mode={pad}{extra}, has_bias={r.choice([True, False])}, dtype=ms.{ft})"
        if kind == "conv2d_pool":
            layer = f"nn.SequentialCell([{layer}, nn.{r.choice(['MaxPool2d', 'AvgPool2d'])}(2, 1)])"
        return kind, layer, d.tensor(ft, (n, c, 4, r.randint(4, 5))), "y"
    if kind in ("bn1d", "bn2d"):
        shape = (r.randint(2, 4), c) if kind == "bn1d" else (r.randint(1, 3), c, 2, 3)
        layer = f"nn.BatchNorm{kind[2:]}({c}, momentum={r.choice([0.9, 0.5])})"
        return kind, layer, d.tensor("float32", shape), "y"
    if kind == "layernorm":
        layer = f"nn.LayerNorm(({c},), epsilon={r.choice([1e-5, 1e-3])}, dtype=ms.{ft})"
        return kind, layer, d.tensor(ft, (n, r.randint(1, 3), c)), "y"
    if kind == "embedding":
        layer = f"nn.Embedding(5, {c}, padding_idx={r.choice([None, 0])})"
        return kind, layer, d.tensor("int32", (n, r.randint(2, 4)), "index5"), "y"
    if kind in ("lstm", "gru"):
        batch_first, bi = r.choice([True, False]), r.choice([True, False])
        layer = (f"nn.{kind.upper()}({c}, {k}, num_layers={r.choice([1, 2])}, has_bias={r.choice([True, False])}, "
                 f"batch_first={batch_first}, bidirectional={bi})")
        x = d.tensor("float32", (n, r.randint(2, 3), c) if batch_first else (r.randint(2, 3), n, c))
        return kind, layer, x, ("y[0] + y[1][0].sum() + y[1][1].sum() * 0.5" if kind == "lstm" else "y[0] + y[1].sum()")
    layer = f"nn.SequentialCell([nn.Dense({c}, {k}, dtype=ms.{ft}), nn.ReLU(), nn.Dense({k}, 2, dtype=ms.{ft})])"
    return kind, layer, d.tensor(ft, (n, c)), "y"


def cell21(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    kind, layer, _, rnn = _layer(r, d, ft)
    train = r.choice([True, False]) if kind in ("bn1d", "bn2d", "dropout0") else False
    pre = [f"net = {layer}", f"net.set_train({train})", *_fill(d),
           "def loss(x):", "    y = net(x)", *([f"    y = {rnn}"] if rnn != "y" else []),
           "    return (ops.sin(y) * 0.5 + y * 0.25).sum()"]
    pos = "None" if kind == "embedding" else r.choice(["0", "None"])
    api = r.choice(["by_list", "all_by_list", "grad_weights", "vg_weights", "grad_params_list", "cell_sens"])
    params = "ms.ParameterTuple(net.trainable_params())"
    if api == "cell_sens" and kind not in ("lstm", "gru"):  # the Cell itself under GradOperation, a sens of its output
        pre += ["def sens_of(out):", "    return ops.sin(out) + 1"]
        call = f"ops.GradOperation(get_by_list=True, sens_param=True)(net, {params})(a0, sens_of(net(a0)))"
        return f"cell21.{kind}.{api}.{'train' if train else 'eval'}", [f"return {call}"], pre
    api = "by_list" if api == "cell_sens" else api
    call = {"by_list": f"ops.GradOperation(get_by_list=True)(loss, {params})(a0)",
            "all_by_list": f"ops.GradOperation(get_all=True, get_by_list=True)(loss, {params})(a0)",
            "grad_weights": f"ops.grad(loss, grad_position={pos}, weights=net.trainable_params())(a0)",
            "vg_weights": f"ops.value_and_grad(loss, grad_position={pos}, weights=net.trainable_params())(a0)",
            "grad_params_list": f"ops.grad(loss, {pos}, list(net.trainable_params()))(a0)"}[api]
    if kind == "embedding" and api == "all_by_list":
        call = f"ops.GradOperation(get_by_list=True)(loss, {params})(a0)"
    stats = ", [p.value() for p in net.untrainable_params()]" if kind in ("bn1d", "bn2d") else ""
    if r.random() < 0.25:  # twice: the second gradient sees the first's state updates (a BatchNorm's statistics)
        return (f"cell21.{kind}.{api}.twice.{'train' if train else 'eval'}",
                [f"first = {call}", f"return first, {call}{stats}"], pre)
    return f"cell21.{kind}.{api}.{'train' if train else 'eval'}", [f"return {call}{stats}"], pre


# ----------------------------------------------------------------------------------------- in-place Parameter updates
_STATE21 = {  # construct bodies over w (differentiated weight), s (requires_grad=False), x (the input); one shape
    "assign_then_read": ["ops.assign(self.s, x * 2)", "return (self.w * self.s * x).sum()"],
    "read_then_assign_add": ["y = (self.w * self.s * x).sum()", "ops.assign_add(self.s, x)", "return y"],
    "assign_value": ["out = ops.assign(self.s, x * self.w)", "return (out * x).sum()"],
    "depend_assign": ["y = self.w * x", "y = ops.depend(y, ops.assign(self.s, y))", "return (y * self.s).sum()"],
    "assign_weight": ["ops.assign(self.w, self.w * 0.5)", "return (self.w * x).sum()"],
    "assign_sub_weight": ["ops.assign_sub(self.w, x * 0.1)", "return (self.w * self.w * x).sum()"],
    "assign_add_twice": ["ops.assign_add(self.s, x)", "ops.assign_add(self.s, x * self.w)", "return (self.s * x).sum()"],
    "set_data": ["self.s.set_data(x * 2)", "return (self.w * self.s * x).sum()"],
    "assign_add_value": ["z = ops.assign_add(self.s, x * x)", "return (z * self.w).sum() + (self.s * x).sum()"],
    "assign_sg": ["ops.assign(self.s, ops.stop_gradient(x * self.w))", "return (self.s * self.w + x).sum()"],
}
_GLOBAL21 = {  # plain functions over a global Parameter p
    "g_assign_add": ["ops.assign_add(p, x)", "return (p * x).sum()"],
    "g_assign_read": ["y = (p * x).sum()", "ops.assign(p, x * x)", "return y + (p * x).sum()"],
    "g_assign_ret": ["z = ops.assign(p, x * 3)", "return (z * z).sum()"],
}


def state21(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 2), r.randint(2, 3))
    d.tensor(ft, shape, r.choice(["normal", "halves"]))
    name = r.choice(sorted(_STATE21) + sorted(_GLOBAL21))
    if name in _GLOBAL21:
        pre = [f"p = ms.Parameter({_const(d, ft, shape)}, name='p')", "def loss(x):",
               *("    " + line for line in _GLOBAL21[name])]
        api = r.choice(["grad", "value_and_grad", "grad_all"])
        call = {"grad": "ops.grad(loss, 0)(a0)", "value_and_grad": "ops.value_and_grad(loss, 0)(a0)",
                "grad_all": "ops.GradOperation(get_all=True)(loss)(a0)"}[api]
        return f"state21.{name}.{api}", [f"g = {call}", "return g, p.value()"], pre
    pre = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
           f"        self.w = ms.Parameter({_const(d, ft, shape)}, name='w')",
           f"        self.s = ms.Parameter({_const(d, ft, shape)}, name='s', requires_grad=False)",
           "    def construct(self, x):", *("        " + line for line in _STATE21[name]), "net = Net()",
           "def loss(x):", "    return net(x)"]
    api = r.choice(["grad_weights", "by_list", "vg_weights", "grad_input"])
    call = {"grad_weights": "ops.grad(loss, 0, net.trainable_params())(a0)",
            "by_list": "ops.GradOperation(get_by_list=True)(loss, ms.ParameterTuple(net.trainable_params()))(a0)",
            "vg_weights": "ops.value_and_grad(loss, 0, net.trainable_params())(a0)",
            "grad_input": "ops.grad(loss, 0)(a0)"}[api]
    if r.random() < 0.3:  # twice: the second gradient after the first's updates
        return f"state21.{name}.{api}.twice", [f"g = {call}", f"g2 = {call}", "return g, g2, net.w.value(), net.s.value()"], pre
    return f"state21.{name}.{api}", [f"g = {call}", "return g, net.w.value(), net.s.value()"], pre


# ----------------------------------------------------------------------------------------- control flow
_FLOW21 = {  # g(x, y) bodies; K a Python int bound before
    "if_tensor": ["if x.sum() > 0:", "    z = x * y", "else:", "    z = x - y * y", "return (z * z).sum()"],
    "if_tensor_elif": ["if (x * y).sum() > 1:", "    z = ops.sin(x) * y", "elif x.mean() < 0:", "    z = x * x",
                       "else:", "    z = y * 2 + x", "return (z * x).sum()"],
    "if_int": ["if K > 1:", "    z = x * y * K", "else:", "    z = x + y", "return (z * x).sum()"],
    "while_tensor": ["z = x", "while ops.abs(z).sum() < 20.0:", "    z = ops.abs(z) * 1.5 + 0.3 + y * y",
                     "return (z * x).sum()"],
    "while_int": ["i = 0", "z = x", "while i < K:", "    z = z * y + x", "    i += 1", "return z.sum()"],
    "for_range": ["z = x", "for i in range(K):", "    z = ops.sin(z) * y + z * i", "return (z * z).sum()"],
    "for_tensor_rows": ["s = x[0] * 0", "for row in x:", "    s = s + row * row * y[0]", "return s.sum()"],
    "for_break": ["z = x", "for i in range(4):", "    if z.sum() > 3:", "        break", "    z = z * y + x",
                  "return (z * x).sum()"],
    "for_continue": ["z = x", "for i in range(4):", "    if i % 2 == 0:", "        continue", "    z = z * x + y",
                     "return z.sum()"],
    "for_continue_tensor": ["z = x", "for i in range(3):", "    if (z * y).sum() < 0:", "        z = z + y",
                            "        continue", "    z = z * x", "return (z * y).sum()"],
    "early_return": ["if x.sum() > 0:", "    return (x * y).sum()", "return (x * x * y).sum()"],
    "early_return_loop": ["z = x", "for i in range(3):", "    z = z * y", "    if z.sum() > 2:",
                          "        return (z * x).sum()", "return (z + x).sum()"],
    "while_break": ["z = x", "i = 0", "while i < 5:", "    z = z * 1.5 + y", "    if (z * z).sum() > 10:",
                    "        break", "    i += 1", "return (z * y).sum()"],
    "nested_if_for": ["z = x * 0", "for i in range(K):", "    if y.sum() > i:", "        z = z + x * y",
                      "    else:", "        z = z - x", "return (z * z).sum()"],
}


def flow21(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(2, 3))
    d.tensor(ft, shape, r.choice(["normal", "halves"]))
    d.tensor(ft, shape, "normal")
    name = r.choice(sorted(_FLOW21))
    pre = [f"K = {r.randint(0, 3)}", f"v = {_const(d, ft, shape)}", f"u = {_const(d, ft, shape)}", "def g(x, y):",
           *("    " + line for line in _FLOW21[name])]
    api = r.choice(["grad", "grad_x", "value_and_grad", "grad_all", "jvp", "jvp_x", "cell_grad", "jit_grad",
                    "cell_by_list"])
    if api == "cell_grad":
        pre += ["class Net(nn.Cell):", "    def construct(self, x, y):", "        return g(x, y)", "net = Net()"]
    if api == "cell_by_list":
        pre += ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
                f"        self.p = ms.Parameter({_const(d, ft, shape)}, name='p')",
                "    def construct(self, x, y):", "        return g(x * self.p, y + self.p)", "net = Net()"]
    call = {"grad": "return ops.grad(g, (0, 1))(a0, a1)", "grad_x": "return ops.grad(g, 0)(a0, a1)",
            "value_and_grad": "return ops.value_and_grad(g, (0, 1))(a0, a1)",
            "grad_all": "return ops.GradOperation(get_all=True)(g)(a0, a1)",
            "jvp": "return ops.jvp(g, (a0, a1), (v, u))", "jvp_x": "return ops.jvp(g, (a0, a1), (v, u * 0))",
            "cell_grad": "return ops.GradOperation(get_all=True)(net)(a0, a1)",
            "jit_grad": "return ms.jit(ops.grad(g, (0, 1)))(a0, a1)",
            "cell_by_list": "return ops.GradOperation(get_all=True, get_by_list=True)(net, net.trainable_params())(a0, a1)"}[api]
    return f"flow21.{name}.{api}", [call], pre


# ----------------------------------------------------------------------------------------- structured outputs, sens
_STRUCT21 = {  # (g's return, a sens of the same structure over constants s0 / s1 / s2 of x's shape)
    "tuple": ("(x * y, ops.sin(x) + y)", "(s0, s1)"),
    "list": ("[x * y * y, ops.exp(x * 0.5)]", "[s0, s1]"),
    "nested": ("((x * y, x + y), ops.cos(x) * y)", "((s0, s1), s2)"),
    "dict": ("{'a': x * y, 'b': ops.tanh(x) * y}", "{'a': s0, 'b': s1}"),
    "tuple3": ("(x * y, (x * x).sum(), y - x)", "(s0, s0.sum(), s2)"),
    "single_tuple": ("(x * x * y,)", "(s0,)"),
    "scalar_pair": ("((x * y).sum(), (x * x).mean())", "(s0.sum(), s1.mean())"),
}


def struct21(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 2), r.randint(2, 3))
    d.tensor(ft, shape)
    d.tensor(ft, shape)
    name = r.choice(sorted(_STRUCT21))
    out, sens = _STRUCT21[name]
    pre = [f"s{i} = {_const(d, ft, shape)}" for i in range(3)]
    pre += [f"v = {_const(d, ft, shape)}", "def g(x, y):", f"    return {out}", "def flat(o):",
            "    if isinstance(o, dict):", "        return [t for k in sorted(o) for t in flat(o[k])]",
            "    if isinstance(o, (tuple, list)):", "        return [t for e in o for t in flat(e)]", "    return [o]"]
    api = r.choice(["sens", "sens_x", "vjp", "grad", "value_and_grad", "jvp", "sens_cast"])
    if api == "sens_cast":  # a sens of another float dtype than the outputs
        other = "float16" if ft == "float64" else r.choice(["float16", "float64"])
        pre += [f"s{i} = ops.cast(s{i}, ms.{other})" for i in range(3)]
        api = "sens"
    body = {"sens": [f"return ops.GradOperation(get_all=True, sens_param=True)(g)(a0, a1, {sens})"],
            "sens_x": [f"return ops.GradOperation(sens_param=True)(g)(a0, a1, {sens})"],
            "vjp": ["out, fn = ops.vjp(g, a0, a1)", f"return flat(out), fn({sens})"],
            "grad": ["return ops.grad(g, (0, 1))(a0, a1)"],
            "value_and_grad": ["val, gr = ops.value_and_grad(g, (0, 1))(a0, a1)", "return flat(val), gr"],
            "jvp": ["out, t = ops.jvp(g, (a0, a1), (v, v * 0.5))", "return flat(out), flat(t)"]}[api]
    return f"struct21.{name}.{api}", body, pre


# ----------------------------------------------------------------------------------------- int / bool beside floats, promotion
_MIX21 = {  # g over x (float) and the others named in the form; (g's body, argument kinds after x)
    "int_beside": ("(x * n).sum() + (x * x).sum()", ["int32"]),
    "bool_beside": ("ops.where(b, x * x, x * 3).sum()", ["bool"]),
    "int_bool": ("(ops.where(b, x, x * n) * x).sum()", ["int32", "bool"]),
    "int64_cast": ("(x * ops.cast(n, x.dtype) * x).sum()", ["int64"]),
    "f16_f32": ("(x * y * y).sum()", ["float16+"]),
    "f64_f32": ("(ops.sin(x) * y).sum()", ["float64+"]),
    "f16_int": ("(x * n + x * x).sum()", ["int32"]),
    "cast_inside": ("(ops.cast(x, ms.float16) * ops.cast(y, ms.float16)).sum()", ["float+"]),
    "cast_f64": ("(ops.cast(x, ms.float64) * y).sum()", ["float+"]),
    "int_first": ("(x * x * n).sum()", ["int32"]),
    "py_scalar": ("(x * k * x).sum()", ["py"]),
}


def mix21(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_MIX21))
    body, kinds = _MIX21[name]
    ft = "float16" if name in ("f16_f32", "f16_int") else _f(r)
    shape = (r.randint(1, 2), r.randint(2, 3))
    args = ["x"]
    d.tensor(ft, shape, r.choice(["normal", "halves"]))
    for kind in kinds:
        if kind == "py":
            args.append("k")
            d.pre = getattr(d, "pre", []) + [f"KV = {r.choice([2, 0.5, -1])}"]
            continue
        letter = {"int32": "n", "int64": "n", "bool": "b"}.get(kind, "y")
        args.append(letter)
        dtype = {"float16+": "float32", "float64+": "float32", "float+": r.choice(["float32", "float64"])}.get(kind, kind)
        if name == "f64_f32":
            dtype = r.choice(["float32", "float16"])
        d.tensor(dtype, shape, "ints" if letter == "n" else "normal")
    if name == "int_first":
        args = args[::-1]
    params = ", ".join(args)
    call_args = ", ".join("KV" if a == "k" else f"a{j}" for a, j in zip(args, _indices(args)))
    n = len(args)
    pos = r.choice([tuple(range(n)), 0 if name != "int_first" else n - 1, (n - 1,) if n > 1 else 0])
    api = r.choice(["grad", "value_and_grad", "grad_all"])
    pre = [f"def g({params}):", f"    return {body}"]
    call = {"grad": f"return ops.grad(g, {pos})({call_args})",
            "value_and_grad": f"return ops.value_and_grad(g, {pos})({call_args})",
            "grad_all": f"return ops.GradOperation(get_all=True)(g)({call_args})"}[api]
    return f"mix21.{name}.{api}", [call], pre


def _indices(args: list) -> list:
    """The input index of each tensor argument (a Python scalar `k` takes none)."""
    out, i = [], 0
    for a in args:
        out.append(None if a == "k" else i)
        i += a != "k"
    return out


# ----------------------------------------------------------------------------------------- depend / stop_gradient mid-chain
_CHAIN21 = {
    "sg_mid": ["y2 = x * x", "z = ops.stop_gradient(y2) * y2 + x * y", "return (z * z).sum()"],
    "sg_mid_twice": ["a = ops.sin(x) * y", "b = ops.stop_gradient(a) + a", "c = ops.stop_gradient(b * x) * b",
                     "return (c + a * a).sum()"],
    "depend_value": ["a = x * 2", "b = ops.depend(a * y, a)", "return (b * b).sum()"],
    "depend_unused": ["t = y * y * 3", "z = ops.depend(x * x, t)", "return (z * y).sum()"],
    "depend_chain": ["a = ops.exp(x * 0.5)", "b = ops.depend(a, ops.sin(y))", "c = ops.depend(b * y, b)",
                     "return (c * x).sum()"],
    "sg_tuple": ["a, b = ops.stop_gradient((x * y, x + y))", "return (a * x + b * y).sum()"],
    "sg_grad": ["gx = ops.grad(inner, 0)(x, y)", "return (ops.stop_gradient(gx) * x * y).sum()"],
    "sg_branch": ["a = x * y", "b = ops.stop_gradient(a)", "return (a * b + ops.stop_gradient(x) * y * y).sum()"],
    "sg_all": ["return ops.stop_gradient((x * y).sum()) + (x * 0).sum()"],
    "depend_sg": ["a = ops.depend(ops.stop_gradient(x * y), x)", "return (a * x).sum()"],
}


def chain21(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(2, 3))
    d.tensor(ft, shape)
    d.tensor(ft, shape)
    name = r.choice(sorted(_CHAIN21))
    pre = [f"v = {_const(d, ft, shape)}", "def inner(x, y):", "    return (x * x * y).sum()", "def g(x, y):",
           *("    " + line for line in _CHAIN21[name])]
    api = r.choice(["grad", "value_and_grad", "grad_all", "jvp", "vg_aux", "jit_vg"])
    if api == "vg_aux":
        pre += ["def ga(x, y):", "    return g(x, y), x * y"]
    call = {"grad": "return ops.grad(g, (0, 1))(a0, a1)",
            "value_and_grad": "return ops.value_and_grad(g, (0, 1))(a0, a1)",
            "grad_all": "return ops.GradOperation(get_all=True)(g)(a0, a1)",
            "jvp": "return ops.jvp(g, (a0, a1), (v, v * 0.5))",
            "vg_aux": "return ops.value_and_grad(ga, (0, 1), has_aux=True)(a0, a1)",
            "jit_vg": "return ms.jit(ops.value_and_grad(g, (0, 1)))(a0, a1)"}[api]
    return f"chain21.{name}.{api}", [call], pre


# ----------------------------------------------------------------------------------------- one Tensor in a tuple and beside it
_PACK21 = {  # g(t, z) over a tuple / list / dict t; the call's spelling of t and z over the inputs a0, a1
    "tuple_same": ("(t[0] * t[1] * z).sum()", "(a0, a1), a1"), "tuple_first": ("(t[0] * t[0] * z).sum()", "(a0, a1), a0"),
    "list_same": ("(t[0] * ops.sin(t[1]) * z).sum()", "[a0, a1], a1"), "dict_same": ("(t['a'] * t['b'] * z).sum()", "{'a': a0, 'b': a1}, a1"),
    "nested_same": ("(t[0][0] * t[1] * z * z).sum()", "((a0,), a1), a0"), "distinct": ("(t[0] * t[1] * z).sum()", "(a0, a1), a1 * 1"),
    "tuple_twice": ("(t[0] * t[1] * z).sum()", "(a1, a1), a1"),
}


def pack21(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 2), r.randint(2, 3))
    d.tensor(ft, shape)
    d.tensor(ft, shape)
    name = r.choice(sorted(_PACK21))
    body, call_args = _PACK21[name]
    pre = ["def g(t, z):", f"    return {body}", "class Net(nn.Cell):", "    def construct(self, t, z):",
           "        return g(t, z)"]
    api = r.choice(["grad", "grad_both", "value_and_grad", "grad_all", "cell", "nested"])
    call = {"grad": f"return ops.grad(g, 1)({call_args})", "grad_both": f"return ops.grad(g, (0, 1))({call_args})",
            "value_and_grad": f"return ops.value_and_grad(g, 1)({call_args})",
            "grad_all": f"return ops.GradOperation(get_all=True)(g)({call_args})",
            "cell": f"return ops.GradOperation(get_all=True)(Net())({call_args})",
            "nested": "return ops.grad(h, (0, 1))(a0, a1)"}[api]
    if api == "nested":
        pre += ["def h(a0, a1):", f"    return (ops.grad(g, 1)({call_args}) * a0).sum()"]
    return f"pack21.{name}.{api}", [call], pre


FORMS = [(cell21, 30), (state21, 16), (flow21, 22), (struct21, 12), (mix21, 10), (chain21, 10), (pack21, 10)]


def form_program(rng: random.Random, form) -> dict:
    api, src, _ = gen.form_source(rng, form)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": "value"}


def programs21(seed: int, count: int, available) -> list[dict]:
    """count programs, each twice: PyNative, then GRAPH_MODE (`context`; names end in @pynative / @graph)."""
    return [{**p, "name": f"{p['name']}@{ctx}", "context": ctx}
            for p in gen.form_programs("r21", form_program, FORMS, seed, count) for ctx in CONTEXTS]
