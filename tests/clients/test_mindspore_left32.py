"""MindSpore leftovers, round 32 (h-left32; benchmarks/mindspore_suite/README.md, "Leftovers, round 32").

Expected values and texts: MindSpore 2.10 (CPU) runs for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left32/probe/p*.py, each run in GRAPH_MODE and in PYNATIVE_MODE)."""
import re

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

LST = [1]
L3 = [1, 2]
L4 = [1, 2]
L7 = [1]
LN = [1]
K = [1]
H = [1]


def _x():
    return Tensor(np.float32(2.0))


# -- 1. a module's list a graph changes: append / clear / item write are new values, extend / pop write it ------
@ms.jit
def _append_len(x):
    LST.append(2)
    return x * len(LST)


def test_jit_append_to_module_list_leaves_it_in_both_modes(fake):
    for mode in (ms.GRAPH_MODE, ms.PYNATIVE_MODE):
        ms.set_context(mode=mode)
        LST[:] = [1]
        for _ in range(2):  # MindSpore 2.10 (p1.py, both modes): 4.0 on each call, LST stays [1]
            assert float(_append_len(_x()).asnumpy()) == 4.0
            assert LST == [1]


@ms.jit
def _setitem(x):
    L3[0] = 5
    return x * L3[0]


@ms.jit
def _clear(x):
    K.clear()
    return x * len(K)


@ms.jit
def _loop_append(x):
    for i in range(2):
        H.append(i)
    return x * len(H)


def _helper():
    L7.append(7)
    return len(L7)


@ms.jit
def _helper_append(x):
    return x * _helper()


@pytest.mark.parametrize("f, want, lst, before", [
    (_setitem, 10.0, L3, [1, 2]), (_clear, 0.0, K, [1]), (_loop_append, 6.0, H, [1]), (_helper_append, 4.0, L7, [1])])
def test_jit_list_changes_are_the_graphs_own(fake, graph_mode, f, want, lst, before):
    lst[:] = before
    assert float(f(_x()).asnumpy()) == want  # MindSpore 2.10 (p1.py, p1b.py, GRAPH_MODE)
    assert lst == before  # MindSpore 2.10: the module's list unchanged


@ms.jit
def _extend_pop(x):
    L4.extend([3])
    L4.pop(0)
    return x * L4[0] + len(L4)


def test_jit_extend_pop_write_the_module_list(fake, graph_mode):
    L4[:] = [1, 2]
    assert float(_extend_pop(_x()).asnumpy()) == 6.0  # MindSpore 2.10 (p1.py): 6.0, L4 [2, 3]
    assert L4 == [2, 3]


class _AppendNet(nn.Cell):
    def construct(self, x):
        LN.append(2)
        return x * len(LN)


@pytest.mark.parametrize("mode, after", [(ms.GRAPH_MODE, [1]), (ms.PYNATIVE_MODE, [1, 2])])
def test_cell_append_graph_copy_pynative_in_place(fake, mode, after):
    ms.set_context(mode=mode)
    LN[:] = [1]
    assert float(_AppendNet()(_x()).asnumpy()) == 4.0  # MindSpore 2.10 (p1.py): 4.0 in both modes
    assert LN == after  # MindSpore 2.10: GRAPH_MODE [1], PyNative [1, 2]


# -- 3. the Fused* row-sparse optimizers' outputs past var: zeros (the Parameters hold the new values) ----------
def _par(a, name):
    return ms.Parameter(Tensor(np.array(a, np.float32)), name=name)


_VAR0 = np.ones((3, 2), np.float32)
_G = np.full((2, 2), 0.1, np.float32)
_IDX = np.array([0, 2], np.int32)
_F = np.float32
_ADAM = tuple(Tensor(_F(v)) for v in (0.9, 0.999, 0.001, 0.9, 0.999, 1e-8))
# MindSpore 2.10 (p3.py, both modes): var's new rows, then the slots' new values in their Parameters
_FTRL_VAR = [[-0.0049875267, -0.0049875267], [1.0, 1.0], [-0.0049875267, -0.0049875267]]
_STEP_VAR = [[0.999, 0.999], [1.0, 1.0], [0.999, 0.999]]


