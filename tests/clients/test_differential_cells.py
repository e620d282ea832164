"""Differential round 5: random nn.Cell programs (nested Cells, SequentialCell / CellList, Parameters shared
between cells or frozen, `if` on a Tensor's value, `for` over ranges, `while` with a Tensor condition) in
PyNative and GRAPH_MODE, through GradOperation, ops.grad, value_and_grad, vjp / jvp, jacrev / jacfwd, hessian,
orders 2-3, vmap of grad / jacobians, Parameter updates between calls and TrainOneStepCell, against torch in
float64 (tests/clients/_differential_cells5*.py), on the real server over HTTP and gRPC. Wide local run (not CI):
`PYTHONPATH=.:clients/python:tests python tests/clients/_differential_wide5.py N [first]`."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops

from ._differential_cells5_specs import SPECS, run_cells_case

FIRST_SEED = 7000  # each spec on its own program, the mode drawn with it


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_cell_program_matches_torch(on_real_server, spec):
    seed = FIRST_SEED + sorted(SPECS).index(spec)
    status, name, detail = run_cells_case(seed, spec)
    assert status == "ok", f"seed {seed} ({name}): {detail}"


@pytest.mark.parametrize("spec", ["grad_operation", "update_between_calls", "vmap_weights"])
def test_cell_program_matches_torch_each_transport(on_real_server_each_transport, spec):
    status, name, detail = run_cells_case(FIRST_SEED + 100, spec)
    assert status == "ok", f"seed {FIRST_SEED + 100} ({name}): {detail}"


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_dense_takes_a_vector(on_real_server, mode):
    """MindSpore's nn.Dense takes (*, in) with * empty too: a vector in, a vector out (was a ShapeError)."""
    gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
    try:
        w = np.array([[0.5, -0.2], [0.3, 0.8], [1.0, -1.0]], np.float32)
        b = np.array([0.1, 0.0, -0.3], np.float32)
        net = nn.Dense(2, 3, weight_init=w, bias_init=b, activation="tanh")
        x = np.array([0.3, -0.6], np.float32)
        value, (gx, (gw, gb)) = ops.value_and_grad(lambda v: net(v).sum(), 0, net.trainable_params())(Tensor(x))
        xs = np.stack([x, -2 * x, x + 1])  # per-example weight gradients: vmap hands Dense one vector each
        per_example = ops.vmap(ops.grad(lambda v: net(v).sum(), None, net.weight), 0)(Tensor(xs)).asnumpy()
    finally:
        gs.set_context(mode=gs.PYNATIVE_MODE)
    y = np.tanh(w.astype(np.float64) @ x + b)
    d = 1 - y * y  # d tanh
    np.testing.assert_allclose(value.asnumpy(), y.sum(), rtol=1e-6)
    np.testing.assert_allclose(gx.asnumpy(), w.T @ d, rtol=1e-5)
    np.testing.assert_allclose(gw.asnumpy(), np.outer(d, x), rtol=1e-5)
    np.testing.assert_allclose(gb.asnumpy(), d, rtol=1e-5)
    ds = 1 - np.tanh(xs.astype(np.float64) @ w.T + b) ** 2
    np.testing.assert_allclose(per_example, ds[:, :, None] * xs[:, None, :], rtol=1e-5, atol=1e-7)


def test_dense_with_a_vector_weight_is_a_matrix_vector_product(on_real_server):
    """ops.dense(x, w) with a 1-D w: x @ w (MindSpore 2.10 CPU: [[1, 2], [3, 4]] with [1, 10] gives [21, 43], and
    [21.5, 43.5] with bias 0.5); it was x * w elementwise, shape (2, 2). mint's linear is the same function."""
    from gradserve import mint
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    w = np.array([1.0, 10.0], np.float32)
    np.testing.assert_array_equal(ops.dense(Tensor(x), Tensor(w)).asnumpy(), [21.0, 43.0])
    np.testing.assert_array_equal(ops.dense(Tensor(x), Tensor(w), Tensor(np.float32(0.5))).asnumpy(), [21.5, 43.5])
    np.testing.assert_array_equal(mint.nn.functional.linear(Tensor(x), Tensor(w)).asnumpy(), [21.0, 43.0])
    assert ops.dense(Tensor(x[0]), Tensor(w)).shape == ()
    s = np.array([0.5, -2.0], np.float32)  # d/dx sum(s * (x @ w)) = outer(s, w); d/dw = x^T s
    gx, gw = ops.grad(lambda a, b: (ops.dense(a, b) * Tensor(s)).sum(), (0, 1))(Tensor(x), Tensor(w))
    np.testing.assert_allclose(gx.asnumpy(), np.outer(s, w), rtol=1e-6)
    np.testing.assert_allclose(gw.asnumpy(), x.T @ s, rtol=1e-6)


def test_conv1d_takes_a_three_axis_weight(on_real_server):
    """nn.Conv1d / Conv1dTranspose(weight_init=[out, in, k]) (MindSpore 2.10 takes it and keeps its [.., .., 1, k]
    layout; it was refused here): NumPy's cross-correlation / its transpose for the values."""
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (3, 2, 2)).astype(np.float32)
    x = rng.uniform(-1, 1, (1, 2, 5)).astype(np.float32)
    conv = nn.Conv1d(2, 3, 2, weight_init=Tensor(w), pad_mode="valid")
    assert conv.weight.shape == (3, 2, 1, 2)
    want = np.array([[[(w[o] * x[0, :, t:t + 2]).sum() for t in range(4)] for o in range(3)]])
    np.testing.assert_allclose(conv(Tensor(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.Conv1d(2, 3, 2, weight_init=w, pad_mode="valid")(Tensor(x)).asnumpy(), want,
                               rtol=1e-5, atol=1e-6)
    xt = rng.uniform(-1, 1, (1, 3, 4)).astype(np.float32)  # transpose: in 3 -> out 2, weight [in, out, k]
    convt = nn.Conv1dTranspose(3, 2, 2, weight_init=Tensor(w), pad_mode="valid")
    assert convt.weight.shape == (3, 2, 1, 2)
    want_t = np.zeros((1, 2, 5))
    for t in range(4):
        want_t[0, :, t:t + 2] += np.einsum("i,iok->ok", xt[0, :, t], w)
    np.testing.assert_allclose(convt(Tensor(xt)).asnumpy(), want_t, rtol=1e-5, atol=1e-6)
