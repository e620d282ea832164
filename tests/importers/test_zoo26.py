"""Round 26 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 26).

- The round's held-out models (zoo26.py, jax_zoo26.py) against torch's / JAX's autodiff: through torch.export, some
  through torch.onnx.export (the TorchScript exporter and the dynamo one), a lax.while_loop against JAX's forward mode.
- nn.Embedding(max_norm=...): imported with torch's semantics (refused in round 25): values, gradients and the weight
  it writes, over calls and an optimizer step.
- Derivatives torch's kernels give at ties, kinks and constant rows that the decompositions lost (silently different
  before): each against torch's autograd at those points.
- The REST path once."""
import jax
import numpy as np
import pytest
import torch
from torch.nn import functional as F

import gradserve as gs
from gradserve import Tensor, ops

from .checks import (check_against_jax, check_against_torch, check_value_and_input_grad, jax_err, torch_case,
                     torch_to_onnx)
from .jax_zoo26 import DEQ
from .jax_zoo26 import MODELS as JAX_MODELS
from .zoo26 import JVP_REFERENCE, EmbeddingMaxNorm
from .zoo26 import MODELS as TORCH_MODELS


@pytest.fixture(autouse=True)
def _in_process(request):
    """The in-process engine-backed server for every test but those on a real one (the `server` fixture)."""
    if "server" in request.fixturenames:
        yield
        return
    request.getfixturevalue("fake")
    yield


