"""cholesky, triangular_solve, solve, matrix_inverse, slogdet (engine/ops/linalg_solve.py): forward values
and first derivatives against PyTorch (an independent implementation), on the NumPy and PyTorch backends;
NaN for a matrix LAPACK rejects (as JAX), the rest of the batch intact; shape errors naming both operands.
Derivatives of orders 1-3 against finite differences: the op table (tests/engine/_optable_ops.py)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from engine.errors import ShapeError

from test_model_ops import check, graph_of

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(11)


def _spd(*shape):
    m = RNG.uniform(-1, 1, shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _wc(*shape):
    return RNG.uniform(-1, 1, shape) + 3 * np.eye(shape[-1])


def _sym(t):
    return (t + t.mT) / 2


BACKENDS = ["numpy", "torch"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_cholesky_reads_the_symmetric_part(backend):
    a = _spd(2, 4, 4) + 0.2 * np.triu(RNG.uniform(-1, 1, (2, 4, 4)), 1)  # not symmetric: its symmetric part is SPD
    check(lambda gb, x: gb.cholesky(x), lambda x: torch.linalg.cholesky(_sym(x)), [a], backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lower,transpose_a,unit", [(True, False, False), (False, True, False), (True, True, True),
                                                    (False, False, True)])
def test_triangular_solve(backend, lower, transpose_a, unit):
    a, b = _wc(2, 3, 3), RNG.uniform(-1, 1, (2, 3, 2))

    def ref(x, y):
        t = torch.tril(x) if lower else torch.triu(x)
        return torch.linalg.solve_triangular(t.mT if transpose_a else t, y, upper=lower == transpose_a,
                                             unitriangular=unit)
    check(lambda gb, x, y: gb.triangular_solve(x, y, lower=lower, transpose_a=transpose_a, unit_diagonal=unit),
          ref, [a, b], backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve_inverse_slogdet(backend):
    a, b = _wc(2, 4, 4), RNG.uniform(-1, 1, (2, 4, 3))
    check(lambda gb, x, y: gb.solve(x, y), torch.linalg.solve, [a, b], backend)
    check(lambda gb, x: gb.matrix_inverse(x), torch.linalg.inv, [a], backend)
    a[0, 0] *= -1  # a negative determinant: sign -1, the same log|det| gradient
    check(lambda gb, x: gb.emit("slogdet", [x], {})[1], lambda x: torch.linalg.slogdet(x)[1], [a], backend)
    sign = Engine(backend).run(graph_of(lambda gb, x: gb.emit("slogdet", [x], {})[0], [a]), [a])
    np.testing.assert_array_equal(sign, np.sign(np.linalg.det(a)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_matrix_lapack_rejects_is_nan_the_others_exact(backend):
    good = _spd(3, 3)
    bad = -good  # negative definite: no Cholesky factor; singular: no inverse
    got = Engine(backend).run(graph_of(lambda gb, x: gb.cholesky(x), [np.stack([good, bad])]), [np.stack([good, bad])])
    np.testing.assert_allclose(got[0], np.linalg.cholesky(good), rtol=1e-12)
    assert np.isnan(got[1]).all()
    sing = np.ones((3, 3))
    a, rhs = np.stack([good, sing]), np.ones((2, 3, 1))
    got = Engine(backend).run(graph_of(lambda gb, x, y: gb.solve(x, y), [a, rhs]), [a, rhs])
    np.testing.assert_allclose(got[0], np.linalg.solve(good, rhs[0]), rtol=1e-12)
    assert np.isnan(got[1]).all()


def test_shape_errors_name_both_operands():
    gb = GraphBuilder("t")
    a, b = gb.input((2, 3, 3), "float64", "a"), gb.input((3, 2), "float64", "b")
    with pytest.raises(ShapeError, match=r"solve: b must be float64\[\.\.\., 3, k\] with a's batch axes \[2\]"):
        gb.solve(a, b)
    with pytest.raises(ShapeError, match=r"cholesky: needs floating-point square matrices .*float64\[3,2\]"):
        gb.cholesky(b)
    with pytest.raises(ShapeError, match="square matrices"):
        gb.emit("slogdet", [gb.input((3,), "float64", "v")], {})


def test_per_example_gradients_vmap_of_grad():
    """vmap of the gradient of log det via Cholesky (2 sum log diag L): the rules compose; d/da = a^-1."""
    from engine import transforms
    from engine.api import evaluate
    from engine.vmap import vmap_graph

    gb = GraphBuilder("t")
    a = gb.input((3, 3), "float64", "a")
    low = gb.cholesky(a)
    diag = gb.sum(gb.mul(low, gb.const(np.eye(3))), axis=(1,))
    g = gb.build(gb.mul(gb.sum(gb.log(diag)), gb.const(np.float64(2.0))))
    batch = np.stack([_spd(3, 3) for _ in range(4)])
    got = evaluate(vmap_graph(transforms.grad(g), 4, in_axes=[0]), batch)
    np.testing.assert_allclose(got, np.linalg.inv(batch), rtol=1e-10, atol=1e-12)
