"""Round 24 of ms_differential.py's programs, each drawn once and run in PyNative AND GRAPH_MODE (as rounds 21-23),
on the areas rounds 1-23 drew least (hand-written forms, value programs: f differentiates or steps, its results
compared, values, dtypes and shapes; with --refusals a refusal on both sides is compared by its class):

- optim24: an optimizer's first two steps on a small net with fixed Parameters (SGD with momentum / nesterov /
  dampening / weight_decay, Momentum, Adam (amsgrad / nesterov), AdamWeightDecay, Adagrad, RMSProp (centered),
  Lamb, FTRL, AdaMax, Adadelta, ProximalAdagrad): the loss and every Parameter after each step;
- layer24: nn layers in training mode with fixed Parameters, the gradients w.r.t. input and weights, then a second
  call and every Parameter after (BatchNorm1d / 2d moving statistics, LayerNorm / GroupNorm / InstanceNorm affine
  on / off, Conv1d / 2d / 3d with groups / dilation / pad modes, Conv2dTranspose / Conv1dTranspose, AvgPool / MaxPool
  with ceil_mode / count_include_pad, LSTM / GRU / RNN bidirectional / 2 layers / batch_first / initial states,
  MultiheadAttention, Embedding with padding_idx, Dense with an activation string, Dropout in eval);
- loss24: loss Cells with reduction none / mean / sum and weights (CrossEntropyLoss label smoothing / ignore_index /
  class probabilities, NLLLoss, BCEWithLogitsLoss pos_weight, SmoothL1Loss beta, HuberLoss delta, KLDivLoss,
  MarginRankingLoss, CosineEmbeddingLoss, MultiLabelSoftMarginLoss, CTCLoss) under grad / value_and_grad / vjp /
  jit(grad) and a second order;
- dtype24: float16 / float64 / int / bool inputs in grad positions (an int input's gradient), promotion of mixed
  dtypes in binary ops and where, bool masks, Python scalars."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
from _ms_differential_gen9 import _const
from _ms_differential_gen23 import _LOSS, _single_api

CONTEXTS = ("pynative", "graph")
_SNAP = "[Tensor(p.asnumpy()) for p in net.get_parameters()]"  # every Parameter (moving statistics too), copied


# ----------------------------------------------------------------------------------------- optimizers
_OPTIM24 = {
    "sgd": "nn.SGD(params, learning_rate=0.1)",
    "sgd_mom": "nn.SGD(params, learning_rate=0.1, momentum=0.9)",
    "sgd_nesterov": "nn.SGD(params, learning_rate=0.1, momentum=0.9, nesterov=True)",
    "sgd_damp_wd": "nn.SGD(params, learning_rate=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)",
    "momentum": "nn.Momentum(params, learning_rate=0.1, momentum=0.9)",
    "momentum_nesterov_wd": "nn.Momentum(params, learning_rate=0.1, momentum=0.9, weight_decay=0.05, use_nesterov=True)",
    "adam": "nn.Adam(params, learning_rate=0.1)",
    "adam_wd": "nn.Adam(params, learning_rate=0.05, beta1=0.8, beta2=0.9, eps=1e-6, weight_decay=0.1)",
    "adam_amsgrad": "nn.Adam(params, learning_rate=0.1, use_amsgrad=True)",
    "adam_nesterov": "nn.Adam(params, learning_rate=0.1, use_nesterov=True)",
    "adamw": "nn.AdamWeightDecay(params, learning_rate=0.1, weight_decay=0.1)",
    "adamw_betas": "nn.AdamWeightDecay(params, learning_rate=0.05, beta1=0.7, beta2=0.95, eps=1e-5, weight_decay=0.3)",
    "adagrad": "nn.Adagrad(params, accum=0.1, learning_rate=0.1)",
    "adagrad_wd": "nn.Adagrad(params, accum=0.5, learning_rate=0.2, weight_decay=0.1)",
    "rmsprop": "nn.RMSProp(params, learning_rate=0.05)",
    "rmsprop_centered": "nn.RMSProp(params, learning_rate=0.05, decay=0.8, momentum=0.5, epsilon=1e-6, centered=True)",
    "rmsprop_mom": "nn.RMSProp(params, learning_rate=0.05, momentum=0.9)",
    "lamb": "nn.Lamb(params, learning_rate=0.1)",
    "lamb_wd": "nn.Lamb(params, learning_rate=0.1, beta1=0.8, beta2=0.9, eps=1e-6, weight_decay=0.1)",
    "ftrl": "nn.FTRL(params, learning_rate=0.1)",
    "ftrl_l1l2": "nn.FTRL(params, initial_accum=0.5, learning_rate=0.1, lr_power=-0.5, l1=0.01, l2=0.02)",
    "adamax": "nn.AdaMax(params, learning_rate=0.1)",
    "adadelta": "nn.Adadelta(params, learning_rate=1.0, rho=0.8)",
    "proximal_adagrad": "nn.ProximalAdagrad(params, accum=0.1, learning_rate=0.1, l1=0.01, l2=0.02)",
}
_OPT_NETS = {  # construct's loss over x (4, 3), y (4, 2)
    "tanh_mse": "((ops.tanh(ops.matmul(x, self.w) + self.b) - y) ** 2).mean()",
    "softmax_ce": "-(ops.log_softmax(ops.matmul(x, self.w) + self.b, -1) * ops.softmax(y, -1)).sum() / 4",
    "abs": "ops.abs(ops.matmul(x, self.w) - y).sum() * 0.5 + (self.b * self.b).sum()",
}


def optim24(d: gen.Draw):
    r = d.rng
    opt, loss = r.choice(sorted(_OPTIM24)), r.choice(sorted(_OPT_NETS))
    d.tensor("float32", (4, 3), r.choice(["normal", "halves"]))
    d.tensor("float32", (4, 2))
    pre = ["class Net(nn.Cell):", "    def __init__(self):", "        super().__init__()",
           f"        self.w = ms.Parameter({_const(d, 'float32', (3, 2))}, name='w')",
           f"        self.b = ms.Parameter({_const(d, 'float32', (2,))}, name='b')",
           "    def construct(self, x, y):", f"        return {_OPT_NETS[loss]}",
           "net = Net()", "params = net.trainable_params()", f"opt = {_OPTIM24[opt]}",
           "step = ops.value_and_grad(net, None, opt.parameters)"]
    body = ["out = []", "for _ in range(2):", "    loss, grads = step(a0, a1)", "    opt(grads)",
            "    out += [loss, grads] + [Tensor(p.asnumpy()) for p in params]", "return out"]
    return f"optim24.{opt}.{loss}", body, pre


# ----------------------------------------------------------------------------------------- layers, training mode
_LAYER24 = {  # name: (the layer, the input's shape, the call of net on x giving one Tensor)
    "bn1d": ("nn.BatchNorm1d(3, momentum=0.7)", (4, 3), "net(x)"),
    "bn1d_noaffine": ("nn.BatchNorm1d(3, affine=False, momentum=0.5, eps=1e-3)", (5, 3), "net(x)"),
    "bn2d": ("nn.BatchNorm2d(2, momentum=0.6)", (3, 2, 2, 3), "net(x)"),
    "bn2d_global": ("nn.BatchNorm2d(2, use_batch_statistics=False)", (2, 2, 2, 2), "net(x)"),
    "layernorm": ("nn.LayerNorm((4,), begin_norm_axis=-1, begin_params_axis=-1)", (2, 3, 4), "net(x)"),
    "layernorm2": ("nn.LayerNorm((3, 4), begin_norm_axis=1, begin_params_axis=1, epsilon=1e-3)", (2, 3, 4), "net(x)"),
    "groupnorm": ("nn.GroupNorm(2, 4)", (2, 4, 3), "net(x)"),
    "groupnorm_noaffine": ("nn.GroupNorm(2, 4, eps=1e-3, affine=False)", (2, 4, 2, 2), "net(x)"),
    "groupnorm1": ("nn.GroupNorm(1, 2)", (3, 2, 2, 2), "net(x)"),
    "instancenorm1d": ("nn.InstanceNorm1d(3, affine=True)", (2, 3, 5), "net(x)"),
    "instancenorm2d": ("nn.InstanceNorm2d(2, affine=False)", (2, 2, 3, 3), "net(x)"),
    "instancenorm2d_aff": ("nn.InstanceNorm2d(2, affine=True, momentum=0.3)", (2, 2, 3, 3), "net(x)"),
    "conv1d_groups": ("nn.Conv1d(4, 2, 3, group=2, has_bias=True, pad_mode='valid')", (2, 4, 6), "net(x)"),
    "conv1d_same_dil": ("nn.Conv1d(2, 3, 3, dilation=2, pad_mode='same', has_bias=True)", (1, 2, 7), "net(x)"),
    "conv1d_pad_stride": ("nn.Conv1d(2, 2, 2, stride=2, pad_mode='pad', padding=1)", (2, 2, 5), "net(x)"),
    "conv2d_groups": ("nn.Conv2d(4, 4, 3, group=4, pad_mode='same', has_bias=True)", (1, 4, 4, 4), "net(x)"),
    "conv2d_dil_pad": ("nn.Conv2d(2, 3, (2, 3), dilation=(2, 1), pad_mode='pad', padding=(1, 1, 0, 2))", (1, 2, 5, 4), "net(x)"),
    "conv2d_stride_same": ("nn.Conv2d(3, 2, 3, stride=2, pad_mode='same', has_bias=True)", (2, 3, 5, 5), "net(x)"),
    "conv3d": ("nn.Conv3d(2, 2, 2, pad_mode='valid', has_bias=True)", (1, 2, 3, 3, 3), "net(x)"),
    "conv3d_pad": ("nn.Conv3d(2, 4, (1, 2, 2), group=2, pad_mode='pad', padding=1)", (1, 2, 2, 3, 3), "net(x)"),
    "convT2d_outpad": ("nn.Conv2dTranspose(2, 3, 3, stride=2, pad_mode='pad', padding=1, output_padding=1, has_bias=True)", (1, 2, 3, 3), "net(x)"),
    "convT2d_same": ("nn.Conv2dTranspose(2, 2, 2, stride=2, pad_mode='same')", (1, 2, 2, 3), "net(x)"),
    "convT2d_valid_dil": ("nn.Conv2dTranspose(3, 2, 2, dilation=2, pad_mode='valid', has_bias=True)", (1, 3, 3, 2), "net(x)"),
    "convT1d": ("nn.Conv1dTranspose(2, 3, 3, stride=2, pad_mode='valid', has_bias=True)", (2, 2, 4), "net(x)"),
    "avgpool2d_ceil": ("nn.AvgPool2d(2, 2, pad_mode='pad', padding=1, ceil_mode=True, count_include_pad=False)", (1, 2, 5, 5), "net(x)"),
    "avgpool2d_incl": ("nn.AvgPool2d(3, 2, pad_mode='pad', padding=1, count_include_pad=True)", (1, 1, 5, 4), "net(x)"),
    "avgpool2d_same": ("nn.AvgPool2d(2, 2, pad_mode='same')", (1, 2, 3, 5), "net(x)"),
    "avgpool1d_ceil": ("nn.AvgPool1d(2, 2, pad_mode='pad', padding=1, ceil_mode=True)", (1, 2, 5), "net(x)"),
    "maxpool2d_ceil": ("nn.MaxPool2d(2, 2, pad_mode='pad', padding=1, ceil_mode=True)", (1, 2, 5, 5), "net(x)"),
    "maxpool2d_same": ("nn.MaxPool2d(3, 2, pad_mode='same')", (1, 1, 5, 4), "net(x)"),
    "maxpool1d_ceil": ("nn.MaxPool1d(2, 2, pad_mode='pad', padding=1, ceil_mode=True)", (1, 2, 6), "net(x)"),
    "lstm_bi2": ("nn.LSTM(3, 2, num_layers=2, bidirectional=True)", (4, 2, 3), "ops.cat([net(x)[0].reshape(-1), net(x)[1][0].reshape(-1)])"),
    "lstm_bf_h0": ("nn.LSTM(3, 2, batch_first=True)", (2, 4, 3), "net(x, (H0, C0))[0]"),
    "gru_bi_h0": ("nn.GRU(3, 2, bidirectional=True, batch_first=True)", (2, 3, 3), "ops.cat([net(x, H02)[0].reshape(-1), net(x, H02)[1].reshape(-1)])"),
    "gru2": ("nn.GRU(3, 2, num_layers=2, has_bias=False)", (3, 2, 3), "net(x)[1]"),
    "rnn_relu": ("nn.RNN(3, 2, nonlinearity='relu', num_layers=2, batch_first=True)", (2, 3, 3), "net(x)[0]"),
    "rnn_bi_h0": ("nn.RNN(3, 2, bidirectional=True)", (3, 2, 3), "net(x, H02)[0]"),
    "mha": ("nn.MultiheadAttention(4, 2)", (3, 2, 4), "net(x, x, x)[0]"),
    "mha_bf_kv": ("nn.MultiheadAttention(4, 2, kdim=3, vdim=2, batch_first=True)", (2, 3, 4),
                  "ops.cat([net(x, K, V)[0].reshape(-1), net(x, K, V)[1].reshape(-1)])"),
    "mha_weights": ("nn.MultiheadAttention(4, 1, bias=False)", (2, 1, 4), "net(x, x, x, need_weights=True)[1]"),
    "embedding_pad": ("nn.Embedding(5, 3, padding_idx=1)", None, "net(IDX) * x"),
    "dense_act": ("nn.Dense(3, 2, activation='tanh')", (4, 3), "net(x)"),
    "dense_relu": ("nn.Dense(3, 4, activation='relu', has_bias=False)", (2, 3), "net(x)"),
    "dense_gelu": ("nn.Dense(3, 2, activation='gelu')", (2, 2, 3), "net(x)"),
    "dropout_eval": ("nn.Dropout(p=0.4)", (3, 4), "net(x) * 2"),
}
_LAYER_CONSTS = {"H0": ("float32", (1, 2, 2)), "C0": ("float32", (1, 2, 2)), "H02": ("float32", (2, 2, 2)),
                 "K": ("float32", (2, 5, 3)), "V": ("float32", (2, 5, 2))}


def layer24(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_LAYER24))
    layer, shape, call = _LAYER24[name]
    shape = shape or (2, 3, 3)
    d.tensor("float32", shape, r.choice(["normal", "normal", "halves"]))
    pre = [f"net = {layer}", f"net.set_train({'False' if name == 'dropout_eval' else 'True'})",
           f"for i, p in enumerate(net.trainable_params()):",
           f"    p.set_data(T('float32', tuple(p.shape), {r.randrange(1 << 20)} + i, 'normal'))"]
    pre += [f"{k} = {_const(d, *v)}" for k, v in _LAYER_CONSTS.items() if k in call]
    if "IDX" in call:
        pre.append("IDX = Tensor([[1, 0, 4], [1, 1, 2]], ms.int32)")
    pre += ["def h(x):", f"    y = {call}", "    return (y * y).sum() * 0.5 + (ops.sin(y) * 0.25).sum()"]
    api = r.choice(["grad_w", "grad_w", "vg_w", "by_list", "jit_grad"])
    pos = "None" if name == "embedding_pad" and r.random() < 0.5 else "0"
    first = {"grad_w": f"ops.grad(h, {pos}, net.trainable_params())(a0)",
             "vg_w": f"ops.value_and_grad(h, {pos}, net.trainable_params())(a0)",
             "by_list": "ops.GradOperation(get_by_list=True)(h, ms.ParameterTuple(net.trainable_params()))(a0)",
             "jit_grad": "ms.jit(ops.grad(h, 0))(a0)"}[api]
    if not list_params(layer):
        first = "ops.grad(h, 0)(a0)"
    body = [f"g1 = {first}", f"s1 = {_SNAP}", "x = a0 * 0.5", f"y2 = {call}",
            f"return g1, s1, y2, {_SNAP}"]
    return f"layer24.{name}.{api}", body, pre


def list_params(layer: str) -> bool:
    """Whether the layer has trainable Parameters (a pooling / dropout / affine-off norm has none)."""
    return not any(k in layer for k in ("Pool", "Dropout", "affine=False"))


# ----------------------------------------------------------------------------------------- loss Cells
_LOSS24 = {  # name: (the loss Cell, x's shape, x's domain, the target (a constant) or None for one made here)
    "ce_mean": ("nn.CrossEntropyLoss()", (4, 3), "LAB"),
    "ce_w_sum": ("nn.CrossEntropyLoss(weight=CW, reduction='sum')", (4, 3), "LAB"),
    "ce_w_mean": ("nn.CrossEntropyLoss(weight=CW)", (4, 3), "LAB"),
    "ce_ignore": ("nn.CrossEntropyLoss(ignore_index=1)", (4, 3), "LAB"),
    "ce_ignore_w": ("nn.CrossEntropyLoss(weight=CW, ignore_index=2, reduction='mean')", (4, 3), "LAB"),
    "ce_smooth": ("nn.CrossEntropyLoss(label_smoothing=0.2)", (4, 3), "LAB"),
    "ce_smooth_w_none": ("nn.CrossEntropyLoss(weight=CW, reduction='none', label_smoothing=0.1)", (4, 3), "LAB"),
    "ce_probs": ("nn.CrossEntropyLoss()", (4, 3), "PROB"),
    "ce_probs_w_smooth": ("nn.CrossEntropyLoss(weight=CW, label_smoothing=0.3, reduction='sum')", (4, 3), "PROB"),
    "ce_nd": ("nn.CrossEntropyLoss(reduction='none')", (2, 3, 2), "LAB2"),
    "nll_none": ("nn.NLLLoss(reduction='none')", (4, 3), "LAB"),
    "nll_w_mean": ("nn.NLLLoss(weight=CW)", (4, 3), "LAB"),
    "nll_ignore_sum": ("nn.NLLLoss(ignore_index=0, reduction='sum')", (4, 3), "LAB"),
    "bce_pw": ("nn.BCEWithLogitsLoss(pos_weight=PW)", (4, 3), "B01"),
    "bce_w_pw_none": ("nn.BCEWithLogitsLoss(weight=BW, pos_weight=PW, reduction='none')", (4, 3), "B01"),
    "bce_sum": ("nn.BCEWithLogitsLoss(reduction='sum')", (4, 3), "B01"),
    "smoothl1_beta": ("nn.SmoothL1Loss(beta=0.5, reduction='mean')", (4, 3), "Y"),
    "smoothl1_none": ("nn.SmoothL1Loss(beta=2.0)", (4, 3), "Y"),
    "smoothl1_sum": ("nn.SmoothL1Loss(reduction='sum')", (4, 3), "Y"),
    "huber": ("nn.HuberLoss(delta=0.5)", (4, 3), "Y"),
    "huber_none": ("nn.HuberLoss(reduction='none', delta=1.5)", (4, 3), "Y"),
    "kldiv": ("nn.KLDivLoss(reduction='sum')", (4, 3), "PROB"),
    "kldiv_mean": ("nn.KLDivLoss(reduction='mean')", (4, 3), "PROB"),
    "kldiv_bm": ("nn.KLDivLoss(reduction='batchmean')", (4, 3), "PROB"),
    "kldiv_none": ("nn.KLDivLoss(reduction='none')", (4, 3), "PROB"),
    "margin_rank": ("nn.MarginRankingLoss(margin=0.3)", (4,), "X2S"),
    "margin_rank_none": ("nn.MarginRankingLoss(margin=-0.2, reduction='none')", (4,), "X2S"),
    "cos_emb": ("nn.CosineEmbeddingLoss(margin=0.1)", (4, 3), "X2C"),
    "cos_emb_sum": ("nn.CosineEmbeddingLoss(margin=-0.3, reduction='sum')", (4, 3), "X2C"),
    "mlsm": ("nn.MultiLabelSoftMarginLoss()", (4, 3), "B01"),
    "mlsm_w_none": ("nn.MultiLabelSoftMarginLoss(weight=CW, reduction='none')", (4, 3), "B01"),
    "ctc": ("nn.CTCLoss(blank=0, reduction='mean')", (5, 2, 4), "CTC"),
    "ctc_none": ("nn.CTCLoss(blank=0, reduction='none', zero_infinity=True)", (5, 2, 4), "CTC"),
}
_TARGETS = {  # the target's binding and the call
    "LAB": (["LAB = Tensor([0, 2, 1, 2], ms.int32)"], "loss_fn(x, LAB)"),
    "LAB2": (["LAB = Tensor([[0, 2], [1, 1]], ms.int32)"], "loss_fn(x, LAB)"),
    "PROB": (["PROB = ops.softmax(T('float32', (4, 3), 77, 'normal'), -1)"], "loss_fn(x, PROB)"),
    "B01": (["B01 = Tensor([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0.5, 0, 1]], ms.float32)"], "loss_fn(x, B01)"),
    "Y": (["Y = T('float32', (4, 3), 78, 'normal')"], "loss_fn(x, Y)"),
    "X2S": (["X2 = T('float32', (4,), 79, 'normal')", "SG = Tensor([1, -1, 1, -1], ms.float32)"], "loss_fn(x, X2, SG)"),
    "X2C": (["X2 = T('float32', (4, 3), 80, 'normal')", "SG = Tensor([1, -1, -1, 1], ms.int32)"], "loss_fn(x, X2, SG)"),
    "CTC": (["TGT = Tensor([[1, 2], [3, 3]], ms.int32)", "IL = Tensor([5, 4], ms.int32)", "TL = Tensor([2, 2], ms.int32)"],
            "loss_fn(ops.log_softmax(x, -1), TGT, IL, TL)"),
}


def loss24(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_LOSS24))
    cell, shape, target = _LOSS24[name]
    ft = "float32"
    d.tensor(ft, shape, r.choice(["normal", "normal", "halves"]))
    binds, call = _TARGETS[target]
    if name.startswith("kldiv"):
        call = "loss_fn(ops.log_softmax(x, -1), PROB)"
    pre = ["CW = Tensor([0.5, 2.0, 1.0], ms.float32)", "BW = Tensor([1.0, 0.5, 2.0], ms.float32)",
           "PW = Tensor([3.0, 0.5, 1.5], ms.float32)", *binds, f"loss_fn = {cell}", "def g(x):", f"    return {call}",
           *_LOSS]
    api, body = _single_api(r, d, ft, shape, second=r.random() < 0.4)
    return f"loss24.{name}.{api}", body, pre


# ----------------------------------------------------------------------------------------- dtypes
_DTYPE24 = {  # name: (x's dtype, y's dtype, g(x, y)) - y is an input too; grad over both positions
    "f16_exp": ("float16", "float16", "ops.exp(x * 0.5) * y"),
    "f16_matmul": ("float16", "float16", "ops.matmul(x, y.T)"),
    "f16_softmax": ("float16", "float16", "ops.softmax(x, -1) * y"),
    "f16_mean": ("float16", "float16", "ops.mean(x * y, -1)"),
    "f16_f32": ("float16", "float32", "x * y"),
    "f16_f32_add": ("float16", "float32", "ops.sin(x) + y * y"),
    "f32_f64": ("float32", "float64", "x * y + ops.cos(x)"),
    "f64_f16": ("float64", "float16", "ops.div(x, ops.abs(y) + 1)"),
    "f64_tanh": ("float64", "float64", "ops.tanh(x) * ops.exp(y * 0.3)"),
    "f32_i32": ("float32", "int32", "x * y"),
    "i32_f32": ("int32", "float32", "x * y + y"),
    "f16_i32": ("float16", "int32", "x + y"),
    "f64_i32_div": ("float64", "int32", "x / (ops.abs(y) + 1)"),
    "i32_i32": ("int32", "int32", "x * y"),
    "f32_bool": ("float32", "bool", "x * y"),
    "bool_f32_where": ("bool", "float32", "ops.where(x, y, y * y)"),
    "f32_f16_where": ("float32", "float16", "ops.where(x > 0, x, y)"),
    "f32_f64_maximum": ("float32", "float64", "ops.maximum(x, y)"),
    "f16_f64_minimum": ("float16", "float64", "ops.minimum(x, y) * 2"),
    "f32_mask_fill": ("float32", "bool", "ops.masked_fill(x, y, 0.5) * x"),
    "f16_scalar": ("float16", "float32", "x * 2.5 + 1 + y"),
    "f32_i32_pow": ("float32", "int32", "ops.pow(x, ops.abs(y))"),
    "f16_f32_atan2": ("float16", "float32", "ops.atan2(x, y)"),
    "f64_f32_cat": ("float64", "float32", "ops.cat([x, ops.cast(y, x.dtype)]) * 2"),
    "f32_i32_cast": ("float32", "int32", "ops.cast(x, ms.float16) * ops.cast(y, ms.float16)"),
}


def dtype24(d: gen.Draw):
    r = d.rng
    name = r.choice(sorted(_DTYPE24))
    xt, yt, expr = _DTYPE24[name]
    d.tensor(xt, (2, 3), "ints" if xt == "int32" else r.choice(["normal", "halves"]))
    d.tensor(yt, (2, 3), "ints" if yt == "int32" else "normal")
    pre = ["def g(x, y):", f"    return {expr}",
           "def h(x, y):", "    z = g(x, y)", "    return (z * z).sum() * 0.5 + ops.sin(z).sum()"]
    api = r.choice(["grad01", "grad0", "grad1", "vg01", "grad_op_all", "jit_grad01", "vjp"])
    body = {"grad01": ["return ops.grad(h, (0, 1))(a0, a1)"], "grad0": ["return ops.grad(h, 0)(a0, a1)"],
            "grad1": ["return ops.grad(h, 1)(a0, a1)"], "vg01": ["return ops.value_and_grad(h, (0, 1))(a0, a1)"],
            "grad_op_all": ["return ops.GradOperation(get_all=True)(h)(a0, a1)"],
            "jit_grad01": ["return ms.jit(ops.grad(h, (0, 1)))(a0, a1)"],
            "vjp": ["out, fn = ops.vjp(g, a0, a1)", "return out, fn(ops.ones_like(out) * 1.5)"]}[api]
    return f"dtype24.{name}.{api}", body, pre


FORMS = [(optim24, 22), (layer24, 30), (loss24, 26), (dtype24, 22)]


def form_program(rng: random.Random, form) -> dict:
    api, src, _ = gen.form_source(rng, form)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": "value"}


def programs24(seed: int, count: int, available) -> list[dict]:
    """count programs, each twice: PyNative, then GRAPH_MODE (`context`; names end in @pynative / @graph)."""
    return [{**p, "name": f"{p['name']}@{ctx}", "context": ctx}
            for p in gen.form_programs("r24", form_program, FORMS, seed, count) for ctx in CONTEXTS]
