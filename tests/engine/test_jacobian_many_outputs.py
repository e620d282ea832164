"""jacobian (rev) and hessian of graphs with many separate outputs (engine/transforms._jac_rev_shared): past
PULLBACK_PER_OUTPUT_MAX outputs one pullback maps over all outputs' elements, so the graph keeps two functions
whatever the count; one pullback per output made two functions each and passed a server's max_functions (256) at
128 outputs. Against JAX's jacrev / hessian (float64), and through the wire format's default limits."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder, hessian, jacobian
from engine.serialize import graph_from_json, graph_to_json
from engine.transforms import PULLBACK_PER_OUTPUT_MAX

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
jnp = jax.numpy
RNG = np.random.default_rng(7)


def _many_outputs(count: int):
    """Outputs k = 0..count-1: sin(k x) * y (a [3] vector), sum of x^k y (scalar), and every 3rd a [2, 3] float32
    product; an output of y alone, one of x alone (a zero block for the other input)."""
    gb = GraphBuilder("many")
    x, y = gb.input((3,), "float64", name="x"), gb.input((), "float64", name="y")
    outs = []
    for k in range(count):
        if k % 3 == 0:
            scaled = gb.mul(gb.sin(gb.mul(x, gb.scalar(float(k + 1), "float64"))), y)
            outs.append(scaled)
        elif k % 3 == 1:
            outs.append(gb.sum(gb.mul(gb.pow(x, gb.scalar(float(k % 5), "float64")), y)))
        else:
            outs.append(gb.cast(gb.mul(gb.broadcast_to(x, shape=(2, 3)), gb.exp(y)), dtype="float32"))
    outs += [gb.mul(y, y), gb.exp(x)]
    return gb.build(tuple(outs))


def _output_jax(count: int, k: int):
    """Output k of _many_outputs as a JAX function of (x, y): each output's reference on its own (one jacrev of
    all 150 outputs takes JAX ~30 s op by op)."""
    if k == count:
        return lambda x, y: y * y
    if k == count + 1:
        return lambda x, y: jnp.exp(x)
    if k % 3 == 0:
        return lambda x, y: jnp.sin(x * (k + 1.0)) * y
    if k % 3 == 1:
        return lambda x, y: jnp.sum(x ** float(k % 5) * y)
    return lambda x, y: jnp.broadcast_to(x, (2, 3)) * jnp.exp(y)  # (float32 in the graph: compared as such)


@pytest.mark.parametrize("count", [PULLBACK_PER_OUTPUT_MAX + 1, 150])
def test_jacobian_of_many_outputs_matches_jax_and_loads_within_the_default_limits(count):
    g = _many_outputs(count)
    x, y = RNG.normal(size=3), np.float64(0.7)
    jac = jacobian(g, (0, 1))
    assert len(jac.functions) <= 4
    loaded = graph_from_json(graph_to_json(jac))  # default Limits: max_functions 256
    got = Engine().run(loaded, [x, y])
    assert len(got) == count + 2
    for k, g_blocks in enumerate(got):
        w_blocks = jax.jacrev(_output_jax(count, k), argnums=(0, 1))(x, y)
        for gb_, wb in zip(g_blocks, w_blocks):
            rtol = 1e-6 if k < count and k % 3 == 2 else 1e-12  # the float32 outputs
            np.testing.assert_allclose(np.asarray(gb_, np.float64), np.asarray(wb), rtol=rtol, atol=1e-12)


def test_hessian_of_many_outputs_matches_jax():
    count = 40
    g = _many_outputs(count)
    x, y = RNG.normal(size=3), np.float64(-0.4)
    got = Engine().run(hessian(g, 0), [x, y])
    assert len(got) == count + 2
    for k, gh in enumerate(got):
        wh = jax.hessian(_output_jax(count, k), argnums=0)(x, y)
        rtol = 1e-6 if k < count and k % 3 == 2 else 1e-12
        np.testing.assert_allclose(np.asarray(gh, np.float64), np.asarray(wh), rtol=rtol, atol=1e-12)
