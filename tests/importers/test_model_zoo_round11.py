"""Round 11 of the model zoo (benchmarks/IMPORT_ZOO.md).

- A continuous normalising flow's RK4 step (the zoo's cnf_rk4_exact_trace) failed on every path with a 500
  (KeyError in the plan): the optimiser's factor_products left a sum tree reading an earlier tree's root that it
  had replaced (tests/engine/test_plan_passes.py has the three-line graph); now it imports and matches torch.
- torch.autograd.grad bound before the export (`from torch.autograd import grad`) is seen by the
  recording (round 11: its create_graph=False refusal; since round 14 the call imports): under the export's torch-function modes grad() re-dispatches through the module's
  torch.autograd.grad, which the recording replaced.
- torch.polar below its domain (abs < 0, as nudged weights get): ours is the derivative of abs * (cos, sin),
  torch's backward multiplies by sgn(result) and flips the sign there (the zoo's fno1d_rfft_polar mismatch)."""
import numpy as np
import pytest
import torch
from torch.autograd import grad as _bound_grad  # bound at import time, before any export

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel
from importers.test_model_zoo_round10 import _GradOfInput

pytestmark = pytest.mark.usefixtures("fake")


def test_cnf_rk4_step_with_exact_trace_imports_and_matches_torch():
    from benchmarks.model_zoo_sweep import check_torch
    from benchmarks.zoo_models_round11 import cnf_rk4_trace

    model, inputs = cnf_rk4_trace(steps=2)()  # two steps already chain the sums
    res = check_torch(model, inputs, "export")
    assert res["weights"] == "5/5"
    assert res["forward"] < 1e-5 and res["grads"] < 1e-5, res


def test_autograd_grad_bound_before_the_export_is_still_seen_without_create_graph():
    # the recording sees the bound grad (round 11: refused; round 14: imported as a constant, as torch's)
    model = _GradOfInput(create_graph=False, grad=_bound_grad).eval()
    net = gs.from_torch(model, (torch.randn(4, 3),))
    assert torch.autograd.grad is _bound_grad  # the recording wrapper is gone again
    x = torch.randn(4, 3)
    got = ops.grad(lambda t: (net(t) ** 2).sum())(Tensor(x.numpy())).asnumpy()
    np.testing.assert_array_equal(got, np.zeros((4, 3), np.float32))  # torch's input gradient: none
    np.testing.assert_allclose(net(Tensor(x.numpy())).asnumpy(), model(x.clone()).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_autograd_grad_bound_before_the_export_with_create_graph_imports():
    model = _GradOfInput(create_graph=True, grad=_bound_grad).eval()
    net = gs.from_torch(model, (torch.randn(4, 3),))
    x = torch.randn(4, 3)
    xr = x.clone().requires_grad_(True)
    want = torch.autograd.grad((model(xr) ** 2).sum(), xr)[0].numpy()
    got = ops.grad(lambda t: (net(t) ** 2).sum())(Tensor(x.numpy())).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


class _Polar(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.mag = torch.nn.Parameter(torch.tensor([0.7, -0.4, 1.2, -0.05]))
        self.phase = torch.nn.Parameter(torch.tensor([0.3, 2.0, -1.1, 0.9]))

    def forward(self, x):
        return torch.view_as_real(torch.polar(self.mag, self.phase) * x)


def test_polar_gradient_is_the_derivative_of_abs_cos_and_sin_also_below_zero():
    model = _Polar().eval()
    x = torch.tensor([1.5, -0.5, 0.8, 2.0])
    net = gs.from_torch(model, (x,))
    mag, ph = model.mag.detach().numpy(), model.phase.detach().numpy()
    ct = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)  # the output's cotangent
    gw = ops.grad(lambda t: (net(t) * Tensor(ct)).sum(), weights=net.trainable_params())(Tensor(x.numpy()))
    got = {p.name: g.asnumpy() for p, g in zip(net.trainable_params(), gw[1])}
    xv = x.numpy()
    # d/dmag of mag * x * (cos ph, sin ph) . ct, and d/dph of the same: closed forms, for either sign of mag
    want_mag = xv * (np.cos(ph) * ct[:, 0] + np.sin(ph) * ct[:, 1])
    want_ph = mag * xv * (-np.sin(ph) * ct[:, 0] + np.cos(ph) * ct[:, 1])
    (g_mag,) = [g for n, g in got.items() if "mag" in n]
    (g_ph,) = [g for n, g in got.items() if "phase" in n]
    np.testing.assert_allclose(g_mag, want_mag, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_ph, want_ph, rtol=1e-5, atol=1e-6)
    assert (mag < 0).any() and np.abs(want_mag[mag < 0]).min() > 0.05  # the negative entries are really tested


class _Mixture(torch.nn.Module):
    """log p(x) of a 2-component Gaussian mixture through torch.distributions (validate_args as given)."""

    def __init__(self, validate_args):
        super().__init__()
        self.logits = torch.nn.Parameter(torch.tensor([0.3, -0.2]))
        self.loc = torch.nn.Parameter(torch.tensor([[0.5, -1.0], [-0.7, 0.4]]))
        self.log_scale = torch.nn.Parameter(torch.tensor([[0.1, -0.3], [0.2, 0.05]]))
        self.validate_args = validate_args

    def forward(self, x):
        D = torch.distributions
        comp = D.Independent(D.Normal(self.loc, self.log_scale.exp(), validate_args=self.validate_args), 1)
        return D.MixtureSameFamily(D.Categorical(logits=self.logits, validate_args=self.validate_args), comp,
                                   validate_args=self.validate_args).log_prob(x)


def test_distributions_argument_validation_is_named_with_the_switch_that_avoids_it():
    with pytest.raises(UnsupportedModel, match=r"torch\.distributions' argument validation \(distribution\.py:\d+ "
                                               r"in __init__\): construct the distributions with validate_args=False"):
        # (validate_args=True, not None: torch's default is on until torch._dynamo's first use in the process
        # turns it off for good, TorchPatcher.patch, which another test's dynamo export may have done)
        gs.from_torch(_Mixture(validate_args=True).eval(), (torch.randn(5, 2),))


def test_distributions_without_validation_import_and_match_torch():
    model = _Mixture(validate_args=False).eval()
    x = torch.randn(5, 2) * 1.5
    net = gs.from_torch(model, (x,))
    want = model(x)
    tw = torch.autograd.grad(want.sum(), list(model.parameters()))
    got = net(Tensor(x.numpy())).asnumpy()
    gw = ops.grad(lambda t: net(t).sum(), weights=net.trainable_params())(Tensor(x.numpy()))[1]
    np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-5, atol=1e-6)
    by_name = {p.name: g.asnumpy() for p, g in zip(net.trainable_params(), gw)}
    for (name, _), t in zip(model.named_parameters(), tw):
        np.testing.assert_allclose(by_name[name], t.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
