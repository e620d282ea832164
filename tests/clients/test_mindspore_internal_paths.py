"""MindSpore-internal module paths that MindSpore programs import (ops.operations.array_ops / math_ops / nn_ops /
_grad_ops / _inner_ops / sparse_ops, ops.auto_generate.gen_ops_prim / gen_ops_def, _extends.parse,
train.serialization.export): a name the SDK has is that very object; a name it lacks imports, and raises a
clear error naming it when used; the few ops defined there (SpaceToDepth, SoftplusGrad, DropoutGrad).

Expected values: MindSpore 2.10 (CPU, PyNative) run for this task, unless a line says otherwise.
"""
import importlib

import numpy as np
import pytest

from gradserve import Tensor, ops
from gradserve.ops import operations as P
from gradserve.ops.operations import _grad_ops as G
from gradserve.ops.operations import array_ops


@pytest.mark.parametrize("path, name", [
    ("gradserve.ops.operations.array_ops", "Unstack"), ("gradserve.ops.operations.math_ops", "MatMul"),
    ("gradserve.ops.operations.nn_ops", "Softplus"), ("gradserve.ops.operations._inner_ops", "Cast"),
    ("gradserve.ops.auto_generate.gen_ops_def", "zeros"), ("gradserve.ops.auto_generate.gen_ops_prim", "Add"),
    ("gradserve.ops.auto_generate", "ZerosLike")])
def test_a_name_the_sdk_has_is_the_same_object(path, name):
    assert getattr(importlib.import_module(path), name) is getattr(ops, name)


@pytest.mark.parametrize("path, name", [
    ("gradserve.ops.operations._grad_ops", "PSROIPoolingGrad"), ("gradserve.ops.operations.sparse_ops", "SparseMatrixNNZ"),
    ("gradserve.ops.auto_generate.gen_ops_prim", "InplaceMuls"), ("gradserve.ops.operations", "NoSuchOpXyz")])
def test_a_name_the_sdk_lacks_imports_and_refuses_when_used(path, name):
    program: dict = {}
    exec(f"from {path} import {name} as placeholder", program)  # must not fail: the rest of the file runs
    where = path.replace("gradserve", "mindspore", 1)
    with pytest.raises(NotImplementedError, match=f"{where}.{name} is not implemented by gradserve"):
        program["placeholder"]()
    with pytest.raises(NotImplementedError, match=f"{where}.{name} is not implemented by gradserve"):
        exec(f"import {path} as m\nm.{name}()", {})  # module.Name written in the program: the same placeholder


def test_hasattr_and_getattr_tell_a_missing_op_apart():
    # a MindSpore program asking whether an op exists takes its fallback (MindSpore answers False for a name
    # its module lacks); the expected value is relu's, by hand
    assert not hasattr(P, "NoSuchOpXyz") and getattr(G, "NoSuchGradXyz", None) is None
    assert hasattr(P, "MatMul") and hasattr(G, "SoftplusGrad")
    with pytest.raises(AttributeError, match="NoSuchOpXyz.*gradserve does not implement it"):
        getattr(P, "NoSuchOpXyz")
    act = P.NoSuchFusedReLU() if hasattr(P, "NoSuchFusedReLU") else P.ReLU()
    np.testing.assert_array_equal(act(Tensor(np.array([-1.0, 2.0], np.float32))).asnumpy(), [0.0, 2.0])


def test_private_names_stay_attribute_errors():
    with pytest.raises(AttributeError):
        getattr(array_ops, "__wrapped__")
    with pytest.raises(AttributeError):
        getattr(G, "_no_such_private")


def test_export_refuses_clearly():
    from gradserve.train.serialization import export
    with pytest.raises(NotImplementedError, match="export .*ONNX.*not implemented"):
        export(ops.Add(), Tensor(np.ones(2, np.float32)), file_name="x.onnx", file_format="ONNX")


def test_compile_config_switches_are_settable():
    from gradserve._extends.parse import compile_config
    compile_config.CHECK_BPROP = 1
    assert compile_config.CHECK_BPROP == 1
    compile_config.CHECK_BPROP = ""


def test_space_to_depth_matches_mindspore():
    x = np.arange(32).reshape(1, 2, 4, 4).astype(np.float32)
    want = [[0, 2, 8, 10], [16, 18, 24, 26], [1, 3, 9, 11], [17, 19, 25, 27], [4, 6, 12, 14],
            [20, 22, 28, 30], [5, 7, 13, 15], [21, 23, 29, 31]]  # MindSpore 2.10, output [1, 8, 2, 2]
    out = array_ops.SpaceToDepth(2)(Tensor(x))
    assert tuple(out.shape) == (1, 8, 2, 2)
    np.testing.assert_array_equal(out.asnumpy().reshape(8, 4), np.array(want, np.float32))


