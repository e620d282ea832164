"""The det op over REST, written by hand as a client would (wire op name "det"): the gradient of det at a
rank-(n - 1) matrix is its cofactor matrix (NumPy's minors), and the second derivative (grad of the summed
gradient, a det_grad node the server derives) is finite and matches central differences of those cofactors."""
from __future__ import annotations

import numpy as np

from .helpers import call, decode

A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2: det 0, cofactors not all 0


def _det_graph() -> dict:
    return {"format": "gradserve.graph/1", "name": "det", "inputs": [{"name": "a", "shape": [3, 3],
                                                                       "dtype": "float64"}],
            "params": [], "outputs": "d", "nodes": [{"op": "det", "inputs": ["a"], "outputs": ["d"], "attrs": {}}]}


def _cofactors(a):
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)]
                     for i in range(3)])


def test_det_value_and_gradient_at_a_singular_matrix_over_rest(client):
    value = decode(call(client, "eval", {"graph": _det_graph(), "inputs": [A]}))["outputs"][0]["array"]
    np.testing.assert_allclose(value, 0.0, atol=1e-12)
    grad = decode(call(client, "grad", {"graph": _det_graph(), "inputs": [A]}))["outputs"][0]["array"]
    want = _cofactors(A)
    assert np.abs(want).max() > 1
    np.testing.assert_allclose(grad, want, rtol=0, atol=1e-12)
    # order 2: the gradient of sum(cofactors), by central differences of NumPy's cofactors (exact for them:
    # each cofactor is linear in each entry of a)
    second = decode(call(client, "grad", {"graph": _det_graph(), "inputs": [A], "order": 2}))["outputs"][0]["array"]
    fd = np.zeros((3, 3))
    for i in np.ndindex(3, 3):
        step = np.zeros((3, 3))
        step[i] = 0.5
        fd[i] = (_cofactors(A + step) - _cofactors(A - step)).sum()
    np.testing.assert_allclose(second, fd, rtol=0, atol=1e-12)
