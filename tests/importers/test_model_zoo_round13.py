"""Round 13 of the model zoo (benchmarks/IMPORT_ZOO.md).

- `with torch.no_grad():` in forward (a deep equilibrium layer trained by Jacobian-free backprop: the fixed-point
  iterations without gradient, one differentiable step from their result; the zoo's deq_jacobian_free_no_grad).
  torch.export keeps the block as a wrap_with_set_grad_enabled(False, ...) region; run_decompositions inlined it
  and the imported graph differentiated through the iterations: input and weight gradients 0.43 off torch's (the
  value right). Each value a no-grad region computes is detached now. Checked against torch's own autograd, float32
  and float64, for the context manager, a @torch.no_grad() method, and set_grad_enabled(False) with an
  enable_grad() block inside (torch exports that as two no-grad regions around a differentiable one)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")


def _model(how: str):
    import torch

    class JacobianFree(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(4, 4, bias=False)
            self.u = torch.nn.Linear(3, 4)
            with torch.no_grad():
                self.w.weight.mul_(0.5)  # a contraction: the iterations converge

        @torch.no_grad()
        def solve(self, inj):
            z = torch.zeros_like(inj)
            for _ in range(6):
                z = torch.tanh(self.w(z) + inj)
            return z

        def forward(self, x):
            inj = self.u(x)
            if how == "context":
                with torch.no_grad():
                    z = torch.zeros_like(inj)
                    for _ in range(6):
                        z = torch.tanh(self.w(z) + inj)
            elif how == "decorator":
                z = self.solve(inj)
            elif how == "nested":  # the middle block trains: torch differentiates z * w(inj) w.r.t. inj and w
                with torch.set_grad_enabled(False):
                    z = torch.tanh(self.w(inj))
                    with torch.enable_grad():
                        z = z * self.w(inj)
                    z = z + 1  # computed without gradient again: a constant to what follows
                z = z + torch.sigmoid(self.w(inj))
            elif how == "none":  # the same iterations, differentiated: what the import computed before
                z = torch.zeros_like(inj)
                for _ in range(6):
                    z = torch.tanh(self.w(z) + inj)
            else:
                raise ValueError(how)
            return torch.tanh(self.w(z) + inj) * x.sum(-1, keepdim=True)

    torch.manual_seed(13)
    return JacobianFree().eval()


def _torch_grads(model, x, c):
    import torch

    xr = x.clone().requires_grad_(True)
    y = model(xr)
    params = list(model.parameters())
    grads = torch.autograd.grad((y * c).sum(), [xr, *params])
    return y.detach().numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("how", ["context", "decorator", "nested"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_no_grad_block_in_forward_is_a_constant_to_the_gradient(how, dtype):
    import torch

    tdt = getattr(torch, dtype)
    model = _model(how).to(tdt)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(1), dtype=tdt)
    c = torch.linspace(0.5, 1.5, 20, dtype=tdt).reshape(5, 4)
    want, (gx_want, *gw_want) = _torch_grads(model, x, c)
    net = gs.from_torch(model, (x,))
    weights = net.trainable_params()
    assert [p.name for p in weights] == [n for n, _ in model.named_parameters()]
    got = net(Tensor(x.numpy()))
    assert got.asnumpy().dtype == np.dtype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)
    ct = Tensor(c.numpy())
    gx, gw = ops.grad(lambda t: (net(t) * ct).sum(), grad_position=0, weights=weights)(Tensor(x.numpy()))
    np.testing.assert_allclose(gx.asnumpy(), gx_want, rtol=tol, atol=tol)
    for g, w in zip(gw, gw_want):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=tol, atol=tol)
    if how == "context":  # the check tells the two apart: differentiating through the iterations is far off
        _, (gx_through, *_) = _torch_grads(_model("none").to(tdt), x, c)
        assert np.abs(gx_through - gx_want).max() > 0.05 * np.abs(gx_want).max()


# -- backward rules of the model's own: torch.export keeps the forward's ops only ---------------------------------
class _ReverseGrad:
    """DANN's gradient reversal layer: forward the identity, backward -lambda g (the zoo's
    dann_gradient_reversal_function, whose gradients through from_torch were 1.39 off torch's before)."""

    @staticmethod
    def function():
        import torch

        class ReverseGrad(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.view_as(x)

            @staticmethod
            def backward(ctx, g):
                return -0.3 * g

        return ReverseGrad


def _with_rule(kind: str):
    import torch

    reverse = _ReverseGrad.function()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.f, self.d = torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)

        def forward(self, x):
            h = torch.tanh(self.f(x))
            if kind == "function":
                h = reverse.apply(h)
            elif kind == "tensor_hook" and h.requires_grad:
                h.register_hook(lambda g: -0.3 * g)
            elif kind.startswith("checkpoint"):
                h = torch.utils.checkpoint.checkpoint(torch.tanh, h, use_reentrant=kind == "checkpoint")
            return self.d(h)

    torch.manual_seed(0)
    net = Net().eval()
    if kind == "module_hook":
        net.d.register_full_backward_hook(lambda mod, gin, gout: tuple(-0.3 * g for g in gin))
    elif kind == "parameter_hook":
        net.f.weight.register_hook(lambda g: g.clamp(-0.01, 0.01))
    return net


