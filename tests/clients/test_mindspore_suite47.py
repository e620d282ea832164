"""Sample seed 47 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 47").

Expected values and texts: MindSpore 2.10 (CPU), each program run in its own venv for this task
(/work/ms_suite47/probe/p1.py, p2.py, p4.py, p5.py, p7.py, p9.py hold the same programs); where MindSpore refuses,
Python's own semantics (said beside the value)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, jit, nn, ops
from gradserve.common import dtype as mstype
from gradserve.nn.wrap.loss_scale import TrainOneStepWithLossScaleCell
from gradserve.ops._grad_experimental.grad_math_ops import binop_grad_common
from gradserve.ops._utils import get_broadcast_shape
from gradserve.ops.primitive import PrimitiveWithInfer, prim_attr_register


# ut/python/ir/test_dtype; MindSpore 2.10's answers (probe/p1.py)
@pytest.mark.parametrize("name, want", [
    ("bool_", bool), ("int8", int), ("uint64", int), ("float16", float), ("bfloat16", float), ("float32", float),
    ("complex64", complex), ("list_", list), ("tuple_", tuple), ("string", str), ("type_none", type(None)),
    ("int_", int), ("float_", float)])
def test_dtype_to_pytype(name, want):
    assert ms.dtype_to_pytype(getattr(ms, name)) is want


@pytest.mark.parametrize("value", [ms.number, ms.tensor_type, 3])
def test_dtype_to_pytype_refuses_other_types(value):
    with pytest.raises(KeyError):  # MindSpore 2.10: KeyError for mstype.number, mstype.tensor_type, 3
        ms.dtype_to_pytype(value)


@pytest.mark.parametrize("obj, want", [
    (1.5, "float64"), (float, "float64"), (100, "int64"), (int, "int64"), (True, "bool_"), (bool, "bool_"),
    (1j, "complex128"), (complex, "complex128"), ([1], "list_"), (list, "list_"), ((1,), "tuple_"),
    (tuple, "tuple_"), ("s", "string"), (str, "string"), (None, "type_none"), (type(None), "type_none"),
    (np.float32(1), "float32"), (np.float32, "float32"), (np.int8, "int8")])
def test_get_py_obj_dtype(obj, want):
    assert mstype.get_py_obj_dtype(obj) == getattr(ms, want)


@pytest.mark.parametrize("obj", [type, {}, dict])
def test_get_py_obj_dtype_refuses(obj):
    kind = obj if isinstance(obj, type) else type(obj)
    with pytest.raises(NotImplementedError) as info:
        mstype.get_py_obj_dtype(obj)
    assert str(info.value) == f"The python type {kind} cannot be converted to MindSpore type."


# ut/python/optimizer/test_debug_location's imports; MindSpore 2.10's values (probe/p2.py)
def test_get_broadcast_shape():
    assert get_broadcast_shape([2, 1, 3], [4, 1], "Add") == [2, 4, 3]
    assert get_broadcast_shape((), (3,), "Add") == [3]
    assert get_broadcast_shape([2, 3], [2, 3], "A") == [2, 3]
    with pytest.raises(ValueError) as info:
        get_broadcast_shape([2, 3], [4, 3], "MockSub")
    assert str(info.value) == ("For 'MockSub', x.shape and y.shape need to broadcast. The value of x.shape[-2] or "
                               "y.shape[-2] must be 1 or -1 when they are not the same, but got x.shape = [2, 3] and "
                               "y.shape = [4, 3].")
    with pytest.raises(ValueError) as info:
        get_broadcast_shape([2], [3], "MockSub", "data", "label")
    assert str(info.value) == ("For 'MockSub', data.shape and label.shape need to broadcast. The value of "
                               "data.shape[-1] or label.shape[-1] must be 1 or -1 when they are not the same, but got "
                               "data.shape = [2] and label.shape = [3].")


def test_binop_grad_common(on_real_server):
    x, y = Tensor(np.ones((2, 1, 3), np.float32)), Tensor(np.ones((4, 1), np.float32))
    d = Tensor(np.arange(24, dtype=np.float32).reshape(2, 4, 3))
    dx, dy = binop_grad_common(x, y, d, -d)
    np.testing.assert_array_equal(dx.asnumpy(), [[[18, 22, 26]], [[66, 70, 74]]])
    np.testing.assert_array_equal(dy.asnumpy(), [[-42], [-60], [-78], [-96]])
    assert TrainOneStepWithLossScaleCell is nn.TrainOneStepWithLossScaleCell


class _Mock(PrimitiveWithInfer):
    @prim_attr_register
    def __init__(self, fail):
        self.calls = []

    def infer_shape(self, x):
        self.calls.append(("shape", x))
        if self.fail == "shape":
            raise ValueError("ShapeErr")
        return x

    def infer_dtype(self, x):
        self.calls.append(("dtype", x))
        if self.fail == "dtype":
            raise TypeError("InferError")
        return x


class _Apply(nn.Cell):
    def __init__(self, prim):
        super().__init__()
        self.prim = prim

    def construct(self, x):
        return self.prim(x)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
@pytest.mark.parametrize("fail, err, text", [("dtype", TypeError, "InferError"), ("shape", ValueError, "ShapeErr")])
def test_user_primitive_infer_error_comes_before_the_missing_kernel(on_real_server, mode, fail, err, text):
    # MindSpore 2.10 (probe/p4.py, p5.py): a user PrimitiveWithInfer with no kernel infers first, infer_dtype then
    # infer_shape (shape [2, 3] as a list): an error its infer raises is the call's, in both modes
    context.set_context(mode=mode)
    prim = _Mock(fail)
    with pytest.raises(err, match=f"^{text}$"):
        _Apply(prim)(Tensor(np.ones((2, 3), np.float32)))
    assert [c[0] for c in prim.calls] == (["dtype"] if fail == "dtype" else ["dtype", "shape"])
    if fail == "shape":
        assert prim.calls[1][1] == [2, 3]


def _in_place_sides(a):  # ut/python/fallback/control_flow/test_fallback_110's test_if_after_if_in_if_numpy, its
    # condition a traced input (there Tensor(3) against a constant)
    x = np.array([1.0, 2.0])
    y = np.array([1.0, 2.0])
    z = x + y
    if a > 0:
        x += 1
        if (y > x).all():
            y += x
    else:
        z = x * 2
    if (x + y >= z).all():
        y = y * 2 - x
    return (a * Tensor(y, ms.float32)).sum()


def _list_side(a):
    items = [1, 2]
    if a > 0:
        items += [3]
        if len(items) > 10:
            items = []
    return a * len(items)


def test_in_place_add_to_a_list_on_a_side_of_a_traced_if(on_real_server):
    # `items += [3]` on a side of an `if` on a traced value changed the caller's list, and a side can run more than
    # once: 4 items, 8.0. MindSpore 2.10 refuses it ("The pointer[seq_abs] is null."); Python's answer: 2 * 3
    context.set_context(mode=context.GRAPH_MODE)
    assert float(jit(_list_side)(Tensor(2.0, ms.float32))) == 6.0


@pytest.mark.parametrize("a, value, grad", [(2.0, 2.0, 1.0), (-2.0, -6.0, 3.0)])
def test_gradient_through_in_place_add_on_a_side(on_real_server, a, value, grad):
    # `x += 1` of a NumPy array on a side of an `if` on a traced value changed the caller's array, and a side can
    # run more than once: x ended [3, 4]. MindSpore 2.10 (probe/p9.py), GRAPH_MODE jit: value 2.0 and gradient 1.0
    # at a = 2 (gradserve gave -2.0 and -1.0), gradient 3.0 at a = -2; the value there is Python's (-2 * (1 + 2)).
    # (The sample's own program, Tensor(3) for a: MindSpore 2.10 [0, 2, 4], gradserve gave [-1, 1, 3]: probe/p7.py)
    context.set_context(mode=context.GRAPH_MODE)
    at = Tensor(a, ms.float32)
    assert float(jit(_in_place_sides)(at)) == value
    assert float(jit(ops.grad(_in_place_sides))(at)) == grad


def _in_loop(a):
    x = np.array([1.0, 2.0])
    i = 0
    while i < 3:
        if a > 0:
            x += 1
        i += 1
    return a * Tensor(x, ms.float32)


def _aliased(a):
    x = np.array([1.0, 2.0])
    y = x
    if a > 0:
        x += 1
        if x.sum() > 100:
            x = x * 0
    return a * Tensor(y, ms.float32)


def _item_writes(a):
    x = np.array([1.0, 2.0])
    if a > 0:
        x[0] = 5.0
    else:
        x[1] = 7.0
    return a * Tensor(x, ms.float32)


@pytest.mark.parametrize("fn, a, value", [
    # MindSpore 2.10, GRAPH_MODE jit (probe/p12.py, p13.py): `x += 1` is a value's update on the side taken only
    # (gradserve gave [-8, -10] and [-4, -6] at a = -2, [4, 6] at a = 2 for _aliased); an item write to a NumPy
    # array is applied by both sides (MindSpore runs that NumPy code as it compiles the graph), kept as it is
    (_in_loop, 2.0, [8.0, 10.0]), (_in_loop, -2.0, [-2.0, -4.0]), (_aliased, 2.0, [2.0, 4.0]),
    (_aliased, -2.0, [-2.0, -4.0]), (_item_writes, 2.0, [10.0, 14.0]), (_item_writes, -2.0, [-10.0, -14.0])])
def test_numpy_arrays_on_the_sides_of_a_traced_if(on_real_server, fn, a, value):
    context.set_context(mode=context.GRAPH_MODE)
    np.testing.assert_array_equal(jit(fn)(Tensor(a, ms.float32)).asnumpy(), value)
