"""Round 15 of the model zoo (benchmarks/IMPORT_ZOO.md): round 14's leftovers.

- jax.scipy.special.expi (a custom_jvp of JAX's own around exp1's while loops) had nan gradients for x > 0 after
  import (bounded by while_max_trips): the loops' untaken x < 0 branch differentiated as written. JAX's own
  custom_jvp around a while loop now keeps its rule (exp(x) / x) through JAX's VJP (jax_custom.py).
- torch.autograd.grad(..., allow_unused=True) in forward was refused by name: an input the outputs do not reach now
  gets torch's None (zeros under materialize_grads=True), and without allow_unused torch's own error.
- The marker op of autograd.grad in forward is defined only by a forward that calls torch.autograd.grad: importing any
  other model leaves torch's op registry as it was.
Expected values: torch's and JAX's own autograd on the same functions, built here."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")


def test_jax_expi_gradient_keeps_jaxs_rule_on_both_sides_of_zero():
    # before round 15: nan at every x > 0 (JAX's: exp(x) / x, finite)
    import jax
    import jax.numpy as jnp
    from jax.scipy import special as sp

    def fn(p, x):
        return sp.expi(x * p["w"])

    x = jnp.asarray([-2.0, -0.5, 0.3, 1.5, 3.0, 7.0], jnp.float32)
    p = {"w": jnp.linspace(0.9, 1.1, 6, dtype=jnp.float32)}
    net = gs.from_jax(fn, x, params=p, while_max_trips=200)
    np.testing.assert_allclose(net(Tensor(np.asarray(x))).asnumpy(), np.asarray(fn(p, x)), rtol=1e-5)
    gx, (gw,) = ops.grad(lambda z: net(z).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(np.asarray(x)))
    jw, jx = jax.grad(lambda q, z: fn(q, z).sum(), argnums=(0, 1))(p, x)
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jx), rtol=1e-5)
    np.testing.assert_allclose(gw.asnumpy(), np.asarray(jw["w"]), rtol=1e-5)
    xw = np.asarray(x, np.float64) * np.asarray(p["w"], np.float64)
    np.testing.assert_allclose(gx.asnumpy(), np.exp(xw) / xw * np.asarray(p["w"]), rtol=1e-5)  # the closed form


def test_a_rule_whose_vjp_jax_cannot_differentiate_still_imports_with_the_rule():
    """exp1's and expn's rules (kept since round 15) have VJPs JAX 0.10.2 cannot differentiate again (jax.hessian
    of them fails too); the import then differentiates that VJP as written instead of failing. A rule whose backward
    runs a lax.while_loop (JAX has no reverse mode for it) is the same case, small."""
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def square(x):
        return x * x

    def bwd(x, g):
        n = jnp.asarray(3) + (x.size > 100)  # a trip count JAX does not know statically: a while loop
        return (jax.lax.fori_loop(0, n, lambda i, acc: acc + g * x * (2.0 / 3.0), jnp.zeros_like(x)),)
    square.defvjp(lambda x: (square(x), x), bwd)
    with pytest.raises(Exception):
        jax.jit(jax.grad(lambda z: jax.grad(lambda y: square(y).sum())(z).sum())).lower(jnp.ones(3))  # JAX's own
    x = np.asarray([0.5, -1.5, 2.0], np.float32)
    net = gs.from_jax(lambda z: jnp.sin(square(z)), x, while_max_trips=10)
    gx = ops.grad(lambda z: net(z).sum())(Tensor(x))
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jax.grad(lambda z: jnp.sin(square(z)).sum())(x)), rtol=1e-6)


def _unused_model(torch, materialize: bool):
    class Unused(torch.nn.Module):
        """Forces from an energy of x alone, differentiated w.r.t. (x, y): y's gradient is torch's None."""
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.lin = torch.nn.Linear(3, 1)

        def forward(self, x, y):
            x, y = x.requires_grad_(True), y.requires_grad_(True)
            e = self.lin(torch.tanh(x)).sum()
            gx, gy = torch.autograd.grad(e, (x, y), create_graph=True, allow_unused=True,
                                         materialize_grads=materialize)
            if gy is None:
                return gx * 2 + 1
            return gx * 2 + gy * 3 + 5
    return Unused().eval()


@pytest.mark.parametrize("materialize", [False, True])
def test_autograd_grad_allow_unused_gives_torchs_none_or_zeros(materialize):
    # before round 15: refused ("its outputs do not depend on input 1 ('y')")
    import torch

    model = _unused_model(torch, materialize)
    x, y = torch.randn(2, 3), torch.randn(2, 3)
    net = gs.from_torch(model, (x * 1.1, y))
    want = model(x.clone(), y.clone())
    got = net(Tensor(x.numpy()), Tensor(y.numpy())).asnumpy()
    np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-6, atol=1e-6)
    xr = x.clone().requires_grad_(True)
    tg = torch.autograd.grad(model(xr, y.clone()).sum(), [xr, *model.parameters()], allow_unused=True,
                             materialize_grads=True)  # the bias does not reach the forces: zero
    gx, gw = ops.grad(lambda a, b: net(a, b).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x.numpy()), Tensor(y.numpy()))
    np.testing.assert_allclose(gx.asnumpy(), tg[0].numpy(), rtol=1e-5, atol=1e-6)
    names = [n for n, _ in model.named_parameters()]
    for p, g in zip(net.trainable_params(), gw):
        np.testing.assert_allclose(g.asnumpy(), tg[1 + names.index(p.name)].numpy(), rtol=1e-5, atol=1e-6)


def test_autograd_grad_of_an_unused_input_without_allow_unused_is_torchs_error():
    import torch

    class Strict(torch.nn.Module):
        def forward(self, x, y):
            x, y = x.requires_grad_(True), y.requires_grad_(True)
            return torch.autograd.grad((x ** 3).sum(), (x, y), create_graph=True)[0]

    with pytest.raises(Exception, match="appears to not have been used in the graph.*allow_unused=True"):
        gs.from_torch(Strict(), (torch.randn(3), torch.randn(3)))


def test_importing_a_model_without_autograd_grad_does_not_define_the_marker(monkeypatch):
    import torch

    from gradserve.importers import torch_inner_grad

    def forbidden():
        raise AssertionError("the marker op was defined by a model that never calls torch.autograd.grad")

    monkeypatch.setattr(torch_inner_grad, "_lib", [])  # as in a fresh process
    monkeypatch.setattr(torch_inner_grad, "marker_op", forbidden)
    net = gs.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh()).eval(), (torch.randn(4, 3),))
    assert net(Tensor(np.ones((4, 3), np.float32))).asnumpy().shape == (4, 2)
