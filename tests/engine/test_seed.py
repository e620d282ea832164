"""Every example of shared/reference/seed_expected.md through the engine's Python API."""
import numpy as np
import pytest

import engine
from engine import GraphBuilder, evaluate, grad, grad_operation, jvp, vjp

F32 = np.float32
X = np.array([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], F32)
Y = np.array([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], F32)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b, F32), rtol=1e-6, atol=1e-6)
    assert np.asarray(a).dtype == F32


def matmul_net(index=None):
    """Net(x, y) = MatMul(x * z, y), z = Parameter([1.0]); optionally out[0][0]."""
    gb = GraphBuilder("net")
    x, y = gb.input((2, 3), name="x"), gb.input((3, 3), name="y")
    z = gb.param("z", np.array([1.0], F32))
    out = gb.matmul(gb.mul(x, z), y)
    if index:
        out = gb.index(gb.index(out, index=[0]), index=[0])
    return gb.build(out)


def test_input_derivation():
    close(evaluate(grad_operation(matmul_net()), X, Y), [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]])


def test_all_inputs():
    dx, dy = evaluate(grad_operation(matmul_net(), get_all=True), X, Y)
    close(dx, [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]])
    close(dy, [[2.6, 2.6, 2.6], [1.9, 1.9, 1.9], [1.3, 1.3, 1.3]])


def test_weight_derivation():
    out = evaluate(grad_operation(matmul_net(), get_by_list=True), X, Y)
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (1,)
    close(out[0], [21.536])


def test_sens_scaling():
    s = np.array([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], F32)
    close(evaluate(grad_operation(matmul_net(), sens_param=True), X, Y, s),
          [[2.211, 0.51, 1.49], [5.588, 2.68, 4.07]])


def test_one_output_element():
    close(evaluate(grad_operation(matmul_net(index=True)), X, Y), [[0.11, 1.1, 1.1], [0, 0, 0]])


@pytest.mark.parametrize("stop, expected", [(True, [[4.51, 2.7, 3.6]] * 2), (False, [[9.02, 5.4, 7.2]] * 2)])
def test_stop_gradient(stop, expected):
    gb = GraphBuilder("net")
    x, y = gb.input((2, 3)), gb.input((3, 3))
    out1 = gb.matmul(x, y)
    out2 = gb.matmul(x, y)
    if stop:
        out2 = gb.stop_gradient(out2)
    close(evaluate(grad_operation(gb.build(gb.add(out1, out2))), X, Y), expected)


def test_second_order_sin():
    gb = GraphBuilder("net")
    g = gb.build(gb.sin(gb.input((1,))))
    close(evaluate(grad_operation(grad_operation(g)), np.array([1.0], F32)), [-0.841471])


def test_second_order_x_times_x():
    gb = GraphBuilder("net")
    x = gb.input((3,))
    g = gb.build(gb.mul(x, x))
    close(evaluate(grad_operation(grad_operation(g)), np.array([0.1, 0.2, 0.3], F32)), [2, 2, 2])


def test_second_order_two_in_two_out():
    gb = GraphBuilder("net")
    x, y = gb.input((1,)), gb.input((1,))
    g = gb.build(gb.mul(gb.mul(x, x), y))
    sec = grad_operation(grad_operation(g, get_all=True), get_all=True, sens_param=True)
    xv, yv = np.array([4], F32), np.array([5], F32)
    one, zero = np.array([1], F32), np.array([0], F32)
    dxdx, dxdy = evaluate(sec, xv, yv, one, zero)
    dydx, dydy = evaluate(sec, xv, yv, zero, one)
    close(dxdx, [10]), close(dxdy, [8]), close(dydx, [8]), close(dydy, [0])


def sin_cos_net():
    gb = GraphBuilder("net")
    x, y = gb.input((3,)), gb.input((3,))
    return gb.build(gb.add(gb.sin(x), gb.cos(y)))


XS = np.array([0.8, 0.6, 0.2], F32)
YS = np.array([0.7, 0.4, 0.3], F32)
V3 = np.ones(3, F32)


