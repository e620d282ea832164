"""Tracing: the SDK's graphs load with the engine's own loader and evaluate to the right numbers in-process."""
import json
import subprocess
import sys

import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, ParameterTuple, Tensor, nn, ops
from gradserve import dtype as mstype

from engine.api import evaluate
from engine.serialize import graph_from_json, graph_hash

X = np.array([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], np.float32)
Y = np.array([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], np.float32)


def run(fn, *inputs):
    """Trace fn at inputs, round-trip the JSON, load it with the engine and evaluate it."""
    doc = gs.trace_graph(fn, list(inputs))
    doc = json.loads(json.dumps(doc, allow_nan=False))
    assert doc["format"] == "gradserve.graph/1"
    g = graph_from_json(doc)
    return evaluate(g, *[np.asarray(i.asnumpy() if isinstance(i, Tensor) else i) for i in inputs]), doc


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.matmul = ops.MatMul()
        self.z = Parameter(Tensor(np.array([1.0], np.float32)), name="z")

    def construct(self, x, y):
        return self.matmul(x * self.z, y)


class GradWrt(nn.Cell):
    def __init__(self, net, op, weights=None):
        super().__init__()
        self.net, self.op, self.weights = net, op, weights

    def construct(self, *args):
        f = self.op(self.net) if self.weights is None else self.op(self.net, self.weights)
        return f(*args)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def test_plain_cell_graph():
    out, doc = run(Net(), X, Y)
    close(out, X @ Y)
    assert [i["name"] for i in doc["inputs"]] == ["x", "y"]
    assert doc["params"][0]["name"] == "z" and doc["params"][0]["value"]["data"] == [1.0]
    assert "functions" not in doc


def test_grad_operation_forms():
    net = Net()
    out, doc = run(GradWrt(net, ops.GradOperation()), X, Y)
    close(out, [[4.51, 2.7, 3.6]] * 2)
    grad_nodes = [n for n in doc["nodes"] if n["op"] == "grad"]
    assert len(grad_nodes) == 1 and grad_nodes[0]["attrs"]["positions"] == [0]
    fn = doc["functions"][grad_nodes[0]["attrs"]["fn"]]
    # the Parameter's name: 'net.z' once GradWrt holds the net as `net` (MindSpore 2.10's renaming)
    assert fn["params"] == [{"name": "net.z", "shape": [1], "dtype": "float32"}] and "value" not in fn["params"][0]
    (dx, dy), _ = run(GradWrt(net, ops.GradOperation(get_all=True)), X, Y)
    close(dy, [[2.6] * 3, [1.9] * 3, [1.3] * 3])
    out, _ = run(GradWrt(net, ops.GradOperation(get_by_list=True), ParameterTuple(net.trainable_params())), X, Y)
    assert isinstance(out, tuple) and len(out) == 1 and out[0].shape == (1,)
    close(out[0], [21.536], 1e-4)
    (gx, gw), _ = run(GradWrt(net, ops.GradOperation(get_all=True, get_by_list=True)), X, Y)
    close(gw[0], [21.536], 1e-4)


def test_sens_and_one_element():
    s = np.array([[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]], np.float32)
    out, _ = run(GradWrt(Net(), ops.GradOperation(sens_param=True)), X, Y, s)
    close(out, [[2.211, 0.51, 1.49], [5.588, 2.68, 4.07]])

    class First(Net):
        def construct(self, x, y):
            return super().construct(x, y)[0][0]

    out, doc = run(GradWrt(First(), ops.GradOperation()), X, Y)
    close(out, [[0.11, 1.1, 1.1], [0, 0, 0]])
    fn = next(iter(doc["functions"].values()))
    assert [n["attrs"]["index"] for n in fn["nodes"] if n["op"] == "index"] == [[0], [0]]


def test_second_order_nesting_and_function_order():
    class Sin(nn.Cell):
        def construct(self, x):
            return ops.sin(x)

    class Grad(nn.Cell):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def construct(self, x):
            return ops.GradOperation()(self.net)(x)

    out, doc = run(Grad(Grad(Grad(Sin()))), np.array([1.0], np.float32))
    close(out, [-np.cos(1.0)])
    names = list(doc["functions"])
    assert names == sorted(names) and len(names) == 3  # dependencies come first, also once sorted


