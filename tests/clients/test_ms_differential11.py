"""Round 11 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 11 (advanced indexing and item
assignment with repeated / negative indices, shape ops, activations with parameters and their kinks, ties of max /
sort / topk, losses with reduction / weight / ignore_index / label smoothing, pooling / conv / norm options, first and
higher order), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK, beside probes by hand. The
harness's own checks and a regression test per wrong answer found. Expected values: MindSpore 2.10.0 CPU runs by hand
(written down here), torch 2.13 float64, or closed forms (each test says which)."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen11 as gen11  # noqa: E402
from clients import _ms_rounds  # noqa: E402

LOGITS = np.array([[0.5, 1.0, -2.0], [0.0, 0.5, 0.5]], np.float32)


# ----------------------------------------------------------------------------------------- the harness
def test_round11_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(gen11.programs11, 11,
        forms={"getitem11", "setitem11", "shape11", "act11", "kink11", "loss11", "pool11", "nc11"},
        modes={"grad", "jvp", "jit_grad", "grad_grad", "jvp_grad", "hessian", "jacrev", "jacfwd"},
        spellings=("ms.int32)", "ms.int64)", "ignore_index=", "label_smoothing=0.1", "log_target=", "ceil_mode=True",
                   "count_include_pad=False", "divisor_override=3", "training=False", "'halves'", "+=", "None, ..."))


# ----------------------------------------------------------------------------------------- wrong answers fixed
@pytest.mark.parametrize("spelling", ["ops.cross_entropy", "ops.nll_loss", "nn.CrossEntropyLoss", "nn.NLLLoss",
                                      "mint_nll_loss", "smoothed"])
def test_a_mean_loss_with_every_target_ignored_has_a_zero_gradient(mindspore_is_gradserve, spelling):
    """Every target equal to ignore_index: the value 0 / 0 is NaN, and cross_entropy's / CrossEntropyLoss's gradient
    was NaN everywhere (0 * inf of differentiating the quotient; the nll_loss spellings gave 0 already and share the
    helper now). Expected: MindSpore 2.10.0 CPU, run by hand (each spelling): value NaN, gradient all 0 (torch 2.13
    too: its kernels skip ignored rows)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops
    from mindspore.mint.nn import functional as F
    target = Tensor([1, 1], ms.int32)
    weight = Tensor([0.5, 2.0, 1.0], ms.float32)
    loss = {"ops.cross_entropy": lambda x: ops.cross_entropy(x, target, None, 1, "mean", 0.0),
            "ops.nll_loss": lambda x: ops.nll_loss(x, target, None, 1, "mean", 0.0),
            "nn.CrossEntropyLoss": lambda x: nn.CrossEntropyLoss(ignore_index=1)(x, target),
            "nn.NLLLoss": lambda x: nn.NLLLoss(ignore_index=1)(x, target),
            "mint_nll_loss": lambda x: F.nll_loss(x, target, None, 1, "mean"),
            "smoothed": lambda x: ops.cross_entropy(x, target, weight, 1, "mean", 0.2)}[spelling]
    value, grad = ops.value_and_grad(loss)(Tensor(LOGITS))
    assert np.isnan(value.asnumpy())
    np.testing.assert_array_equal(grad.asnumpy(), np.zeros((2, 3), np.float32))


def test_a_mean_loss_with_some_targets_ignored_keeps_its_gradient(mindspore_is_gradserve):
    """The rows counted keep the weighted mean's gradient. Expected: MindSpore 2.10.0 CPU, run by hand:
    cross_entropy(LOGITS, [1, 2], ignore_index=1) = 0.9580, gradient [[0, 0, 0], [0.2119, 0.3494, -0.5613]] (the
    closed form softmax(row 1) - onehot(2))."""
    import mindspore as ms
    from mindspore import Tensor, ops
    value, grad = ops.value_and_grad(lambda x: ops.cross_entropy(x, Tensor([1, 2], ms.int32), None, 1, "mean"))(
        Tensor(LOGITS))
    row = np.exp(LOGITS[1]) / np.exp(LOGITS[1]).sum()
    np.testing.assert_allclose(value.asnumpy(), -np.log(row[2]), rtol=1e-5)
    np.testing.assert_allclose(value.asnumpy(), 0.9580, atol=1e-4)
    np.testing.assert_allclose(grad.asnumpy(), [[0, 0, 0], row - [0, 0, 1]], atol=1e-6)