def test_nn_jvp():
    out, tangent = evaluate(jvp(sin_cos_net()), XS, YS, V3, V3)
    close(out, [1.482198, 1.485704, 1.154006])
    close(tangent, [0.052489, 0.435917, 0.684546])


def test_nn_vjp():
    out, (gx, gy) = evaluate(vjp(sin_cos_net()), XS, YS, V3)
    close(out, [1.482198, 1.485704, 1.154006])
    close(gx, [0.696707, 0.825336, 0.980067])
    close(gy, [-0.644218, -0.389418, -0.29552])


A = np.array([[1, 2], [3, 4]], F32)
B = np.array([[-2, 3], [-1, 2]], F32)
C = np.array([[0, 3], [5, -1]], F32)


def xyz_net(two_outputs=False):
    gb = GraphBuilder("net")
    x, y, z = gb.input((2, 2)), gb.input((2, 2)), gb.input((2, 2))
    prod = gb.mul(gb.mul(x, y), z)
    if not two_outputs:
        return gb.build(prod)
    sq = gb.add(gb.add(gb.square(x), gb.square(y)), gb.square(z))
    return gb.build((sq, prod))


def test_functional_grad_positions():
    gy, gz = evaluate(grad(xyz_net(), grad_position=(1, 2)), A, B, C)
    close(gy, [[0, 6], [15, -4]])
    close(gz, [[-2, 6], [-3, 8]])


def test_functional_grad_sens():
    v = np.array([[-1, 3], [2, 1]], F32)
    gy, gz = evaluate(grad(xyz_net(True), grad_position=(1, 2), sens_param=True), A, B, C, v, v)
    close(gy, [[4, 36], [26, 0]])
    close(gz, [[2, 36], [14, 6]])


def cube_net():
    gb = GraphBuilder("net")
    x, y = gb.input((2, 2)), gb.input((2, 2))
    return gb.build(gb.add(gb.pow(x, gb.scalar(3.0, "float32")), y))


def test_functional_jvp():
    out, t = evaluate(jvp(cube_net()), A, A, np.ones((2, 2), F32), np.ones((2, 2), F32))
    close(out, [[2, 10], [30, 68]])
    close(t, [[4, 13], [28, 49]])


def test_functional_vjp():
    out, (gx, gy) = evaluate(vjp(cube_net()), A, A, np.ones((2, 2), F32))
    close(out, [[2, 10], [30, 68]])
    close(gx, [[3, 12], [27, 48]])
    close(gy, [[1, 1], [1, 1]])


def test_grad_inside_graph_then_weights():
    """A loss using d(net)/dx inside the graph, differentiated w.r.t. the weight (the seed's MD/PINN case)."""
    inner = GraphBuilder("energy")
    x = inner.input((3,))
    w = inner.param("w", np.array([0.5, -1.0, 2.0], F32))
    energy = inner.build(inner.sum(inner.mul(w, inner.sin(x))))  # E = sum(w * sin x); dE/dx = w cos x

    gb = GraphBuilder("loss")
    xo = gb.input((3,))
    fname = gb.function(energy)
    (force,) = gb.emit("grad", [xo], {"fn": fname, "positions": (0,)})
    loss = gb.build(gb.sum(gb.square(force)))  # sum (w cos x)^2 ; d/dw = 2 w cos^2 x
    (dw,) = evaluate(grad_operation(loss, get_by_list=True), XS)
    w_v = np.array([0.5, -1.0, 2.0], F32)
    close(dw, 2 * w_v * np.cos(XS) ** 2)


def test_nested_derivative_graph_stays_data():
    """A derived graph round-trips through JSON and evaluates the same."""
    from engine.serialize import graph_from_json, graph_to_json

    d = grad_operation(grad_operation(matmul_net(), get_all=True), get_all=True)
    again = graph_from_json(graph_to_json(d))
    for a, b in zip(evaluate(d, X, Y), evaluate(again, X, Y)):
        np.testing.assert_array_equal(a, b)
    assert engine.lower(again).node_count() == engine.lower(d).node_count()
