"""segment_reduce: values against NumPy (every backend, int dtypes' exact empty fill), tie-splitting
gradients, its refusals; derivatives of every order are held by test_ops_numeric through _optable_ops and
its batching rule by test_vmap."""
from __future__ import annotations

import numpy as np
import pytest

from engine.api import GraphBuilder, evaluate
from engine.errors import ShapeError
from engine.transforms import grad


def _graph(vshape, vdtype, n_ids, num, mode, idtype="int64"):
    gb = GraphBuilder("f")
    v, i = gb.input(vshape, vdtype, "v"), gb.input((n_ids,), idtype, "ids")
    return gb.build(gb.segment_reduce(v, i, num_segments=num, mode=mode))


def _reference(v, ids, num, mode):
    """Row by row, in plain Python: MindSpore 2.10's empty fill (the dtype's lowest / highest, or 1)."""
    info = np.finfo(v.dtype) if v.dtype.kind == "f" else np.iinfo(v.dtype)
    empty = {"max": info.min, "min": info.max, "prod": 1}[mode]
    out = np.full((num,) + v.shape[1:], empty, v.dtype)
    for s in range(num):
        rows = v[(ids % num) == s]
        if len(rows):
            out[s] = {"max": np.max, "min": np.min, "prod": np.prod}[mode](rows, axis=0)
    return out


@pytest.mark.parametrize("mode", ["max", "min", "prod"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8", "float32"])
def test_values_and_exact_empty_fill(mode, dtype):
    rng = np.random.default_rng(1)
    v = rng.integers(0, 5, (7, 2)).astype(dtype)
    ids = np.array([0, 3, -1, 0, 3, 3, -5], np.int64)  # segment 1 is empty; -1 is 4, -5 is 0
    got = evaluate(_graph((7, 2), dtype, 7, 5, mode), v, ids)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, _reference(v, ids, 5, mode))
    if dtype == "int64" and mode != "prod":  # 2**63 - 1 does not survive a float: exact here
        assert int(got[1, 0]) == (np.iinfo(np.int64).min if mode == "max" else np.iinfo(np.int64).max)


@pytest.mark.parametrize("backend", ["torch", "array_api_strict"])
@pytest.mark.parametrize("dtype", ["float64", "int64", "uint8"])
def test_backends_match_numpy(backend, dtype):
    pytest.importorskip(backend)
    rng = np.random.default_rng(2)
    v, ids = rng.integers(0, 6, (9, 3)).astype(dtype), rng.integers(-5, 5, 9)  # negatives count from the end
    for mode in ("max", "min", "prod"):
        got = evaluate(_graph((9, 3), dtype, 9, 5, mode), v, ids, backend=backend)
        assert got.dtype == np.dtype(dtype), (mode, got.dtype)
        np.testing.assert_array_equal(got, _reference(v, ids, 5, mode), err_msg=mode)


def test_ties_share_the_gradient_equally():
    """MindSpore 2.10's unsorted_segment_max: every row equal to its segment's max gets ct / (count)."""
    gb = GraphBuilder("f")
    v, i = gb.input((5,), "float64", "v"), gb.input((5,), "int64", "ids")
    w = gb.const(value=np.array([1.0, 10.0]))
    gb_out = gb.sum(gb.mul(gb.segment_reduce(v, i, num_segments=2, mode="max"), w))
    g = grad(gb.build(gb_out), 0)
    got = evaluate(g, np.array([3.0, 3.0, 1.0, 3.0, 2.0]), np.array([0, 0, 0, 1, 1]))
    np.testing.assert_allclose(got, [0.5, 0.5, 0.0, 10.0, 0.0])


def test_out_of_range_id_is_a_shape_error_and_bad_operands_are_refused():
    g = _graph((3,), "float64", 3, 2, "max")
    with pytest.raises(ShapeError, match="segment_reduce: index 2 out of range"):
        evaluate(g, np.ones(3), np.array([0, 2, 1]))
    with pytest.raises(ShapeError, match="mode must be 'max', 'min' or 'prod'"):
        _graph((3,), "float64", 3, 2, "sum")
    with pytest.raises(ShapeError, match=r"need a numeric leading axis of 4"):
        _graph((3,), "float64", 4, 2, "max")
    with pytest.raises(ShapeError, match="segment ids must be a 1-d int tensor"):
        _graph((3,), "float64", 3, 2, "max", idtype="float64")


def test_a_hundred_thousand_rows_in_linear_memory():
    """10^5 rows into 10^3 segments: the NumPy path is one pass (an N x N or N x P comparison would be
    10^10 / 10^8 elements)."""
    n, p = 100_000, 1_000
    rng = np.random.default_rng(3)
    v, ids = rng.normal(size=n), rng.integers(0, p, n)
    got = evaluate(_graph((n,), "float64", n, p, "max"), v, ids)
    want = np.full(p, -np.inf)
    np.maximum.at(want, ids, v)
    np.testing.assert_array_equal(got, want)
