"""MindSpore's module and function spellings exist (the rename-only shim relies on them), and jit
compiles a function to one graph per signature. Values by hand: d(x^3)/dx = 3x^2."""
import importlib

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops

X = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)


@pytest.mark.parametrize("module, names", [
    ("gradserve", ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "jit", "ms_function", "set_device",
                   "set_context", "get_context", "set_seed", "mutable", "GRAPH_MODE", "PYNATIVE_MODE", "Tensor",
                   "Parameter", "ParameterTuple"]),
    ("gradserve.common.api", ["jit", "ms_function"]),
    ("gradserve.common.dtype", ["float32", "int32", "bool_"]),
    ("gradserve.common.tensor", ["Tensor"]),
    ("gradserve.common.parameter", ["Parameter", "ParameterTuple"]),
    ("gradserve.ops.functional", ["grad", "jvp", "vjp", "sin", "matmul"]),
    ("gradserve.ops.composite", ["GradOperation", "grad"]),
    ("gradserve.ops.operations", ["MatMul", "ReduceSum", "Cast"]),
    ("gradserve.context", ["set_context", "GRAPH_MODE"]),
    ("gradserve.nn.grad", ["Jvp", "Vjp"]),
    ("gradserve.nn.grad.cell_grad", ["Jvp", "Vjp"]),
    ("gradserve.nn.cell", ["Cell"]),
    ("gradserve.nn.layer", ["Dense", "ReLU", "SequentialCell", "LayerNorm"]),
    ("gradserve.nn.layer.basic", ["Dense", "Flatten"]),
    ("gradserve.nn.layer.activation", ["ReLU", "Tanh", "GELU"]),
    ("gradserve.nn.layer.container", ["SequentialCell", "CellList"]),
    ("gradserve.nn.layer.normalization", ["BatchNorm1d", "LayerNorm"]),
    ("gradserve.nn.loss", ["MSELoss", "LossBase"]),
    ("gradserve.nn.optim", ["SGD", "Adam", "Momentum"]),
    ("gradserve.nn.wrap", ["WithLossCell", "TrainOneStepCell"]),
    ("gradserve.nn.loss.loss", ["MSELoss", "LossBase"]),
    ("gradserve.nn.optim.optimizer", ["Optimizer"]),
    ("gradserve.nn.optim.sgd", ["SGD"]),
    ("gradserve.nn.optim.momentum", ["Momentum"]),
    ("gradserve.nn.optim.adam", ["Adam"]),
    ("gradserve.nn.wrap.cell_wrapper", ["WithLossCell", "TrainOneStepCell"]),
    ("gradserve.ops.function", ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "sin", "matmul"]),
    ("gradserve.ops.function.grad", ["grad", "vjp", "custom_vjp"]),
    ("gradserve.ops.function.grad.grad_func", ["custom_vjp", "grad", "value_and_grad", "get_grad", "jvp", "vjp",
                                               "jacfwd", "jacrev", "stop_gradient"]),
    ("gradserve.ops.composite.base", ["GradOperation", "HyperMap", "MultitypeFuncGraph"]),
    ("gradserve.ops.primitive", ["Primitive", "constexpr"]),
    ("gradserve.common.initializer", ["initializer"]),
    ("gradserve.graph.api", ["jit"]),
    ("gradserve.graph.mutable", ["mutable"]),
])
def test_spellings(module, names):
    mod = importlib.import_module(module)
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing


def cube(x):
    return x ** 3


def test_jit_function_and_grad_inside(fake):
    @gs.jit
    def g(x):
        return gs.grad(cube)(x)

    np.testing.assert_allclose(g(Tensor(X)).asnumpy(), 3 * X ** 2, rtol=1e-6)
    n = len(fake.requests)
    g(Tensor(X))
    assert len(fake.requests) - n <= 1  # one eval of the cached graph
    h = gs.common.api.jit(mode="PSJit")(cube)
    np.testing.assert_allclose(h(Tensor(X)).asnumpy(), X ** 3, rtol=1e-6)


