"""Round 18 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 18 (composite nn layers with
options under second / third order, kinks under higher order, GradOperation(sens_param) on nested outputs, a
Parameter shared by two Cells, vjp of jvp / jvp of vjp, vmap with None / negative axes around a gradient, the
gradient's dtype for float16 / float64 / int64 / complex64 inputs), run as the same text in MindSpore 2.10 CPU
(/work/msvenv) and in the SDK. The harness's own check and a regression test per wrong answer found. Each test says
where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen18 as gen18  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round18_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(gen18.programs18, 18,
                                forms={"layer18", "kinkhigh18", "gradapi18", "vmap18", "dtype18"},
                                modes={"value", "jvp", "vjp", "jit_grad", "sens", "grad_grad", "grad3", "hessian",
                                       "jvp_grad"},
                                spellings=("ceil_mode=True", "count_include_pad=False", "group=2", "dilation=2",
                                           "pad_mode='same'", "nn.GroupNorm(", "begin_norm_axis=-2", "nn.Dropout(p=0.0)",
                                           "net.set_train(True)", "sens_param=True", "Half(w), Half(w)",
                                           "in_axes=(-1, None)", "out_axes=-1", "'complex64'", "'float16'", "'int64'",
                                           "ops.jvp(", "ops.vjp("))


# ----------------------------------------------------------------------------------------- wrong answers fixed
_X = np.array([[-2., 1.], [-1., 2.], [0., 3.]], np.float32)
_Y = np.array([1., 10.], np.float32)


def test_a_sum_of_x_times_x_times_a_broadcast_row(mindspore_is_gradserve):
    """sum(x * x * y, axis) with y broadcast over x's rows: the engine's contract pass dropped both copies of x
    from the rest of the product (one was A), summing x * y: vmap(inner, in_axes=(-1, None)) gave [8, 19, 30] and
    y's gradient [-4, 14] (silently). Expected: MindSpore 2.10.0 CPU, run by hand (/work/ms_suite_fuzz18/p_sumsq.py;
    round 18's program r18:118:69 first)."""
    from mindspore import Tensor, ops
    x, y = Tensor(_X), Tensor(_Y)

    def inner(a, b):
        return (a * a * b).sum()
    np.testing.assert_array_equal(ops.vmap(inner, in_axes=(-1, None))(Tensor(_X.T.copy()), y).asnumpy(), [14, 41, 90])
    np.testing.assert_array_equal(ops.vmap(inner, in_axes=(0, None))(x, y).asnumpy(), [14, 41, 90])
    np.testing.assert_array_equal(ops.sum(x * y * x, 1).asnumpy(), [14, 41, 90])
    gx, gy = ops.grad(lambda a, b: (ops.sum(a * a * b, 1) * Tensor(np.array([1., 2., 3.], np.float32))).sum(),
                      (0, 1))(x, y)
    np.testing.assert_array_equal(gx.asnumpy(), [[-4, 20], [-4, 80], [0, 180]])
    np.testing.assert_array_equal(gy.asnumpy(), [6, 36])
    per = ops.vmap(ops.grad(inner, (0, 1)), in_axes=(0, None))(x, y)
    np.testing.assert_array_equal(per[0].asnumpy(), [[-4, 20], [-2, 40], [0, 60]])
    np.testing.assert_array_equal(per[1].asnumpy(), [[4, 1], [1, 4], [0, 9]])
