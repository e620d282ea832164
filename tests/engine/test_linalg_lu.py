"""lu (engine/ops/linalg_lu.py), LAPACK getrf: the packed factor and its first derivative against PyTorch's
lu_factor (an independent implementation), the pivots (1-based, LAPACK's ipiv) and info (k + 1 for the first
zero pivot) against torch's lu_factor_ex, on the NumPy loop, array-api-strict and PyTorch; the row order
lu_pivots_to_permutation gives reassembles the input; shape errors; vmap of the gradient.
Derivatives of orders 1-3 against finite differences: the op table (tests/engine/_optable_ops.py)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from engine.errors import ShapeError

from test_model_ops import check, graph_of

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(17)
BACKENDS = ["numpy", "array_api_strict", "torch"]


def _shuffled(*shape):
    """Well conditioned, rows rotated by one: partial pivoting swaps, by a wide margin."""
    a = RNG.uniform(-1, 1, shape) + 3 * np.eye(shape[-1])
    return a[..., np.roll(np.arange(shape[-1]), 1), :]


@pytest.mark.parametrize("backend", BACKENDS)
def test_packed_factor_and_its_vjp_match_torch(backend):
    check(lambda gb, x: gb.emit("lu", [x], {})[0], lambda x: torch.linalg.lu_factor(x)[0], [_shuffled(2, 4, 4)],
          backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pivots_info_and_permutation(backend):
    sing = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [0.0, 1.0, 5.0]])  # first column zero: info 1
    a = np.stack([_shuffled(3, 3), sing])

    def build(gb, x):
        lu, piv, info = gb.emit("lu", [x], {})
        return [lu, piv, info, gb.emit1("lu_pivots_to_permutation", piv, permutation_size=3)]
    lu, piv, info, perm = Engine(backend).run(graph_of(build, [a]), [a])
    want_lu, want_piv, want_info = torch.linalg.lu_factor_ex(torch.tensor(a))
    assert piv.dtype == np.int32 and info.dtype == np.int32 and perm.dtype == np.int32
    np.testing.assert_array_equal(piv, want_piv.numpy())
    np.testing.assert_array_equal(info, want_info.numpy())
    assert info.tolist() == [0, 1]
    np.testing.assert_allclose(lu, want_lu.numpy(), rtol=1e-12, atol=1e-14)
    low, up = np.tril(lu[0], -1) + np.eye(3), np.triu(lu[0])
    np.testing.assert_allclose(a[0][perm[0]], low @ up, rtol=1e-12, atol=1e-14)
    assert sorted(perm[0].tolist()) == [0, 1, 2] and perm[0].tolist() != [0, 1, 2]


def test_shape_errors():
    gb = GraphBuilder("t")
    with pytest.raises(ShapeError, match=r"lu: needs floating-point square matrices .*float64\[3,2\]"):
        gb.emit("lu", [gb.input((3, 2), "float64", "a")], {})
    with pytest.raises(ShapeError, match=r"lu_pivots_to_permutation: needs integer pivots"):
        gb.emit("lu_pivots_to_permutation", [gb.input((3,), "float64", "p")], {"permutation_size": 3})


@pytest.mark.parametrize("backend", BACKENDS)
def test_pivots_outside_one_to_n_are_an_error_not_a_permutation(backend):
    """Pivots that name no row (user data: ops.lu_solve's LU_pivots) are refused, as MindSpore 2.10's lu_solve
    ("lu_pivots values out of index of lu_data", its venv, for [5, 0], [0, 2], [3, 2] with n = 2); they gave a
    permutation all the same, and lu_solve a wrong x."""
    g = graph_of(lambda gb, p: [gb.emit1("lu_pivots_to_permutation", p, permutation_size=2)], [np.zeros(2, np.int32)])
    assert Engine(backend).run(g, [np.array([2, 2], np.int32)])[0].tolist() == [1, 0]
    for bad in ([5, 0], [0, 2], [3, 2]):
        with pytest.raises(ShapeError, match=r"lu_pivots_to_permutation: pivots must lie in \[1, 2\]"):
            Engine(backend).run(g, [np.array(bad, np.int32)])


def test_vmap_of_grad_of_log_abs_det_via_lu():
    """sum log |diag U| = log |det a|: its gradient is a^-T, per example under vmap (swaps included)."""
    from engine import transforms
    from engine.api import evaluate
    from engine.vmap import vmap_graph

    gb = GraphBuilder("t")
    a = gb.input((3, 3), "float64", "a")
    lu = gb.emit("lu", [a], {})[0]
    diag = gb.sum(gb.mul(lu, gb.const(np.eye(3))), axis=(1,))
    g = gb.build(gb.sum(gb.log(gb.abs(diag))))
    batch = np.stack([_shuffled(3, 3) for _ in range(4)])
    got = evaluate(vmap_graph(transforms.grad(g), 4, in_axes=[0]), batch)
    np.testing.assert_allclose(got, np.swapaxes(np.linalg.inv(batch), -1, -2), rtol=1e-10, atol=1e-12)
