"""Sample seed 29 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 29").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it), or NumPy where said."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops


def test_checkparam_expand_tuple_and_checks():
    # tests/ut/python/pynative_mode/nn/test_checkparameter.py (17 items did not collect: _expand_tuple missing);
    # MindSpore 2.10's _checkparam: twice(3) == (3, 3), a tuple of 2 ints passes, other kinds are TypeErrors
    from gradserve._checkparam import _expand_tuple, check_input_format, check_is_int
    twice = _expand_tuple(2)
    assert twice(3) == (3, 3) and twice((3, 4)) == (3, 4) and _expand_tuple(3)(5) == (5, 5, 5)
    for bad in (0.5, "str", (1, 2, 3), (3.3, 4), True, (True, 1)):
        with pytest.raises(TypeError, match="expanding an int number to tuple"):
            twice(bad)
    assert check_is_int(3) == 3
    for bad in (3.3, "str", True):
        with pytest.raises(TypeError, match="The type of input value must be 'int', but got"):
            check_is_int(bad)
    assert check_input_format("NCHW") == "NCHW"
    with pytest.raises(ValueError, match="must be NCHW, but got rt"):
        check_input_format("rt")


def test_ms_len_and_core_flag():
    # tests/ut/python/pynative_mode/test_parse_method.py (21 items did not collect): standard_method.ms_len is
    # len (MindSpore 2.10: ms_len([1, 2, 3]) == 3), composite.base.core sets MindSpore's _func_graph_flags
    from gradserve._extends.parse.standard_method import ms_len
    from gradserve.ops.composite.base import core
    assert ms_len([1, 2, 3]) == 3 and ms_len((4,)) == 1

    @core(tg=True)
    def set_flag(x):
        return x + 1
    assert set_flag._func_graph_flags == {"core": True, "tg": True} and set_flag(2) == 3
    assert core(lambda: 7)._func_graph_flags == {"core": True}
