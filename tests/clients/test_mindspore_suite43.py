"""Sample seed 43 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 43").

Expected values and error texts: MindSpore 2.10 (CPU), each program run in a fresh process of its own venv
(/work/ms_suite43/probe/ref43.py holds the same programs); the call that gave each is stated beside it."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, jit, nn
from gradserve import dtype as mstype
from gradserve.nn import ForwardValueAndGrad
from gradserve.ops import operations as P
from gradserve.ops.operations.array_ops import ConcatOffsetV1


class SubSquare(nn.Cell):
    def construct(self, x):
        x -= 1
        return x * x


class CountDown(nn.Cell):
    def construct(self, x):
        while x > 1:
            x -= 1
        return x


class Product(nn.Cell):
    def construct(self, x):
        out = x * 1
        while x > 1:
            x -= 1
            out = out * x
        return out


class AliasWhile(nn.Cell):  # st/pi_jit/control_flow/test_control_while_by_for_continue's CtrlWhileContinueFor
    def __init__(self):
        super().__init__()
        self.add = P.Add()

    def construct(self, x):
        out = x
        while x > 1:
            x -= 1
            out = self.add(out, x)
        for _ in range(5):
            out = self.add(out, x)
        return out


class AliasIf(nn.Cell):  # st/pi_jit/control_flow/test_control_for_by_while_continue's CtrlForContinueWhileX
    def __init__(self):
        super().__init__()
        self.add = P.Add()

    def construct(self, x):
        out = x
        for _ in range(3):
            x -= 1
            if x < 5:
                continue
            out = self.add(out, x)
        while x > 1:
            out = self.add(out, x)
            x -= 1
        return out


class ParamLoop(nn.Cell):  # test_control_while_by_for_continue's CtrlWhileForContinueOne
    def __init__(self):
        super().__init__()
        self.param = Parameter(Tensor(2, mstype.float32), name="p")

    def construct(self, x):
        while x < 5:
            self.param += 1
            x += 1
            if x > 1:
                continue
        for _ in range(3):
            self.param += 2
        return x


class ParamInt(nn.Cell):  # test_control_for_by_while_continue's CtrlForWhileContinueP
    def __init__(self):
        super().__init__()
        self.add = P.Add()
        self.param = Parameter(-4, name="p")

    def construct(self, x):
        for _ in range(3):
            self.param += 2
        while x < 5:
            self.param += 1
            x += 1
            if self.param > 2:
                continue
            x = self.add(x, self.param)
        return x


class Bump(nn.Cell):
    def __init__(self):
        super().__init__()
        self.param = Parameter(Tensor(2, mstype.float32), name="p")

    def construct(self, x):
        self.param += 1
        return x * self.param


def _i32(v):
    return Tensor([v], mstype.int32)


# -- silently different answers before -------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
def test_forward_value_and_grad_is_one_pass(on_real_server, request, mode):
    # MindSpore 2.10, both modes: (9, 3), param 3. gradserve gave gradient 4 and param 4 (the forward assigned
    # the Parameter, then the gradient's own trace assigned it again and differentiated after it)
    request.getfixturevalue(mode)
    net = Bump()
    value, grads = ForwardValueAndGrad(net, get_all=True)(Tensor(3.0, mstype.float32))
    assert float(value.asnumpy()) == 9.0 and float(grads[0].asnumpy()) == 3.0
    assert float(net.param.asnumpy()) == 3.0


def test_forward_value_and_grad_of_in_place_inputs(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE: SubSquare at 3 -> (4, 4), x 2 (was gradient 2: taken at the written x; x 1)
    x = Tensor(3.0, mstype.float32)
    value, grads = ForwardValueAndGrad(SubSquare(), get_all=True)(x)
    assert (float(value.asnumpy()), float(grads[0].asnumpy()), float(x.asnumpy())) == (4.0, 4.0, 2.0)
    # Product at 3 -> (6, 11), x 1 (was gradient 1)
    x = Tensor(3.0, mstype.float32)
    value, grads = ForwardValueAndGrad(Product(), get_all=True)(x)
    assert (float(value.asnumpy()), float(grads[0].asnumpy()), float(x.asnumpy())) == (6.0, 11.0, 1.0)


def test_graph_while_writes_an_input_back(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE: the caller's x ends at 1 (Cell call and jit); gradserve left it at 7 / 3
    for v in (7, 3):
        x = _i32(v)
        assert CountDown()(x).asnumpy().tolist() == [1] and x.asnumpy().tolist() == [1]
    x = _i32(7)
    assert jit(CountDown().construct)(x).asnumpy().tolist() == [1] and x.asnumpy().tolist() == [1]


def test_alias_of_a_tensor_written_in_a_while(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE: out = x sees the body's first `x -= 1`: 19 at 5 (gradserve 20), 10 at 3
    for v, want in ((5, 19), (3, 10)):
        x = _i32(v)
        assert AliasWhile()(x).asnumpy().tolist() == [want] and x.asnumpy().tolist() == [1]
    x = Tensor(5.0, mstype.float32)
    value, grads = ForwardValueAndGrad(AliasWhile(), get_all=True)(x)
    assert (float(value.asnumpy()), float(grads[0].asnumpy()), float(x.asnumpy())) == (19.0, 10.0, 1.0)


def test_alias_of_a_tensor_written_before_an_if(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE: the `continue` side keeps out the same Tensor as x, so x's later writes reach
    # it: -2, 1, 4 at 1, 4, 5 (gradserve 0, 3, 6: a cond's output is a Tensor of its own); 26 at 7
    for v, want, x_after in ((1, -2, -2), (4, 1, 1), (5, 4, 1), (7, 26, 1)):
        x = _i32(v)
        assert AliasIf()(x).asnumpy().tolist() == [want] and x.asnumpy().tolist() == [x_after]


def test_parameter_of_a_python_int_is_int32(on_real_server, graph_mode):
    # MindSpore 2.10: Parameter(-4) is Int32 (gradserve's Int64 made `x + param` of an int32 x Int64 and the
    # `if` joining it with x a BranchJoinError); ParamInt at [1] -> [5] Int32, param 6
    assert Parameter(-4, name="p").dtype == mstype.int32 and Parameter(2.5, name="q").dtype == mstype.float32
    with pytest.raises(ValueError, match=r"^Parameter data can not be `bool`$"):
        Parameter(True, name="b")
    net, x = ParamInt(), _i32(1)
    out = net(x)
    assert out.asnumpy().tolist() == [5] and out.dtype == mstype.int32 and int(net.param.asnumpy()) == 6


# -- refused before -----------------------------------------------------------------------------------------
def test_while_retraced_for_a_parameter_with_an_if_inside(on_real_server, graph_mode):
    # a TraceError before (the in-place log kept a dropped trace's inputs); MindSpore 2.10: (5, 1), x 5, param 15
    net, x = ParamLoop(), Tensor(-2.0, mstype.float32)
    value, grads = ForwardValueAndGrad(net, get_all=True)(x)
    assert (float(value.asnumpy()), float(grads[0].asnumpy()), float(x.asnumpy())) == (5.0, 1.0, 5.0)
    assert float(net.param.asnumpy()) == 15.0


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
def test_concat_offset_v1(on_real_server, request, mode):
    # st/ops/cpu/test_concat_offset_v1_op (NotImplementedError before). MindSpore 2.10, both modes
    request.getfixturevalue(mode)
    op, axis = ConcatOffsetV1(), Tensor(1, mstype.int32)
    shapes = tuple(Tensor(np.array(s, np.int32)) for s in ([1, 2, 3], [1, 5, 3], [1, 4, 3]))
    out = op(axis, shapes)
    assert isinstance(out, tuple) and [t.asnumpy().tolist() for t in out] == [[0, 0, 0], [0, 2, 0], [0, 7, 0]]
    assert all(t.dtype == mstype.int32 for t in out)
    two = (Tensor(np.array([2, 2], np.int32)), Tensor(np.array([3, 2], np.int32)))
    assert [t.asnumpy().tolist() for t in op(Tensor(0, mstype.int32), two)] == [[0, 0], [2, 0]]
    with pytest.raises(ValueError, match=r"^For primitive\[ConcatOffsetV1\], the input x tensor num must be greater "
                                         r"than or equal to 2, but got 1\.$"):
        op(Tensor(0, mstype.int32), two[:1])
    with pytest.raises(ValueError, match=r"^For 'ConcatOffsetV1', tensor1 element num in input x should be 2, which "
                                         r"is element num of tensor0, but got 3\.$"):
        op(Tensor(0, mstype.int32), (two[0], Tensor(np.array([3, 5, 1], np.int32))))
    with pytest.raises(TypeError, match=r"^For primitive\[ConcatOffsetV1\], the input argument\[tensor0\] must be a "
                                        r"type of \{Tensor\[Int32\]\}, but got Tensor\[Int64\]\.$"):
        op(Tensor(0, mstype.int32), tuple(Tensor(t.asnumpy().astype(np.int64)) for t in two))
    with pytest.raises(TypeError, match=r"^For primitive\[ConcatOffsetV1\], the input argument\[axis\] must be a type "
                                        r"of \{Tensor\[Int32\]\}, but got Tensor\[Int64\]\.$"):
        op(Tensor(0, mstype.int64), two)
    with pytest.raises(TypeError, match=r"^For Primitive\[ConcatOffsetV1\], the type of input argument\[axis\] must "
                                        r"be Tensor but got Int64\.$"):
        op(0, two)
    for bad_axis, bad in ((-1, two), (2, two), (0, (two[0], Tensor(np.array([3, 5], np.int32))))):
        with pytest.raises(RuntimeError, match=r"^Launch kernel failed, name:Default/ConcatOffsetV1"):
            op(Tensor(bad_axis, mstype.int32), bad)


def _out_plus_written(x):
    out = x
    x -= 1
    return out + x


def test_bytecode_capture_keeps_python_semantics(on_real_server, pynative):
    # MindSpore 2.10 (Python 3.11) PyNative: jit(f, capture_mode="bytecode") at [5] gives [9], x unchanged, as f
    # itself (its capture_mode="ast": [8], x [4]); gradserve's bytecode capture was the ast one ([8], x [4])
    x = _i32(5)
    assert jit(_out_plus_written, capture_mode="bytecode")(x).asnumpy().tolist() == [9] and x.asnumpy().tolist() == [5]
    x = _i32(5)
    assert jit(_out_plus_written, capture_mode="ast")(x).asnumpy().tolist() == [8] and x.asnumpy().tolist() == [4]
    x = _i32(5)
    assert jit(CountDown().construct, capture_mode="bytecode")(x).asnumpy().tolist() == [1]
    assert x.asnumpy().tolist() == [5]


class BumpInt(nn.Cell):
    def __init__(self):
        super().__init__()
        self.param = Parameter(-4, name="p")

    def construct(self, x):
        self.param += 2
        return x + self.param


def test_setting_a_parameter_attribute_to_a_tensor_sets_its_data(on_real_server, pynative):
    # MindSpore 2.10 PyNative: construct run as Python ([1] -> [-1]) keeps p a Parameter (-2) of the Cell; a Cell
    # call after it gives [1]. gradserve replaced the attribute with a Tensor (parameters_dict lost 'p')
    net, x = BumpInt(), _i32(1)
    assert net.construct(x).asnumpy().tolist() == [-1]
    assert isinstance(net.param, Parameter) and int(net.param.asnumpy()) == -2 and list(net.parameters_dict()) == ["p"]
    assert net(x).asnumpy().tolist() == [1] and int(net.param.asnumpy()) == 0
    old = net.param
    net.param = Tensor(2.7, mstype.float32)  # MindSpore 2.10: the same Parameter, data 2 (Int32)
    assert net.param is old and int(net.param.asnumpy()) == 2 and net.param.dtype == mstype.int32
