"""MindSpore's known leftovers, fifth pass: expected values are MindSpore 2.10's (CPU, its venv, run for this task)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

pytestmark = pytest.mark.usefixtures("on_real_server")


def _f32(*v):
    return Tensor(np.array(v, np.float32))


class _AddedInPlace(nn.Cell):
    def __init__(self, alpha=None):
        super().__init__()
        from gradserve.ops.auto_generate.gen_ops_prim import InplaceAddExt
        self.ia, self.alpha = InplaceAddExt(), alpha

    def construct(self, a, b):
        y = a * 1
        if self.alpha is None:
            self.ia(y, b)
        else:
            self.ia(y, b, self.alpha)
        return y * y


class _WritesItsInput(nn.Cell):
    def __init__(self, alpha=1):
        super().__init__()
        from gradserve.ops.auto_generate.gen_ops_prim import InplaceAddExt
        self.ia, self.alpha = InplaceAddExt(), alpha

    def construct(self, a, b):
        self.ia(a, b, self.alpha)
        return a * 1


@pytest.mark.parametrize("mode", ["GRAPH_MODE", "PYNATIVE_MODE"])
def test_inplace_add_ext_adds_in_place_and_differentiates_as_an_add(mode):
    ms.set_context(mode=getattr(ms, mode))  # (MindSpore 2.10's CPU runs it in GRAPH_MODE only: no PyNative kernel)
    a, b = _f32(1.0, 2.0), _f32(0.5, 1.0)
    np.testing.assert_array_equal(_AddedInPlace()(a, b).asnumpy(), [2.25, 9.0])
    ga, gb = ms.grad(_AddedInPlace(), grad_position=(0, 1))(a, b)
    np.testing.assert_array_equal(ga.asnumpy(), [3.0, 6.0])
    np.testing.assert_array_equal(gb.asnumpy(), [3.0, 6.0])
    out = _WritesItsInput(2)(a, b)
    np.testing.assert_array_equal(out.asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(a.asnumpy(), [2.0, 4.0])  # the caller's Tensor written
    i = Tensor(np.array([1, 2], np.int32))
    np.testing.assert_array_equal(_WritesItsInput()(i, _f32(0.5, 1.5)).asnumpy(), [1, 3])  # kept int32
    assert i.dtype == ms.int32 and i.asnumpy().tolist() == [1, 3]


class _Times3(nn.Cell):
    def construct(self, x):
        return x * 3


class _Outer(nn.Cell):
    def __init__(self):
        super().__init__()
        self.inner = _Times3()

    def construct(self, x):
        return self.inner(x) * x


class _Top(nn.Cell):
    def __init__(self):
        super().__init__()
        self.outer = _Outer()

    def construct(self, x):
        return self.outer(x) + 1


def test_inner_forward_hooks_run_once_under_a_hooked_parameter_free_cell():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    seen = []
    t = _Top()
    t.outer.inner.register_forward_pre_hook(lambda cell, inputs: seen.append("pre"))
    t.outer.inner.register_forward_hook(lambda cell, inputs, out: seen.append("fwd"))
    t.outer.register_backward_hook(lambda cell, gi, go: seen.append(("bwd", len(gi), len(go))))
    np.testing.assert_array_equal(ms.grad(t)(_f32(2.0)).asnumpy(), [12.0])  # d(3x^2 + 1) = 6x
    assert seen == ["pre", "fwd", ("bwd", 1, 1)]


class _ByKeyword(nn.Cell):
    def construct(self, x, y=None):
        return x * y


class _CallsByKeyword(nn.Cell):
    def __init__(self):
        super().__init__()
        self.kw = _ByKeyword()

    def construct(self, x, y):
        return self.kw(x, y=y)


def test_a_keyword_input_of_a_hooked_cell_keeps_its_gradient():
    # MindSpore 2.10: (5, 2); the hook's grad_input holds the positional input's gradient alone
    ms.set_context(mode=ms.PYNATIVE_MODE)
    seen = []
    t = _CallsByKeyword()
    t.kw.register_backward_hook(lambda cell, gi, go: seen.append((len(gi), len(go))))
    gx, gy = ms.grad(t, grad_position=(0, 1))(_f32(2.0), _f32(5.0))
    assert (float(gx.asnumpy()[0]), float(gy.asnumpy()[0])) == (5.0, 2.0)
    assert seen == [(1, 1)]
    t.kw.register_backward_hook(lambda cell, gi, go: (gi[0] * 10,))  # a hook replacing grad_input: x's only
    gx, gy = ms.grad(t, grad_position=(0, 1))(_f32(2.0), _f32(5.0))
    assert (float(gx.asnumpy()[0]), float(gy.asnumpy()[0])) == (50.0, 2.0)


def _appends_in_a_while(j):
    lst = ms.mutable([10, 20], True)
    i = 0
    while j < 10:
        lst.append(i)
        j = j + 2
        i = i + 1
    return lst, i


def test_a_mutable_list_appended_to_in_a_traced_while_runs_trip_by_trip(monkeypatch):
    # MindSpore 2.10: PyNative gives ([10, 20, 0, 1, 2, 3, 4], 5); its jit compiles the loop (MS_DEV_PRECOMPILE_ONLY:
    # None) and then fails on the list's shape; here the jit runs it trip by trip (the list grows each trip)
    want = ([10, 20, 0, 1, 2, 3, 4], 5)
    lst, i = _appends_in_a_while(Tensor(np.array([1], np.int64)))
    assert (list(lst), int(i)) == want
    lst, i = ms.jit(_appends_in_a_while)(Tensor(np.array([1], np.int64)))
    assert ([int(v) for v in lst], int(i)) == want
    monkeypatch.setenv("MS_DEV_PRECOMPILE_ONLY", "1")
    assert ms.jit(_appends_in_a_while)(Tensor(np.array([1], np.int64))) is None
