"""Imported clamps keep their source framework's derivative on the bounds (checked against that
framework's own autodiff): PyTorch's clamp passes it (1), its hardtanh / relu6 do not (0); JAX's
lax.clamp gives it to nobody, jnp.maximum / jnp.minimum split ties (0.5), as the engine's ops do."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

X = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 6.0, 7.0], np.float32)


def _grad(net):
    return ops.grad(lambda t: ops.sum(net(t)))(Tensor(X)).asnumpy()


@pytest.mark.parametrize("name", ["clamp", "hardtanh", "relu6"])
def test_torch_bounds(fake, name):
    torch = pytest.importorskip("torch")
    fn = {"clamp": lambda x: torch.clamp(x, -1.0, 1.0), "hardtanh": torch.nn.functional.hardtanh,
          "relu6": torch.nn.functional.relu6}[name]

    class M(torch.nn.Module):
        def forward(self, x):
            return fn(x)

    xt = torch.tensor(X, requires_grad=True)
    fn(xt).sum().backward()
    net = gs.from_torch(M(), (torch.tensor(X),))
    np.testing.assert_allclose(net(Tensor(X)).asnumpy(), fn(torch.tensor(X)).numpy())
    np.testing.assert_array_equal(_grad(net), xt.grad.numpy())


@pytest.mark.parametrize("name", ["lax.clamp", "jnp.clip", "maximum"])
def test_jax_bounds(fake, name):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    fn = {"lax.clamp": lambda x: jax.lax.clamp(-1.0, x, 1.0), "jnp.clip": lambda x: jnp.clip(x, -1.0, 1.0),
          "maximum": lambda x: jnp.maximum(x, 0.0)}[name]
    want = np.asarray(jax.grad(lambda x: fn(x).sum())(jnp.asarray(X)))
    assert (0.5 in want) != (name == "lax.clamp")  # a tie is on the grid: split, or (lax.clamp) dropped
    net = gs.from_jax(fn, jnp.asarray(X))
    np.testing.assert_allclose(net(Tensor(X)).asnumpy(), np.asarray(fn(jnp.asarray(X))))
    np.testing.assert_array_equal(_grad(net), want)


def test_jax_clamp_bound_gradients(fake):
    jax = pytest.importorskip("jax")
    lo, hi = np.full(X.shape, -1.0, np.float32), np.full(X.shape, 1.0, np.float32)  # JAX grads need full bounds
    want = jax.grad(lambda x, a, b: jax.lax.clamp(a, x, b).sum(), (0, 1, 2))(X, lo, hi)
    net = gs.from_jax(lambda x, a, b: jax.lax.clamp(a, x, b), X, lo, hi)
    got = ops.grad(lambda x, a, b: ops.sum(net(x, a, b)), (0, 1, 2))(Tensor(X), Tensor(lo), Tensor(hi))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.asnumpy(), np.asarray(w))
