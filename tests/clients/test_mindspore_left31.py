"""MindSpore leftovers, round 31 (h-left31; benchmarks/mindspore_suite/README.md, "Leftovers, round 31").

Expected values and texts: MindSpore 2.10 (CPU) runs for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left31/probe/p*.py, each run in GRAPH_MODE and in PYNATIVE_MODE)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

P = ms.ops
G = 0
K = 0
T = 1.0
D = 4
E = 1
F = 2
C = 1


def _x():
    return Tensor(np.float32(2.0))


# -- 1. a global a graph writes: the module keeps its value; the first block reads the module's ---------------
def _calls(f, n=3):
    return [float(f(_x()).asnumpy()) for _ in range(n)]


@ms.jit
def _g_inc(x):
    global G
    G = G + 1
    return x * G


def test_jit_global_write_ignored_in_both_modes(fake):
    global G
    for mode in (ms.GRAPH_MODE, ms.PYNATIVE_MODE):
        ms.set_context(mode=mode)
        G = 0
        assert _calls(_g_inc) == [0.0, 0.0, 0.0]  # MindSpore 2.10 (p1.py, both modes): x * 0 on every call
        assert G == 0  # MindSpore 2.10: G stays 0


class _AddK(nn.Cell):
    def construct(self, x):
        global K
        K = K + 5
        return x + K


def test_cell_global_write_graph_mode_ignored(fake, graph_mode):
    global K
    K = 0
    assert _calls(_AddK()) == [2.0, 2.0, 2.0]  # MindSpore 2.10 (p1.py, GRAPH_MODE): 2.0, K stays 0
    assert K == 0


def test_cell_global_write_pynative_is_python(fake, pynative):
    global K
    K = 0
    assert _calls(_AddK()) == [7.0, 12.0, 17.0]  # MindSpore 2.10 (p1.py, PyNative): 7, 12, 17; K 15
    assert K == 15


@ms.jit
def _h_tensor(x):
    global T
    T = x * 2
    return T + 1


@ms.jit
def _aug_twice(x):
    global D
    D += 1
    D += 1
    return x * D


def _inc_c():
    global C
    C += 1
    return C


@ms.jit
def _calls_helper(x):
    return x * _inc_c()


@ms.jit
def _inner_writes(x):
    def inner():
        global C
        C = 100
        return C
    return x * inner()


@pytest.mark.parametrize("f,want", [(_h_tensor, 2.0), (_aug_twice, 8.0), (_calls_helper, 2.0), (_inner_writes, 2.0)])
def test_first_block_reads_the_module_value(fake, graph_mode, f, want):
    global T, D, C
    t0 = T = Tensor(np.float32(1.0))
    D, C = 4, 1
    assert _calls(f, 2) == [want, want]  # MindSpore 2.10 (p1.py, p1b.py, GRAPH_MODE)
    assert (T, D, C) == (t0, 4, 1)


@ms.jit
def _loop(x):
    global E
    for i in range(3):
        E = E + i
    return x * E


@ms.jit
def _if_write(x):
    global F
    if x > 1:
        F = 10
    return x * F


@ms.jit
def _straight_then_loop(x):
    global E
    E = 5
    for _ in range(2):
        E = E + 1
    return x * E


@ms.jit
def _straight_then_if(x):
    global E
    E = 5
    if x > 1:
        pass
    return x * E


@ms.jit
def _if_then_straight(x):
    global F
    if x > 1:
        F = 10
    F = 7
    return x * F


@ms.jit
def _while_write(x):
    global E
    i = 0
    while i < 2:
        E = E + 1
        i += 1
    return x * E


@pytest.mark.parametrize("f,want", [(_loop, 8.0), (_if_write, 20.0), (_straight_then_loop, 14.0),
                                    (_straight_then_if, 10.0), (_if_then_straight, 14.0), (_while_write, 6.0)])
def test_later_blocks_read_the_write(fake, graph_mode, f, want):
    global E, F
    E, F = 1, 2
    assert _calls(f, 2) == [want, want]  # MindSpore 2.10 (p1b.py, p1c.py, GRAPH_MODE)
    assert (E, F) == (1, 2)


@ms.jit
def _undefined_read(x):
    global LEFT31_UNDEFINED
    LEFT31_UNDEFINED = x * 2
    return LEFT31_UNDEFINED + 1


@ms.jit
def _undefined_write(x):
    global LEFT31_UNWRITTEN
    LEFT31_UNWRITTEN = x * 2
    return x + 1


def test_undefined_global(fake, graph_mode):
    with pytest.raises(NameError, match="^The name 'LEFT31_UNDEFINED' is not defined, or not supported in graph mode."):
        _undefined_read(_x())  # MindSpore 2.10 (p1b.py, both modes): this NameError
    assert float(_undefined_write(_x()).asnumpy()) == 3.0  # MindSpore 2.10: 3.0, the module still lacks the name
    assert "LEFT31_UNWRITTEN" not in globals()
