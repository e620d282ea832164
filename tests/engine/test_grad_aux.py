"""grad's `aux`: the last `aux` flat outputs (has_aux's) are returned as values and given no cotangent, yet an
outer grad differentiates them (MindSpore 2.10's has_aux: before, the SDK stop_gradient-ed them, so the outer
gradient lost their part, e.g. half of it for grad(lambda x, y: sum(grad(f, has_aux)(x, y)[0] * aux))).
Expected values: NumPy float64 closed forms of the functions below."""
import numpy as np
import pytest

from engine import GraphBuilder, evaluate
from engine.errors import InvalidGraph

X = np.array([1.0, 0.0, 2.25])  # a 0: sqrt's derivative there is inf, and aux's gets no cotangent (no NaN)
U = np.array([0.5, 1.5, -1.0])


def _inner(name="inner"):
    """inner(x, u) = (sum(x^2 u), sqrt(x) u): the loss and one aux output."""
    gb = GraphBuilder(name)
    x, u = gb.input((3,), "float64", name="x"), gb.input((3,), "float64", name="u")
    return gb.build((gb.sum(gb.mul(gb.mul(x, x), u)), gb.mul(gb.sqrt(x), u)))


def _grad_aux(gb, xs, aux=1, sens=()):
    name = gb.function(_inner())
    return gb.emit("grad", list(xs) + list(sens), {"fn": name, "positions": (0, 1), "with_value": True,
                                                   "aux": aux, "sens": bool(sens)})


def test_aux_outputs_are_values_without_a_cotangent():
    gb = GraphBuilder("main")
    xs = [gb.input((3,), "float64", name=n) for n in ("x", "u")]
    loss, aux, dx, du = evaluate(gb.build(tuple(_grad_aux(gb, xs))), X, U)
    np.testing.assert_allclose(loss, np.sum(X * X * U))
    np.testing.assert_allclose(aux, np.sqrt(X) * U)
    np.testing.assert_allclose(dx, 2 * X * U)  # no NaN at x = 0: sqrt's inf derivative is not reached
    np.testing.assert_allclose(du, X * X)


def test_a_given_sens_for_an_aux_output_is_ignored():
    gb = GraphBuilder("main")
    xs = [gb.input((3,), "float64", name=n) for n in ("x", "u")]
    s0, s1 = gb.input((), "float64", name="s0"), gb.input((3,), "float64", name="s1")
    _, _, dx, du = evaluate(gb.build(tuple(_grad_aux(gb, xs, sens=(s0, s1)))), X, U, 3.0, np.array([7.0, 8.0, 9.0]))
    np.testing.assert_allclose(dx, 3 * 2 * X * U)
    np.testing.assert_allclose(du, 3 * X * X)


def test_an_outer_grad_differentiates_the_aux_output():
    """h(x, u) = sum(d/dx inner_0 * aux) = sum(2 x u * sqrt(x) u) = sum(2 x^1.5 u^2):
    dh/dx = 3 x^0.5 u^2, dh/du = 4 x^1.5 u (with the aux stopped they were 2 u sqrt(x) u and 2 x u sqrt(x))."""
    gb = GraphBuilder("h")
    xs = [gb.input((3,), "float64", name=n) for n in ("x", "u")]
    _, aux, dx, _ = _grad_aux(gb, xs)
    h = gb.build(gb.sum(gb.mul(dx, aux)))
    gb = GraphBuilder("main")
    name = gb.function(h)
    xs = [gb.input((3,), "float64", name=n) for n in ("x", "u")]
    x = np.array([1.0, 0.25, 2.25])
    hx, hu = evaluate(gb.build(tuple(gb.emit("grad", xs, {"fn": name, "positions": (0, 1)}))), x, U)
    np.testing.assert_allclose(hx, 3 * np.sqrt(x) * U * U)
    np.testing.assert_allclose(hu, 4 * x ** 1.5 * U)


@pytest.mark.parametrize("aux", [2, 3])
def test_aux_must_leave_an_output_to_differentiate(aux):
    gb = GraphBuilder("main")
    xs = [gb.input((3,), "float64", name=n) for n in ("x", "u")]
    with pytest.raises(InvalidGraph, match="aux"):
        gb.build(tuple(_grad_aux(gb, xs, aux=aux)))
