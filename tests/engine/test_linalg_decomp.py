"""qr and eigh (engine/ops/linalg_decomp.py): each output and its vjp against torch.linalg.qr / eigh (LAPACK's
signs on both sides; eigenvectors through v^2, which is sign-free) on NumPy, array-api-strict and PyTorch;
eigh reads one triangle; bad shapes are refused naming the op. Derivatives of orders 1-3 against finite
differences: the op table (tests/engine/_optable_ops.py)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import Engine, GraphBuilder
from engine.errors import ShapeError

from test_model_ops import check

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(23)
BACKENDS = ["numpy", "array_api_strict", "torch"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 3), (2, 5)], ids=["tall", "square-batch", "wide"])
@pytest.mark.parametrize("k", [0, 1], ids=["q", "r"])
def test_qr_outputs_and_vjps_match_torch(shape, k, backend):
    check(lambda gb, x: gb.emit("qr", [x], {})[k], lambda x: torch.linalg.qr(x)[k], [RNG.standard_normal(shape)],
          backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_eigh_values_and_vectors_match_torch(backend):
    """Through a symmetrised input x + x^T: the op's vjp folds each symmetric pair into the triangle it reads,
    torch's is symmetric; the gradient w.r.t. x is the same."""
    def sym(gb, x):
        return gb.add(x, gb.transpose(x, perm=(0, 2, 1)))
    a = RNG.standard_normal((2, 4, 4))
    check(lambda gb, x: gb.emit("eigh", [sym(gb, x)], {})[0], lambda x: torch.linalg.eigh(x + x.mT)[0], [a], backend)
    check(lambda gb, x: gb.square(gb.emit("eigh", [sym(gb, x)], {"lower": False})[1]),
          lambda x: torch.linalg.eigh(x + x.mT, UPLO="U")[1] ** 2, [a], backend)


@pytest.mark.parametrize("lower", [True, False])
def test_eigh_reads_one_triangle(lower):
    a = RNG.standard_normal((3, 3))  # not symmetric: the other triangle must not matter
    gb = GraphBuilder("t")
    x = gb.input((3, 3), "float64", "a")
    w, v = Engine().run(gb.build(list(gb.emit("eigh", [x], {"lower": lower}))), [a])
    t = np.tril(a) if lower else np.triu(a)
    sym = t + t.T - np.diag(np.diag(a))
    np.testing.assert_allclose(w, np.linalg.eigvalsh(sym), atol=1e-12)
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, sym, atol=1e-10)


def test_shape_errors_name_the_op():
    gb = GraphBuilder("t")
    with pytest.raises(ShapeError, match=r"qr: needs a floating-point operand of rank >= 2 .*float64\[4\]"):
        gb.emit("qr", [gb.input((4,), "float64", "a")], {})
    with pytest.raises(ShapeError, match=r"qr: needs a floating-point operand"):
        gb.emit("qr", [gb.input((3, 3), "int32", "i")], {})
    with pytest.raises(ShapeError, match=r"eigh: needs floating-point or complex square matrices .*float64\[3,4\]"):
        gb.emit("eigh", [gb.input((3, 4), "float64", "b")], {})