@pytest.mark.parametrize("kind, named", [("function", "torch.autograd.Function .*ReverseGrad"),
                                         ("tensor_hook", r"gradient hook \(Tensor.register_hook"),
                                         ("module_hook", "backward hook on module 'd'"),
                                         ("parameter_hook", "gradient hook on parameter 'f.weight'")])
def test_a_backward_rule_of_the_models_own_is_refused_by_name(kind, named):
    """Before, each imported with the forward's derivative: torch's gradients differ (checked here), ours did not
    know. The recording wrappers are torch's own again afterwards."""
    import torch

    from gradserve.importers import UnsupportedModel

    model = _with_rule(kind)
    x = torch.randn(5, 3)
    xr = x.clone().requires_grad_(True)
    (g_rule,) = torch.autograd.grad(model(xr).sum(), xr) if kind != "parameter_hook" else \
        torch.autograd.grad(model(xr).sum(), model.f.weight)
    plain = _with_rule("none")
    xp = x.clone().requires_grad_(True)
    (g_plain,) = torch.autograd.grad(plain(xp).sum(), xp) if kind != "parameter_hook" else \
        torch.autograd.grad(plain(xp).sum(), plain.f.weight)
    assert np.abs((g_rule - g_plain).numpy()).max() > 1e-3  # the rule changes torch's gradient
    real = (torch.autograd.Function.__dict__["apply"], torch.Tensor.register_hook, torch.autograd.grad)
    with pytest.raises(UnsupportedModel, match=f"backward rule of its own .*{named}.*ops.custom_vjp"):
        gs.from_torch(model, (x,))
    assert (torch.autograd.Function.__dict__["apply"], torch.Tensor.register_hook, torch.autograd.grad) == real


@pytest.mark.parametrize("reentrant", [True, False])
def test_activation_checkpointing_imports_with_the_functions_gradient(reentrant):
    """torch.utils.checkpoint: the reentrant form is torch's own autograd.Function whose forward runs under no_grad
    (which the no-grad fix above would make a stop-gradient: zero gradients); it imports as the function it
    wraps. The non-reentrant form has no Function."""
    import torch

    model = _with_rule("checkpoint" if reentrant else "checkpoint_nonreentrant")
    x = torch.randn(5, 3)
    xr = x.clone().requires_grad_(True)
    model(xr).sum().backward()  # the reentrant checkpoint refuses torch.autograd.grad
    want = xr.grad
    net = gs.from_torch(model, (x,))
    got = ops.grad(lambda t: net(t).sum())(Tensor(x.numpy())).asnumpy()
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)


# -- in-place detach and .data --------------------------------------------------------------------------------
def _detaching(kind: str):
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.f = torch.nn.Linear(3, 4)

        def forward(self, x):
            h = torch.tanh(self.f(x))
            g = h * 2
            early = g + x.sum(-1, keepdim=True)  # read before the in-place detach: keeps its gradient in torch
            if kind == "detach_":
                g.detach_()
            else:
                g = g.data
            return h + g + early

    torch.manual_seed(0)
    return Net().eval()


def test_in_place_detach_in_forward_is_a_stop_gradient():
    """tensor.detach_(): exported as aten.detach_, which the decomposition dropped (an in-place op changing no
    value): the import differentiated through it, 0.60 off torch's input gradient (scale 0.30)."""
    import torch

    model = _detaching("detach_")
    x = torch.randn(2, 3)
    xr = x.clone().requires_grad_(True)
    y = model(xr)
    (want,) = torch.autograd.grad((y * y).sum(), xr)
    net = gs.from_torch(model, (x,))
    np.testing.assert_allclose(net(Tensor(x.numpy())).asnumpy(), y.detach().numpy(), rtol=1e-5, atol=1e-6)
    got = ops.grad(lambda t: (net(t) * net(t)).sum())(Tensor(x.numpy())).asnumpy()
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)


def test_data_in_forward_is_refused_naming_it_and_the_route():
    """tensor.data in forward: torch.export fails with "a fake tensor in the exported program constant's list",
    which named nothing; the refusal names .data and .detach()."""
    import torch

    from gradserve.importers import UnsupportedModel

    with pytest.raises(UnsupportedModel, match=r"reads tensor\.data .*use \.detach\(\)"):
        gs.from_torch(_detaching("data"), (torch.randn(2, 3),))
    assert "data" not in torch.Tensor.__dict__  # torch's own descriptor again
