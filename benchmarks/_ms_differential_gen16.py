"""Round 16 of ms_differential.py's programs: where rounds 1-15 did not look. Hand-written forms (as rounds 8-15:
each a function of a Draw returning (api, body lines, lines before `def f`)), plus user-written networks:

- net16: an nn.Cell of two or three nn layers with non-default options chained (Conv1d / Conv2d / Conv3d with stride,
  dilation, groups, pad_mode and padding, Conv1d / 2d Transpose with stride and pad_mode, BatchNorm in training or
  eval, LayerNorm / GroupNorm, Dense with an activation, pooling Cells with ceil_mode / count_include_pad / pad_mode,
  Dropout in eval, Embedding with padding_idx), ending in a loss Cell with a reduction, through the layer modes;
- rnn16: nn.RNN / GRU / LSTM layers with num_layers 2, bidirectional, batch_first, has_bias=False, an initial state
  given, and RNNCell / GRUCell / LSTMCell stepped over a sequence, through the layer modes;
- loss16: loss Cells / functions with each reduction and class weights, ignore_index hit by a target, label smoothing,
  pos_weight, a margin, on logits that are f's input (first and higher order);
- flow16: control flow under @ms.jit (graph mode) and eagerly: for with continue, nested loops with break, return from
  inside a loop, a loop over a Tensor's rows, a while on a Tensor condition with an if inside, a gradient taken inside a
  loop (gradient descent steps), through first, second and third order;
- index16: index_add / index_put (accumulate) / scatter_add / scatter(reduce=) / tensor_scatter_* / scatter_nd /
  unsorted_segment_* with duplicate indices, the gradients of both the written tensor and the values;
- api16: ops.grad / value_and_grad with has_aux and weights and grad_position tuples at once, jvp / vjp of tuple outputs
  with has_aux, a third order under jit, grad of a Cell's method with weights (values only: f differentiates)."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7
from _ms_differential_gen9 import _const

HIGHER = gen7.HIGHER_MODES + ["grad3"]


def _f(r: random.Random) -> str:
    return r.choice(["float32"] * 5 + ["float64"])


# ----------------------------------------------------------------------------------------- networks
def _conv(r: random.Random, dims: int, c: int) -> tuple[str, int]:
    """A conv layer of c input channels with drawn options: (its constructor, its output channels)."""
    g = r.choice([1, c]) if c > 1 else 1
    out = g * r.choice([1, 2])
    name = {1: "Conv1d", 2: "Conv2d", 3: "Conv3d"}[dims]
    pad = r.choice(["same", "valid", "pad"])
    opts = [f"kernel_size={r.choice([1, 2, 3])}", f"stride={r.choice([1, 2])}", f"pad_mode='{pad}'",
            f"has_bias={r.choice([True, False])}", f"group={g}"]
    if pad == "pad":
        opts.append(f"padding={r.choice([0, 1])}")
    if dims < 3 or pad != "same":
        opts.append(f"dilation={r.choice([1, 2])}")
    return f"nn.{name}({c}, {out}, {', '.join(opts)})", out


def _transpose(r: random.Random, dims: int, c: int) -> tuple[str, int]:
    out = r.choice([1, 2, 3])
    name = {1: "Conv1dTranspose", 2: "Conv2dTranspose"}[dims]
    pad = r.choice(["same", "valid", "pad"])
    opts = [f"kernel_size={r.choice([2, 3])}", f"stride={r.choice([1, 2])}", f"pad_mode='{pad}'",
            f"has_bias={r.choice([True, False])}"]
    if pad == "pad":
        opts.append(f"padding={r.choice([0, 1])}")
    return f"nn.{name}({c}, {out}, {', '.join(opts)})", out


def _after(r: random.Random, dims: int, c: int) -> str:
    """A layer keeping the channel count after a conv."""
    spatial = {1: "1d", 2: "2d", 3: "3d"}[dims]
    picks = [f"nn.BatchNorm{spatial}({c}, momentum={r.choice([0.9, 0.5])}, eps={r.choice([1e-5, 0.1])})",
             f"nn.GroupNorm({r.choice([1, c])}, {c}, eps={r.choice([1e-5, 0.1])}, affine={r.choice([True, False])})",
             "nn.Dropout(p=0.5)", "nn.ReLU()", "nn.Tanh()", f"nn.PReLU({r.choice([1, c])})"]
    if dims == 1:
        picks += [f"nn.MaxPool1d(2, {r.choice([1, 2])}, pad_mode='{r.choice(['same', 'valid'])}')",
                  f"nn.AvgPool1d(2, {r.choice([1, 2])}, pad_mode='{r.choice(['same', 'valid'])}')"]
    elif dims == 2:
        picks += [f"nn.MaxPool2d(2, {r.choice([1, 2])}, pad_mode='pad', padding=1, ceil_mode={r.choice([True, False])})",
                  f"nn.AvgPool2d(2, {r.choice([1, 2])}, pad_mode='pad', padding=1, ceil_mode={r.choice([True, False])}, "
                  f"count_include_pad={r.choice([True, False])})",
                  f"nn.AvgPool2d(3, 2, pad_mode='same')", f"nn.MaxPool2d(3, 1, pad_mode='same')",
                  f"nn.LPPool2d({r.choice([1, 2])}, 2, 1)", "nn.AdaptiveAvgPool2d((1, 2))"]
    else:
        picks += [f"nn.AvgPool3d(2, 1, pad_mode='pad', padding=1, count_include_pad={r.choice([True, False])})",
                  f"nn.MaxPool3d(2, 1, pad_mode='pad', padding=1, ceil_mode={r.choice([True, False])})"]
    return r.choice(picks)


def _head(r: random.Random, d: gen.Draw, n: int, ft: str) -> tuple[list, str]:
    """Dense layers on the flattened features and a loss: (constructor lines, the loss expression of `y`)."""
    k = r.choice([2, 3])
    act = r.choice([None, "'relu'", "'tanh'", "'sigmoid'", "'gelu'", "nn.LeakyReLU(0.3)", "'softplus'"])
    lines = [f"        self.fc = nn.Dense({n}, {k}, has_bias={r.choice([True, False])}, activation={act})"]
    red = r.choice(["mean", "sum", "none"])
    kind = r.choice(["ce", "nll", "mse", "l1", "huber", "bce"])
    if kind == "ce":
        w = f"T({ft!r}, ({k},), {r.randrange(1 << 30)}, 'positive')" if r.random() < 0.5 else "None"
        lines.append(f"        self.loss = nn.CrossEntropyLoss(weight={w}, ignore_index={r.choice([-100, 0])}, "
                     f"reduction='{red}', label_smoothing={r.choice([0.0, 0.2])})")
        target = _const(d, "int32", (None,), "index%d" % k)
    elif kind == "nll":
        lines.append(f"        self.loss = nn.NLLLoss(reduction='{red}', ignore_index={r.choice([-100, 1])})")
        target = _const(d, "int32", (None,), "index%d" % k)
        return lines + [f"        self.t = {target}"], "self.loss(ops.log_softmax(y, 1), self.t[:y.shape[0]])"
    elif kind == "bce":
        lines.append(f"        self.loss = nn.BCEWithLogitsLoss(reduction='{red}', pos_weight=T({ft!r}, ({k},), "
                     f"{r.randrange(1 << 30)}, 'positive'))")
        target = _const(d, ft, (None, k), "unit01")
    else:
        ctor = {"mse": "nn.MSELoss", "l1": "nn.L1Loss", "huber": "nn.HuberLoss"}[kind]
        lines.append(f"        self.loss = {ctor}(reduction='{red}')")
        target = _const(d, ft, (None, k))
    return lines + [f"        self.t = {target}"], "self.loss(y, self.t[:y.shape[0]])"


def net16(d: gen.Draw):
    r = d.rng
    ft = "float32"
    dims = r.choice([1, 2, 2, 3])
    c = r.choice([1, 2, 4])
    spatial = {1: (r.randint(5, 7),), 2: (r.randint(4, 6), r.randint(4, 5)), 3: (4, 4, 3)}[dims]
    batch = r.choice([2, 3])
    d.tensor(ft, (batch, c) + spatial)
    layers = []
    if dims < 3 and r.random() < 0.3:
        ctor, c = _transpose(r, dims, c)
    else:
        ctor, c = _conv(r, dims, c)
    layers.append(ctor)
    layers.append(_after(r, dims, c))
    if r.random() < 0.5:
        layers.append(_after(r, dims, c))
    cls = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
           f"        self.body = nn.SequentialCell([{', '.join(layers)}])"]
    tail = "y"
    if r.random() < 0.6:
        head, loss = _head(r, d, 0, ft)
        # the Dense's input size is only known after the body: a Dense of size n made lazily is not MindSpore's,
        # so the features are averaged down to the channels first
        head[0] = head[0].replace("nn.Dense(0,", f"nn.Dense({c},")
        head = [h.replace("(None,", f"({batch},") for h in head]
        cls += head
        tail = loss
        body = ["    def construct(self, x):", "        y = self.body(x)",
                f"        y = y.mean(axis={tuple(range(2, dims + 2))})", "        y = self.fc(y)", f"        return {tail}"]
    else:
        body = ["    def construct(self, x):", "        return self.body(x)"]
    train = r.random() < 0.4
    api = "net16." + "+".join(l.split("(")[0].split(".")[-1] for l in layers) + (".train" if train else "")
    return api, cls + body + ["net = Net()", f"net.set_train({train})"]


def rnn16(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    kind = r.choice(["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"])
    b, t, i, h = r.randint(1, 3), r.randint(1, 3), r.randint(1, 3), r.randint(1, 3)
    cast = "" if ft == "float32" else f".to_float(ms.{ft})"
    if kind.endswith("Cell"):
        d.tensor(ft, (t, b, i))
        opts = [f"has_bias={r.choice([True, False])}"] + ([f"nonlinearity='{r.choice(['tanh', 'relu'])}'"]
                                                          if kind == "RNNCell" else [])
        h0 = _const(d, ft, (b, h))
        state = f"({h0}, {_const(d, ft, (b, h))})" if kind == "LSTMCell" else h0
        step = "s = self.cell(x[k], s)" + ("" if kind != "LSTMCell" else "")
        body = ["    def construct(self, x):", f"        s = {state}", "        outs = []",
                "        for k in range(x.shape[0]):", f"            {step}",
                f"            outs.append(s{'[0]' if kind == 'LSTMCell' else ''})",
                "        return ops.stack(outs), s"]
        ctor = f"nn.{kind}({i}, {h}, {', '.join(opts)})"
        api = f"rnn16.{kind}"
    else:
        layers, bi, bf = r.choice([1, 2]), r.choice([True, False]), r.choice([True, False])
        d.tensor(ft, (b, t, i) if bf else (t, b, i))
        opts = [f"num_layers={layers}", f"has_bias={r.choice([True, False])}", f"batch_first={bf}", f"bidirectional={bi}"]
        if kind == "RNN":
            opts.append(f"nonlinearity='{r.choice(['tanh', 'relu'])}'")
        ctor = f"nn.{kind}({i}, {h}, {', '.join(opts)})"
        nd = layers * (2 if bi else 1)
        if r.random() < 0.5:
            h0 = _const(d, ft, (nd, b, h))
            state = f"({h0}, {_const(d, ft, (nd, b, h))})" if kind == "LSTM" else h0
            body = ["    def construct(self, x):", f"        return self.cell(x, {state})"]
        else:
            body = ["    def construct(self, x):", "        return self.cell(x)"]
        api = f"rnn16.{kind}.l{layers}{'.bi' if bi else ''}{'.bf' if bf else ''}"
    cls = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
           f"        self.cell = {ctor}{cast}"]
    return api, cls + body + ["net = Net()", "net.set_train(False)"]


# ----------------------------------------------------------------------------------------- losses
def loss16(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    n, k = r.randint(1, 4), r.randint(2, 4)
    x = d.tensor(ft, (n, k))
    red = r.choice(["mean", "sum", "none"])
    t_idx = _const(d, "int32", (n,), f"index{k}")
    t_f = _const(d, ft, (n, k))
    t_01 = _const(d, ft, (n, k), "unit01")
    t_sign = _const(d, ft, (n,), "sign")
    w = f"T({ft!r}, ({k},), {r.randrange(1 << 30)}, 'positive')"
    ii = r.choice([0, 1, -100])
    forms = {
        "ce_w": f"nn.CrossEntropyLoss(weight={w}, ignore_index={ii}, reduction='{red}')({x}, {t_idx})",
        "ce_ls": f"nn.CrossEntropyLoss(reduction='{red}', label_smoothing={r.choice([0.1, 0.5])}, ignore_index={ii})({x}, {t_idx})",
        "ce_prob": f"ops.cross_entropy({x}, ops.softmax({t_f}, 1), reduction='{red}', label_smoothing={r.choice([0.0, 0.3])})",
        "nll_w": f"ops.nll_loss(ops.log_softmax({x}, 1), {t_idx}, weight={w}, ignore_index={ii}, reduction='{red}')",
        "nll_cell": f"nn.NLLLoss(weight={w}, reduction='{red}', ignore_index={ii})(ops.log_softmax({x}, 1), {t_idx})",
        "bce_w": f"nn.BCELoss(weight={w}, reduction='{red}')(ops.sigmoid({x}), {t_01})",
        "bcel_pw": f"ops.binary_cross_entropy_with_logits({x}, {t_01}, weight={w}, pos_weight={w} * 2, reduction='{red}')",
        "margin": f"nn.MultiMarginLoss(p={r.choice([1, 2])}, margin={r.choice([1.0, 0.5])}, weight={w}, reduction='{red}')({x}, {t_idx})",
        "mlsm": f"nn.MultiLabelSoftMarginLoss(weight={w}, reduction='{red}')({x}, ops.round({t_01}))",
        "smoothl1": f"nn.SmoothL1Loss(beta={r.choice([0.5, 1.0, 2.0])}, reduction='{red}')({x}, {t_f})",
        "huber": f"nn.HuberLoss(reduction='{red}', delta={r.choice([0.5, 1.0, 2.0])})({x}, {t_f})",
        "kl": f"nn.KLDivLoss(reduction='{r.choice(['sum', 'none', 'batchmean'])}')(ops.log_softmax({x}, 1), ops.softmax({t_f}, 1))",
        "soft_margin": f"nn.SoftMarginLoss(reduction='{red}')({x}[:, 0], {t_sign})",
        "cos_emb": f"nn.CosineEmbeddingLoss(margin={r.choice([0.0, 0.3])}, reduction='{red}')({x}, {t_f}, {t_sign})",
        "hinge_emb": f"ops.hinge_embedding_loss({x}[:, 0], {t_sign}, margin={r.choice([0.5, 1.0])}, reduction='{red}')",
        "gauss": f"nn.GaussianNLLLoss(full={r.choice([True, False])}, eps={r.choice([1e-6, 0.1])}, reduction='{red}')"
                 f"({x}, {t_f}, ops.abs({t_01}) + 0.1)",
        "poisson": f"nn.PoissonNLLLoss(log_input={r.choice([True, False])}, full={r.choice([True, False])}, "
                   f"reduction='{red}')(ops.abs({x}) + 0.2, ops.abs({t_f}))",
        "triplet": f"nn.TripletMarginLoss(p={r.choice([1, 2])}, margin={r.choice([1.0, 0.3])}, swap={r.choice([True, False])}, "
                   f"reduction='{red}')({x}, {t_f}, {t_01})",
        "margin_rank": f"nn.MarginRankingLoss(margin={r.choice([0.0, 0.5])}, reduction='{red}')({x}[:, 0], {t_f}[:, 0], {t_sign})",
        "l1_cell": f"nn.L1Loss(reduction='{red}')({x}, {t_f})",
        "focal": f"ops.binary_cross_entropy(ops.sigmoid({x}), {t_01}, weight={w}, reduction='{red}')",
    }
    name = r.choice(sorted(forms))
    return f"loss16.{name}.{red}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- control flow
_FLOW = {
    "for_continue": ["y = x", "for i in range(4):", "    if i % 2 == 1:", "        continue", "    y = ops.sin(y) * w + b",
                     "return y"],
    "for_continue_tensor": ["y = x", "for i in range(3):", "    if (y * w).sum() < 0:", "        y = y + b",
                            "        continue", "    y = y * w", "return y"],
    "nested_break": ["y = x", "for i in range(3):", "    for j in range(3):", "        y = y * w + b * j",
                     "        if (y * y).sum() > 5.0:", "            break", "return y"],
    "return_in_loop": ["y = x", "for i in range(4):", "    y = ops.tanh(y * w) + b", "    if y.sum() > 1.0:",
                       "        return y * 2", "return y"],
    "rows": ["s = x[0] * 0", "for row in x:", "    s = s + ops.exp(row * w * 0.3)", "return s + b"],
    "while_if": ["y = x", "i = 0", "while y.sum() < 3.0 and i < 4:", "    if i == 1:", "        y = y + ops.abs(b)",
                 "    else:", "        y = y * 1.5 + ops.abs(w)", "    i = i + 1", "return y"],
    "while_nested": ["y = x", "i = 0", "while i < 2:", "    j = 0", "    while j < 2:", "        y = ops.sin(y * w) + b",
                     "        j += 1", "    i += 1", "return y"],
    "descent": ["def inner(z):", "    return ((z - w) ** 2).sum() + (z * b).sum()", "z = x", "for _ in range(3):",
                "    z = z - 0.2 * ops.grad(inner)(z)", "return z * x"],
    "if_in_for_elif": ["y = x", "for i in range(3):", "    m = (y * w).mean()", "    if m > 0.3:", "        y = y - b",
                       "    elif m < -0.3:", "        y = y + b * b", "    else:", "        y = y * w", "return y"],
    "while_break_continue": ["y = x", "i = 0", "while i < 5:", "    i += 1", "    if i == 2:", "        continue",
                             "    y = y * w + b", "    if (y * y).sum() > 8.0:", "        break", "return y"],
}


def flow16(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    n = r.randint(1, 4)
    shape = (r.randint(1, 3), n) if r.random() < 0.7 else (n,)
    d.tensor(ft, shape, r.choice(["normal", "normal", "halves"]))
    d.tensor(ft, (n,))
    d.tensor(ft, r.choice([(n,), (1,), ()]))
    name = r.choice(sorted(_FLOW))
    if name == "rows" and len(shape) == 1:
        name = "for_continue"
    jit = r.random() < 0.6
    body = ["x, w, b = a0, a1, a2"] + _FLOW[name]
    return f"flow16.{name}{'.jit' if jit else ''}", body, ["@ms.jit"] if jit else []


# ----------------------------------------------------------------------------------------- duplicate indices
def index16(d: gen.Draw):
    r = d.rng
    ft = _f(r)
    n, m = r.randint(2, 4), r.randint(1, 3)
    x = d.tensor(ft, (n, m), r.choice(["normal", "halves"]))
    k = r.randint(1, 4)
    v = d.tensor(ft, (k, m), r.choice(["normal", "halves"]))
    idx = f"Tensor({[r.randrange(n) for _ in range(k)]}, ms.int32)"
    idx2 = f"Tensor({[[r.randrange(n)] for _ in range(k)]}, ms.int32)"
    col = f"Tensor({[[r.randrange(m) for _ in range(m)] for _ in range(n)]}, ms.int64)"
    seg = f"Tensor({[r.randrange(3) for _ in range(n)]}, ms.int32)"
    forms = {
        "index_add": f"ops.index_add({x}, {idx}, {v}, 0)",
        "mint_index_add": f"mint.index_add({x}, 0, {idx}, {v}, alpha={r.choice([1, 2.5, -1])})",
        "index_put_acc": f"{x}.index_put(({idx},), {v}, accumulate=True)",
        "index_put": f"{x}.index_put(({idx},), {v}, accumulate=False) * 1",
        "scatter_add": f"mint.scatter_add({x}, 1, {col}, {x} * {x})",
        "scatter_reduce": f"ops.scatter({x}, 1, {col}, {x} * 2, reduce='add')",
        "scatter_nd": f"ops.scatter_nd({idx2}, {v}, ({n}, {m})) + {x}",
        "ts_add": f"ops.tensor_scatter_add({x}, {idx2}, {v})",
        "ts_sub": f"ops.tensor_scatter_sub({x}, {idx2}, {v} * {v})",
        "ts_mul": f"ops.tensor_scatter_mul({x}, {idx2}, {v})",
        "ts_max": f"ops.tensor_scatter_max({x}, {idx2}, {v})",
        "ts_min": f"ops.tensor_scatter_min({x}, {idx2}, {v})",
        "ts_update": f"ops.tensor_scatter_update({x}, {idx2}, {v})",
        "seg_sum": f"ops.unsorted_segment_sum({x}, {seg}, 3) * ops.unsorted_segment_sum({x}, {seg}, 3)",
        "seg_max": f"ops.unsorted_segment_max({x}, {seg}, 3)",
        "seg_min": f"ops.unsorted_segment_min({x}, {seg}, 3)",
        "seg_prod": f"ops.unsorted_segment_prod({x}, {seg}, 3)",
        "gather_dup": f"ops.gather({x}, {idx}, 0) * {v}",
        "gather_elements": f"ops.gather_elements({x}, 1, {col}) * {x}",
        "setitem_dup": f"ops.index_fill({x}, 0, {idx}, 0.5) * {x}",
    }
    name = r.choice(sorted(forms))
    return f"index16.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- gradient APIs
def api16(d: gen.Draw):
    """Values only: f calls the gradient API itself."""
    r = d.rng
    ft = _f(r)
    shape = (r.randint(1, 3), r.randint(1, 3))
    d.tensor(ft, shape)
    d.tensor(ft, shape)
    par = ["w = ms.Parameter(" + _const(d, ft, shape) + ", name='w')",
           "v = ms.Parameter(" + _const(d, ft, shape[1:]) + ", name='v')",
           "def h(x, y):", "    z = ops.sin(x * w) * y + v", "    return (z * z).sum(), z, (x * v).mean()"]
    two = ["def h2(x, y):", "    return ops.sin(x) * y, ops.exp(x * 0.3) + y * y"]
    pos = r.choice([0, 1, (0, 1), (1, 0), None])
    forms = {
        "grad_aux_w": (par, [f"return ops.grad(h, {pos}, (w, v), has_aux=True)(a0, a1)"]),
        "vg_aux_w": (par, [f"return ops.value_and_grad(h, {pos}, [v, w], has_aux=True)(a0, a1)"]),
        "grad_w_ids": (par, [f"return ops.grad(h, {r.choice([(0, 1), (1, 0)])}, (w, v), has_aux=True, return_ids=True)(a0, a1)"]),
        "jvp_tuple": (two, [f"return ops.jvp(h2, (a0, a1), ({_const(d, ft, shape)}, {_const(d, ft, shape)}))"]),
        "jvp_tuple_aux": (two, [f"return ops.jvp(h2, (a0, a1), ({_const(d, ft, shape)}, {_const(d, ft, shape)}), has_aux=True)"]),
        "vjp_tuple": (two, ["out, fn = ops.vjp(h2, a0, a1)", f"return out, fn(({_const(d, ft, shape)}, {_const(d, ft, shape)}))"]),
        "vjp_tuple_aux": (two, ["out, fn, aux = ops.vjp(h2, a0, a1, has_aux=True)", f"return out, fn({_const(d, ft, shape)}), aux"]),
        "third_jit": (["@ms.jit", "def g3(x, y):", "    s = lambda a: (ops.sin(a) * a * y).sum()",
                       "    return ops.grad(ops.grad(ops.grad(s)))(x)"], ["return g3(a0, a1)"]),
        "third_mixed": (["def s(x, y):", "    return (x * x * ops.exp(y * 0.5) * ops.cos(x)).sum()"],
                        ["g1 = lambda x, y: ops.grad(s, 1)(x, y).sum()", "g2 = lambda x, y: ops.grad(g1, (0, 1))(x, y)[0].sum()",
                         "return ops.grad(g2, (0, 1))(a0, a1)"]),
        "cell_method": (["class C(nn.Cell):", "    def __init__(self):", "        super().__init__()",
                         f"        self.p = ms.Parameter({_const(d, ft, shape)}, name='p')",
                         "    def construct(self, x, y):", "        return (ops.tanh(x * self.p) * y).sum(), self.p * 2",
                         "c = C()"],
                        [f"return ops.value_and_grad(c, {pos}, c.trainable_params(), has_aux=True)(a0, a1)"]),
        "gradop_sens_w": (par[:2] + ["def k(x, y):", "    return ops.sin(x * w) * y + v"],
                          ["return ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)"
                           f"(k, ms.ParameterTuple([w, v]))(a0, a1, {_const(d, ft, shape)})"]),
    }
    name = r.choice(sorted(forms))
    pre_lines, body = forms[name]
    return f"api16.{name}", body, pre_lines


FORMS = [(loss16, 26), (flow16, 28), (index16, 24), (api16, 16)]
LAYER_FORMS = [(net16, 3), (rnn16, 2)]
LAYER_WEIGHT = 0.3  # about one program in three a network


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    if form is api16:
        mode = "value"
    else:
        mode = gen.first_or_higher(rng, HIGHER)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def layer_program(rng: random.Random) -> dict:
    return gen.net_program(rng, gen._pick(rng, LAYER_FORMS))


def programs16(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r16", form_program, FORMS, seed, count, layer_program, LAYER_WEIGHT)