def _torch_check(name):
    """torch.export at 1.1 x, then value, gradients (input and every weight), jvp and HVP against torch's autograd
    (SDPA's math kernel: the CPU flash kernel has neither forward AD nor a double backward)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    model, x = torch_case(TORCH_MODELS, name)
    ref = getattr(model, JVP_REFERENCE[name]) if name in JVP_REFERENCE else None
    net = gs.from_torch(model, (x * 1.1,))
    with sdpa_kernel([SDPBackend.MATH]):
        check_against_torch(net, model, x, jvp_model=ref, second_order_model=ref)


@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    _torch_check(name)


@pytest.mark.parametrize("name,dynamo,opset", [("partial_rotary_repeat_kv_min_dtype_mask", False, 17),
                                               ("wavenet_mulaw_gated_dilated", False, 17),
                                               ("log_mel_deltas_stft", True, 18)])
def test_torch_model_through_onnx_export(name, dynamo, opset):
    """The TorchScript exporter (min_dtype masks, Expand / Reshape kv repeats; dilated causal pads) and the dynamo
    exporter (STFT, the mel matrix, replicate padding): value and input gradient against torch."""
    model, x = torch_case(TORCH_MODELS, name)
    check_value_and_input_grad(gs.from_onnx(torch_to_onnx(model, x, opset, dynamo=dynamo)), model, x)


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])


def test_jax_while_loop_to_a_tolerance_against_forward_mode():
    """A deep-equilibrium layer: lax.while_loop until each row's update is under 1e-3 (rows stop at different trips,
    before the 12-trip bound). jax.grad cannot reverse a while_loop: gradients (input and every weight) against
    jax.jacfwd, the jvp against jax.jvp, the Hessian-vector product against forward-over-forward."""
    fn, p, x = DEQ
    trips, z, done = [], np.zeros((3, 4)), np.zeros(3, bool)
    for i in range(12):  # the loop in NumPy: each row's trip count
        new = np.tanh(z @ p["W"] + x @ p["U"] + p["b"])
        step = np.abs(new - z).max(1)
        z = np.where(done[:, None], z, new)
        trips.append(~done & (step < 1e-3))
        done |= step < 1e-3
        if done.all():
            break
    assert done.all() and i < 11 and len({int(np.argmax(t)) for t in np.array(trips).T}) > 1
    net = gs.from_jax(fn, x * 1.1, params=p)
    out = fn(p, x)
    assert jax_err(net(Tensor(x)).asnumpy(), out) < 1e-5
    c = np.random.default_rng(0).uniform(0.5, 1.5, out.shape).astype(np.float32)
    gx, gw = ops.grad(lambda t: (net(t) * Tensor(c)).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x))
    loss = lambda q, t: (fn(q, t) * c).sum()  # noqa: E731
    jw, jx = jax.jacfwd(loss, argnums=(0, 1))(p, x)
    assert jax_err(gx.asnumpy(), jx) < 1e-5
    assert sorted(q.name for q in net.trainable_params()) == sorted(p)
    for q, g in zip(net.trainable_params(), gw):
        assert jax_err(g.asnumpy(), jw[q.name]) < 1e-5, q.name
    v = np.random.default_rng(1).normal(size=x.shape).astype(np.float32)
    assert jax_err(ops.jvp(net, Tensor(x), Tensor(v))[1].asnumpy(), jax.jvp(lambda t: fn(p, t), (x,), (v,))[1]) < 1e-5
    hv = ops.grad(lambda t: (ops.grad(lambda u: (net(u) * Tensor(c)).sum())(t) * Tensor(v)).sum())(Tensor(x))
    want = jax.jvp(jax.jacfwd(lambda t: loss(p, t)), (x,), (v,))[1]
    assert np.abs(want).max() > 1e-2 and jax_err(hv.asnumpy(), want) < 2e-5


# -- nn.Embedding(max_norm=...) --------------------------------------------------------------------------------------

def test_embedding_max_norm_matches_torch_over_calls_and_a_step():
    """Each call renormalises the rows it reads (norm over max_norm: scaled by max_norm / (norm + 1e-7)) and the
    embedding reads them; torch's gradient reaches the weight unscaled (the renorm runs under no_grad). The weight the
    module keeps is written back, so a training step then a call agree with torch's (refused in round 25)."""
    torch.manual_seed(26)
    model, x = EmbeddingMaxNorm().eval(), torch.randn(2, 3)
    w0 = model.emb.weight.detach().numpy().copy()
    net = gs.from_torch(model, (x,))
    (p,) = net.trainable_params()
    np.testing.assert_array_equal(p.asnumpy(), w0)  # export wrote nothing
    c = np.random.default_rng(2).uniform(0.5, 1.5, (2, 4)).astype(np.float32)
    for step in range(2):
        g = ops.grad(lambda t: (net(t) * Tensor(c)).sum(), grad_position=None, weights=[p])(Tensor(x.numpy()))[0]
        gt = torch.autograd.grad((model(x) * torch.from_numpy(c)).sum(), model.emb.weight)[0].numpy()
        np.testing.assert_allclose(g.asnumpy(), gt, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(p.asnumpy(), model.emb.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
        if step == 0:  # rows 0 and 2 were over the norm and are renormalised; 4 is never read and stays
            norms = np.linalg.norm(p.asnumpy(), axis=1)
            assert norms[0] <= 1 + 1e-6 and norms[2] <= 1 + 1e-6 and norms[4] == np.linalg.norm(w0[4]) > 1
            assert np.abs(gt[[0, 2]]).max() > 0
        with torch.no_grad():  # one SGD step on both: the next call renormalises the moved rows again
            model.emb.weight -= 0.5 * torch.from_numpy(gt)
        p.set_data(Tensor(p.asnumpy() - 0.5 * g.asnumpy()))
        if step == 0:  # read rows over the norm again: the next call renormalises them
            assert (np.linalg.norm(p.asnumpy()[:4], axis=1) > 1.05).sum() >= 2
    np.testing.assert_allclose(net(Tensor(x.numpy())).asnumpy(), model(x).detach().numpy(), rtol=1e-6, atol=1e-6)


# -- derivatives at ties, kinks and constant rows --------------------------------------------------------------------

_X = torch.tensor([[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, -1.0, 3.0], [2.0, 2.0, 2.0, 2.0], [-3.0, 0.5, 3.0, 7.0]])
_T = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.2, 0.3, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]]) * 2

