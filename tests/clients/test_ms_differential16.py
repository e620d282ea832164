"""Round 16 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 16 (networks of nn layers with
options ending in a loss Cell, RNN / GRU / LSTM layers and cells, losses with weights / ignore_index / reductions,
control flow under @ms.jit with continue / nested loops / return in a loop / a gradient in a loop, duplicate-index
writes, has_aux + weights + grad_position together, jvp / vjp of tuples), run as the same text in MindSpore 2.10 CPU
(/work/msvenv) and in the SDK. The harness's own check and a regression test per wrong answer found. Each test says
where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen16 as gen16  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round16_programs_are_reproducible_compile_and_draw_every_form():
    progs = _ms_rounds.checked_programs(gen16.programs16, 16,
                                        forms={"net16", "rnn16", "loss16", "flow16", "index16", "api16"},
                                        modes={"value", "jvp", "vjp", "jit_grad", "sens", "grad_grad", "grad3",
                                               "by_list", "layer_grad_grad"},
                                        spellings=("continue", "ops.grad(inner)", "ceil_mode=True", "count_include_pad=",
                                                   "bidirectional=True", "batch_first=True", "ignore_index=",
                                                   "accumulate=True", "has_aux=True", "nn.GRUCell", "group=",
                                                   "pad_mode='same'", "Conv2dTranspose", "@ms.jit"))
    assert {p["kind"] for p in progs} == {"op", "layer"}


# ----------------------------------------------------------------------------------------- wrong answers fixed
def _ce_inputs():
    """The probe's draws (RandomState(3)): logits (2, 3, 3) and (2, 3, 2, 2), class probabilities over axis 1."""
    rs = np.random.RandomState(3)
    x, x4, p = rs.standard_normal((2, 3, 3)), rs.standard_normal((2, 3, 2, 2)), rs.standard_normal((2, 3, 3))
    p = np.exp(p.astype(np.float32)) / np.exp(p.astype(np.float32)).sum(1, keepdims=True)
    return x.astype(np.float32), x4.astype(np.float32), p.astype(np.float32)


def test_cross_entropy_takes_axis_1_as_the_class_axis_of_nd_logits(mindspore_is_gradserve):
    """nn.CrossEntropyLoss / ops.cross_entropy of (N, C, d1, ...) logits: the class axis is 1. It was taken as the
    last one: (2, 3, 3) logits against (2, 3) labels gave 1.0814 for MindSpore's 0.6994 (silently: C == d1), and
    (2, 3, 2, 2) refused with a ShapeError. Expected: MindSpore 2.10.0 CPU, run by hand
    (/work/ms_suite_fuzz16/probe/t_ce.py)."""
    from mindspore import Tensor, nn, ops
    xa, x4a, pa = _ce_inputs()
    x, x4, prob = Tensor(xa), Tensor(x4a), Tensor(pa)
    lab = Tensor(np.array([[0, 2, 1], [1, 1, 0]], np.int32))
    lab4 = Tensor(np.array([[[0, 2], [1, 1]], [[2, 0], [1, 2]]], np.int32))
    cw = Tensor(np.array([0.5, 2.0, 1.0], np.float32))
    v, g = ops.value_and_grad(lambda z: nn.CrossEntropyLoss(cw, ignore_index=1)(z, lab))(x)
    assert float(v) == pytest.approx(0.9816216, rel=1e-5)
    np.testing.assert_allclose(g.asnumpy()[0, :, 1], [0.272484, 0.133444, -0.405927], atol=2e-6)
    np.testing.assert_allclose(g.asnumpy()[1, :, 2], [-0.085742, 0.071297, 0.014445], atol=2e-6)
    assert not g.asnumpy()[:, :, 2][0].any() and not g.asnumpy()[1, :, :2].any()  # label 1 ignored
    v, g = ops.value_and_grad(lambda z: nn.CrossEntropyLoss(label_smoothing=0.3)(z, lab))(x)
    assert float(v) == pytest.approx(0.94163996, rel=1e-5)
    np.testing.assert_allclose(g.asnumpy()[0, 0], [0.007928, 0.074161, 0.049843], atol=2e-6)
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction="none")(x, lab).asnumpy(),
                               [[0.165386, 1.67054, 1.369909], [0.427495, 0.142813, 0.420021]], rtol=1e-5)
    v, g = ops.value_and_grad(lambda z: ops.cross_entropy(z, prob))(x)  # probabilities: mean over N * d1 rows
    assert float(v) == pytest.approx(1.4831023, rel=1e-5)
    np.testing.assert_allclose(g.asnumpy()[1, 1], [0.002208, 0.130529, -0.022559], atol=2e-6)
    np.testing.assert_allclose(ops.cross_entropy(x, prob, reduction="none").asnumpy(),
                               [[1.800175, 1.425963, 1.115033], [0.916445, 2.805313, 0.835685]], rtol=1e-5)
    v, g = ops.value_and_grad(lambda z: ops.cross_entropy(z, lab4, cw, reduction="sum"))(x4)
    assert float(v) == pytest.approx(9.509013, rel=1e-5)
    np.testing.assert_allclose(g.asnumpy()[0, 1], [[0.246667, 0.516901], [-1.363354, -1.5329]], atol=3e-6)


def test_multi_margin_loss_takes_int64_targets_only(mindspore_is_gradserve):
    """MindSpore 2.10.0 CPU (run by hand, /work/ms_suite_fuzz16/p_mm.py) refuses an int32 / int16 / uint8 target in
    ops.multi_margin_loss, nn.MultiMarginLoss and ops.MultiMarginLoss with this TypeError; ours answered. An int64
    target gives 0.51666665 (MindSpore's value for these scores and [2, 0])."""
    from mindspore import Tensor, nn, ops
    x = Tensor(np.array([[0.3, -1.2, 0.5], [0.7, 2.0, -0.4]], np.float32))
    for dt in (np.int32, np.int16, np.uint8):
        t = Tensor(np.array([2, 0], dt))
        for call in (lambda: ops.multi_margin_loss(x, t), lambda: nn.MultiMarginLoss()(x, t),
                     lambda: ops.MultiMarginLoss()(x, t)):
            with pytest.raises(TypeError, match=r"For primitive\[MultiMarginLoss\], the input argument\[target\] must be "
                                                r"a type of \{Tensor\[Int64\]\}, but got Tensor\["):
                call()
    assert float(ops.multi_margin_loss(x, Tensor(np.array([2, 0], np.int64)))) == pytest.approx(0.51666665, rel=1e-6)