def test_space_to_depth_refuses_bad_input():
    with pytest.raises(ValueError, match=r"the x_shape\[2\] % block_size must be equal to 0, but got 1"):  # MindSpore 2.10
        array_ops.SpaceToDepth(2)(Tensor(np.zeros((1, 1, 3, 4), np.float32)))
    with pytest.raises(ValueError, match="The 'block_size' should be >= SpaceToDepth: 2, but got 1"):  # MindSpore 2.10
        array_ops.SpaceToDepth(1)


def test_softplus_grad_and_its_derivative(on_real_server):  # grads run on the service
    dout = np.array([1.0, 2.0, -3.0], np.float32)
    x = np.array([-1.0, 0.0, 2.0], np.float32)
    out = G.SoftplusGrad()(Tensor(dout), Tensor(x))
    np.testing.assert_allclose(out.asnumpy(), [0.26894155, 1.0, -2.6423914], rtol=1e-6)  # MindSpore 2.10
    # d/dx sum(dout * sigmoid(x)) = dout * s (1 - s), by hand
    s = 1 / (1 + np.exp(-x.astype(np.float64)))
    gx = ops.grad(lambda d, v: G.SoftplusGrad()(d, v).sum(), grad_position=1)(Tensor(dout), Tensor(x))
    np.testing.assert_allclose(gx.asnumpy(), dout * s * (1 - s), rtol=1e-5)


def test_dropout_grad_matches_mindspore():
    dy = np.array([1.0, 2.0, -3.0], np.float32)
    mask = np.array([1.0, 0.0, 1.0], np.float32)
    out = G.DropoutGrad(0.25)(Tensor(dy), Tensor(mask))
    np.testing.assert_allclose(out.asnumpy(), [4.0, 0.0, -12.0])  # MindSpore 2.10
    with pytest.raises(ValueError, match="keep_prob must be in"):
        G.DropoutGrad(0.0)


def test_operations_still_has_its_public_names():
    assert P.Add is ops.Add and P.Unstack is ops.Unstack


A = np.array([-0.5, 0.25, 0.75], np.float32)
B = np.array([2.0, 3.0, -1.0], np.float32)
# name -> (op, its two inputs, MindSpore 2.10's output): MindSpore's argument orders differ per op
GRAD_OPS = {
    "ReLU6Grad": (G.ReLU6Grad(), B, np.array([-1.0, 3.0, 7.0], np.float32), [0.0, 3.0, 0.0]),
    "EluGrad": (G.EluGrad(), B, A, [1.0, 3.0, -1.0]),
    "InvGrad": (G.InvGrad(), A, B, [-0.5, -0.1875, 0.5625]),
    "AtanGrad": (G.AtanGrad(), A, B, [1.6, 2.8235295, -0.64]),
    "AsinGrad": (G.AsinGrad(), A, B, [2.309401, 3.0983865, -1.511858]),
    "ACosGrad": (G.ACosGrad(), A, B, [-2.309401, -3.0983865, 1.511858]),
    "AsinhGrad": (G.AsinhGrad(), A, B, [1.7736378, 2.9086308, -0.77238965]),
    "AcoshGrad": (G.AcoshGrad(), np.array([1.5, 2.0, 3.0], np.float32), B, [0.9392849, 0.8271617, -0.09982157]),
    "HShrinkGrad": (G.HShrinkGrad(0.3), B, A, [2.0, 0.0, -1.0]),
    "SoftShrinkGrad": (G.SoftShrinkGrad(0.3), B, A, [2.0, 0.0, -1.0]),
}


@pytest.mark.parametrize("name", sorted(GRAD_OPS))
def test_grad_ops_match_mindspore(name):
    op, first, second, want = GRAD_OPS[name]
    out = op(Tensor(first), Tensor(second)).asnumpy()
    np.testing.assert_allclose(out, want, rtol=2e-6)
    assert not np.signbit(out[np.asarray(want) == 0]).any()  # MindSpore's zeros are +0.0


def test_relu6_grad_takes_the_gradient_at_six_as_relu6_does():
    # MindSpore 2.10 (CPU, PyNative), run for this review: ReLU6Grad()(ones, x) and grad(relu6) both [0, 1, 1, 0]
    x = Tensor(np.array([0.0, 6.0, 5.999, 6.001], np.float32))
    np.testing.assert_array_equal(G.ReLU6Grad()(Tensor(np.ones(4, np.float32)), x).asnumpy(), [0.0, 1.0, 1.0, 0.0])
