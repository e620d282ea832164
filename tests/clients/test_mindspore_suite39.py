"""Sample seed 39 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 39").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (GRAPH_MODE); the cell that
gave each is stated beside it."""
import pytest

from gradserve import Tensor, nn
from gradserve import dtype as mstype


class _TrueOnly(nn.Cell):
    def construct(self, x):
        if x < 0:
            y = 5
        return y  # noqa: F821 - unbound when x >= 0: the point of the test


class _FalseOnly(nn.Cell):
    def construct(self, x):
        if x < 0:
            x = x + 1
        else:
            z = x * 2
        return z  # noqa: F821


class _WhileOnly(nn.Cell):
    def construct(self, x):
        while x < 0:
            y = 0
            x = x + 1
        return y  # noqa: F821


class _NotRead(nn.Cell):
    def construct(self, x):
        if x < 0:
            y = 0  # noqa: F841
        return x * 2


class _BoundBefore(nn.Cell):
    def construct(self, x):
        y = x + 1
        if x < 0:
            y = x * 3
        return y


# -- silently different before -----------------------------------------------------------------------------
def test_a_name_one_side_of_a_traced_if_assigns_is_unbound_after(on_real_server, graph_mode):
    # ut/python/pipeline/parse/test_use_local_vaiable.py: `if x < 0: y = 5` then `return y` returned the other side's
    # zeros (0 at x = [1]). MindSpore 2.10 GRAPH_MODE: UnboundLocalError naming the sides and the line that reads it
    for v in (1.0, -2.0):
        with pytest.raises(UnboundLocalError) as err:
            _TrueOnly()(Tensor([v], mstype.float32))
        assert "The local variable 'y' is not defined in false branch, but defined in true branch." in str(err.value)
        assert "return y" in str(err.value)
        with pytest.raises(UnboundLocalError,
                           match="The local variable 'z' is not defined in true branch, but defined in false branch."):
            _FalseOnly()(Tensor([v], mstype.float32))
        # a name only a while body assigns: MindSpore 2.10 GRAPH_MODE refuses its read after the loop (was 0)
        with pytest.raises(UnboundLocalError) as err:
            _WhileOnly()(Tensor([v], mstype.float32))
        assert "The local variable 'y' defined in the 'while' loop body cannot be used outside of the loop body. " \
               "Please define variable 'y' before 'while'." in str(err.value)
        assert "return y" in str(err.value)
    # unchanged (MindSpore 2.10 gives the same): a name not read after, or bound before the if
    assert _NotRead()(Tensor([-2.0], mstype.float32)).asnumpy().tolist() == [-4.0]
    assert _BoundBefore()(Tensor([1.0], mstype.float32)).asnumpy().tolist() == [2.0]
    assert _BoundBefore()(Tensor([-2.0], mstype.float32)).asnumpy().tolist() == [-6.0]


def _if_only(x):
    if x < 0:
        y = x * 3
    return y  # noqa: F821


def test_pynative_keeps_the_taken_sides_value_and_jit_refuses(on_real_server):
    # MindSpore 2.10 PyNative at x = [-2]: ops.grad of the function above is [3.] (Python's branch assigned y);
    # ms.jit of it is GRAPH_MODE's UnboundLocalError
    from gradserve import jit, ops
    x = Tensor([-2.0], mstype.float32)
    assert ops.grad(_if_only)(x).asnumpy().tolist() == [3.0]
    with pytest.raises(UnboundLocalError, match="The local variable 'y' is not defined in false branch"):
        jit(_if_only)(x)


def test_index_of_a_tensor_wants_one_integer_element():
    # ut/python/common/test_npy_bfloat16.py: operator.index of a bfloat16 Tensor gave 1 ("bfloat16" read as bool).
    # MindSpore 2.10 PyNative: bfloat16 / float32 / two int32 elements are ValueError; int32, [int32], bool index
    import operator
    from gradserve import bfloat16, bool_, float32, int32
    for t in (Tensor(1, dtype=bfloat16), Tensor(1.0, float32), Tensor([1, 2], int32)):
        with pytest.raises(ValueError, match="Only integer tensors of a single element can be converted to an index."):
            operator.index(t)
    assert [10, 20, 30][Tensor(2, int32)] == 30 and [10, 20, 30][Tensor([2], int32)] == 30
    assert operator.index(Tensor(True, bool_)) == 1


def test_np_dtype_bfloat16_builds_numpy_arrays():
    # MindSpore 2.10: mindspore.common.np_dtype.bfloat16 is NumPy's bfloat16 scalar type (np.dtype of it: bfloat16)
    import numpy as np
    from gradserve import bfloat16
    from gradserve.common import np_dtype
    x = np.array([1, 2, 3], dtype=np_dtype.bfloat16)
    assert np.dtype(np_dtype.bfloat16).name == "bfloat16" and x.dtype == np_dtype.bfloat16
    assert Tensor(x).dtype == bfloat16 and Tensor(x).asnumpy().dtype == np_dtype.bfloat16
