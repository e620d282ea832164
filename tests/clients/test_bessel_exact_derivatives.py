"""ops.bessel_i0 / i1 / i0e / i1e differentiate by the Bessel identities (i0' = i1, i1' = i0 - i1 / x, ...), as
MindSpore's bprops do, to any order, not as the slopes of their approximating polynomials. Expected: SciPy's
special.ivp (derivatives of I_v in closed form), with Leibniz's rule for the exp(-|x|)-scaled ones, and
MindSpore 2.10 CPU's printed grads (its venv, /work/msvenv) away from 0. At 0 MindSpore's CPU bprop is wrong
(i1'(0) = i0''(0) = 1.0 and i1''(0) = i0'''(0) = NaN; the truth, ivp, is 0.5 and 0): we give the truth.
exp(-|x|) has a kink at 0: there i1e' is 1/2 and its derivatives 0, as MindSpore."""
import math

import numpy as np
import pytest
from scipy import special

from gradserve import Tensor, jit, ops

XS = np.array([-6.0, -1.5, -0.3, 0.5, 2.0, 3.7, 3.8, 5.0, 9.0])


def _truth(name: str, x: np.ndarray, n: int) -> np.ndarray:
    """The n-th derivative of `name` at x (x != 0 for the scaled ones: exp(-|x|) has a kink there)."""
    v = 0 if "i0" in name else 1
    if not name.endswith("e"):
        return special.ivp(v, x, n)
    s = np.sign(x)
    return sum(math.comb(n, k) * (-s) ** (n - k) * np.exp(-np.abs(x)) * special.ivp(v, x, k) for k in range(n + 1))


def _derivatives(name: str, x: np.ndarray, order: int) -> list[np.ndarray]:
    fn = getattr(ops, name)
    g = lambda t: fn(t).sum()  # noqa: E731
    out = []
    for _ in range(order):
        g = (lambda inner: lambda t: ops.grad(inner)(t).sum())(g)
        out.append(g)
    return [ops.grad(lambda t, f=fn: f(t).sum())(Tensor(x)).asnumpy()] + [
        ops.grad(h)(Tensor(x)).asnumpy() for h in out[:-1]]


@pytest.mark.parametrize("name", ["bessel_i0", "bessel_i1", "bessel_i0e", "bessel_i1e"])
def test_derivatives_to_third_order_match_scipy(fake, name):
    got = _derivatives(name, XS, 3)
    for n, g in enumerate(got, start=1):
        # the values' own error (A&S 9.8.1-9.8.4: below 2e-7 relative) carries to every order, no more; the
        # scaled ones' derivatives are differences of terms of the function's size (below 1): that error absolute
        atol = 1e-7 if name.endswith("e") else 1e-9
        np.testing.assert_allclose(g, _truth(name, XS, n), rtol=1e-6, atol=atol, err_msg=f"{name} order {n}")


def test_derivatives_at_zero_are_the_limits(fake):
    zero = np.zeros(1)
    want = {"bessel_i0": [0.0, 0.5, 0.0], "bessel_i1": [0.5, 0.0, 0.375]}  # ivp(v, 0, n)
    for name, values in want.items():
        np.testing.assert_allclose([special.ivp(0 if "i0" in name else 1, 0.0, n) for n in (1, 2, 3)], values)
        got = [g[0] for g in _derivatives(name, zero, 3)]
        np.testing.assert_allclose(got, values, atol=1e-7, err_msg=name)
    assert ops.grad(lambda t: ops.bessel_i1e(t).sum())(Tensor(zero)).asnumpy().tolist() == [0.5]


MS_X = np.array([0.5, 2.0, 3.75, 5.0, -1.5], np.float32)
MS_GRADS = {  # MindSpore 2.10 CPU: ops.grad of f(x).sum(), then of that grad's sum, then again
    "bessel_i0": [[0.2578943371772766, 1.59063720703125, 7.780015468597412, 24.335647583007812, -0.9816663861274719],
                  [0.5476948022842407, 1.484266757965088, 7.044276237487793, 22.372745513916016, 0.9922789931297302],
                  [0.19408202171325684, 1.2461631298065186, 6.454787731170654, 20.83452606201172, -0.756443202495575]],
    "bessel_i1e": [[0.17577290534973145, -0.014395654201507568, -0.017302945256233215, -0.013225957751274109,
                    0.0023679733276367188],
                   [-0.39024996757507324, -0.01782819628715515, 0.0034395121037960052, 0.0028615258634090424,
                    0.05499003455042839],
                   [0.7385873794555664, 0.04457049071788788, 0.0004288703203201294, -0.0007729027420282364,
                    0.11471603810787201]],
}


@pytest.mark.parametrize("name", sorted(MS_GRADS))
def test_float32_derivatives_match_mindspore(fake, name):
    for n, (g, want) in enumerate(zip(_derivatives(name, MS_X, 3), MS_GRADS[name]), start=1):
        np.testing.assert_allclose(g, want, rtol=2e-5, atol=2e-6, err_msg=f"{name} order {n}")


def test_values_at_infinity_are_scipys(on_real_server):
    """exp(-|x|) I(x) -> 0; I0, I1 themselves NaN at +-inf in SciPy, torch.special and MindSpore 2.10 CPU alike
    (printed: [nan 1.266066 nan], [nan -0.5651591 nan], [0. 0.46575963 0.], [-0. -0.20791042 0.]): so here."""
    x = np.array([-np.inf, -1.0, np.inf])
    # the infinities made inside the one traced function (log 0): a request's JSON carries no inf
    zs, signs = Tensor(np.array([0.0, 1.0 / math.e, 0.0])), Tensor(np.array([1.0, 1.0, -1.0]))
    want = {"bessel_i0": special.i0(x), "bessel_i1": special.i1(x), "bessel_i0e": special.i0e(x),
            "bessel_i1e": special.i1e(x)}
    for name, values in want.items():
        fn = jit((lambda f: lambda z, s: f(ops.log(z) * s))(getattr(ops, name)))
        np.testing.assert_allclose(fn(zs, signs).asnumpy(), values, rtol=1e-6, err_msg=name)
