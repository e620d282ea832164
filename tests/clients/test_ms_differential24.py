"""Round 24 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 24 (every program in PyNative AND
GRAPH_MODE: optimizers' first two steps, nn layers in training mode with weight gradients and moving statistics,
loss Cells with reductions / weights / label smoothing / ignore_index, float16 / float64 / int / bool inputs in grad
positions and mixed-dtype promotion), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK. The
harness's own check and a test per difference judged. Each test says where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import in_mode as _in_mode, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen24 as gen24  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round24_programs_are_reproducible_compile_and_draw_every_form_in_both_modes():
    progs = _ms_rounds.checked_programs(
        gen24.programs24, 24, forms={"optim24", "layer24", "loss24", "dtype24"}, modes={"value"},
        spellings=("nn.SGD(params, learning_rate=0.1, momentum=0.9, nesterov=True)", "use_amsgrad=True",
                   "nn.AdamWeightDecay(", "nn.RMSProp(params, learning_rate=0.05, decay=0.8", "nn.FTRL(", "nn.Lamb(",
                   "nn.Adagrad(", "nn.BatchNorm2d(2, momentum=0.6)", "net.get_parameters()", "nn.GroupNorm(",
                   "group=2", "output_padding=1", "ceil_mode=True", "count_include_pad=True",
                   "nn.LSTM(3, 2, num_layers=2, bidirectional=True)", "(H0, C0)", "nn.MultiheadAttention(",
                   "padding_idx=1", "activation='tanh'", "label_smoothing=0.2", "ignore_index=1", "pos_weight=PW",
                   "nn.SmoothL1Loss(beta=0.5", "nn.KLDivLoss(", "nn.CTCLoss(", "nn.CosineEmbeddingLoss(",
                   "nn.MultiLabelSoftMarginLoss(", "T('float16'", "T('float64'", "T('int32'", "T('bool'",
                   "ops.grad(h, (0, 1))(a0, a1)"))
    assert {p["context"] for p in progs} == {"pynative", "graph"}
    assert [p["name"].rsplit("@", 1)[0] for p in progs[::2]] == [p["name"].rsplit("@", 1)[0] for p in progs[1::2]]