def test_two_in_two_out_reuses_one_function():
    class Mul(nn.Cell):
        def construct(self, x, y):
            return x * x * y

    class Grad(nn.Cell):
        def __init__(self, net):
            super().__init__()
            self.net = net
            self.grad = ops.GradOperation(get_all=True)

        def construct(self, x, y):
            return self.grad(self.net)(x, y)

    class GradSec(Grad):
        def __init__(self, net):
            super().__init__(net)
            self.grad = ops.GradOperation(get_all=True, sens_param=True)
            self.s1, self.s0 = Tensor(np.array([1], np.float32)), Tensor(np.array([0], np.float32))

        def construct(self, x, y):
            dxdx, dxdy = self.grad(self.net)(x, y, (self.s1, self.s0))
            dydx, dydy = self.grad(self.net)(x, y, (self.s0, self.s1))
            return dxdx, dxdy, dydx, dydy

    out, doc = run(GradSec(Grad(Mul())), np.array([4], np.float32), np.array([5], np.float32))
    close(np.concatenate(out), [10, 8, 8, 0])
    assert len(doc["functions"]) == 2  # the same Grad(Mul) function serves both grad nodes


def test_functional_grad_value_and_grad_weights():
    class F(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.array([2.0, 3.0], np.float32)), name="w")

        def construct(self, x, y):
            return (x * y * self.w).sum(), x * 2

    f = F()
    x, y = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    (gx, gw), _ = run(lambda a, b: ops.grad(f, 0, f.w)(a, b), x, y)
    close(gx, y * [2, 3] + 2)
    close(gw, x * y)
    (val, grads), _ = run(lambda a, b: ops.value_and_grad(f, (0, 1))(a, b), x, y)
    close(val[0], np.sum(x * y * [2, 3]))
    close(grads[1], x * [2, 3])
    gws, _ = run(lambda a, b: ops.grad(f, None, f.trainable_params())(a, b), x, y)
    assert isinstance(gws, tuple) and len(gws) == 1


def test_jvp_vjp_and_cells():
    class SC(nn.Cell):
        def construct(self, x, y):
            return ops.sin(x) + ops.cos(y)

    x, y, v = (np.array([0.8, 0.6, 0.2], np.float32), np.array([0.7, 0.4, 0.3], np.float32),
               np.ones(3, np.float32))
    (out, tan), _ = run(lambda a, b, t: nn.Jvp(SC())(a, b, (t, t)), x, y, v)
    close(tan, np.cos(x) - np.sin(y))
    (out, (gx, gy)), _ = run(lambda a, b, t: nn.Vjp(SC())(a, b, t), x, y, v)
    close(gy, -np.sin(y))
    (out, (gx, gy)), _ = run(lambda a, b, t: ops.vjp(SC(), (a, b), t), x, y, v)
    close(gx, np.cos(x))
    (out, tan), _ = run(lambda a, b, t: ops.jvp(SC(), (a, b), (t, t)), x, y, v)
    close(out, np.sin(x) + np.cos(y))


def test_closure_captures_and_pinn_style_loss():
    """A loss whose construct differentiates u w.r.t. x, with t captured from the enclosing trace."""
    w = Parameter(Tensor(np.array([[0.5], [-0.3]], np.float64)), name="w")

    def u(x, t):
        return ops.tanh(ops.matmul(ops.concat((x, t), 1), w))

    def loss(x, t):
        ux = ops.grad(lambda xx: u(xx, t))(x)  # t is a capture of the outer trace
        uxx = ops.grad(lambda xx: ops.grad(lambda x3: u(x3, t))(xx))(x)
        return ops.mean(ux * ux + uxx)

    x, t = np.array([[0.1], [0.4]]), np.array([[0.2], [0.9]])
    g, doc = run(lambda a, b: ops.grad(loss, None, w)(a, b), x, t)
    assert any(len(f["inputs"]) == 2 for f in doc["functions"].values())  # (xx, captured t)

    def np_loss(W):
        z = x * W[0, 0] + t * W[1, 0]
        th = np.tanh(z)
        ux = (1 - th ** 2) * W[0, 0]
        uxx = -2 * th * (1 - th ** 2) * W[0, 0] ** 2
        return np.mean(ux * ux + uxx)

    W0, eps, fd = w.asnumpy(), 1e-6, np.zeros((2, 1))
    for i in range(2):
        d = np.zeros((2, 1))
        d[i, 0] = eps
        fd[i, 0] = (np_loss(W0 + d) - np_loss(W0 - d)) / (2 * eps)
    close(g, fd, 1e-6)


