"""Round 9 of the model zoo (benchmarks/IMPORT_ZOO.md): torch.func transforms inside a model's forward (vmap
imports; grad / jacrev refused by name, with the route that works checked against torch's double backward), a
JAX while loop bounded by its own counter (odeint's `i < mxstep`: no while_max_trips needed; odeint's default
mxstep=inf named in the refusal), and the sweep counting refusals apart from failures."""
import json

import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, nn, ops
from gradserve.importers import UnsupportedModel

from .sweep import check_imported

jax = pytest.importorskip("jax")
jnp, lax = jax.numpy, jax.lax
pytestmark = pytest.mark.usefixtures("fake")


class _Energy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.l1, self.l2 = torch.nn.Linear(3, 16), torch.nn.Linear(16, 1)

    def forward(self, pos):
        return self.l2(torch.tanh(self.l1(pos))).sum()


class _ForceClosedOver(torch.nn.Module):
    """F = -dE/dx with the energy's weights closed over: torch.export itself fails on it."""

    def __init__(self):
        super().__init__()
        self.e = _Energy()

    def forward(self, pos):
        return -torch.func.grad(self.e)(pos)


class _ForceOfInput(torch.nn.Module):
    """A transform over the input only: torch.export succeeds, but reads the example input as a constant."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.out = torch.nn.Linear(3, 3)

    def forward(self, pos):
        return self.out(-torch.func.grad(lambda x: (torch.sin(x) * x).sum())(pos))


@pytest.mark.parametrize("model", [_ForceClosedOver, _ForceOfInput])
def test_grad_transform_in_forward_is_refused_by_name(model):
    with pytest.raises(UnsupportedModel, match=r"torch\.func\.grad .*in its forward|forward calls torch\.func\.grad"
                                               r".*ops\.grad"):
        gs.from_torch(model().eval(), (torch.randn(5, 3),))


def test_jacrev_in_forward_is_refused_by_name():
    class Jac(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 3)

        def forward(self, x):
            return torch.func.jacrev(lambda r: torch.tanh(self.lin(r)))(x)

    with pytest.raises(UnsupportedModel, match=r"jacrev"):
        gs.from_torch(Jac().eval(), (torch.randn(3),))


def test_vmap_in_forward_imports_with_its_gradients():
    class PerSample(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.e = _Energy()

        def forward(self, pos):
            return torch.func.vmap(self.e)(pos)

    model, x = PerSample().eval(), torch.randn(5, 3)
    assert check_imported(gs.from_torch(model, (x,)), model, (x,)) == 4


class _Force(nn.Cell):
    def __init__(self, energy):
        super().__init__()
        self.energy, self.grad = energy, ops.grad(energy, grad_position=0)

    def construct(self, pos):
        return -self.grad(pos)


class _ForceLoss(nn.Cell):
    def __init__(self, force, target):
        super().__init__()
        self.force, self.target = force, Tensor(target)

    def construct(self, pos):
        return ((self.force(pos) - self.target) ** 2).sum()


def test_the_refusals_route_force_from_the_imported_energy_matches_torch():
    """What the refusal says to do: import the energy, F = -ops.grad(E); training's gradients of a force
    loss are second derivatives (ops.grad of it), against torch's double backward."""
    energy, x = _Energy(), torch.randn(5, 3)
    target = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    net = gs.from_torch(energy, (x,))
    force = _Force(net)
    xt = x.clone().requires_grad_(True)
    ft = -torch.autograd.grad(energy(xt), xt, create_graph=True)[0]
    np.testing.assert_allclose(force(Tensor(x.numpy())).asnumpy(), ft.detach().numpy(), rtol=1e-5, atol=1e-6)
    params = list(energy.parameters())
    want = torch.autograd.grad(((ft - torch.from_numpy(target)) ** 2).sum(), [xt] + params, allow_unused=True)
    gx, gw = ops.grad(_ForceLoss(force, target), grad_position=0, weights=net.trainable_params())(Tensor(x.numpy()))
    np.testing.assert_allclose(gx.asnumpy(), want[0].numpy(), rtol=1e-4, atol=1e-5)
    by_name = dict(zip([n for n, _ in energy.named_parameters()], want[1:]))
    for p, g in zip(net.trainable_params(), gw):
        w = by_name[p.name]
        w = np.zeros(p.shape, np.float32) if w is None else w.numpy()  # l2.bias: no part in the force
        np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-4, atol=1e-5, err_msg=p.name)


