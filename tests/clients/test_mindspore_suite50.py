"""Sample seed 50 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 50").

Expected values and error texts: MindSpore 2.10 (CPU), each program run in its own venv (/work/ms_suite50/probe
holds the same programs)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, jit, nn


class _LShift(nn.Cell):
    def construct(self, x, y):
        return x << y


class _RShift(nn.Cell):
    def construct(self, x, y):
        return x >> y


class _LShiftAssign(nn.Cell):
    def construct(self, x, y):
        z = x
        z <<= y
        return z


# MindSpore 2.10, GRAPH_MODE: a shift of Python ints is folded as int64 (probe/shift.py); gradserve gave Python's
# unbounded ints (2**62 << 3 == 2**65) and Python's error texts.
REFUSED = [
    (_LShift, (2 ** 62, 3), RuntimeError, "Arithmetic left shift causes int64 integer overflow."),
    (_LShift, (1, 63), RuntimeError, "Arithmetic left shift causes int64 integer overflow."),
    (_LShift, (-3, 62), RuntimeError, "Arithmetic left shift causes int64 integer overflow."),
    (_LShiftAssign, (1, 64), RuntimeError, "Arithmetic left shift causes int64 integer overflow."),
    (_LShift, (2 ** 63, 2), RuntimeError, "Unable to cast Python instance of type <class 'int'> to C++ type 'long'"),
    (_LShift, (-2 ** 63 - 1, 1), RuntimeError,
     "Unable to cast Python instance of type <class 'int'> to C++ type 'long'"),
    (_RShift, (16, -2), ValueError, "For shift operator, shift count must be a non-negative integer."),
    (_LShift, (16, -2), ValueError, "For shift operator, shift count must be a non-negative integer."),
    (_RShift, (10.0, 1.0), TypeError, "Unsupported input type. For BitRightShift, only integer types are supported, "
                                      "but got type of x:FP32Imm, value of x:10, type of y:FP32Imm, value of y:1"),
    (_LShift, (3, 1.0), TypeError, "Unsupported input type. For BitLeftShift, only integer types are supported, but "
                                   "got type of x:Int64Imm, value of x:3, type of y:FP32Imm, value of y:1"),
    (_LShift, (True, 2), TypeError, "Unsupported input type. For BitLeftShift, only integer types are supported, but "
                                    "got type of x:BoolImm, value of x:true, type of y:Int64Imm, value of y:2"),
]


@pytest.mark.parametrize("cell,args,exc,text", REFUSED)
def test_graph_shift_of_python_ints_refuses_as_mindspore(on_real_server, graph_mode, cell, args, exc, text):
    with pytest.raises(exc) as info:
        cell()(*args)
    assert str(info.value) == text


# MindSpore 2.10, GRAPH_MODE (probe/shift.py): the shifts that stay in int64
@pytest.mark.parametrize("cell,args,want", [
    (_LShift, (0, 100), 0), (_LShift, (-1, 63), -2 ** 63), (_RShift, (-16, 70), -1),
    (_LShift, (2147483647, 5), 68719476704), (_RShift, (2147483647, 5), 67108863), (_LShiftAssign, (-16, 5), -512)])
def test_graph_shift_in_int64_range_as_mindspore(on_real_server, graph_mode, cell, args, want):
    assert cell()(*args) == want


def test_pynative_shift_is_pythons_and_jit_is_the_graphs(on_real_server):
    # MindSpore 2.10, PyNative: construct runs as Python (2**65); a @jit function is a graph (the int64 overflow)
    gs.set_context(mode=gs.PYNATIVE_MODE)
    assert _LShift()(2 ** 62, 3) == 2 ** 65

    @jit
    def f(x, y):
        return x << y

    with pytest.raises(RuntimeError, match="Arithmetic left shift causes int64 integer overflow."):
        f(2 ** 62, 3)


def test_graph_shift_of_a_tensor_stays_pythons_refusal(on_real_server, graph_mode):
    # MindSpore 2.10, GRAPH_MODE (probe/shift.py): a Tensor has no `<<`, the Python TypeError
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for <<: 'Tensor' and 'int'"):
        _LShift()(Tensor(np.array([1, 2], np.int32)), 3)


def test_dataset_engine_iterators_cleanup_hooks_import():
    # MindSpore's own dataset tests' conftest imports these (tests/ut/python/dataset/conftest.py) and calls them
    # after each test; before, the import failed and no file of a batch holding a dataset test collected
    from gradserve.dataset.engine.iterators import _cleanup, _unset_iterator_cleanup
    assert _cleanup() is None and _unset_iterator_cleanup() is None