def test_binary_cross_entropy_gradient_at_probabilities_0_and_1_is_mindsporess(mindspore_is_gradserve):
    """p = clamp(x, 0, 1) hits 0 and 1 exactly. The gradient for p was the clamped logs' -y / p + (1 - y) / (1 - p):
    -1 at p = y = 1 (MindSpore and torch: 0) and 0 at p = 0, y = 1 (they: -1e12). Expected: MindSpore 2.10.0 CPU,
    run by hand, and torch 2.13 float64: d/dx sum(bce(clamp(x, 0, 1), y, reduction='none')) for x = [[0.5, 1, -2],
    [0, 0.5, 0.5]], y = [[0, 1, 0.5], [1, 0, 0.8]] = [[2, 0, 0], [-1e12, 2, -1.2]] (rule (p - y) / max(p (1 - p),
    1e-12), clamp's gradient 1 at its bounds, 0 outside); values [[0.6931, 0, 13.8155], [27.631, 0.6931, 0.6931]]
    (logs of at least 1e-12)."""
    from mindspore import Tensor, ops
    y = Tensor(np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.8]], np.float32))

    def loss(x):
        return ops.binary_cross_entropy(ops.clamp(x, 0.0, 1.0), y, None, "none")
    values = loss(Tensor(LOGITS)).asnumpy()
    np.testing.assert_allclose(values, [[0.6931, 0, 13.8155], [27.631, 0.6931, 0.6931]], atol=1e-3)
    grad = ops.grad(lambda x: loss(x).sum())(Tensor(LOGITS)).asnumpy()
    np.testing.assert_allclose(grad, [[2, 0, 0], [-1e12, 2, -1.2]], rtol=1e-5)
    # inside (0, 1) the rule is the value's derivative: a sigmoid's probabilities, the closed form (p - y) / n
    x = Tensor(LOGITS)
    g = ops.grad(lambda x: ops.binary_cross_entropy(ops.sigmoid(x), y))(x).asnumpy()
    p = 1 / (1 + np.exp(-LOGITS.astype(np.float64)))
    np.testing.assert_allclose(g, (p - y.asnumpy()) / 6, rtol=1e-5)


@pytest.mark.parametrize("spelling", ["ops.celu", "nn.CELU", "ops.selu"])
def test_celu_and_selu_gradients_of_large_float16_inputs_are_finite(mindspore_is_gradserve, spelling):
    """expm1 of the exponential branch was taken of every input, then thrown away by the select for x >= 0: float16
    expm1(30) overflows, and the backward's 0 * inf made the gradient NaN (nn.CELU(0.1) at [3, 4] float16: [nan, nan]
    for MindSpore's [1, 1] times the weights). Expected: the closed form (the linear branch's derivative 1, times
    selu's scale 1.0507 = MindSpore 2.10.0 CPU's float16 1.0508), for x = [3, 4, 12] float16."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops
    fn = {"ops.celu": lambda x: ops.celu(x, 0.1), "nn.CELU": lambda x: nn.CELU(0.1)(x), "ops.selu": ops.selu}[spelling]
    x = Tensor(np.array([3.0, 4.0, 12.0], np.float16))
    grad = ops.grad(lambda x: fn(x).sum())(x).asnumpy()
    slope = 1.0507 if spelling == "ops.selu" else 1.0
    np.testing.assert_allclose(grad.astype(np.float64), [slope] * 3, rtol=1e-3)
    # the exponential branch keeps its derivative: alpha * exp(x / alpha) / alpha at x = -0.5, alpha 0.1 -> exp(-5)
    if spelling == "ops.celu":
        g = ops.grad(lambda x: ops.celu(x, 0.1).sum())(Tensor(np.array([-0.5], np.float32))).asnumpy()
        np.testing.assert_allclose(g, [np.exp(-5.0)], rtol=1e-5)
    assert ms.float16 == x.dtype


def test_adaptive_max_pool_gives_a_tied_windows_gradient_to_its_first_maximum(mindspore_is_gradserve):
    """adaptive_max_pool1d / 2d split a window's gradient among tied maxima (amax's rule): 0.5 where MindSpore gives 1
    (s113:102, jacrev). Expected: MindSpore 2.10.0 CPU, run by hand: for x below, adaptive_max_pool2d(x, (2, 2))'s
    indices [[1, 2], [4, 6]] (the first maximum of each window, row-major) and the gradient of its sum
    [[0, 1, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]]; adaptive_max_pool1d([1, 2, 2, 0, 2, 2], 2): [0, 1, 0, 0, 1, 0]."""
    from mindspore import Tensor, ops
    x = Tensor(np.array([[[[1, 2, 2, 0], [2, 1, 2, 2], [0, 2, 1, 0]]]], np.float32))
    grad = ops.grad(lambda x: ops.adaptive_max_pool2d(x, (2, 2)).sum())(x).asnumpy()
    np.testing.assert_array_equal(grad[0, 0], [[0, 1, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    y = Tensor(np.array([[[1, 2, 2, 0, 2, 2]]], np.float32))
    values, where = ops.adaptive_max_pool1d(y, 2, True) if _takes_indices() else (None, None)
    grad1 = ops.grad(lambda y: ops.adaptive_max_pool1d(y, 2).sum())(y).asnumpy()
    np.testing.assert_array_equal(grad1[0, 0], [0, 1, 0, 0, 1, 0])
    if where is not None:
        np.testing.assert_array_equal(where.asnumpy()[0, 0], [1, 4])
        np.testing.assert_array_equal(values.asnumpy()[0, 0], [2, 2])


def _takes_indices() -> bool:
    """The SDK's adaptive_max_pool1d takes return_indices (MindSpore 2.10's takes two arguments only)."""
    import inspect
    from mindspore import ops
    return "return_indices" in inspect.signature(ops.adaptive_max_pool1d).parameters
