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


def _event_callback(step_size=1):
    from gradserve.dataset.callback import DSCallback

    class Events(DSCallback):
        def __init__(self):
            super().__init__(step_size)
            self.ev = []

        def _add(self, name, c):
            self.ev.append((name, c.cur_epoch_num, c.cur_step_num_in_epoch, c.cur_step_num))

        def ds_begin(self, c):
            self._add("begin", c)

        def ds_epoch_begin(self, c):
            self._add("epoch_begin", c)

        def ds_epoch_end(self, c):
            self._add("epoch_end", c)

        def ds_step_begin(self, c):
            self._add("step_begin", c)

        def ds_step_end(self, c):
            self._add("step_end", c)
    return Events()


def test_map_callbacks_fire_mindspores_events():
    # MindSpore 2.10 (probe/dscb.py): step_size 2 counts the steps of each epoch (1 and 3), the step number
    # runs on over epochs; MindSpore runs step begins ahead of ends, so the order within a kind is compared
    import gradserve.dataset as ds
    cb = _event_callback(2)
    data = ds.NumpySlicesDataset([1, 2, 3], shuffle=False).map(operations=(lambda x: x), callbacks=cb)
    it = data.create_tuple_iterator(num_epochs=2)
    for _ in range(2):
        for _ in it:
            pass
    assert sorted(cb.ev) == sorted([
        ("begin", 0, 0, 0), ("epoch_begin", 1, 0, 0), ("step_begin", 1, 1, 1), ("step_begin", 1, 3, 3),
        ("step_end", 1, 1, 1), ("step_end", 1, 3, 3), ("epoch_end", 1, 3, 3), ("epoch_begin", 2, 0, 3),
        ("step_begin", 2, 1, 4), ("step_end", 2, 1, 4), ("step_begin", 2, 3, 6), ("step_end", 2, 3, 6),
        ("epoch_end", 2, 3, 6)])
    assert [e[0] for e in cb.ev if "epoch" in e[0]] == ["epoch_begin", "epoch_end"] * 2


def test_map_callbacks_see_one_epoch_over_a_repeat_and_not_the_size_pass():
    # MindSpore 2.10 (probe/dscb.py): repeat(2) above the map is one epoch of 4 steps; get_dataset_size fires none
    import gradserve.dataset as ds
    cb = _event_callback()
    data = ds.NumpySlicesDataset([1, 2], shuffle=False).map(operations=(lambda x: x), callbacks=cb).repeat(2)
    for _ in data:
        pass
    assert sorted(cb.ev) == sorted([("begin", 0, 0, 0), ("epoch_begin", 1, 0, 0)] + [
        (k, 1, s, s) for s in range(1, 5) for k in ("step_begin", "step_end")] + [("epoch_end", 1, 4, 4)])
    assert data.get_dataset_size() == 4 and len(cb.ev) == 11


def test_map_callbacks_refusals_as_mindspore(monkeypatch):
    # MindSpore 2.10 (probe/dscb.py) texts; its type names are mindspore.dataset's, ours gradserve's
    import gradserve.dataset as ds
    from gradserve.dataset.callback import DSCallback
    data = ds.NumpySlicesDataset([1, 2], shuffle=False)
    with pytest.raises(TypeError, match=r"^Argument callbacks with value 0 is not of type \[<class '.*DSCallback'>\], "
                                        r"but got <class 'int'>\.$"):
        data.map(operations=(lambda x: x), callbacks=0)
    with pytest.raises(TypeError, match=r"^Argument callbacks\[1\] with value 0 is not of type"):
        data.map(operations=(lambda x: x), callbacks=[_event_callback(), 0])
    with pytest.raises(ValueError, match=r"^Input step_size is not within the required interval of \[1, 2147483647\]\.$"):
        _event_callback(0)
    with pytest.raises(TypeError, match=r"^Argument step_size with value 1\.5 is not of type \[<class 'int'>\], but "
                                        r"got <class 'float'>\.$"):
        _event_callback(1.5)

    class Bad(DSCallback):
        pass
    with pytest.raises(AttributeError, match=r"^Inheriting Callback class without overriding any methods, check the "
                                             r"usage of user defined Callback\.$"):
        for _ in data.map(operations=(lambda x: x), callbacks=Bad()):
            pass
    monkeypatch.setenv("MS_INDEPENDENT_DATASET", "True")
    with pytest.raises(RuntimeError, match=r"^Dataset Callbacks is not supported in Dataset Independent mode\.$"):
        data.map(operations=(lambda x: x), callbacks=[_event_callback()])


def test_map_waited_callback_outside_train():
    # MindSpore 2.10 synchronises a WaitedDSCallback with Model.train's steps: read outside a train, its second step
    # waits for a train step and times out (its error text, probe /work/ms_suite_dataset2/probe/cbm.py); gradserve
    # raises it at once (nothing can end a train step while its pipeline runs in the caller's thread)
    import gradserve.dataset as ds
    from gradserve.dataset.callback import WaitedDSCallback

    class W(WaitedDSCallback):
        def sync_step_begin(self, train_run_context, ds_run_context):
            pass
    data = ds.NumpySlicesDataset([1, 2], shuffle=False).map(operations=(lambda x: x), callbacks=W())
    with pytest.raises(RuntimeError, match=r"RuntimeError: ds_step_begin timed out after 60 second\(s\)"):
        list(data.create_tuple_iterator(num_epochs=1))
