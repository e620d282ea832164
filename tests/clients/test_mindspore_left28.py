"""MindSpore leftovers, round 28 (h-left28; benchmarks/mindspore_suite/README.md, "Leftovers, round 28").

Expected values and texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left28/p*.py, each run in PYNATIVE_MODE (p) and GRAPH_MODE (g)); stated beside each."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

P, mint = ms.ops, ms.mint
_X = np.array([1.0, 2.0, 3.0], np.float32)
_C = np.array([0.5, 2.5, 3.5], np.float32)


# -- ops.histc's gradient (p4.py): MindSpore 2.10 defines no bprop for Histogram (HistcExt for mint.histc), so a
# gradient reaching histc's result from a differentiated input is its RuntimeError; gradserve gave zeros
_PYNATIVE = r"Illegal primitive Histogram's bprop not defined"
_GRAPH = r"Illegal primitive: Primitive Histogram's bprop not defined\."


def _sum(t):
    return P.histc(t, 4, 0.0, 4.0).sum()


def _mix(t):
    return (P.histc(t, 3, 0.0, 4.0) * t).sum()


def _method(t):
    return (t.histc(3, 0.0, 4.0) * t).sum()


def _square(t):
    return (P.histc(t * t, 3, 0.0, 4.0) * t).sum()


_REFUSED = {  # MindSpore 2.10: RuntimeError in both modes (was: zeros, [1, 1, 1], [1, 1, 1], [1, 0, 1])
    "sum": lambda x: P.GradOperation()(_sum)(x),
    "mix": lambda x: P.GradOperation()(_mix)(x),
    "method": lambda x: P.GradOperation()(_method)(x),
    "square": lambda x: P.GradOperation()(_square)(x),
    "value_and_grad": lambda x: ms.value_and_grad(_sum)(x),
    "vjp": lambda x: ms.vjp(_mix, x)[1](Tensor(np.float32(1.0))),
    "second input": lambda x: ms.grad(lambda t, u: (P.histc(u, 3, 0.0, 4.0) * t).sum(), grad_position=1)(x, Tensor(_C)),
}


@pytest.mark.parametrize("mode,text", [("pynative", _PYNATIVE), ("graph_mode", _GRAPH)])
@pytest.mark.parametrize("case", sorted(_REFUSED))
def test_histc_gradient_refused_as_mindspore(on_real_server, request, mode, text, case):
    request.getfixturevalue(mode)
    with pytest.raises(RuntimeError, match=text):
        _REFUSED[case](Tensor(_X))


def test_mint_histc_gradient_refused_in_graph_mode(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE: "Illegal primitive: Primitive HistcExt's bprop not defined." (its PyNative has no
    # HistcExt kernel on CPU at all)
    with pytest.raises(RuntimeError, match=r"Illegal primitive: Primitive HistcExt's bprop not defined\."):
        P.GradOperation()(lambda t: (mint.histc(t, 3, 0.0, 4.0) * t).sum())(Tensor(_X))


def _const(t):
    return (P.histc(Tensor(_C), 3, 0.0, 4.0) * t).sum()


def _stopped(t):
    return (P.histc(P.stop_gradient(t), 3, 0.0, 4.0) * t).sum()


def _dead(t):
    P.histc(t, 3, 0.0, 4.0)
    return (t * 2).sum()


_ANSWERED = {  # MindSpore 2.10, both modes: no gradient reaches histc from a differentiated input
    "constant input": (lambda x: P.GradOperation()(_const)(x), [1.0, 1.0, 1.0]),
    "stop_gradient": (lambda x: P.GradOperation()(_stopped)(x), [1.0, 1.0, 1.0]),
    "result unused": (lambda x: P.GradOperation()(_dead)(x), [2.0, 2.0, 2.0]),
    "other input": (lambda x: ms.grad(lambda t, u: (P.histc(u, 3, 0.0, 4.0) * t).sum(), grad_position=0)(
        x, Tensor(_C)), [1.0, 1.0, 1.0]),
    "jvp": (lambda x: ms.jvp(_sum, x, x)[1], 0.0),
}


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("case", sorted(_ANSWERED))
def test_histc_without_a_gradient_through_it_answers(on_real_server, request, mode, case):
    request.getfixturevalue(mode)
    f, want = _ANSWERED[case]
    assert f(Tensor(_X)).asnumpy().tolist() == want


# -- a grad-only user PrimitiveWithInfer (an infer and a registered bprop, no kernel; p2.py, p2b.py): MindSpore 2.10's
# GRAPH_MODE prunes its forward where only the bprop's gradient is asked, and refuses ("Kernel select failed:
# Unsupported op [MyDouble] on CPU ...") where the value is used; PyNative refuses all (gradserve refused all)
from gradserve.ops import PrimitiveWithInfer, prim_attr_register  # noqa: E402
from gradserve.ops._grad_experimental.grad_base import bprop_getters  # noqa: E402


class MyDouble(PrimitiveWithInfer):
    @prim_attr_register
    def __init__(self):
        self.init_prim_io_names(inputs=["x"], outputs=["y"])

    def infer_shape(self, s):
        return s

    def infer_dtype(self, t):
        return t


@bprop_getters.register(MyDouble)
def _double_bprop(self):
    def bprop(x, out, dout):
        return (dout * 2,)
    return bprop


class MyRow(PrimitiveWithInfer):  # another shape than its input's: [1] + shape
    @prim_attr_register
    def __init__(self):
        pass

    def infer_shape(self, s):
        return [1] + list(s)

    def infer_dtype(self, t):
        return t


@bprop_getters.register(MyRow)
def _row_bprop(self):
    def bprop(x, out, dout):
        return (dout.sum(0) * 3,)
    return bprop


class MyOut(MyDouble):  # its bprop reads out: the forward is needed
    pass


@bprop_getters.register(MyOut)
def _out_bprop(self):
    def bprop(x, out, dout):
        return (dout * out,)
    return bprop


class _Net(ms.nn.Cell):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def construct(self, *xs):
        return self.f(*xs)


_XY = np.array([1.0, 2.0], np.float32)
_B = np.array([5.0, 7.0], np.float32)
_KERNEL = r"Kernel select failed:\nUnsupported op \[{}\] on CPU"
_GRAD_ONLY = {  # MindSpore 2.10 GRAPH_MODE values
    "grad": (lambda x: P.GradOperation()(_Net(lambda t: MyDouble()(t)))(x), [2.0, 2.0]),
    "sens": (lambda x: P.GradOperation(sens_param=True)(_Net(lambda t: MyDouble()(t)))(x, Tensor(_B)), [10.0, 14.0]),
    "out * 3": (lambda x: P.GradOperation()(_Net(lambda t: MyDouble()(t) * 3))(x), [6.0, 6.0]),
    "sum": (lambda x: P.GradOperation()(_Net(lambda t: MyDouble()(t).sum()))(x), [2.0, 2.0]),
    "ms.grad": (lambda x: ms.grad(_Net(lambda t: MyDouble()(t)))(x), [2.0, 2.0]),
    "other shape": (lambda x: P.GradOperation()(_Net(lambda t: (MyRow()(t) * 2).sum()))(x), [6.0, 6.0]),
    "its shape": (lambda x: P.GradOperation()(_Net(lambda t: MyRow()(t).shape[0] * t.sum()))(x), [1.0, 1.0]),
    "twice": (lambda x: P.GradOperation()(_Net(lambda t: MyRow()(MyRow()(t)).sum()))(x), [9.0, 9.0]),
}


@pytest.mark.parametrize("case", sorted(_GRAD_ONLY))
def test_grad_only_user_primitive_in_graph_mode_gives_its_bprops_gradient(on_real_server, graph_mode, case):
    f, want = _GRAD_ONLY[case]
    assert f(Tensor(_XY)).asnumpy().tolist() == want


_VALUE_USED = {  # MindSpore 2.10 GRAPH_MODE: RuntimeError "Kernel select failed: ..."
    "times x": (lambda x: P.GradOperation()(_Net(lambda t: MyDouble()(t) * t))(x), "MyDouble"),
    "value_and_grad": (lambda x: ms.value_and_grad(_Net(lambda t: MyDouble()(t)))(x), "MyDouble"),
    "call": (lambda x: _Net(lambda t: MyDouble()(t))(x), "MyDouble"),
    "bprop reads out": (lambda x: P.GradOperation()(_Net(lambda t: MyOut()(t).sum()))(x), "MyOut"),
}


@pytest.mark.parametrize("case", sorted(_VALUE_USED))
def test_grad_only_user_primitive_refused_where_its_value_is_used(on_real_server, graph_mode, case):
    f, name = _VALUE_USED[case]
    with pytest.raises(RuntimeError, match=_KERNEL.format(name)):
        f(Tensor(_XY))


@pytest.mark.parametrize("case", ["grad", "other shape", "sum"])
def test_grad_only_user_primitive_refused_in_pynative(on_real_server, pynative, case):
    # MindSpore 2.10 PyNative runs the forward: "Kernel select failed: Unsupported op [MyDouble] on CPU ..."
    with pytest.raises(RuntimeError, match=_KERNEL.format("MyRow" if case == "other shape" else "MyDouble")):
        _GRAD_ONLY[case][0](Tensor(_XY))
