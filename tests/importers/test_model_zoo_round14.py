"""Round 14 of the model zoo (benchmarks/IMPORT_ZOO.md).

- A silently wrong gradient closed: lax.stop_gradient called in a JAX function leaves nothing in the StableHLO
  that jax.export writes, so from_jax differentiated through it (PPO's GAE advantages from stop_gradient(values):
  0.39 off jax.grad, float64 too; the zoo row jax_gae_reverse_scan_ppo checks that model; as a test it took 23 s). A user's
  stop_gradient now routes the function through JAX's own VJP, as a custom rule does (jax_custom.py); JAX's
  internal ones (log_softmax's max shift) do not.
- torch.autograd.grad inside forward imports (torch_inner_grad.py): an MLP potential's forces -dE/dx with
  create_graph=True, trained on energies and forces (second derivatives w.r.t. the weights), float32 and float64;
  an input the outputs do not reach: round 15 (test_model_zoo_round15.py).
- torch._fake_quantize_learnable_per_{tensor,channel}_affine (LSQ+): value and the scale / zero-point / input
  gradients of torch's backward.
Expected values: torch's and JAX's own autograd on the same models, built here."""
import math

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")


def _weighted(net, c):
    def loss(*xs):
        outs = net(*xs)
        outs = outs if isinstance(outs, (tuple, list)) else [outs]
        total = None
        for o, w in zip(outs, c):
            term = (o * Tensor(w)).sum()
            total = term if total is None else total + term
        return total
    return loss


def _compare_torch(model, x, rtol):
    """Value, input gradient and weight gradients of sum(c * out) against torch's own autograd at x."""
    import torch

    net = gs.from_torch(model, (x * 1.1,))  # exported at another input: the graph must read its input
    xr = x.clone().requires_grad_(True)
    want = model(xr)
    want = want if isinstance(want, tuple) else (want,)
    rng = np.random.default_rng(0)
    c = [rng.uniform(0.5, 1.5, tuple(w.shape)).astype(w.detach().numpy().dtype) for w in want]
    names = [n for n, _ in model.named_parameters()]
    tg = torch.autograd.grad(sum((w * torch.from_numpy(k)).sum() for w, k in zip(want, c)),
                             [xr, *model.parameters()])
    got = net(Tensor(x.numpy()))
    got = got if isinstance(got, (tuple, list)) else [got]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w.detach().numpy(), rtol=rtol, atol=rtol)
    gx, gw = ops.grad(_weighted(net, c), grad_position=0, weights=net.trainable_params())(Tensor(x.numpy()))
    scale = max(float(t.abs().max()) for t in tg)
    np.testing.assert_allclose(gx.asnumpy(), tg[0].numpy(), rtol=rtol, atol=rtol * scale)
    assert len(gw) == len(names)
    for p, g in zip(net.trainable_params(), gw):
        np.testing.assert_allclose(g.asnumpy(), tg[1 + names.index(p.name)].numpy(), rtol=rtol,
                                   atol=rtol * scale, err_msg=p.name)
    return tg


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_potential_forces_by_autograd_grad_in_forward_import_with_second_derivatives(dtype):
    # before round 14: refused (torch.export fails on autograd.grad over the weights)
    import torch

    from benchmarks.zoo_models_round14 import mlp_potential_forces

    model, (pos,) = mlp_potential_forces()()
    if dtype == "float64":
        model, pos = model.double(), pos.double()
    tg = _compare_torch(model, pos + 0.05 * torch.randn(pos.shape, dtype=pos.dtype),
                        1e-4 if dtype == "float32" else 1e-10)
    assert float(tg[1].abs().max()) > 1e-3  # the weights' gradient through the forces is really there


@pytest.mark.parametrize("per_channel", [False, True])
def test_learnable_fake_quantize_matches_torchs_lsq_plus_gradients(per_channel):
    # before round 14: refused (op aten._fake_quantize_learnable_per_tensor_affine.default not supported)
    import torch

    class QAT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.fc = torch.nn.Linear(6, 8)
            self.scale = torch.nn.Parameter(torch.full((8,), 0.05) if per_channel else torch.tensor([0.05]))
            self.zp = torch.nn.Parameter(torch.linspace(-1.2, 9.3, 8) if per_channel else torch.tensor([3.3]))

        def forward(self, x):
            h = self.fc(x) * 3  # some values below 0 and above 63 * 0.05: both clamped sides
            if per_channel:
                return torch._fake_quantize_learnable_per_channel_affine(h, self.scale, self.zp, 1, 0, 63, 0.7)
            return torch._fake_quantize_learnable_per_tensor_affine(h, self.scale, self.zp, 0, 63,
                                                                     1.0 / math.sqrt(h.numel() * 63))

    model = QAT().eval()
    x = torch.randn(5, 6)
    h = model.fc(x) * 3
    assert (h < -0.2).any() and (h > 3.5).any()
    tg = _compare_torch(model, x, 2e-5)
    assert float(tg[names_index(model, "scale")].abs().max()) > 1e-3


