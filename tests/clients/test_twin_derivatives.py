"""A derivative object made afresh each call of another derivative (`ops.grad(ops.grad(f))(x)`,
`ops.vmap(ops.jacrev(f))(x)` written inside the loop) reuses its twin's trace only where tracing it afresh gives the
same program (gradserve._twins, issue #13): every option and closure value that differs is a different program, in
both modes, first to third order. Expected values: the math (written beside each; NumPy evaluates it), and for a
derivative made once MindSpore 2.10's (CPU, both modes)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import _twins, nn, ops

from .test_twin_traces import _traces, mode  # noqa: F401 - (mode: the fixture, both modes)

pytestmark = pytest.mark.usefixtures("on_real_server")

X = np.array([1.0, 2.0], np.float32)
Y = np.array([3.0, -1.0], np.float32)
XB = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], np.float32)  # (2, 3)
G = 1.0  # a global the functions below read


def _t(a):
    return gs.Tensor(np.asarray(a, np.float32))


def _dtanh(x):  # d tanh(x) / dx
    return 1.0 - np.tanh(x) ** 2


def test_grad_of_grad_made_each_call_reads_each_closure_value_and_traces_a_few_times(mode):
    before = _traces()
    for _ in range(4):  # d/dx sum(d/dx sum(k x^3)) = 6 k x; the lambdas share one closure cell, k
        for k in (1.0, 2.0, 3.0):
            got = ops.grad(ops.grad(lambda x: ops.sum(x * x * x * k)))(_t(X))
            np.testing.assert_allclose(got.asnumpy(), 6 * k * X, rtol=1e-6)
    assert _traces() - before <= 9  # (3 a value of k: its first, a twin's first, a twin's recorded; before: 12)


def test_a_global_changed_between_fresh_derivatives_is_read_anew(mode):
    global G
    for g in (1.0, 2.0, 2.0, 1.0, 3.0, 3.0, 3.0, 1.0):
        G = g  # d/dx sum(d/dx sum(G x^3)) = 6 G x
        np.testing.assert_allclose(ops.grad(ops.grad(lambda x: ops.sum(x * x * x * G)))(_t(X)).asnumpy(),
                                   6 * g * X, rtol=1e-6)
    G = 1.0


def f2(x, y):
    return ops.sum(x * x * y)


def test_inner_grad_position_differs(mode):
    # f = sum(x^2 y): df/dx = 2xy, d/dx sum(2xy) = 2y, d/dy sum(2xy) = 2x; df/dy = x^2, d/dx sum(x^2) = 2x
    want = {(0, 0): 2 * Y, (0, 1): 2 * X, (1, 0): 2 * X}
    for inner, outer in [(0, 0), (1, 0), (0, 0), (0, 1), (1, 0), (1, 0), (0, 1), (0, 0), (1, 0)]:
        got = ops.grad(ops.grad(f2, inner), outer)(_t(X), _t(Y))
        np.testing.assert_allclose(got.asnumpy(), want[inner, outer], rtol=1e-6)


def test_inner_grad_position_and_weights_differ(mode):
    w1 = gs.Parameter(_t([2.0, 2.0]), name="w1")
    w2 = gs.Parameter(_t([0.5, 0.5]), name="w2")

    def f(x):
        return ops.sum(x * x * w1 + x * w2)
    # df/dx = 2 x w1 + w2: d/dx sum = 2 w1; df/dw1 = x^2: 2x; df/dw2 = x (one Parameter, not a list): 1
    inners = {"x": lambda: ops.grad(f, 0, None), "w1": lambda: ops.grad(f, None, [w1]),
              "w2": lambda: ops.grad(f, None, w2)}
    want = {"x": 2 * np.array([2.0, 2.0]), "w1": 2 * X, "w2": np.ones(2)}
    for which in ("w1", "w2", "w1", "x", "x", "w2", "w2", "w1", "x", "w1", "x", "w2"):
        np.testing.assert_allclose(ops.grad(inners[which]())(_t(X)).asnumpy(), want[which], rtol=1e-6)


def test_grad_of_a_weights_grad_made_each_call_with_a_fresh_list(mode):
    w1 = gs.Parameter(_t([2.0, 2.0]), name="w1")
    w2 = gs.Parameter(_t([0.5, 0.5]), name="w2")

    def f(x):
        return ops.sum(x * x * w1 + x * w2)
    # d/dx sum(df/dw) for weights [w1]: d/dx sum(x^2) = 2x; [w2]: d/dx sum(x) = 1; [w1, w2]: 2x + 1
    want = {(0,): 2 * X, (1,): np.ones(2), (0, 1): 2 * X + 1}
    for which in [(0,), (1,), (0,), (0, 1), (0, 1), (1,), (1,), (0,)]:
        ws = [(w1, w2)[i] for i in which]  # (a new list each call)
        got = ops.grad(ops.grad(f, None, ws))(_t(X))
        np.testing.assert_allclose(got.asnumpy(), want[which], rtol=1e-6)


def test_inner_has_aux_differs(mode):
    def f(x):
        return ops.sum(x * x * x), ops.sum(x * x)
    # has_aux: the outer grad sums the outputs (3x^2, aux = sum(x^2)): PyNative differentiates the aux, d/dx
    # sum(3x^2) + 2x = 8x; GRAPH_MODE stops it, 6x (MindSpore 2.10: [8, 16] / [6, 12] at [1, 2]); without has_aux
    # both outputs' gradients summed, 3x^2 + 2x: 6x + 2 ([8, 14] in both modes)
    with_aux = 8 * X if mode == "pynative" else 6 * X
    for aux in (True, False, True, True, False, False, True, False):
        got = ops.grad(ops.grad(f, has_aux=aux))(_t(X))
        np.testing.assert_allclose(got.asnumpy(), with_aux if aux else 6 * X + 2, rtol=1e-6)


def h(x):
    return ops.tanh(x) * 2.0


def _jac_rows(xs):  # the Jacobian of 2 tanh(x) at each row of xs: diagonal, 2 (1 - tanh^2)
    return np.stack([np.diag(2 * _dtanh(r)) for r in xs])


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_vmap_of_a_jacobian_made_each_call_with_in_axes_differing(mode, jac):
    before = _traces()
    for ax in (0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0):
        got = ops.vmap(getattr(ops, jac)(h), in_axes=ax)(_t(XB)).asnumpy()
        np.testing.assert_allclose(got, _jac_rows(XB if ax == 0 else XB.T), rtol=1e-5, atol=1e-6)
    assert _traces() - before <= 6  # (3 an in_axes; before: 12)


def test_grad_of_a_vmap_made_each_call_with_in_axes_differing(mode):
    def first_squared(v):
        return v[0] * v[0]
    # d/dXB sum_i XB[i, 0]^2 (rows mapped): 2 XB[:, 0] in column 0; sum_j XB[0, j]^2 (columns): 2 XB[0, :] in row 0
    rows, cols = np.zeros_like(XB), np.zeros_like(XB)
    rows[:, 0], cols[0, :] = 2 * XB[:, 0], 2 * XB[0, :]
    for ax in (0, 1, 0, 0, 1, 1, 0, 1):
        got = ops.grad(ops.vmap(first_squared, in_axes=ax))(_t(XB)).asnumpy()
        np.testing.assert_allclose(got, rows if ax == 0 else cols, rtol=1e-6)


def test_jacrev_and_jacfwd_of_fresh_lambdas_with_closure_values(mode):
    for k in (1.0, 2.0, 2.0, 1.0, 1.0, 3.0):
        for jac in (ops.jacrev, ops.jacfwd):
            got = ops.vmap(jac(lambda x: ops.tanh(x) * k))(_t(XB)).asnumpy()
            np.testing.assert_allclose(got, _jac_rows(XB) * k / 2, rtol=1e-5, atol=1e-6)


def test_third_order_made_each_call(mode):
    before = _traces()
    for k in (1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0):  # d3/dx3 k x^4 = 24 k x
        got = ops.grad(ops.grad(ops.grad(lambda x: ops.sum(x * x * x * x * k))))(_t(X))
        np.testing.assert_allclose(got.asnumpy(), 24 * k * X, rtol=1e-6)
    assert _traces() - before <= 6


def test_first_order_vmap_of_grad_of_a_cell_whose_attribute_changes(mode):
    class Scale(nn.Cell):
        def __init__(self):
            super().__init__()
            self.k = 1.0

        def construct(self, x):
            return ops.sum(ops.sin(x) * self.k)
    net = Scale()
    for k in (1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 3.0):
        net.k = k  # d/dx sum(k sin x) = k cos x, row by row; through the Cell itself, and a lambda calling it
        np.testing.assert_allclose(ops.vmap(ops.grad(net))(_t(XB)).asnumpy(), k * np.cos(XB), rtol=1e-6)
        np.testing.assert_allclose(ops.vmap(ops.grad(lambda x: net(x)))(_t(XB)).asnumpy(), k * np.cos(XB),
                                   rtol=1e-6)


def test_grad_operation_options_of_a_fresh_inner_grad(mode):
    # inner d/dx sum(x^2 y) = 2xy; GradOperation() of it: d/dx sum(2xy) = 2y; get_all: (2y, 2x)
    for get_all in (False, True, True, False, False, True):
        got = ops.GradOperation(get_all=get_all)(ops.grad(f2))(_t(X), _t(Y))
        if get_all:
            np.testing.assert_allclose(got[0].asnumpy(), 2 * Y, rtol=1e-6)
            np.testing.assert_allclose(got[1].asnumpy(), 2 * X, rtol=1e-6)
        else:
            np.testing.assert_allclose(got.asnumpy(), 2 * Y, rtol=1e-6)


def test_jvp_and_vjp_of_fresh_inner_grads(mode):
    v = _t([1.0, -2.0])
    for k in (1.0, 2.0, 2.0, 2.0, 1.0):  # d/dx of d/dx sum(k x^3) = 6 k x (diagonal): J v = J^T v = 6 k x v
        f = ops.grad(lambda x: ops.sum(x * x * x * k))
        out, tan = ops.jvp(f, _t(X), v)
        np.testing.assert_allclose(out.asnumpy(), 3 * k * X * X, rtol=1e-6)
        np.testing.assert_allclose(tan.asnumpy(), 6 * k * X * v.asnumpy(), rtol=1e-6)
        out, vjp_fn = ops.vjp(ops.grad(lambda x: ops.sum(x * x * x * k)), _t(X))
        np.testing.assert_allclose(vjp_fn(v)[0].asnumpy(), 6 * k * X * v.asnumpy(), rtol=1e-6)


def test_a_derivative_made_once_behaves_as_before(mode):
    """Made once, called again after the global it read changed: its own cache, as before twins. MindSpore 2.10
    (`gg = ops.grad(ops.grad(f))`, G 1 -> 2): GRAPH_MODE keeps its first compile ([6, 12] twice), PyNative reads
    G anew ([6, 12] then [12, 24])."""
    global G
    G = 1.0
    gg = ops.grad(ops.grad(lambda x: ops.sum(x * x * x * G)))
    np.testing.assert_allclose(gg(_t(X)).asnumpy(), 6 * X, rtol=1e-6)
    G = 2.0
    np.testing.assert_allclose(gg(_t(X)).asnumpy(), (6 if mode == "graph" else 12) * X, rtol=1e-6)
    G = 1.0


def test_code_names_table_is_bounded():
    """A sampler exec-ing new code each step: the table of code objects' names stays under its bound."""
    for i in range(_twins._KEEP_CODE + 300):
        space: dict = {}
        exec(compile(f"def f(x):\n    return x * {i}\n", "<sampler>", "exec"), space)  # noqa: S102 - our source
        _twins.key_of(space["f"], [])
        assert len(_twins._names) <= _twins._KEEP_CODE
    assert len(_twins._by_key) <= _twins._KEEP