def _odeint(mxstep):
    from jax.experimental.ode import odeint

    def fn(p, y0):
        return odeint(lambda y, t, p: jnp.tanh(y @ p["w1"]) @ p["w2"], y0, jnp.asarray([0.0, 0.5]), p,
                      rtol=1e-6, atol=1e-6, mxstep=mxstep)
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    return fn, {"w1": 0.4 * jax.random.normal(k1, (3, 8)), "w2": 0.4 * jax.random.normal(k2, (8, 3))}


def _max_trips(doc) -> list:
    """Every while node's max_trips, in the graph and the functions it calls."""
    found = []

    def walk(o):
        if isinstance(o, dict):
            if o.get("op") == "while":
                found.append(o["attrs"]["max_trips"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(doc)
    return found


def _stepper(limit):
    """An adaptive stepper written as odeint's is (its import takes minutes: the zoo's jax_odeint_mxstep row runs
    it): the body an outlined function (func.call) that keeps `i + 1` on accepted and rejected steps alike
    (jnp.where), the condition `(t < 1) & (float(i) < limit) & (dt > 0)`."""
    def fn(p, y0):
        @jax.jit
        def step(s):
            i, t, y, dt = s
            y_new = y + dt * jnp.tanh(y * p)
            ok = jnp.abs(y_new - y).max() < 0.3
            return (jnp.where(ok, i + 1, i + 1), jnp.where(ok, t + dt, t), jnp.where(ok, y_new, y),
                    jnp.where(ok, dt * 1.5, dt * 0.5))

        def cond(s):
            i, t, _, dt = s
            return (t < 1.0) & (i.astype(jnp.float32) < limit) & (dt > 0)
        return lax.while_loop(cond, step, (0, jnp.float32(0), y0, jnp.float32(0.4)))[2]
    return fn


def _stepper_unrolled(p, y0, decisions):
    """The same steps with the accept decisions of a concrete run: differentiable by JAX."""
    y, dt = y0, 0.4
    for ok in decisions:
        y_new = y + dt * jnp.tanh(y * p)
        y, dt = (y_new, dt * 1.5) if ok else (y, dt * 0.5)
    return y


def _decisions(p, y0, limit):
    y, t, dt, out = np.asarray(y0), 0.0, 0.4, []
    while t < 1.0 and len(out) < limit:
        y_new = y + dt * np.tanh(y * p)
        ok = bool(np.abs(y_new - y).max() < 0.3)
        out.append(ok)
        y, t, dt = (y_new, t + dt, dt * 1.5) if ok else (y, t, dt * 0.5)
    return out


@pytest.mark.parametrize("limit", [50.0, 3.0])
def test_a_float_counter_bound_through_outlined_steps_bounds_the_loop(limit):
    """No while_max_trips: max_trips is the program's `limit` (50: the steps reach t = 1 first; 3: the counter
    stops the loop), and value and gradient are those of the steps run."""
    from gradserve.importers.jax_import import jax_to_writer

    p, y0 = np.float32(1.3), np.asarray([0.6, -1.1, 0.9], np.float32)
    fn = _stepper(limit)
    w, outs = jax_to_writer(fn, (y0,), p)
    assert set(_max_trips(json.loads(json.dumps(w.doc(outs[0], lambda a: None))))) == {int(limit)}
    decisions = _decisions(1.3, y0, limit)
    assert (len(decisions) == 3) == (limit == 3.0) and False in decisions  # both outcomes of a step taken
    net = gs.from_jax(fn, y0, params=p)
    np.testing.assert_allclose(net(Tensor(y0)).asnumpy(), _stepper_unrolled(p, y0, decisions), rtol=1e-5)
    want = jax.grad(lambda y: (_stepper_unrolled(p, y, decisions) ** 2).sum() / 2)(y0)
    np.testing.assert_allclose(ops.grad(_SumSq(net), grad_position=0)(Tensor(y0)).asnumpy(), want, rtol=1e-5,
                               atol=1e-6)


def test_odeint_default_mxstep_refusal_says_what_to_set():
    fn, p = _odeint(jnp.inf)
    with pytest.raises(UnsupportedModel, match=r"compared with inf .*odeint.*mxstep=N.*while_max_trips=N"):
        gs.from_jax(fn, jnp.ones((2, 3)), params=p)


class _SumSq(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, x):
        return (self.net(x) ** 2).sum() / 2


def _newton(limit):
    """sqrt(x) by Newton's iteration until converged or `limit` trips: lax.while_loop(more & i < limit)."""
    def fn(p, x):
        def cond(s):
            i, y = s
            return (jnp.abs(y * y - x).max() > 1e-6) & (i < limit)
        return lax.while_loop(cond, lambda s: (s[0] + 1, 0.5 * (s[1] + x / s[1])), (0, x * p))[1]
    return fn


def _newton_unrolled(x, trips):
    y = x
    for _ in range(trips):
        y = 0.5 * (y + x / y)
    return y


@pytest.mark.parametrize("limit, trips", [(30, None), (3, 3)])
def test_a_counter_conjunct_bounds_a_while_loop(limit, trips):
    """Converging first (limit 30) or stopped by the counter (limit 3): either way the program's own bound,
    no while_max_trips, and the gradient of the trips actually run."""
    x = np.asarray([2.0, 3.0, 5.0], np.float32)
    fn = _newton(limit)
    net = gs.from_jax(fn, x, params=jnp.asarray(1.0))
    y = net(Tensor(x)).asnumpy()
    np.testing.assert_allclose(y, fn(1.0, x), rtol=1e-6)
    if trips is None:  # converged: the derivative of sqrt
        want = 0.5 / np.sqrt(x)
    else:
        want = jax.grad(lambda z: _newton_unrolled(z, trips).sum())(x)
    np.testing.assert_allclose(ops.grad(net, grad_position=0)(Tensor(x)).asnumpy(), want, rtol=1e-4)


def test_a_tighter_while_max_trips_still_holds():
    from gradserve.importers.jax_import import jax_to_writer

    w, outs = jax_to_writer(_newton(30), (np.asarray([2.0, 3.0], np.float32),), jnp.asarray(1.0),
                            while_max_trips=7)
    assert set(_max_trips(json.loads(json.dumps(w.doc(outs[0], lambda a: None))))) == {7}


def test_sweep_counts_a_refusal_apart_from_a_failure():
    from benchmarks.model_zoo_sweep import run_case
    from benchmarks.zoo_models import Case

    refused = run_case(Case("force", "t", lambda: (_ForceClosedOver().eval(), (torch.randn(5, 3),))), "export")
    assert refused["status"] == "refused" and "torch.func.grad" in refused["why"]

    class Broken(torch.nn.Module):
        def forward(self, x):
            raise ValueError("a bug in the model")
    failed = run_case(Case("broken", "t", lambda: (Broken(), (torch.randn(2),))), "export")
    assert failed["status"] == "error" and "a bug in the model" in failed["why"]


def _scatter_model(indices, updates_const=False):
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.asarray(indices, np.int64), "idx"),
             numpy_helper.from_array(np.zeros(3, np.float32), "z")]
    inputs, nodes = [], []
    if updates_const:
        nodes.append(helper.make_node("Constant", [], ["u"], value=numpy_helper.from_array(
            np.ones(len(indices), np.float32))))
    else:
        inputs.append(helper.make_tensor_value_info("u", TensorProto.FLOAT, [len(indices)]))
    nodes.append(helper.make_node("ScatterElements", ["z", "idx", "u"], ["y"], axis=0, name="sc"))
    g = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_onnx_scatter_none_with_repeated_constant_indices_is_refused():
    """What torch's TorchScript exporter writes for GAT's index_add: a plain ScatterElements over repeated
    receivers (value the writes' mean here, gradient a write's: GAT's weight gradients were 37x off)."""
    with pytest.raises(UnsupportedModel, match=r"ScatterElements \(node 'sc'.*repeated indices.*index_add"):
        gs.from_onnx(_scatter_model([0, 0, 2]))
    with pytest.raises(UnsupportedModel, match=r"repeated indices"):  # -3 is position 0
        gs.from_onnx(_scatter_model([0, -3, 2]))
    u = np.asarray([1.0, 2.0], np.float32)
    np.testing.assert_array_equal(gs.from_onnx(_scatter_model([2, 0]))(Tensor(u)).asnumpy(), [2.0, 0.0, 1.0])
    gs.from_onnx(_scatter_model([1, 1], updates_const=True))  # constant writes (a Constant node): no gradient


def test_gat_through_the_torchscript_exporter_is_refused_not_wrong():
    from benchmarks.model_zoo_sweep import _onnx_bytes
    from benchmarks.zoo_models_round9 import gat

    model, inputs = gat()()
    with pytest.raises(UnsupportedModel, match=r"repeated indices"):
        gs.from_onnx(_onnx_bytes(model, inputs, "torchscript"))


@pytest.mark.parametrize("start, stop, trips", [(0.5, 2.6, 3), (0.5, 2.0, 2), (0.0, 3.0, 3)])
def test_a_float_counter_from_a_fraction_runs_ceil_of_the_span(start, stop, trips):
    def fn(p, x):
        return lax.while_loop(lambda s: s[0] < stop, lambda s: (s[0] + 1.0, s[1] * p), (jnp.float32(start), x))[1]
    x = np.asarray([1.5, -0.5], np.float32)
    net = gs.from_jax(fn, x, params=jnp.float32(1.1))
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), x * 1.1 ** trips, rtol=1e-6)