def test_jacobians_and_hessian():
    def f(x):
        return ops.sin(x) * x[0]

    x = np.array([0.3, -0.5, 1.2], np.float64)
    J = np.diag(np.cos(x) * x[0])
    J[:, 0] += np.sin(x)
    jr, _ = run(lambda a: ops.jacrev(f)(a), x)
    jf, _ = run(lambda a: ops.jacfwd(f)(a), x)
    close(jr, J, 1e-10)
    close(jf, J, 1e-10)

    def energy(x):
        return (x ** 3).sum() + x[0] * x[1]

    H, _ = run(lambda a: ops.hessian(energy)(a), x)
    expect = np.diag(6 * x)
    expect[0, 1] = expect[1, 0] = 1
    close(H, expect, 1e-10)


def test_operators_scalars_indexing_and_dtypes():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)

    def f(a):
        b = (2 * a - 1) / 4 + a ** 2 - (-a)
        return b[1, ::2], b[:, None, 1:], (a @ a.T)[..., 0], a.astype(mstype.float64).sum(), (a > 2.5)

    (r1, r2, r3, r4, r5), doc = run(f, x)
    b = (2 * x - 1) / 4 + x ** 2 + x
    close(r1, b[1, ::2])
    close(r2, b[:, None, 1:])
    close(r3, (x @ x.T)[..., 0])
    assert r4.dtype == np.float64 and r5.dtype == np.bool_
    ops_used = {n["op"] for n in doc["nodes"]}
    assert {"index", "fill", "pow", "cast", "greater"} <= ops_used


def test_input_named_like_a_parameter_is_renamed():
    class N(nn.Cell):
        def __init__(self):
            super().__init__()
            self.z = Parameter(Tensor(np.array([2.0], np.float32)), name="z")

        def construct(self, z):
            return z * self.z

    out, doc = run(N(), np.array([3.0], np.float32))
    close(out, [6.0])
    assert doc["inputs"][0]["name"] != "z"


def test_sdk_hash_is_the_engine_hash():
    doc = gs.trace_graph(Net(), [X, Y])
    assert gs.graph_hash(doc) == graph_hash(doc)


def test_large_constants_and_parameters_travel_as_base64():
    big = np.arange(2000, dtype=np.float32)

    class N(nn.Cell):
        def __init__(self):
            super().__init__()
            self.p = Parameter(Tensor(big))
            self.c = Tensor(big * 2)

        def construct(self, x):
            return x * self.p + self.c

    out, doc = run(N(), np.ones(2000, np.float32))
    close(out, big * 3)
    assert "b64" in doc["params"][0]["value"]
    assert doc["params"][0]["name"] == "p"  # named after the attribute


def test_traced_values_cannot_be_read():
    class N(nn.Cell):
        def construct(self, x):
            return float(x.sum())

    with pytest.raises(RuntimeError, match="inside a trace"):
        gs.trace_graph(N(), [np.ones(2, np.float32)])


def test_sdk_does_not_import_the_server():
    code = ("import sys, gradserve, gradserve.nn, gradserve.ops; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('engine', 'service', 'fastapi', 'uvicorn')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_tensor_print_forms():
    t = Tensor(np.array([21.536], np.float32))
    assert repr(t) == "Tensor(shape=[1], dtype=Float32, value= [ 2.15359993e+01])"
    assert str(Tensor([[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]])) == "[[4.51 2.7  3.6 ]\n [4.51 2.7  3.6 ]]"
    m = Tensor(np.array([[0, 6], [15, -4]], np.float32))
    assert repr(m) == ("Tensor(shape=[2, 2], dtype=Float32, value=\n"
                       "[[ 0.00000000e+00,  6.00000000e+00],\n [ 1.50000000e+01, -4.00000000e+00]])")  # sign column
    assert Tensor([1.0]).dtype == mstype.float32 and str(Tensor([1]).dtype) == "Int64"
    assert Tensor(np.array([1.0])).dtype == mstype.float64
