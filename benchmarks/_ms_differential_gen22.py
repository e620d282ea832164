"""Round 22 of ms_differential.py's programs, each drawn once and run in PyNative AND GRAPH_MODE (as round 21), on
the areas rounds 1-21 drew least (hand-written forms: each a function of a Draw returning (api, body lines, lines
before `def f`); every program is a value program: f differentiates, its results are compared, values, dtypes and
shapes; with --refusals a refusal on both sides is compared by its class):

- conv22: Conv1d / Conv2d / Conv3d with strides, pad modes, padding, dilation and groups, Conv1d / 2d / 3dTranspose,
  their Parameters through get_by_list / grad(weights=) / value_and_grad(weights=), the input's gradient, jvp of the
  Cell;
- norm22: BatchNorm1d / 2d / 3d in train and eval (affine or not; the moving statistics after one or two gradient
  steps), LayerNorm over one or two trailing axes (begin_norm_axis / begin_params_axis), GroupNorm;
- rnn22: RNN (tanh / relu) / LSTM / GRU with two layers, bidirectional, batch_first, a given initial state; RNNCell /
  LSTMCell / GRUCell; MultiheadAttention (self / cross, batch_first, its averaged weights); Embedding with
  padding_idx beside a Dense with an activation;
- loss22: CrossEntropyLoss (class weights, ignore_index, label smoothing, probability targets), NLLLoss, BCELoss,
  BCEWithLogitsLoss (weight, pos_weight), SmoothL1Loss (beta), HuberLoss (delta), KLDivLoss, CTCLoss, MultiMargin /
  MultiLabelSoftMargin / MarginRanking / HingeEmbedding / CosineEmbedding / PoissonNLL / GaussianNLL, each with
  reduction none / sum / mean under grad, value_and_grad, a sens (reduction none) and jvp;
- index22: `y[idx] = v` under grad with int / slice / bool / Ellipsis / None / Tensor / mixed indices (and `+=`),
  reads, tensor_scatter_* / scatter_nd / gather / gather_d / gather_elements / index_select / masked_select /
  masked_fill / index_add / tensor_scatter_elements with repeated indices, under grad, jvp and vjp;
- dtype22: float16 / float64 inputs through elementwise ops, reductions, matmul, softmax and layers (the
  gradient's dtype), int inputs in grad positions, a sens of another dtype than its output (MindSpore refuses some:
  compared as refusals);
- jac22: ms.jacfwd / ms.jacrev (grad_position, has_aux), ops.vmap of grad / jacrev with in_axes / out_axes, grad
  of a vmapped function, vmap of value_and_grad."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
from _ms_differential_gen9 import _const

CONTEXTS = ("pynative", "graph")
_PARAMS = "ms.ParameterTuple(net.trainable_params())"


def _fill(d: gen.Draw, net: str = "net") -> list:
    """Lines giving every trainable Parameter of net drawn values (the layers' own initializers are random)."""
    return [f"for _i, _p in enumerate({net}.trainable_params()):",
            f"    _p.set_data(T(str(_p.asnumpy().dtype), _p.shape, {d.rng.randrange(1 << 30)} + _i, 'normal') * 0.5)"]


def _cell_call(r: random.Random, d: gen.Draw, kind: str, in_shape: tuple, stats: bool = False, jvp: bool = True):
    """(api, body) differentiating `loss(a0)` over net's Parameters (and the input), or the Cell under jvp."""
    apis = ["by_list", "all_by_list", "grad_weights", "vg_weights", "grad_input"] + (["jvp"] if jvp else [])
    api = r.choice(apis)
    tail = ", [p.value() for p in net.untrainable_params()]" if stats else ""
    if api == "jvp":
        return api, [f"return ops.jvp(net, a0, {_const(d, 'float32', in_shape)}){tail}"]
    call = {"by_list": f"ops.GradOperation(get_by_list=True)(loss, {_PARAMS})(a0)",
            "all_by_list": f"ops.GradOperation(get_all=True, get_by_list=True)(loss, {_PARAMS})(a0)",
            "grad_weights": "ops.grad(loss, 0, net.trainable_params())(a0)",
            "vg_weights": "ops.value_and_grad(loss, 0, net.trainable_params())(a0)",
            "grad_input": "ops.grad(loss, 0)(a0)"}[api]
    if stats and r.random() < 0.4:  # two steps: the second sees the first's statistics
        return api + ".twice", [f"first = {call}", f"return first, {call}{tail}"]
    return api, [f"return {call}{tail}"]


_LOSS_OF_Y = "    return (ops.sin(y) * 0.5 + y * y * 0.25).sum()"


# ----------------------------------------------------------------------------------------- convolutions
def conv22(d: gen.Draw):
    r = d.rng
    kind = r.choice(["conv1d", "conv2d", "conv3d", "convt1d", "convt2d", "convt3d"])
    dims = {"1": 1, "2": 2, "3": 3}[kind[-2]]
    group = r.choice([1, 1, 2])
    c, k = group * r.randint(1, 2), group * r.randint(1, 2)
    ks = r.choice([1, 2, 3]) if dims < 3 else r.choice([1, 2])
    pad = r.choice(["'same'", "'valid'", "'pad'"])
    stride, dil = r.choice([1, 1, 2]), r.choice([1, 1, 2])
    extra = f", padding={r.choice([1, 2]) if dims < 3 or r.random() < 0.5 else 1}" if pad == "'pad'" else ""
    name = {"conv": "Conv", "convt": "Conv"}[kind[:-2]] + f"{dims}d" + ("Transpose" if kind.startswith("convt") else "")
    layer = (f"nn.{name}({c}, {k}, {ks}, stride={stride}, pad_mode={pad}{extra}, dilation={dil}, group={group}, "
             f"has_bias={r.choice([True, False])})")
    spatial = tuple(r.randint(3, 5) for _ in range(dims)) if dims < 3 else tuple(r.randint(2, 4) for _ in range(3))
    shape = (r.randint(1, 2), c) + spatial
    d.tensor("float32", shape)
    pre = [f"net = {layer}", *_fill(d), "def loss(x):", "    y = net(x)", _LOSS_OF_Y]
    api, body = _cell_call(r, d, kind, shape)
    return f"conv22.{kind}.{api}", body, pre


# ----------------------------------------------------------------------------------------- normalization
def norm22(d: gen.Draw):
    r = d.rng
    kind = r.choice(["bn1d", "bn2d", "bn3d", "layernorm", "layernorm2", "groupnorm"])
    n, c = r.randint(2, 3), r.choice([2, 4])
    if kind.startswith("bn"):
        dims = int(kind[2])
        shape = (n, c) + (r.choice([2, 3]),) * dims  # 1d: (N, C, L), 2d: (N, C, H, W), 3d: (N, C, D, H, W)
        if dims == 1 and r.random() < 0.5:
            shape = (n, c)
        affine = r.choice([True, True, False])
        layer = f"nn.BatchNorm{dims}d({c}, eps={r.choice([1e-5, 1e-3])}, momentum={r.choice([0.9, 0.5, 0.1])}, affine={affine})"
    elif kind == "groupnorm":
        shape = (n, c, r.randint(1, 3), r.randint(2, 3))
        layer = f"nn.GroupNorm({r.choice([1, 2])}, {c}, eps={r.choice([1e-5, 1e-3])}, affine={r.choice([True, False])})"
    else:
        shape = (n, r.randint(1, 3), c) if kind == "layernorm" else (n, r.randint(2, 3), c)
        if kind == "layernorm":
            layer = f"nn.LayerNorm(({c},), begin_norm_axis=-1, begin_params_axis=-1, epsilon={r.choice([1e-5, 1e-3])})"
        else:
            layer = f"nn.LayerNorm(({shape[1]}, {c}), begin_norm_axis={r.choice([1, -2])}, begin_params_axis={r.choice([1, -2])})"
    d.tensor("float32", shape, r.choice(["normal", "halves"]))
    train = r.choice([True, False]) if kind.startswith("bn") else r.choice([True, False])
    pre = [f"net = {layer}", f"net.set_train({train})", *_fill(d), "def loss(x):", "    y = net(x)", _LOSS_OF_Y]
    api, body = _cell_call(r, d, kind, shape, stats=kind.startswith("bn"))
    return f"norm22.{kind}.{api}.{'train' if train else 'eval'}", body, pre


# ----------------------------------------------------------------------------------------- recurrent / attention
def rnn22(d: gen.Draw):
    r = d.rng
    kind = r.choice(["rnn", "lstm", "gru", "rnncell", "lstmcell", "grucell", "mha", "mha_cross", "emb_dense"])
    n, c, h = r.randint(1, 2), r.randint(2, 3), r.randint(2, 3)
    pre = []
    if kind in ("rnn", "lstm", "gru"):
        bf, bi, layers = r.choice([True, False]), r.choice([True, False]), r.choice([1, 2])
        t = r.randint(2, 3)
        extra = f", nonlinearity={r.choice(['tanh', 'relu'])!r}" if kind == "rnn" else ""
        layer = (f"nn.{kind.upper()}({c}, {h}, num_layers={layers}, has_bias={r.choice([True, False])}, "
                 f"batch_first={bf}, bidirectional={bi}{extra})")
        shape = (n, t, c) if bf else (t, n, c)
        d.tensor("float32", shape)
        hx = ""
        if r.random() < 0.4:
            hshape = (layers * (2 if bi else 1), n, h)
            hx = f", {_const(d, 'float32', hshape)}" if kind != "lstm" else \
                f", ({_const(d, 'float32', hshape)}, {_const(d, 'float32', hshape)})"
        out = "(y[0] * y[0]).sum() + ops.sin(y[1][0]).sum() + y[1][1].sum() * 0.5" if kind == "lstm" \
            else "(y[0] * y[0]).sum() + ops.sin(y[1]).sum()"
        pre = [f"net = {layer}", *_fill(d), "def loss(x):", f"    y = net(x{hx})", f"    return {out}"]
    elif kind in ("rnncell", "lstmcell", "grucell"):
        layer = f"nn.{ {'rnncell': 'RNNCell', 'lstmcell': 'LSTMCell', 'grucell': 'GRUCell'}[kind]}({c}, {h}, has_bias={r.choice([True, False])})"
        shape = (n, c)
        d.tensor("float32", shape)
        hx = _const(d, "float32", (n, h))
        if kind == "lstmcell":
            hx = f"({hx}, {_const(d, 'float32', (n, h))})"
            out = "(y[0] * y[0]).sum() + ops.sin(y[1]).sum()"
        else:
            out = "(y * y).sum() + ops.sin(y).sum()"
        pre = [f"net = {layer}", *_fill(d), "def loss(x):", f"    y = net(x, {hx})", f"    return {out}"]
    elif kind in ("mha", "mha_cross"):
        e, heads, bf = r.choice([2, 4]), r.choice([1, 2]), r.choice([True, False])
        layer = f"nn.MultiheadAttention({e}, {heads}, has_bias={r.choice([True, False])}, batch_first={bf})"
        t, s = r.randint(2, 3), r.randint(2, 3)
        shape = (n, t, e) if bf else (t, n, e)
        d.tensor("float32", shape)
        kv = _const(d, "float32", (n, s, e) if bf else (s, n, e)) if kind == "mha_cross" else "x"
        weights = r.choice(["True", "False"])
        out = "(y[0] * y[0]).sum() + (ops.sin(y[1]) * y[1]).sum()" if weights == "True" else "(y[0] * y[0]).sum()"
        pre = [f"net = {layer}", *_fill(d), "def loss(x):", f"    y = net(x, {kv}, {kv}, need_weights={weights})",
               f"    return {out}"]
    else:
        layer = (f"nn.SequentialCell([nn.Embedding(5, {c}, padding_idx={r.choice([None, 0, 2])}), "
                 f"nn.Dense({c}, {h}, activation={r.choice(['None', repr('tanh'), repr('sigmoid'), repr('gelu')])})])")
        d.tensor("int32", (n, r.randint(2, 4)), "index5")
        pre = [f"net = {layer}", *_fill(d), "def loss(x):", "    y = net(x)", _LOSS_OF_Y]
        api = r.choice(["by_list", "grad_weights", "vg_weights"])
        call = {"by_list": f"ops.GradOperation(get_by_list=True)(loss, {_PARAMS})(a0)",
                "grad_weights": "ops.grad(loss, None, net.trainable_params())(a0)",
                "vg_weights": "ops.value_and_grad(loss, None, net.trainable_params())(a0)"}[api]
        return f"rnn22.{kind}.{api}", [f"return {call}"], pre
    api, body = _cell_call(r, d, kind, (), jvp=False)
    return f"rnn22.{kind}.{api}", body, pre


# ----------------------------------------------------------------------------------------- losses
def _loss_cell(r: random.Random, d: gen.Draw, red: str):
    """(name, the loss Cell's spelling, the prediction's shape and domain, the target's spelling; `x` the prediction
    after its transform line)."""
    n, c = r.randint(2, 4), r.randint(2, 4)
    name = r.choice(["ce", "ce_probs", "nll", "bce", "bcel", "smoothl1", "huber", "kldiv", "ctc", "multimargin",
                     "mlsm", "ranking", "hinge", "cosemb", "poisson", "gaussian", "l1", "mse"])
    w = lambda shape: _const(d, "float32", shape, "positive")  # noqa: E731
    labels = lambda: _const(d, "int32", (n,), f"index{c}")  # noqa: E731
    if name == "ce":
        opts = [f"reduction={red!r}"]
        if r.random() < 0.5:
            opts.append(f"weight={w((c,))}")
        if r.random() < 0.5:
            opts.append(f"ignore_index={r.choice([0, 1, -100])}")
        if r.random() < 0.5:
            opts.append(f"label_smoothing={r.choice([0.1, 0.3])}")
        return name, f"nn.CrossEntropyLoss({', '.join(opts)})", (n, c), "x", [labels()]
    if name == "ce_probs":
        opts = [f"reduction={red!r}"] + ([f"label_smoothing={r.choice([0.1, 0.3])}"] if r.random() < 0.5 else [])
        return name, f"nn.CrossEntropyLoss({', '.join(opts)})", (n, c), "x", [f"ops.softmax({_const(d, 'float32', (n, c))}, -1)"]
    if name == "nll":
        opts = [f"reduction={red!r}"] + ([f"weight={w((c,))}"] if r.random() < 0.5 else [])
        opts += [f"ignore_index={r.choice([0, 1, -100])}"] if r.random() < 0.5 else []
        return name, f"nn.NLLLoss({', '.join(opts)})", (n, c), "ops.log_softmax(x, -1)", [labels()]
    if name == "bce":
        opts = [f"reduction={red!r}"] + ([f"weight={w((n, c))}"] if r.random() < 0.5 else [])
        return name, f"nn.BCELoss({', '.join(opts)})", (n, c), "ops.sigmoid(x)", [_const(d, "float32", (n, c), "unit01")]
    if name == "bcel":
        opts = [f"reduction={red!r}"] + ([f"weight={w((n, c))}"] if r.random() < 0.5 else [])
        opts += [f"pos_weight={w((c,))}"] if r.random() < 0.6 else []
        return name, f"nn.BCEWithLogitsLoss({', '.join(opts)})", (n, c), "x", [_const(d, "float32", (n, c), "unit01")]
    if name == "smoothl1":
        return name, f"nn.SmoothL1Loss(beta={r.choice([1.0, 0.5, 2.0])}, reduction={red!r})", (n, c), "x", \
            [_const(d, "float32", (n, c), "halves")]
    if name == "huber":
        return name, f"nn.HuberLoss(reduction={red!r}, delta={r.choice([1.0, 0.5, 2.0])})", (n, c), "x", \
            [_const(d, "float32", (n, c), "halves")]
    if name == "kldiv":
        red = r.choice(["mean", "batchmean", "sum", "none"])
        return name, f"nn.KLDivLoss(reduction={red!r})", (n, c), "ops.log_softmax(x, -1)", \
            [f"ops.softmax({_const(d, 'float32', (n, c))}, -1)"]
    if name == "ctc":
        t, s = r.randint(4, 6), r.randint(1, 2)
        lengths = f"Tensor([{t}] * {n}, ms.int32)"
        tl = f"Tensor({[r.randint(1, s) for _ in range(n)]}, ms.int32)"
        targets = f"ops.cast({_const(d, 'int32', (n, s), f'index{c - 1}')} + 1, ms.int32)"
        return name, f"nn.CTCLoss(blank=0, reduction={red!r}, zero_infinity={r.choice([True, False])})", (t, n, c), \
            "ops.log_softmax(x, -1)", [targets, lengths, tl]
    if name == "multimargin":
        opts = [f"p={r.choice([1, 2])}", f"margin={r.choice([1.0, 0.5])}", f"reduction={red!r}"]
        opts += [f"weight={w((c,))}"] if r.random() < 0.4 else []
        return name, f"nn.MultiMarginLoss({', '.join(opts)})", (n, c), "x", [f"ops.cast({labels()}, ms.int64)"]
    if name == "mlsm":
        return name, f"nn.MultiLabelSoftMarginLoss(reduction={red!r})", (n, c), "x", [_const(d, "float32", (n, c), "sign")]
    if name == "ranking":
        return name, f"nn.MarginRankingLoss(margin={r.choice([0.0, 0.5])}, reduction={red!r})", (n,), "x", \
            [_const(d, "float32", (n,)), _const(d, "float32", (n,), "sign")]
    if name == "hinge":
        return name, f"nn.HingeEmbeddingLoss(margin={r.choice([1.0, 0.5])}, reduction={red!r})", (n, c), "x", \
            [_const(d, "float32", (n, c), "sign")]
    if name == "cosemb":
        return name, f"nn.CosineEmbeddingLoss(margin={r.choice([0.0, 0.3])}, reduction={red!r})", (n, c), "x", \
            [_const(d, "float32", (n, c)), _const(d, "float32", (n,), "sign")]
    if name == "poisson":
        return name, f"nn.PoissonNLLLoss(log_input={r.choice([True, False])}, full={r.choice([True, False])}, reduction={red!r})", \
            (n, c), "ops.abs(x) + 0.1", [_const(d, "float32", (n, c), "positive")]
    if name == "gaussian":
        return name, f"nn.GaussianNLLLoss(full={r.choice([True, False])}, reduction={red!r})", (n, c), "x", \
            [_const(d, "float32", (n, c)), _const(d, "float32", (n, c), "positive")]
    cls = {"l1": "L1Loss", "mse": "MSELoss"}[name]
    return name, f"nn.{cls}(reduction={red!r})", (n, c), "x", [_const(d, "float32", (n, c), "halves")]


def loss22(d: gen.Draw):
    r = d.rng
    red = r.choice(["none", "sum", "mean"])
    name, cell, shape, transform, targets = _loss_cell(r, d, red)
    d.tensor("float32", shape, r.choice(["normal", "halves"]))
    pre = [f"crit = {cell}", *(f"t{i} = {t}" for i, t in enumerate(targets)), "def g(x):",
           f"    return crit({transform}, {', '.join(f't{i}' for i in range(len(targets)))})"]
    api = r.choice(["grad", "value_and_grad", "sens", "vjp", "jvp", "jit_grad", "grad_sum"])
    sens_shape = "g(a0)"
    pre += ["def g2(x):", "    return (g(x) * g(x)).sum()"]
    body = {"grad": ["return ops.grad(g, 0)(a0)"], "value_and_grad": ["return ops.value_and_grad(g, 0)(a0)"],
            "grad_sum": ["return ops.grad(g2, 0)(a0)"],
            "sens": [f"s = ops.ones_like({sens_shape}) * 0.75", "return ops.GradOperation(sens_param=True)(g)(a0, s)"],
            "vjp": ["out, fn = ops.vjp(g, a0)", "return out, fn(ops.ones_like(out) * 1.5)"],
            "jvp": [f"return ops.jvp(g, a0, {_const(d, 'float32', shape)})"],
            "jit_grad": ["return ms.jit(ops.grad(g, 0))(a0)"]}[api]
    return f"loss22.{name}.{red}.{api}", body, pre


# ----------------------------------------------------------------------------------------- indexing under grad
_SETITEM22 = {  # (index spelling over a (3, 4) y, v's shape or None for a Python float)
    "int": ("1", (4,)), "neg_int": ("-1", (4,)), "slice": ("1:3", (2, 4)), "step": ("::2", (2, 4)),
    "col": ("..., 1", (3,)), "ellipsis_all": ("...", (3, 4)), "none0": ("None, 0", (1, 4)),
    "tensor": ("Tensor([0, 2], ms.int32)", (2, 4)), "tensor_dup": ("Tensor([1, 1], ms.int32)", (2, 4)),
    "cols_tensor": (":, Tensor([1, 3], ms.int32)", (3, 2)), "int_slice": ("0, 1:3", (2,)),
    "bool_rows": ("Tensor([True, False, True])", (2, 4)), "bool_scalar": ("Tensor([True, False, True])", None),
    "mask2d": ("m", None), "int_scalar": ("2", None), "pair": ("1, 2", ()), "broadcast_row": ("1:3", (4,)),
    "list_int": ("[0, 2]", (2, 4)), "tensor_pair": ("Tensor([0, 2], ms.int32), Tensor([1, 3], ms.int32)", (2,)),
}
_READ22 = ["x[1:, ::2]", "x[..., -1]", "x[None, :, 1]", "x[Tensor([2, 0, 2], ms.int32)]", "x[m]", "x[:, [0, 3, 3]]",
           "x[Tensor([True, False, True])]", "x[-2:, None]", "x[1, Tensor([0, 0, 2], ms.int32)]"]


def _scatter22(r: random.Random, d: gen.Draw):
    """(name, body over x (3, 4) and v, v's shape)."""
    name = r.choice(["ts_add", "ts_sub", "ts_update", "ts_max", "ts_min", "ts_mul", "ts_div", "scatter_nd", "gather",
                     "gather_d", "gather_elements", "index_select", "masked_select", "masked_fill", "masked_fill_t",
                     "index_add", "ts_elements", "ts_elements_add"])
    idx = r.choice(["[[0], [2]]", "[[1], [1]]", "[[0], [2], [0]]"])
    rows = idx.count("[") - 1
    if name.startswith("ts_") and not name.startswith("ts_elements"):
        fn = {"ts_add": "tensor_scatter_add", "ts_sub": "tensor_scatter_sub", "ts_update": "tensor_scatter_update",
              "ts_max": "tensor_scatter_max", "ts_min": "tensor_scatter_min", "ts_mul": "tensor_scatter_mul",
              "ts_div": "tensor_scatter_div"}[name]
        v = "ops.abs(v) + 0.5" if name == "ts_div" else "v"
        return name, f"ops.{fn}(x, Tensor({idx}, ms.int32), {v})", (rows, 4)
    if name == "scatter_nd":
        return name, f"ops.scatter_nd(Tensor({idx}, ms.int32), v, (3, 4)) * x", (rows, 4)
    if name == "gather":
        ax = r.choice([0, 1, -1])
        return name, f"ops.gather(x, Tensor([2, 0, 2], ms.int32), {ax}) * ops.sin(v).sum()", (2,)
    if name in ("gather_d", "gather_elements"):
        dim = r.choice([0, 1])
        shape = (2, 4) if dim == 0 else (3, 2)
        bound = 3 if dim == 0 else 4
        fn = "gather_d" if name == "gather_d" else "gather_elements"
        return name, f"ops.{fn}(x, {dim}, {_const(d, 'int32', shape, f'index{bound}')}) * v", shape
    if name == "index_select":
        ax = r.choice([0, 1])
        return name, f"ops.index_select(x, {ax}, Tensor([1, 1, 0], ms.int32)) * v.sum()", (2,)
    if name == "masked_select":
        return name, "ops.masked_select(x * v, m)", (3, 4)
    if name == "masked_fill":
        return name, "ops.masked_fill(x * v, m, 2.0)", (3, 4)
    if name == "masked_fill_t":
        return name, "ops.masked_fill(x, m, v.sum())", (2,)
    if name == "index_add":
        return name, "ops.index_add(x, Tensor([0, 2, 0], ms.int32), v, 0)", (3, 4)
    red = "'add'" if name == "ts_elements_add" else "'none'"
    return name, f"ops.tensor_scatter_elements(x, Tensor([[1, 0, 2, 1]], ms.int32), v, 0, {red})", (1, 4)


def index22(d: gen.Draw):
    r = d.rng
    ft = r.choice(["float32", "float32", "float64"])
    kind = r.choice(["set", "set", "aug", "read", "scatter", "scatter"])
    d.tensor(ft, (3, 4), r.choice(["normal", "halves"]))
    pre = [f"m = {_const(d, 'bool', (3, 4))}"]
    if kind in ("set", "aug"):
        name, (index, vshape) = r.choice(sorted(_SETITEM22.items()))
        if vshape is None:
            d.tensor(ft, (1,))
            value = "2.5" if kind == "set" else "v[0] * 0 + 2.5"
        else:
            d.tensor(ft, vshape)
            value = "v * 3"
        op = "=" if kind == "set" else "+="
        pre += ["def g(x, v):", "    y = x * 1", f"    y[{index}] {op} {value}", "    return y * x"]
        tag = f"{kind}.{name}"
        vshape = vshape if vshape is not None else (1,)
    elif kind == "read":
        read = r.choice(_READ22)
        d.tensor(ft, (1,))
        pre += ["def g(x, v):", f"    return {read} * v"]
        tag, vshape = f"read.{_READ22.index(read)}", (1,)
    else:
        name, expr, vshape = _scatter22(r, d)
        d.tensor(ft, vshape)
        pre += ["def g(x, v):", f"    return {expr}"]
        tag = f"scatter.{name}"
    pre += ["def h(x, v):", "    return (g(x, v) * g(x, v)).sum()", "def h2(x, v):",
            "    return (ops.sin(g(x, v)) * g(x, v)).sum()"]
    api = r.choice(["grad", "value_and_grad", "jvp", "vjp", "grad_all", "jit_grad"])
    body = {"grad": ["return ops.grad(h, (0, 1))(a0, a1)"],
            "value_and_grad": ["return ops.value_and_grad(h2, (0, 1))(a0, a1)"],
            "grad_all": ["return ops.GradOperation(get_all=True)(h)(a0, a1)"],
            "jvp": [f"return ops.jvp(g, (a0, a1), ({_const(d, ft, (3, 4))}, {_const(d, ft, vshape)}))"],
            "vjp": ["out, fn = ops.vjp(g, a0, a1)", "return out, fn(ops.ones_like(out) * 1.5)"],
            "jit_grad": ["return ms.jit(ops.grad(h, (0, 1)))(a0, a1)"]}[api]
    return f"index22.{tag}.{api}", body, pre


# ----------------------------------------------------------------------------------------- dtypes
_DTYPE22 = {  # g(x, y) bodies
    "elementwise": "(ops.sin(x) * y + ops.exp(x * 0.5)).sum()", "softmax": "(ops.softmax(x, -1) * y).sum()",
    "matmul": "ops.matmul(x, y.T).sum()", "mean_var": "(x.mean(-1) * y.var(-1)).sum()",
    "sqrt_abs": "(ops.sqrt(ops.abs(x) + 1) * y).sum()", "tanh_pow": "(ops.tanh(x) ** 2 * y).sum()",
    "norm": "ops.norm(x * y)", "logsumexp": "(ops.logsumexp(x, -1) * y.sum(-1)).sum()",
    "cumsum": "(ops.cumsum(x * y, -1) * x).sum()", "where": "ops.where(x > y, x * y, x - y).sum()",
}


def dtype22(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_DTYPE22) + ["dense", "int_pos", "sens_dtype", "sens_dtype_0d"])
    fx, fy = r.choice(["float16", "float64", "float32"]), r.choice(["float16", "float64", "float32"])
    shape = (r.randint(1, 3), r.randint(2, 3))
    if name == "dense":
        ft = r.choice(["float16", "float64"])
        d.tensor(ft, shape)
        pre = [f"net = nn.Dense({shape[1]}, 2, activation={r.choice(['None', repr('relu'), repr('tanh')])}, dtype=ms.{ft})",
               *_fill(d), "def loss(x):", "    y = net(x)", _LOSS_OF_Y]
        api, body = _cell_call(r, d, name, shape, jvp=False)
        return f"dtype22.dense.{ft}.{api}", body, pre
    if name == "int_pos":
        d.tensor(fx, shape)
        d.tensor(r.choice(["int32", "int64", "bool"]), shape, "ints")
        pre = ["def g(x, n):", "    return (x * x * ops.cast(n, x.dtype)).sum()"]
        pos = r.choice(["(0, 1)", "1", "0"])
        return f"dtype22.int_pos.{fx}", [f"return ops.grad(g, {pos})(a0, a1)"], pre
    if name.startswith("sens_dtype"):
        d.tensor(fx, shape)
        other = r.choice([t for t in ("float16", "float32", "float64") if t != fx])
        out = "(x * x).sum()" if name == "sens_dtype_0d" else "x * x + 1"
        sshape = () if name == "sens_dtype_0d" else shape
        pre = ["def g(x):", f"    return {out}", f"s = ops.cast({_const(d, 'float32', sshape)}, ms.{other})"]
        api = r.choice(["sens", "vjp"])
        body = ["return ops.GradOperation(sens_param=True)(g)(a0, s)"] if api == "sens" else \
            ["out, fn = ops.vjp(g, a0)", "return out, fn(s)"]
        return f"dtype22.{name}.{fx}_{other}.{api}", body, pre
    d.tensor(fx, shape, r.choice(["normal", "halves"]))
    d.tensor(fy, shape)
    pre = ["def g(x, y):", f"    return {_DTYPE22[name]}"]
    api = r.choice(["grad", "value_and_grad", "jvp", "grad_all"])
    body = {"grad": "return ops.grad(g, (0, 1))(a0, a1)", "value_and_grad": "return ops.value_and_grad(g, (0, 1))(a0, a1)",
            "grad_all": "return ops.GradOperation(get_all=True)(g)(a0, a1)",
            "jvp": f"return ops.jvp(g, (a0, a1), ({_const(d, fx, shape)}, {_const(d, fy, shape)}))"}[api]
    return f"dtype22.{name}.{fx}_{fy}.{api}", [body], pre


