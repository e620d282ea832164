"""Round 20 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 20 (piecewise and special-cased
gradients: abs / sign / relu family / clamp / hardtanh / shrink / maximum / minimum with ties / max / sort / topk /
median / cummax / cummin with ties, pow with a zero base or integer exponents, sqrt / rsqrt / log near 0, atan2 at the
origin, div by a stop_gradient, at second and third order and under jvp; grad of jvp, vjp of grad, jvp of jvp; tied
Parameters through get_by_list, broadcast sens, repeated grad positions, has_aux under an outer grad; custom bprop
and HookBackward under higher order), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK. The
harness's own check and a regression test per wrong answer found. Each test says where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen20 as gen20  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round20_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(
        gen20.programs20, 20, forms={"kink20", "nest20", "tied20", "hook20"},
        modes={"value", "jvp", "vjp", "grad_grad", "grad3", "hessian", "jvp_grad", "jacfwd", "sens"},
        spellings=("ops.hardtanh(", "ops.clamp(", "ops.sort(", "ops.topk(", "ops.median(", "ops.cummax(", "ops.atan2(",
                   "ops.stop_gradient(", "ops.pow(", "ops.rsqrt(", "ops.jvp(inner, (x, y)", "ops.vjp(h, a0, a1)",
                   "ms.ParameterTuple([net.p, net.q, net.p])", "sens_param=True", "has_aux=True", "return_ids=True",
                   "def bprop(self, x, y, out, dout)", "ops.HookBackward(", "'halves'", "'ints'"))


# ----------------------------------------------------------------------------------------- wrong answers fixed
_X = np.array([1.0, 0.0, 3.0], np.float32)
_Y = np.array([0.5, 1.5, -1.0], np.float32)


def _inner(x, y):
    from mindspore import ops
    return (x * x * y).sum(), ops.relu(x) * y


def _first(aux):
    return aux[0] if isinstance(aux, tuple) else aux


def _through_grad(x, y):
    from mindspore import ops
    g, aux = ops.grad(_inner, 0, has_aux=True)(x, y)
    return (g * _first(aux)).sum()


def _through_value_and_grad(x, y):
    from mindspore import ops
    (v, aux), g = ops.value_and_grad(_inner, 0, has_aux=True)(x, y)
    return (g * _first(aux)).sum() + v


def _through_vjp(x, y):
    from mindspore import Tensor, ops
    out, fn, aux = ops.vjp(_inner, x, y, has_aux=True)
    return (fn(Tensor(1.0))[0] * _first(aux)).sum() + out


def _through_jvp(x, y):
    from mindspore import ops
    _, t, aux = ops.jvp(lambda a, b: (a * a * b, ops.relu(a) * b), (x, y), (y, x), has_aux=True)
    return (t * _first(aux)).sum()


@pytest.mark.parametrize("through, want", [
    # MindSpore 2.10.0 CPU (/work/ms_suite_fuzz20/p_aux2.py), as the closed forms: sum(2 x y relu(x) y) -> 4 x y^2, 4 x^2 y
    (_through_grad, ([1., 0., 12.], [2., 0., -36.])),
    # sum(2 x y relu(x) y) + sum(x^2 y): MindSpore 2.10.0 CPU, as the closed form
    (_through_value_and_grad, ([2., 0., 6.], [3., 0., -27.])),
    (_through_vjp, ([2., 0., 6.], [3., 0., -27.])),
    # sum((2 x y^2 + x^3) relu(x) y): the closed form 4 x y^3 + 4 x^3 y, 6 x^2 y^2 + x^4 (MindSpore 2.10 gives
    # [2, 0, -93] / [2, 0, 117]: it holds the tangents (y, x) constant; with the aux stopped ours was [1.75, 0, -87])
    (_through_jvp, ([2.5, 0., -120.], [2.5, 0., 135.])),
])
def test_an_outer_grad_differentiates_has_aux_outputs(mindspore_is_gradserve, through, want):
    """has_aux's outputs were stop_gradient-ed, so an outer gradient lost their part: grad of sum(g * aux) gave
    [0.5, 0, 6] / [1, 0, -18] for MindSpore's [1, 0, 12] / [2, 0, -36] (silently; round 20's r20:2:34)."""
    from mindspore import Tensor, ops
    got = ops.grad(through, (0, 1))(Tensor(_X), Tensor(_Y))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-5)


@pytest.mark.parametrize("through, want", [
    # MindSpore 2.10.0 CPU, GRAPH_MODE: grad / value_and_grad stop their aux there (d/dx sum(2 x y * aux) with
    # aux = relu(x) y held: 2 y relu(x) y = [0.5, 0, 6]); vjp and jvp differentiate it as in PyNative
    (_through_grad, ([0.5, 0., 6.], [1., 0., -18.])),
    (_through_value_and_grad, ([1.5, 0., 0.], [2., 0., -9.])),
    (_through_vjp, ([2., 0., 6.], [3., 0., -27.])),
    (_through_jvp, ([2.5, 0., -120.], [2.5, 0., 135.])),
])
def test_graph_mode_grad_stops_has_aux_outputs(mindspore_is_gradserve, through, want):
    """GRAPH_MODE's grad / value_and_grad stop has_aux's outputs for an outer derivative (MindSpore 2.10), where
    PyNative differentiates them (the test above): the answer follows the mode."""
    import mindspore as ms
    from mindspore import Tensor, ops
    mode = ms.get_context("mode")
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        got = ops.grad(through, (0, 1))(Tensor(_X), Tensor(_Y))
    finally:
        ms.set_context(mode=mode)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-5)


def test_has_aux_outputs_still_give_no_gradient_of_their_own(mindspore_is_gradserve):
    """First order: aux = sqrt(x) y at x = 0 (an inf derivative) neither adds to nor NaNs the gradient (MindSpore
    2.10.0 CPU: (2 x y, x^2) = [1, 0, -6] / [1, 0, 9], aux [0.5, 0, -1.7320508])."""
    from mindspore import Tensor, ops
    (gx, gy), aux = ops.grad(lambda x, y: ((x * x * y).sum(), ops.sqrt(x) * y), (0, 1), has_aux=True)(
        Tensor(_X), Tensor(_Y))
    np.testing.assert_allclose(gx.asnumpy(), [1., 0., -6.])
    np.testing.assert_allclose(gy.asnumpy(), [1., 0., 9.])
    np.testing.assert_allclose(_first(aux).asnumpy(), [0.5, 0., -1.7320508], rtol=1e-6)


# ----------------------------------------------------------------------------------------- refusals as MindSpore's
@pytest.mark.parametrize("api", ["grad", "value_and_grad", "jacfwd"])
def test_repeated_grad_positions_refused_as_mindspore_does(mindspore_is_gradserve, api):
    """MindSpore 2.10.0 CPU: ValueError "There are duplicate positions in `grad_position`, please check it" for
    grad_position (0, 0) / (1, 0, 1) (/work/ms_suite_fuzz20/p_dup.py); ours was the server's RuntimeError
    (DifferentiationError "grad_position 0 repeated"; round 20's tied20.pos_repeat)."""
    from mindspore import Tensor, ops
    x = Tensor(np.array([1.0, 2.0], np.float32))
    with pytest.raises(ValueError, match="There are duplicate positions in `grad_position`, please check it"):
        getattr(ops, api)(lambda a, b: (a * b).sum(), (1, 0, 1))(x, x)
