"""Round 13 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 13 (complex gradients, integer /
bool tensors in float graphs, empty broadcasting, strided slicing, gather / scatter with duplicate indices, NaN
branches of where / masked_fill, multi-axis reductions, interpolate, embedding, conv / pad options, layers in eval /
train; first and higher order), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK, beside
probes by hand. The harness's own check and a regression test per wrong answer found. Expected values: MindSpore
2.10.0 CPU runs by hand (written down here), torch 2.13 float64, or closed forms (each test says which)."""
import numpy as np

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen13 as gen13  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round13_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(gen13.programs13, 13,
        forms={"complex13", "mixed13", "empty13", "slice13", "scatter13", "nan13", "reduce13", "interp13", "embed13",
               "conv13", "layer13"},
        modes={"grad", "jvp", "vjp", "jit_grad", "grad_grad", "jvp_grad", "hessian", "jacrev", "jacfwd"},
        spellings=("'complex64'", "ops.complex(", "'uint8'", "'nans'", "ops.tensor_scatter_mul(", "padding_idx=",
                   "align_corners=True", "recompute_scale_factor=", "'reflect'", "set_train(False)", "::-"))


# ----------------------------------------------------------------------------------------- wrong answers fixed
def test_tensor_max_min_take_a_tuple_of_axes_positionally(mindspore_is_gradserve):
    """`x.max((0, 2), True)` (MindSpore's NumPy form, positional) raised a TypeError from int(); MindSpore 2.10.0
    CPU (run by hand) gives the values over both axes, and the gradient splits among tied maxima (amax's rule).
    Expected values: MindSpore 2.10.0 CPU runs by hand."""
    import mindspore as ms
    from mindspore import Tensor, ops
    z = Tensor(np.array([[[1., 1.], [0.5, 1.]], [[1., 0.], [1., 1.]]], np.float32), ms.float32)
    np.testing.assert_array_equal(z.max((0, 2), True).asnumpy(), [[[1.0], [1.0]]])
    np.testing.assert_array_equal(z.max([0, 1]).asnumpy(), [1.0, 1.0])
    np.testing.assert_array_equal(z.min((1, 2), False).asnumpy(), [0.5, 0.0])
    third = 1 / 3  # three tied maxima in each (axis 1) slice
    np.testing.assert_allclose(ops.grad(lambda t: t.max((0, 2), True).sum())(z).asnumpy(),
                               [[[third, third], [0, third]], [[third, 0], [third, third]]], rtol=1e-6)
    np.testing.assert_array_equal(ops.grad(lambda t: t.min((1, 2)).sum())(z).asnumpy(),
                                  [[[0, 0], [1, 0]], [[0, 1], [0, 0]]])
    values, indices = z.max(1, True)  # one axis positionally: still (values, indices) in PyNative
    np.testing.assert_array_equal(indices.asnumpy(), [[[0, 0]], [[0, 1]]])


def test_pow_exponent_gradient_at_base_zero_and_negative_exponent_is_minus_inf(mindspore_is_gradserve):
    """d/dy 0 ** y = log(0) * 0 ** y: 0 for y >= 0 (the limit), and for y < 0 log(0) * inf = -inf. Ours took the
    limit 0 for every y and multiplied it by 0 ** y = inf: NaN. Expected: MindSpore 2.10.0 CPU, run by hand
    (ops.pow(0.0, x) at x = [0, 2, -1, -0.5]: [0, 0, -inf, -inf]; torch 2.13 the same); the second derivative at
    base 0 and y > 0 is 0 (0 ** y is 0 there: closed form; MindSpore gives NaN)."""
    from mindspore import Tensor, ops
    x = Tensor(np.array([0.0, 2.0, -1.0, -0.5], np.float32))
    np.testing.assert_array_equal(ops.grad(lambda t: ops.pow(0.0, t).sum())(x).asnumpy(), [0, 0, -np.inf, -np.inf])
    base = Tensor(np.array([0.0, 0.0, 3.0], np.float64))
    y = Tensor(np.array([2.0, 0.5, 1.0], np.float64))
    second = ops.grad(lambda t: ops.grad(lambda s: ops.pow(base, s).sum())(t).sum())(y).asnumpy()
    np.testing.assert_allclose(second, [0.0, 0.0, 3.0 * np.log(3.0) ** 2], rtol=1e-12)
    _, tangent = ops.jvp(lambda t: ops.pow(Tensor(np.array([0.0, 0.0, 3.0], np.float32)), t),
                         Tensor(np.array([2.0, -1.0, 1.0], np.float32)), Tensor(np.ones(3, np.float32)))
    np.testing.assert_allclose(tangent.asnumpy(), [0.0, -np.inf, 3 * np.log(3.0)], rtol=1e-6)
