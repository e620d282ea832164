"""eig (engine/ops/linalg_eig.py), eigh of complex Hermitian matrices (engine/ops/linalg_decomp.py) and
linear_sum_assignment (engine/ops/assignment.py): values on NumPy, array-api-strict and PyTorch against
NumPy / PyTorch / SciPy (independent LAPACK and Hungarian-method implementations) and the facts MindSpore 2.10
gives; their derivatives refused by name (eig, complex eigh) or absent (integer outputs)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_lsa

from engine import Engine, GraphBuilder, vjp
from engine.errors import DifferentiationError, ShapeError

RNG = np.random.default_rng(31)
BACKENDS = ["numpy", "array_api_strict", "torch"]


def _run(op, arrays, backend="numpy", **attrs):
    gb = GraphBuilder("t")
    ins = [gb.input(a.shape, str(a.dtype), name=f"a{i}") for i, a in enumerate(arrays)]
    g = gb.build(list(gb.emit(op, ins, attrs)))
    return [np.asarray(o) for o in Engine(backend).run(g, list(arrays))]


def _hermitian_parts(n, dtype):
    a = (RNG.standard_normal((n, n)) + 1j * RNG.standard_normal((n, n))).astype(dtype)
    return a


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_eig_matches_numpy_and_the_definition(dtype, backend):
    a = RNG.standard_normal((2, 5, 5)).astype(dtype)
    if dtype.startswith("complex"):
        a = a + 1j * RNG.standard_normal((2, 5, 5)).astype(dtype)
    w, v = _run("eig", [a], backend)
    want = {"float32": np.complex64, "float64": np.complex128}.get(dtype, np.dtype(dtype))
    assert w.dtype == want and v.dtype == want and w.shape == (2, 5) and v.shape == (2, 5, 5)
    tol = 1e-4 if dtype in ("float32", "complex64") else 1e-10
    np.testing.assert_allclose(a @ v, v * w[:, None, :], atol=tol)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, atol=tol)
    ref = np.linalg.eigvals(a.astype(np.complex128))
    # the same multiset (a conjugate pair's real parts tie, so no sort order is stable across precisions)
    dist = np.abs(w[..., :, None].astype(np.complex128) - ref[..., None, :])
    assert dist.min(axis=-1).max() < tol * 10 and dist.min(axis=-2).max() < tol * 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_eig_of_a_matrix_with_nan_or_inf_is_nan_not_an_error(backend):
    """LAPACK's geev refuses non-finite entries (NumPy's LinAlgError, PyTorch's RuntimeError: a 500 here);
    JAX answers NaN eigenpairs for such a matrix and the others of the batch exactly, as eigh / svd do here."""
    a = np.array([[[np.nan, 1.0], [0.0, 2.0]], [[1.0, 2.0], [3.0, 4.0]], [[np.inf, 0.0], [0.0, 1.0]]])
    w, v = _run("eig", [a], backend)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    assert np.isnan(w[[0, 2]].real).all() and np.isnan(w[[0, 2]].imag).all() and np.isnan(v[[0, 2]].real).all()
    np.testing.assert_allclose(np.sort(w[1].real), [-0.3722813232690143, 5.372281323269014], rtol=1e-12)  # JAX's
    np.testing.assert_allclose(a[1] @ v[1], v[1] * w[1], atol=1e-12)


def test_eig_of_a_real_matrix_with_real_eigenvalues_is_complex():
    """NumPy answers a real array there; MindSpore's Eig (and this op) always complex (MindSpore 2.10: [[2, 1],
    [1, 3]] -> complex64 [1.38197+0j, 3.61803+0j])."""
    w, v = _run("eig", [np.array([[2.0, 1.0], [1.0, 3.0]], np.float32)])
    assert w.dtype == np.complex64 and v.dtype == np.complex64
    np.testing.assert_allclose(np.sort(w.real), [1.381966, 3.618034], atol=1e-5)
    np.testing.assert_allclose(w.imag, 0.0)


def test_eig_refuses_derivatives_by_name():
    gb = GraphBuilder("t")
    x = gb.input((3, 3), "float64", "a")
    w, _ = gb.emit("eig", [x], {})
    g = gb.build([gb.emit("real", [w], {})[0]])
    with pytest.raises(DifferentiationError, match=r"op 'eig' .*no derivative"):
        Engine().run(vjp(g), [RNG.standard_normal((3, 3)), np.ones(3)])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_eigh_of_complex_reads_one_triangle_as_hermitian(dtype, lower, backend):
    """The triangle read, conjugate-mirrored, with the diagonal's imaginary part ignored (LAPACK heevd, as
    numpy.linalg.eigh with UPLO) ; w real."""
    a = _hermitian_parts(4, dtype)
    w, v = _run("eigh", [a], backend, lower=lower)
    assert w.dtype == np.dtype(dtype).type(0).real.dtype and v.dtype == np.dtype(dtype)
    ref_w = np.linalg.eigvalsh(a.astype(np.complex128), UPLO="L" if lower else "U")
    tol = 1e-4 if dtype == "complex64" else 1e-10
    np.testing.assert_allclose(w, ref_w, atol=tol)
    t = np.tril(a, -1) if lower else np.triu(a, 1)
    herm = t + t.conj().T + np.diag(np.diag(a).real)
    np.testing.assert_allclose(herm @ v, v * w[None, :], atol=tol * 10)


def test_eigh_of_complex_refuses_derivatives_by_name():
    gb = GraphBuilder("t")
    x = gb.input((3, 3), "complex128", "a")
    w, _ = gb.emit("eigh", [x], {})
    g = gb.build([w])
    with pytest.raises(DifferentiationError, match=r"'eigh' of a complex"):
        Engine().run(vjp(g), [_hermitian_parts(3, "complex128"), np.ones(3)])


def _lsa(cost, limit, maximize=False, backend="numpy"):
    return _run("linear_sum_assignment", [cost, np.asarray(limit, np.int64)], backend, maximize=maximize)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (6, 6)])
@pytest.mark.parametrize("maximize", [False, True])
def test_linear_sum_assignment_matches_scipy(shape, maximize, backend):
    cost = RNG.random(shape)
    rows, cols = _lsa(cost, shape[1], maximize, backend)
    want_r, want_c = scipy_lsa(cost, maximize=maximize)
    assert rows.dtype == np.int64 and cols.dtype == np.int64
    np.testing.assert_array_equal(rows, want_r)
    np.testing.assert_array_equal(cols, want_c)


def test_linear_sum_assignment_pads_what_the_limit_leaves_out():
    """MindSpore 2.10's own example: [[2, 3, 3], [3, 2, 3], [3, 3, 2]], dimension_limit 2 -> rows [0, 1, -1],
    cols [0, 1, -1]; and a (6, 4) cost limited to 2 columns pads 2 of 4 (MindSpore 2.10: [r0, r1, -1, -1]),
    the pairs those of scipy on cost[:, :2]."""
    for dtype in ("float32", "int32", "bool", "uint8"):
        rows, cols = _lsa(np.array([[2, 3, 3], [3, 2, 3], [3, 3, 2]]).astype(dtype), 2)
        if dtype == "bool":  # all True: every matching costs the same; scipy's pick, padded
            want = scipy_lsa(np.ones((3, 2)))
            np.testing.assert_array_equal(rows, list(want[0]) + [-1])
            continue
        np.testing.assert_array_equal(rows, [0, 1, -1])
        np.testing.assert_array_equal(cols, [0, 1, -1])
    cost = RNG.random((6, 4))
    rows, cols = _lsa(cost, 2)
    want_r, want_c = scipy_lsa(cost[:, :2])
    np.testing.assert_array_equal(rows, list(want_r) + [-1, -1])
    np.testing.assert_array_equal(cols, list(want_c) + [-1, -1])


def test_linear_sum_assignment_refuses_bad_input_naming_it():
    cost = RNG.random((3, 3))
    with pytest.raises(ShapeError, match=r"dimension_limit must be >= 1 \(input 1\), got 0"):
        _lsa(cost, 0)
    bad = cost.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ShapeError, match=r"cost matrix \(input 0\) admits no assignment"):
        _lsa(bad, 3)
    bad = cost.copy()
    bad[1, :] = np.inf
    with pytest.raises(ShapeError, match=r"cost matrix \(input 0\) admits no assignment"):
        _lsa(bad, 3)
    gb = GraphBuilder("t")
    with pytest.raises(ShapeError, match=r"linear_sum_assignment: needs a real, integer or bool cost matrix"):
        gb.emit("linear_sum_assignment", [gb.input((3,), "float64", "c"), gb.input((), "int64", "k")], {})
    with pytest.raises(ShapeError, match=r"dimension_limit must be an integer scalar"):
        gb.emit("linear_sum_assignment", [gb.input((3, 3), "float64", "c"), gb.input((), "float64", "k")], {})