# ----------------------------------------------------------------------------------------- jacobians and vmap
_JAC22 = {  # g(x, y) with x (3,) and y (2, 3) or (3,)
    "sin_mul": "ops.sin(x) * y", "matvec": "ops.matmul(y, x)", "softmax": "ops.softmax(x * y, -1)",
    "cumprod": "ops.cumprod(x * y, -1)", "outer_sum": "(x * y).sum(-1) * x.sum()", "tanh_exp": "ops.tanh(x) * ops.exp(y * 0.5)",
}


def jac22(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_JAC22))
    ft = "float32"  # MindSpore 2.10's jacfwd / jacrev refuse float64 ("Type Join Failed": its ones are float32)
    d.tensor(ft, (3,))
    d.tensor(ft, (2, 3) if r.random() < 0.6 else (3,))
    pre = ["def g(x, y):", f"    return {_JAC22[name]}", "def gaux(x, y):", f"    return {_JAC22[name]}, x * 2",
           "def s(x, y):", f"    return ({_JAC22[name]}).sum()", "def sv(x, y):",
           "    return ops.vmap(s, in_axes=(0, None))(ops.stack([x, x * x]), y).sum()"]
    api = r.choice(["jacfwd", "jacrev", "jacfwd_both", "jacrev_both", "jacrev_aux", "jacfwd_aux", "vmap_grad",
                    "vmap_grad_axes", "grad_vmap", "vmap_jacrev", "vmap_vg", "jacfwd_jacrev"])
    body = {"jacfwd": "return ms.jacfwd(g, 0)(a0, a1)", "jacrev": "return ms.jacrev(g, 1)(a0, a1)",
            "jacfwd_both": "return ms.jacfwd(g, (0, 1))(a0, a1)", "jacrev_both": "return ms.jacrev(g, (0, 1))(a0, a1)",
            "jacrev_aux": "return ms.jacrev(gaux, 0, has_aux=True)(a0, a1)",
            "jacfwd_aux": "return ms.jacfwd(gaux, (0, 1), has_aux=True)(a0, a1)",
            "vmap_grad": "return ops.vmap(ops.grad(s, 0), in_axes=(None, 0))(a0, ops.stack([a1, a1 * 2]))",
            "vmap_grad_axes": "return ops.vmap(ops.grad(s, (0, 1)), in_axes=(0, None), out_axes=(1, 0))(ops.stack([a0, a0 * 0.5, -a0]), a1)",
            "grad_vmap": "return ops.grad(sv, (0, 1))(a0, a1)",
            "vmap_jacrev": "return ops.vmap(ms.jacrev(g, 0), in_axes=(0, None), out_axes=-1)(ops.stack([a0, a0 + 1]), a1)",
            "vmap_vg": "return ops.vmap(ops.value_and_grad(s, 1), in_axes=(None, 0))(a0, ops.stack([a1, -a1]))",
            "jacfwd_jacrev": "return ms.jacfwd(ms.jacrev(s, 0), 0)(a0, a1)"}[api]
    return f"jac22.{name}.{api}", [body], pre


FORMS = [(conv22, 18), (norm22, 14), (rnn22, 14), (loss22, 18), (index22, 18), (dtype22, 10), (jac22, 10)]


def form_program(rng: random.Random, form) -> dict:
    api, src, _ = gen.form_source(rng, form)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": "value"}


def programs22(seed: int, count: int, available) -> list[dict]:
    """count programs, each twice: PyNative, then GRAPH_MODE (`context`; names end in @pynative / @graph)."""
    return [{**p, "name": f"{p['name']}@{ctx}", "context": ctx}
            for p in gen.form_programs("r22", form_program, FORMS, seed, count) for ctx in CONTEXTS]
