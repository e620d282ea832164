"""Import-fidelity sweep, JAX: every jax_zoo function through jax.export (gs.from_jax); value and
gradients w.r.t. the inputs and every parameter (by name) against jax.grad."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import gradserve as gs
from gradserve import Tensor, ops

from .jax_zoo import JCASES
from .sweep import WeightedSumSq, close

pytestmark = pytest.mark.jax_x64(False)  # JAX's default 32-bit mode (tests/jax_mode.py)


def _name(path):
    return ".".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path)


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _params():
    # (vq_codebook_stop_gradient_straight_through was a strict xfail until round 14: StableHLO has no stop-gradient,
    # jax.export lowers lax.stop_gradient to nothing; a user's stop_gradient now goes through JAX's own VJP)
    for name in sorted(JCASES):
        yield pytest.param(name, id=name)


def _reference(fn, ref, params, inputs):
    """JAX's outputs of fn, the loss weights cs (random, of the outputs' shapes) and jax.grad of the weighted
    loss of ref w.r.t. (params, *inputs): one jax.jit program (op-by-op dispatch was 3/4 of the sweep's time;
    the values agree with the eager ones to float32 rounding)."""
    shapes = jax.eval_shape(lambda p, *xs: _outs(fn(p, *xs)), params, *inputs)
    rng = np.random.default_rng(5)
    cs = [rng.uniform(0.5, 1.5, o.shape).astype(np.float32) for o in shapes]

    def loss(p, *xs):
        return sum(jnp.sum((o * c) ** 2) / 2 for o, c in zip(_outs(ref(p, *xs)), cs))

    grad = jax.grad(loss, argnums=tuple(range(len(inputs) + 1)))
    outs, want = jax.jit(lambda p, *xs: (_outs(fn(p, *xs)), grad(p, *xs)))(params, *inputs)
    return [np.asarray(o) for o in outs], cs, want


@pytest.mark.parametrize("name", list(_params()))
def test_jax_export(fake, name):
    fn, params, inputs, *ref = JCASES[name]()
    ref = ref[0] if ref else fn
    net = gs.from_jax(fn, *inputs, params=params, while_max_trips=8)
    outs, cs, want = _reference(fn, ref, params, inputs)
    pos = tuple(range(len(inputs)))
    want_w = {_name(k): np.asarray(v) for k, v in jax.tree_util.tree_flatten_with_path(want[0])[0]}
    assert sorted(p.name for p in net.trainable_params()) == sorted(want_w)

    xs = [Tensor(np.asarray(x)) for x in inputs]
    got = _outs(net(*xs))
    assert len(got) == len(outs)
    for i, (g, o) in enumerate(zip(got, outs)):
        close(g.asnumpy(), o, f"value {i}")
    gx, gw = ops.grad(WeightedSumSq(net, cs, len(xs)), grad_position=pos, weights=net.trainable_params())(*xs)
    gx = gx if isinstance(gx, (tuple, list)) else (gx,)
    for i, g in enumerate(gx):
        close(g.asnumpy(), np.asarray(want[i + 1]), f"grad input {i}")
    for p, g in zip(net.trainable_params(), gw):
        close(g.asnumpy(), want_w[p.name], f"grad {p.name}")


def test_an_op_without_a_mapping_is_refused_naming_op_place_and_model():
    from gradserve.importers import UnsupportedModel

    def roots(x):  # (lax.rng_uniform: XLA's stateful generator, not a function of the program's inputs)
        return lax.rng_uniform(x.min(), x.max(), x.shape) * x

    with pytest.raises(UnsupportedModel) as e:
        gs.from_jax(roots, np.ones((2, 3), np.float32))
    msg = str(e.value)
    assert e.value.op == "stablehlo.rng" and e.value.model == "roots", msg
    assert "test_sweep_jax.py:" in msg and "<locals>.roots)" in msg and "(model 'roots')" in msg, msg
    assert "callsite" not in msg  # the location is one frame, not MLIR's call-site chain