def _fused(name):
    P = ms.ops
    if name == "Ftrl":
        ps = (_par(_VAR0, "v"), _par(_VAR0, "a"), _par(_VAR0 * 0, "l"))
        return P.FusedSparseFtrl(0.1, 0.0, 0.0, -0.5), ps, (Tensor(_G), Tensor(_IDX)), _FTRL_VAR, [
            [[1.01, 1.01], [1.0, 1.0], [1.01, 1.01]], [[0.050124027, 0.050124027], [0, 0], [0.050124027, 0.050124027]]]
    if name == "ProximalAdagrad":
        ps = (_par(_VAR0, "v"), _par(_VAR0, "a"))
        rest = (Tensor(_F(0.01)), Tensor(_F(0.0)), Tensor(_F(0.0)), Tensor(_G), Tensor(_IDX))
        return P.FusedSparseProximalAdagrad(), ps, rest, _STEP_VAR, [[[1.01, 1.01], [1.0, 1.0], [1.01, 1.01]]]
    ps = (_par(_VAR0, "v"), _par(_VAR0 * 0, "m"), _par(_VAR0 * 0, "vv"))
    op = P.FusedSparseAdam() if name == "Adam" else P.FusedSparseLazyAdam()
    return op, ps, _ADAM + (Tensor(_G), Tensor(_IDX)), _STEP_VAR, [
        [[0.01, 0.01], [0, 0], [0.01, 0.01]], [[1e-5, 1e-5], [0, 0], [1e-5, 1e-5]]]


class _Step(nn.Cell):
    def __init__(self, op, ps, rest):
        super().__init__()
        self.op, self.n, self.rest = op, len(ps), rest
        for i, p in enumerate(ps):
            setattr(self, f"p{i}", p)

    def construct(self):
        return self.op(*[getattr(self, f"p{i}") for i in range(self.n)], *self.rest)


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
@pytest.mark.parametrize("name", ["Ftrl", "ProximalAdagrad", "Adam", "LazyAdam"])
def test_fused_sparse_outputs_past_var_are_zeros(fake, mode, name):
    ms.set_context(mode=mode)
    op, ps, rest, var_want, slots_want = _fused(name)
    out = op(*ps, *rest) if mode == ms.PYNATIVE_MODE else _Step(op, ps, rest)()
    np.testing.assert_allclose(out[0].asnumpy(), var_want, rtol=1e-4, atol=1e-6)
    extra = [o.asnumpy() for o in out[1:]]
    if name == "LazyAdam" and mode == ms.GRAPH_MODE:  # MindSpore 2.10's graph: its third output is var's new value
        np.testing.assert_allclose(extra.pop(), var_want, rtol=1e-4)
    for e in extra:  # MindSpore 2.10 (p3.py): zeros of the slot's shape
        np.testing.assert_array_equal(e, np.zeros((3, 2), np.float32))
    for p, want in zip(ps[1:], slots_want):  # the slots' Parameters: their new values
        np.testing.assert_allclose(p.asnumpy(), want, rtol=1e-4, atol=1e-9)


# -- 2. mindspore.numpy binary functions: a sequence operand --------------------------------------------------
_T2 = np.array([1.0, 2.0], np.float32)
_U2 = np.array([3.0, 4.0], np.float32)
_TENSORS_ONLY = ["not_equal", "less_equal", "logical_xor", "outer", "logaddexp2"]


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
@pytest.mark.parametrize("fn", _TENSORS_ONLY)
@pytest.mark.parametrize("other, typing", [([1, 2], "List"), ((1.0, 2.0), "Tuple"), (2, "Int"), (2.0, "Float"),
                                           (True, "Bool")])
def test_mnp_tensors_only_functions_refuse_lists_and_numbers(fake, mode, fn, other, typing):
    ms.set_context(mode=mode)
    f = getattr(ms.numpy, fn)
    text = f"expect Tensor, but got <class 'mindspore._c_expression.typing.{typing}'>"  # MindSpore 2.10 (p2.py, p2n.py)
    for args in ((Tensor(_T2), other), (other, Tensor(_T2))):
        with pytest.raises(TypeError, match=f"^{re.escape(text)}$"):
            f(*args)


_GRAPH_ZEROS = ["add", "subtract", "divide", "true_divide", "power", "maximum", "minimum", "fmod", "remainder",
                "floor_divide", "greater", "less", "greater_equal", "hypot", "logical_and", "logaddexp", "lcm"]