# name: (fn, second order compared) -- ours before, torch's at the point
POINTS = {
    "max_dim_ties": (lambda v: v.max(1).values * 2 + v.min(1).values, False),  # split 1/4 each; all to the first
    "cummax_ties": (lambda v: torch.cummax(v, 1).values + torch.cummin(v, 1).values * 2, False),  # latest tie's
    "std_constant_row": (lambda v: v.std(1), True),                            # NaN; 0
    "atan2_origin": (lambda v: torch.atan2(v, v.flip(1) * 0.5), False),        # NaN; 0
    "hardswish_at_3": (F.hardswish, False),                                    # -0.5 at -3, 1.5 at 3; 0 and 1
    "hardsigmoid_at_3": (F.hardsigmoid, False),                                # 1/6 at +-3; 0
    "logsigmoid_at_0": (F.logsigmoid, True),                                   # second derivative at 0: 0; -1/4
    "logcumsumexp_ties": (lambda v: torch.logcumsumexp(v, 1), True),           # second derivative 0 on ties; 1/4
    "logaddexp_ties": (lambda v: torch.logaddexp(v, v.flip(0)), True),
    "smooth_l1_at_target": (lambda v: F.smooth_l1_loss(v, _T, beta=1.5, reduction="none"), True),  # 0; 1 / beta
    "huber_at_target": (lambda v: F.huber_loss(v, _T, delta=0.8, reduction="sum"), True),          # 0; 1
}


class _Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, v):
        return self.fn(v)


@pytest.mark.parametrize("name", sorted(POINTS))
def test_derivatives_at_ties_kinks_and_constant_rows_are_torchs(name):
    fn, second = POINTS[name]
    net = gs.from_torch(_Fn(fn), (_X,))
    xt = _X.clone().requires_grad_(True)
    y = fn(xt)
    c = torch.linspace(0.5, 1.5, y.numel()).reshape(y.shape)
    gt = torch.autograd.grad((y * c).sum(), xt, create_graph=True)[0]
    np.testing.assert_allclose(net(Tensor(_X.numpy())).asnumpy(), y.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = ops.grad(lambda t: (net(t) * Tensor(c.numpy())).sum())(Tensor(_X.numpy())).asnumpy()
    np.testing.assert_allclose(g, gt.detach().numpy(), rtol=1e-5, atol=1e-6)
    if second:
        v = torch.linspace(-1, 1, 16).reshape(4, 4)
        ht = torch.autograd.grad((gt * v).sum(), xt)[0].numpy()
        h = ops.grad(lambda t: (ops.grad(lambda u: (net(u) * Tensor(c.numpy())).sum())(t) * Tensor(v.numpy())).sum())(
            Tensor(_X.numpy())).asnumpy()
        np.testing.assert_allclose(h, ht, rtol=1e-4, atol=1e-5)


def test_cummax_indices_are_torchs():
    """cummax / cummin's indices (refused when used, before): the latest of tied extremes, as torch's."""
    class M(torch.nn.Module):
        def forward(self, v):
            return torch.cummax(v, 1).indices, torch.cummin(v, 0).indices

    net = gs.from_torch(M(), (_X,))
    for got, want in zip(net(Tensor(_X.numpy())), M()(_X)):
        np.testing.assert_array_equal(got.asnumpy(), want.numpy())


# -- the REST path, once ---------------------------------------------------------------------------------------------

def test_models_over_a_real_server(server):
    """A torch model (GQA with RoPE, RMSNorm, SwiGLU under a sliding window) on a real gradserve-server: value,
    gradients, jvp and HVP as in-process; an ONNX export of another registered as bytes and evaluated."""
    gs.reset_context()
    gs.set_context(server=server.url)
    try:
        _torch_check("mistral_sdpa_enable_gqa_sliding_window")
    finally:
        gs.reset_context()
    model, x = torch_case(TORCH_MODELS, "wavenet_mulaw_gated_dilated")
    with server.client() as h:
        r = h.post("/v1/graphs", content=torch_to_onnx(model, x, 17).SerializeToString(),
                   headers={"content-type": "application/onnx"})
    assert r.status_code == 201, r.text
    got = gs.Client(server.url).eval(r.json()["graph_id"], [x.numpy()]).value
    np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-5, atol=1e-5)
