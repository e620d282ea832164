"""MindSpore leftovers of stop 40 (h-msleft11): every expected value, dtype and error below is MindSpore
2.10.0's on CPU (its venv, /work/msvenv, run for this task in PYNATIVE_MODE and GRAPH_MODE, which agreed),
unless a line says otherwise."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


def test_kl_div_keeps_zero_log_zero():
    # 0 * log(0) = 0 at a zero target: MindSpore 2.10's ops.kl_div(input, target 0) is 0
    t, i = Tensor(np.array([0.0, 0.5], np.float32)), Tensor(np.array([-1.0, -0.5], np.float32))
    np.testing.assert_allclose(ops.kl_div(i, t, reduction="none").asnumpy(), [0, -0.09657359], rtol=1e-6)


_BOOLS = np.array([True, False])


@pytest.mark.parametrize("call", [ops.neg, ops.exp, ops.sin, ops.log, ops.sigmoid, ops.tanh, ops.erf, ops.sign,
                                  lambda b: -b, lambda b: b.exp()])
def test_unary_math_of_a_bool_tensor_is_a_type_error(call):
    # MindSpore 2.10, both modes: TypeError "Select CPU operator[Exp] fail! Unsupported data type!" (ops.neg /
    # exp / sin / log / sigmoid / tanh / erf / sign, `-b`, b.exp()); ours names the op and the dtype, and stays
    # a ShapeError for code that caught that
    with pytest.raises(TypeError, match=r"bool") as err:
        call(Tensor(_BOOLS))
    assert isinstance(err.value, ms.errors.ShapeError)


def test_unary_math_that_takes_bools_is_unchanged():
    # MindSpore 2.10: sqrt / reciprocal of bools -> Float32 [1, 0] / [1, inf]; abs / relu -> Bool
    np.testing.assert_array_equal(ops.sqrt(Tensor(_BOOLS)).asnumpy(), [1.0, 0.0])
    np.testing.assert_array_equal(ops.reciprocal(Tensor(_BOOLS)).asnumpy(), [1.0, np.inf])
    for out in (ops.abs(Tensor(_BOOLS)), ops.relu(Tensor(_BOOLS))):
        assert out.dtype == ms.bool_
        np.testing.assert_array_equal(out.asnumpy(), _BOOLS)


def test_matmul_of_a_string_or_none_is_mindspores_failed_calling():
    t = Tensor(np.ones((2, 2), np.float32))
    # MindSpore 2.10: 'Failed calling MatMulExt with "MatMulExt()(input=string, other=Tensor)".\nThe valid calling
    # should be: \n"MatMulExt()(input=<Tensor>, other=<Tensor>)".' (and other=None for ops.matmul(t, None))
    with pytest.raises(TypeError) as err:
        ops.matmul("a", t)
    assert str(err.value) == ('Failed calling MatMulExt with "MatMulExt()(input=string, other=Tensor)".\n'
                              'The valid calling should be: \n"MatMulExt()(input=<Tensor>, other=<Tensor>)".')
    with pytest.raises(TypeError, match=r'^Failed calling MatMulExt with "MatMulExt\(\)\(input=Tensor, other=None\)"'):
        ops.matmul(t, None)


@pytest.mark.parametrize("call, text", [
    (lambda: ops.acos("str"), 'Failed calling ACos with "ACos()(input=string)".'),
    (lambda: ops.exp("str"), 'Failed calling Exp with "Exp()(input=string)".'),
    (lambda: ops.diagonal(1.0, 0, 0, 1),
     'Failed calling Diagonal with "Diagonal(offset=int, dim1=int, dim2=int)(input=float)".')])
def test_failed_calling_first_lines(call, text):
    with pytest.raises(TypeError) as err:  # MindSpore 2.10's first line, word for word
        call()
    assert str(err.value).split("\n")[0] == text


def _f32(*v):
    return Tensor(np.array(v, np.float32))


@pytest.mark.parametrize("index, shares", [(0, True), (slice(0, 1), True), ((0, slice(1, None)), True), (-1, True),
                                           ((1, 2), True), (Ellipsis, False), (None, False), ([0, 1], False)])
def test_item_assignment_writes_into_an_earlier_asnumpy_array(index, shares):
    # MindSpore 2.10 (CPU, PyNative): `x[i] = v` with ints / slices writes into x's buffer (an array from
    # x.asnumpy() / np.asarray(x) before it sees the write); `...`, None, a list, a Tensor or a mask give x a new one
    x = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32))
    a, n = x.asnumpy(), np.asarray(x)
    x[index] = 0.0
    want = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    want[index] = 0.0
    np.testing.assert_array_equal(x.asnumpy(), want)
    for before in (a, n):
        np.testing.assert_array_equal(before, want if shares else [[1, 2, 3], [4, 5, 6]])


def test_mask_assignment_and_parameter_item_assignment():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    a = x.asnumpy()
    x[x > 2] = 0.0  # MindSpore 2.10: x [[1, 2], [0, 0]], the earlier array unchanged
    np.testing.assert_array_equal(x.asnumpy(), [[1, 2], [0, 0]])
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    p = ms.Parameter(_f32(1, 2, 3), name="w")
    a = p.asnumpy()
    p[0] = 9.0  # MindSpore 2.10: [9, 2, 3] in the earlier array too
    np.testing.assert_array_equal(a, [9, 2, 3])
    np.testing.assert_array_equal((p * 1).asnumpy(), [9, 2, 3])


def test_parameter_assign_writes_into_an_earlier_asnumpy_array():
    # MindSpore 2.10: ops.assign / assign_add / assign_sub of a Parameter write into its buffer (the arrays from
    # asnumpy() and np.asarray() before see [5, 5, 5], then [6, 6, 6], then [5, 5, 5]); set_data / assign_value
    # give it a new one, and so does ops.assign of a plain Tensor
    p = ms.Parameter(_f32(1, 2, 3), name="w")
    a, n = p.asnumpy(), np.asarray(p)
    for op, value, want in ((ops.assign, 5.0, 5.0), (ops.assign_add, 1.0, 6.0), (ops.assign_sub, 1.0, 5.0)):
        op(p, _f32(value, value, value))
        for arr in (a, n, p.asnumpy()):
            np.testing.assert_array_equal(arr, [want] * 3)
    p.set_data(_f32(6, 6, 6))
    np.testing.assert_array_equal(a, [5, 5, 5])
    np.testing.assert_array_equal(p.asnumpy(), [6, 6, 6])
    t = _f32(1, 2, 3)
    b = t.asnumpy()
    ops.assign(t, _f32(5, 5, 5))
    np.testing.assert_array_equal(b, [1, 2, 3])
    np.testing.assert_array_equal(t.asnumpy(), [5, 5, 5])


def test_copy_and_in_place_methods_leave_an_earlier_array():
    # MindSpore 2.10: x.copy_(y) and p.assign_value(y) give a new buffer (the earlier array keeps [1, 2, 3]);
    # x.add_ / x.mul_ leave it too (MindSpore 2.10's PyNative CPU leaves x itself unchanged there, its GRAPH_MODE
    # writes x: gradserve writes x, as tests/clients/test_mindspore_inplace.py checks)
    for act in (lambda x: x.copy_(_f32(4, 4, 4)), lambda x: x.add_(1), lambda x: x.mul_(2)):
        x = _f32(1, 2, 3)
        a = x.asnumpy()
        act(x)
        np.testing.assert_array_equal(a, [1, 2, 3])


def test_isconstant_of_the_length_of_a_dynamic_length_sequence():
    # MindSpore 2.10, @jit: F.isconstant(len(x)) is False for mutable([t, t], True) and mutable([1, 2], True),
    # True for mutable([t, t]) and a plain list; isconstant(x) False for each mutable one; isconstant(3) True
    from gradserve.ops import functional as F

    t = _f32(1.0)

    @ms.jit
    def f(x):
        n = len(x)
        return F.isconstant(len(x)), F.isconstant(n), F.isconstant(x), F.isconstant(3)

    assert f(ms.mutable([t, t], True)) == (False, False, False, True)
    assert f(ms.mutable([1, 2], True)) == (False, False, False, True)
    assert f(ms.mutable([t, t])) == (True, True, False, True)
    assert f([t, t])[:2] == (True, True)

    @ms.jit
    def total(x):  # the length still counts a loop: sum of the elements
        s = x[0] * 0
        for i in range(len(x)):
            s = s + x[i]
        return s

    np.testing.assert_array_equal(total(ms.mutable([t, t, t], True)).asnumpy(), [3.0])


_W = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]], np.float32)
_IDS = np.array([0, 2, 0], np.int32)
_C = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
# max_norm 2: rows 0 and 2 (norms 5, 10) scaled by 2 / (norm + 1e-7), in the weight itself; row 1 (norm 0.5) and
# row 3 (not read) kept. MindSpore 2.10's CPU build has no Embedding kernel ("The kernel Embedding unregistered"
# for ops.embedding, mint.nn.functional.embedding, mint.nn.Embedding): the values are its documentation's rule,
# PyTorch's (torch.nn.functional.embedding, max_norm=2.0: the same outputs, weight and gradient).
_RENORMED = [[1.2, 1.6], [0.3, 0.4], [1.2, 1.6], [1.0, 0.0]]


def test_embedding_max_norm_renormalises_the_weight_in_place():
    for weight in (ms.Parameter(Tensor(_W), name="w"), Tensor(_W)):
        out = ops.embedding(Tensor(_IDS), weight, max_norm=2.0)
        np.testing.assert_allclose(out.asnumpy(), [[1.2, 1.6]] * 3, rtol=1e-6)
        np.testing.assert_allclose(weight.asnumpy(), _RENORMED, rtol=1e-6)
    w = ms.Parameter(Tensor(_W), name="w")
    g = ms.grad(lambda v: (ms.mint.nn.functional.embedding(Tensor(_IDS), v, max_norm=2.0) * Tensor(_C)).sum())(w)
    np.testing.assert_allclose(g.asnumpy(), [[6, 8], [0, 0], [3, 4], [0, 0]])  # torch: the renorm is no gradient's
    np.testing.assert_allclose(w.asnumpy(), _RENORMED, rtol=1e-6)


def test_mint_embedding_cell_takes_max_norm():
    e = ms.mint.nn.Embedding(4, 2, max_norm=2.0, norm_type=1.0, _weight=Tensor(_W))
    np.testing.assert_allclose(e(Tensor(_IDS)).asnumpy(), [[6 / 7, 8 / 7]] * 3, rtol=1e-6)  # l1 norms 7 and 14
    np.testing.assert_allclose(e.weight.asnumpy(), [[6 / 7, 8 / 7], [0.3, 0.4], [6 / 7, 8 / 7], [1, 0]], rtol=1e-6)
    # MindSpore 2.10's construction checks (EmbeddingExt)
    with pytest.raises(TypeError, match=r"^For 'EmbeddingExt', the type of 'max_norm' should be 'float', but got "
                                        r"type 'int'\.$"):
        ms.mint.nn.Embedding(4, 2, max_norm=2)
    with pytest.raises(ValueError, match=r"the 'padding_idx' must be in range of \[-4, 4\), but got 4"):
        ms.mint.nn.Embedding(4, 2, padding_idx=4)
    assert ms.mint.nn.Embedding(4, 3, padding_idx=1).weight.asnumpy()[1].tolist() == [0, 0, 0]
    assert not ms.mint.nn.Embedding(4, 2, _weight=Tensor(_W), _freeze=True).weight.requires_grad



def test_relu_and_softmax_cells_read_as_mindspores():
    # a switch_layer join error quotes each Cell's construct: MindSpore's test_switch_layer_join_failed looks for
    # nn.ReLU's `return self.relu(input)` and nn.Softmax's `return self.softmax(input)` (checked with the rest of
    # that test in test_mindspore_left10.py); their input keyword is MindSpore 2.10's, `input`
    x = _f32(-1.0, 0.0, 2.0)
    np.testing.assert_array_equal(ms.nn.ReLU()(input=x).asnumpy(), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(ms.nn.Softmax()(input=x).asnumpy(), np.exp([-1, 0, 2]) / np.exp([-1, 0, 2]).sum(),
                               rtol=1e-6)


def test_jit_print_is_the_runs_on_the_side_taken(capsys):
    # MindSpore 2.10 (@jit, and GRAPH_MODE construct): print is a Print op of the graph: it prints on every call,
    # only on the side of an `if` on a Tensor that the run takes (not the other), each argument on its own line,
    # a Tensor as 'Tensor(shape=[2], dtype=Float32, value=[ 1.00000000e+00  2.00000000e+00])', a 0-d one as its
    # value ('3'); ops.print_ alike
    @ms.jit
    def f(x):
        print("top", x)
        if x.sum() > 100:
            print("untaken side")
            y = x + 1
        else:
            print("taken side", x.sum())
            y = x * 2
        ops.print_("op", y)
        return y

    x = _f32(1.0, 2.0)
    for _ in range(2):
        np.testing.assert_array_equal(f(x).asnumpy(), [2.0, 4.0])
    one = ("top\nTensor(shape=[2], dtype=Float32, value=[ 1.00000000e+00  2.00000000e+00])\ntaken side\n3\n"
           "op\nTensor(shape=[2], dtype=Float32, value=[ 2.00000000e+00  4.00000000e+00])\n")
    assert capsys.readouterr().out == one * 2

    @ms.jit
    def g(x):
        if 1 > 2:  # a constant condition: Python's `if`, MindSpore prints its taken side each call too
            print("const untaken")
        else:
            print("const taken")
        return x

    g(x)
    g(x)
    assert capsys.readouterr().out == "const taken\nconst taken\n"


def _deformable_offsets():
    from gradserve.ops.operations import nn_ops

    return nn_ops.DeformableOffsets


def test_deformable_offsets_as_mindspores_auto_diff_test():
    # MindSpore's tests/st/ops/cpu/test_deformable_offsets_grad.py::test_auto_diff (x ones [1, 1, 2, 2], offsets
    # 0.1, ksize (2, 2)); MindSpore 2.10 CPU: the output and both gradients (GradOperation(get_all=True) of a Cell)
    op = _deformable_offsets()((1, 1, 1, 1), (0, 0, 0, 0), (2, 2))
    x, off = Tensor(np.ones([1, 1, 2, 2]), ms.float32), Tensor(np.full((1, 12, 1, 1), 0.1, np.float32))
    np.testing.assert_allclose(op(x, off).asnumpy(), [[[[0.1, 0.09], [0.09, 0.081]]]], rtol=1e-6)
    gx, goff = ops.GradOperation(get_all=True)(lambda a, b: op(a, b))(x, off)
    np.testing.assert_allclose(gx.asnumpy(), [[[[0.081, 0.09], [0.09, 0.1]]]], rtol=1e-6)
    np.testing.assert_allclose(goff.asnumpy().ravel(), [0, -0.1, 0, -0.09, 0, 0, -0.1, -0.09, 1, 0.9, 0.9, 0.81],
                               rtol=1e-6, atol=1e-7)


def test_deformable_offsets_strided_padded_dilated_two_groups():
    # MindSpore 2.10 CPU: DeformableOffsets((1, 1, 2, 1), (1, 0, 0, 1), (2, 2), (1, 1, 1, 2), 'NCHW', 2) of
    # x = cos(arange(24)) [1, 2, 3, 4] and offsets = 0.7 sin(arange(144)) [1, 24, 2, 3]; the gradients of
    # sum(out ** 2) (d/dx in full; d/doffsets: its sum, L1 norm and four entries)
    x = Tensor(np.cos(np.arange(24)).reshape(1, 2, 3, 4).astype(np.float32))
    off = Tensor((np.sin(np.arange(144)) * 0.7).reshape(1, 24, 2, 3).astype(np.float32))
    op = _deformable_offsets()((1, 1, 2, 1), (1, 0, 0, 1), (2, 2), (1, 1, 1, 2), "NCHW", 2)
    want = [[[[0, 0, 0, 0, 0, 0],
              [3.1865945e-01, 4.6727996e-02, 4.7933571e-02, -2.3524384e-01, 1.2166411e-02, 0],
              [2.8087983e-01, -3.0150035e-01, 1.4709805e-01, -1.7161431e-02, 3.7925631e-02, 3.8013954e-02],
              [2.6394740e-01, 1.2064935e-01, 1.6784663e-01, 2.5220160e-04, 2.5432711e-02, -2.2782145e-04]],
             [[2.2308700e-02, 5.5663843e-02, 0, 0, 0, 0],
              [-9.1734907e-04, -4.3713991e-02, 4.6866757e-01, -7.8421175e-02, -1.0795457e-02, 0],
              [3.9986338e-02, -3.8098365e-02, 2.1610475e-01, -2.6855087e-01, 2.0908146e-01, 7.2672134e-03],
              [-2.3913722e-02, 8.2750857e-02, 4.2282718e-01, 4.1211370e-02, 2.4935837e-01, 0]]]]
    np.testing.assert_allclose(op(x, off).asnumpy(), want, rtol=1e-5, atol=1e-7)
    gx, goff = ms.grad(lambda a, b: (op(a, b) ** 2).sum(), (0, 1))(x, off)
    np.testing.assert_allclose(gx.asnumpy(), [[[[2.0308769e-01, 3.9018221e-02, 2.9011322e-02, -1.1205030e-01],
                                                [-2.0506340e-01, -2.4128545e-02, 2.0634265e-01, 8.3731174e-02],
                                                [-3.7294888e-01, -2.3642600e-01, 5.0936323e-02, -1.6210716e-02]],
                                               [[2.2404584e-01, 2.7976939e-01, -3.8856760e-02, -2.7354810e-02],
                                                [-6.7643533e-03, -1.8063951e-01, -5.0633363e-02, 1.8726499e-01],
                                                [-4.0881406e-04, -3.8904127e-01, -4.3887576e-01, 4.4666179e-02]]]],
                               rtol=1e-5, atol=1e-7)
    g = goff.asnumpy().ravel()
    np.testing.assert_allclose([g.sum(), np.abs(g).sum(), g[3], g[57], g[88], g[136]],
                               [-1.3643462657928467, 9.613585472106934, -0.054362666, -0.6130214, -0.36665085,
                                -0.64623815], rtol=1e-5)


def test_deformable_offsets_vmap_as_mindspores_test():
    # MindSpore's tests/st/ops/cpu/test_deformable_conv.py::test_vmap: vmap over a leading axis is the stack of
    # the per-item calls (MindSpore 2.10: shape [2, 2, 3, 9, 9], sum 118272.0)
    op = _deformable_offsets()((1, 1, 1, 1), (0, 0, 0, 0), (3, 3))
    x = Tensor(np.arange(2 * 2 * 3 * 5 * 5).reshape(2, 2, 3, 5, 5), ms.float32)
    off = Tensor(np.ones((2, 2, 27, 3, 3)), ms.float32)
    out1 = ops.vmap(op, in_axes=(0, 0), out_axes=0)(x, off)
    out2 = ops.stack([op(x[i], off[i]) for i in range(2)])
    assert out1.shape == (2, 2, 3, 9, 9)
    np.testing.assert_allclose(out1.asnumpy(), out2.asnumpy())
    assert float(out1.asnumpy().sum()) == 118272.0