def test_jit_on_construct(fake):
    class Net(nn.Cell):
        @gs.jit
        def construct(self, x):
            return x * 2

    np.testing.assert_allclose(Net()(Tensor(X)).asnumpy(), 2 * X)
    np.testing.assert_allclose(gs.grad(Net())(Tensor(X)).asnumpy(), np.full_like(X, 2))


def test_context_accepts_mindspore_options():
    gs.set_context(mode=gs.GRAPH_MODE, jit_level="O0", save_graphs=False)
    assert gs.get_context("jit_level") == "O0"
    gs.set_device("CPU")
    assert gs.get_context("device_target") == "CPU"
    with pytest.raises(ValueError):
        gs.set_context(no_such_option=1)
    gs.reset_context()


def test_composite_grad_instances(fake):
    from gradserve.ops import composite as C

    gx, gy = C.grad_all(lambda x, y: x * y)(Tensor(X), Tensor(X * 2))
    np.testing.assert_allclose(gx.asnumpy(), 2 * X)
    np.testing.assert_allclose(gy.asnumpy(), X)
    g = C.grad_with_sens(lambda x: x * 3)(Tensor(X), Tensor(np.full_like(X, 2.0)))
    np.testing.assert_allclose(g.asnumpy(), np.full_like(X, 6.0))


def test_spelling_modules_re_export_one_definition():
    from gradserve.nn.grad import Vjp
    from gradserve.ops.composite.base import GradOperation
    from gradserve.ops.function import sin
    from gradserve.ops.function.grad.grad_func import value_and_grad
    assert Vjp is nn.Vjp and GradOperation is ops.GradOperation
    assert sin is ops.functional.sin and value_and_grad is ops.value_and_grad


def test_ops_function_follows_functional(monkeypatch):
    """A function ops.functional gains later (added by another module) is found under ops.function too."""
    import gradserve.ops.function as function

    def extra(x):
        return x

    monkeypatch.setattr(ops.functional, "added_later", extra, raising=False)
    assert function.added_later is extra
    with pytest.raises(AttributeError):
        function.no_such_function  # noqa: B018


def test_ops_function_grad_package_is_also_the_function(fake):
    """Importing the package `ops.function.grad` by another name rebinds the parent's `grad` to the
    package (a rename shim does): called, the package is MindSpore's grad function."""
    pkg = importlib.import_module("gradserve.ops.function.grad")
    np.testing.assert_allclose(pkg(cube)(Tensor(X)).asnumpy(), 3 * X ** 2, rtol=1e-6)


def test_constexpr_runs_on_constants(fake):
    from gradserve.ops.primitive import constexpr

    @constexpr
    def scale(shape):
        return float(np.prod(shape))

    @constexpr(reuse_result=False)
    def plus_one(n):
        return n + 1

    def f(x):
        return x * scale(x.shape)

    assert plus_one(2) == 3
    np.testing.assert_allclose(gs.grad(f)(Tensor(X)).asnumpy(), np.full_like(X, 4.0))


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_constexpr_with_none_and_as_a_class(fake, mode):
    """ms.ops.constexpr (MindSpore 2.10's ops namespace has it) on None arguments, and get_instance=False (the
    operator class, called through an instance); expected values by hand."""
    gs.set_context(mode=gs.PYNATIVE_MODE if mode == "pynative" else gs.GRAPH_MODE)
    assert gs.ops.constexpr is gs.ops.primitive.constexpr

    @gs.ops.constexpr
    def factor(axis):
        return 2.0 if axis is None else 1.0

    @gs.ops.constexpr(get_instance=False)
    def first_axis(axis, ndim):
        return 0 if axis is None else axis % ndim

    class Net(gs.nn.Cell):
        def construct(self, x, axis=None):
            return x.sum(first_axis()(axis, x.ndim)) * factor(axis)

    net = Net()
    for axis in (None, -1, None, 1):
        want = X.sum(0 if axis is None else axis) * (2.0 if axis is None else 1.0)
        np.testing.assert_allclose(net(Tensor(X), axis).asnumpy(), want, rtol=1e-6)
        np.testing.assert_allclose(gs.grad(lambda x: net(x, axis).sum())(Tensor(X)).asnumpy(),
                                   np.full_like(X, 2.0 if axis is None else 1.0))