def names_index(model, name):
    return 1 + [n for n, _ in model.named_parameters()].index(name)


def _jax_compare(fn, params, x, rtol=1e-5):
    import jax

    net = gs.from_jax(fn, x, params=params)
    want = np.asarray(fn(params, x))
    c = np.random.default_rng(1).uniform(0.5, 1.5, want.shape).astype(np.float32)
    jp, jx = jax.grad(lambda p, z: (fn(p, z) * c).sum(), argnums=(0, 1))(params, x)
    np.testing.assert_allclose(net(Tensor(np.asarray(x))).asnumpy(), want, rtol=rtol, atol=rtol)
    gx, gw = ops.grad(_weighted(net, [c]), grad_position=0, weights=net.trainable_params())(Tensor(np.asarray(x)))
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jx), rtol=rtol, atol=rtol)
    for g, want_w in zip(gw, jax.tree_util.tree_leaves(jp)):
        np.testing.assert_allclose(g.asnumpy(), np.asarray(want_w), rtol=rtol, atol=rtol)
    return jx


def test_jax_stop_gradient_is_kept():
    # before round 14 ours differentiated through it: z * stop_gradient(z)'s gradient was 2z z' where JAX's is z z'
    import jax
    import jax.numpy as jnp

    x = jax.random.normal(jax.random.PRNGKey(1), (5,))
    p = {"w": jnp.linspace(-1.0, 1.0, 5)}
    jx = _jax_compare(lambda p, z: jnp.tanh(z * p["w"]) * jax.lax.stop_gradient(jnp.tanh(z)), p, x)
    assert np.abs(jx).max() > 0.1
    scan_rev = _jax_compare(lambda p, z: jax.lax.scan(lambda c, a: (0.5 * c + a, c * p["w"][0]), 0.0,
                                                      jax.lax.stop_gradient(z) + p["w"], reverse=True)[1], p, x)
    assert not scan_rev.any()  # JAX's input gradient: none (the scan reads z only through stop_gradient)


def test_jax_internal_stop_gradients_are_not_rules():
    """log_softmax's and logsumexp's max shift is a stop_gradient JAX calls itself: it cancels in the math, so the
    function is not routed through JAX's VJP (twice the graph) for it; the user's own is."""
    import jax
    import jax.numpy as jnp

    from gradserve.importers.jax_custom import has_custom_rule

    x = jnp.ones((3, 4))
    assert not has_custom_rule(lambda z: jax.nn.log_softmax(z) + jax.nn.logsumexp(z, -1, keepdims=True), (x,))
    assert has_custom_rule(lambda z: jax.nn.log_softmax(z) * jax.lax.stop_gradient(z), (x,))


def test_lagrangian_network_by_nested_autograd_grad_mixed_partials_imports():
    """A Lagrangian neural network (Cranmer et al. 2020): q'' = (d2L/dqd2)^-1 (dL/dq - d2L/dqd dq qd), its Hessian
    blocks by autograd.grad of autograd.grad over (qd, q) in another order; trained through them (third
    derivatives of the network w.r.t. its weights)."""
    import torch

    class LNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.lag = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Softplus(), torch.nn.Linear(16, 1))

        def forward(self, q, qd):
            q, qd = q.requires_grad_(True), qd.requires_grad_(True)
            lag = self.lag(torch.cat([q, qd], -1)).sum()
            dq, dqd = torch.autograd.grad(lag, (q, qd), create_graph=True)
            rows = [torch.autograd.grad(dqd[:, i].sum(), (qd, q), create_graph=True) for i in range(2)]
            hess = torch.stack([r[0] for r in rows], 1)
            mixed = torch.stack([r[1] for r in rows], 1)
            return torch.linalg.solve(hess, (dq - (mixed @ qd[..., None])[..., 0])[..., None])[..., 0]

    model = LNN().eval()
    q, qd = torch.randn(3, 2), torch.randn(3, 2)
    net = gs.from_torch(model, (q * 0.9, qd * 1.1))
    want = model(q.clone(), qd.clone())
    tw = torch.autograd.grad((want ** 2).sum(), list(model.parameters()), allow_unused=True)
    np.testing.assert_allclose(net(Tensor(q.numpy()), Tensor(qd.numpy())).asnumpy(), want.detach().numpy(),
                               rtol=1e-4, atol=1e-4 * float(want.abs().max()))
    gw = ops.grad(lambda a, b: (net(a, b) ** 2).sum(), grad_position=None, weights=net.trainable_params())(
        Tensor(q.numpy()), Tensor(qd.numpy()))
    by_name = dict(zip([n for n, _ in model.named_parameters()], tw))
    scale = max(float(t.abs().max()) for t in tw if t is not None)
    for p, g in zip(net.trainable_params(), gw):
        t = by_name[p.name]  # None: the last bias reaches no second derivative (torch's unused)
        np.testing.assert_allclose(g.asnumpy(), np.zeros(g.shape) if t is None else t.numpy(), rtol=1e-4,
                                   atol=1e-5 * scale, err_msg=p.name)