@pytest.mark.parametrize("fn", _GRAPH_ZEROS)
def test_mnp_tensor_sequence_operand_in_graph_refused(fake, fn):
    # MindSpore 2.10 (p2.py, jit): `mnp.subtract(t, (u,))` is [[1, 2]] (the tuple read as zeros), PyNative's
    # [[-2, -2]]: neither answer is both, so a graph refuses
    f = getattr(ms.numpy, fn)

    @ms.jit
    def g(t, u):
        return f(t, (u,))

    with pytest.raises(TypeError, match="list / tuple holding Tensors as an operand in a graph"):
        g(Tensor(_T2), Tensor(_U2))


def test_mnp_tensor_sequence_operand_pynative_is_the_math(fake, pynative):
    out = ms.numpy.subtract(Tensor(_T2), (Tensor(_U2),))  # MindSpore 2.10 PyNative (p2.py): [[-2, -2]]
    np.testing.assert_array_equal(out.asnumpy(), [[-2.0, -2.0]])


def test_mnp_number_sequence_operand_in_graph_answers(fake, graph_mode):
    @ms.jit
    def g(t):
        return ms.numpy.subtract(t, (1.0, 2.0))

    np.testing.assert_array_equal(g(Tensor(_T2)).asnumpy(), [0.0, 0.0])  # MindSpore 2.10 (p2.py, jit): [0, 0]


# -- 4. a module's numpy scalar read in a graph: its graph number ---------------------------------------------
N64 = np.int64(3)
F32 = np.float32(1.5)


@ms.jit
def _n_shape(x):
    return N64.shape


@ms.jit
def _n_plus(x):
    return N64 + 1


@ms.jit
def _f_dtype(x):
    return F32.dtype


@ms.jit
def _x_times_n(x):
    return x * N64


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_jit_module_numpy_scalar_is_a_graph_number(fake, mode):
    ms.set_context(mode=mode)
    # MindSpore 2.10 (p4.py, both modes, jit): AttributeError texts, the int 4, a Float32 6.0
    with pytest.raises(AttributeError, match="^'Int' object has no attribute 'shape'$"):
        _n_shape(_x())
    with pytest.raises(AttributeError, match="^'Float' object has no attribute 'dtype'$"):
        _f_dtype(_x())
    out = _n_plus(_x())
    assert out == 4 and type(out) is int
    assert float(_x_times_n(_x()).asnumpy()) == 6.0


class _NShape(nn.Cell):
    def construct(self, x):
        return N64.shape


def test_pynative_cell_module_numpy_scalar_stays_numpys(fake, pynative):
    assert _NShape()(_x()) == ()  # MindSpore 2.10 (p4b.py, a PyNative Cell): numpy's own ()


# -- 5. ops.equal's sequence refusal: _seq_guard's (one definition) -------------------------------------------


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_ops_equal_sequence_text_outside_jit(fake, mode):
    ms.set_context(mode=mode)
    t, u = Tensor(_T2), Tensor(_U2)
    # MindSpore 2.10 (p5.py, PyNative and GRAPH_MODE outside jit): the PyNative text, the sequence where it was
    for call, want in ((lambda: ms.ops.equal(t, (u,)), "input=Tensor, other=Tuple<Tensor>"),
                       (lambda: ms.ops.equal((u,), t), "input=Tuple<Tensor>, other=Tensor")):
        with pytest.raises(TypeError) as e:
            call()
        assert str(e.value).startswith(f'Failed calling Equal with "Equal()({want})"')


def test_ops_equal_sequence_text_in_jit(fake, graph_mode):
    @ms.jit
    def g(t, u):
        return ms.ops.equal((u,), t)

    with pytest.raises(TypeError) as e:  # MindSpore 2.10 (p5.py, jit): its graph text, input= kept
        g(Tensor(_T2), Tensor(_U2))
    assert str(e.value).startswith('Failed calling Equal with "input=Tuple[Tensor[Float32]]"')


def test_ops_equal_keywords_kept(fake, pynative):
    t, u = Tensor(_T2), Tensor(_U2)
    np.testing.assert_array_equal(ms.ops.equal(x=t, y=Tensor(_T2)).asnumpy(), [True, True])  # (gradserve's keywords)
    with pytest.raises(TypeError, match=r'^Failed calling Equal with "Equal\(\)\(input=Tensor, other=List<float, float>\)"'):
        ms.ops.equal(t, y=[1.0, 2.0])
    assert ms.ops.eq is ms.ops.equal
