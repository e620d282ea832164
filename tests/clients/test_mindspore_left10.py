"""MindSpore leftovers of stop 39 (h-msleft10): every expected value, dtype and error below is MindSpore 2.10.0's
on CPU (its venv, /work/msvenv, run for this task, each call in a fresh process: a failed MindSpore kernel
selection can change later calls' results in the same one), values also NumPy's / torch's where said."""
import numpy as np
import pytest
import torch

import gradserve as ms
from gradserve import Parameter, Tensor, mint, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

_B, _C = np.array([True, False]), np.array([True, True])


# -- 2. ops.assign of a Python number -----------------------------------------------------------------------
def test_assign_of_a_number_is_a_0d_value_not_a_fill():
    # MindSpore 2.10: ops.assign(p of shape (2,), 2.0) -> ValueError "For 'Assign','value' must have the same rank
    # as 'variable'. But got 'value' rank: 0, 'variable' rank: 1."; p keeps [1, 2]; AssignAdd / AssignSub alike
    p = Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="p")
    for call, prim in ((lambda: ops.assign(p, 2.0), "Assign"), (lambda: ops.Assign()(p, 2), "Assign"),
                       (lambda: ops.assign_add(p, 2.0), "AssignAdd"), (lambda: ops.assign_sub(p, 2), "AssignSub")):
        with pytest.raises(ValueError, match=f"For '{prim}','value' must have the same rank as 'variable'. But got "
                                             r"'value' rank: 0, 'variable' rank: 1\."):
            call()
    np.testing.assert_array_equal(p.asnumpy(), [1.0, 2.0])
    # a 0-d Parameter takes one: assign(p0, 2) -> 2.0; a float into an int32 one is refused (Float32)
    p0 = Parameter(Tensor(np.float32(1.0)), name="p0")
    ops.assign(p0, 2)
    assert p0.asnumpy() == 2.0 and p0.dtype == ms.float32
    q = Parameter(Tensor(np.int32(1)), name="q")
    with pytest.raises(TypeError, match="so data type Int32, which cannot be converted to data type Float32"):
        ops.assign(q, 1.5)


def test_assign_of_a_list_is_refused_in_mindsporess_words():
    # MindSpore 2.10: TypeError 'Failed calling Assign with "Assign()(variable=Tensor, value=List<float, float>)".'
    # then 'The valid calling should be: \n"Assign()(variable=<Tensor>, value=<Number, Tensor>)".'
    p = Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="p")
    with pytest.raises(TypeError) as ei:
        ops.assign(p, [3.0, 4.0])
    assert str(ei.value).startswith('Failed calling Assign with "Assign()(variable=Tensor, value=List<float, '
                                    'float>)".\nThe valid calling should be: \n"Assign()(variable=<Tensor>, '
                                    'value=<Number, Tensor>)".')
    with pytest.raises(TypeError, match=r"value=Tuple<int, int>"):
        ops.assign(p, (3, 4))
    with pytest.raises(TypeError, match=r'Failed calling AssignAdd with .*value=List<float, float>'):
        ops.assign_add(p, [1.0, 2.0])
    np.testing.assert_array_equal(p.asnumpy(), [1.0, 2.0])


# -- 3. bool arithmetic ------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [2, 1, 1.5, -1])
def test_add_sub_of_two_bools_with_alpha_stay_bool(alpha):
    # MindSpore 2.10 (AddExt / SubExt): alpha is read as a bool, so b + alpha * c is b | c and b - alpha * c is
    # b - c (Bool): mint.add(b, c, alpha=2) -> [True, True], mint.sub(b, c, alpha=2) -> [False, True]
    b, c = Tensor(_B), Tensor(_C)
    for out in (mint.add(b, c, alpha=alpha), b.add(c, alpha=alpha)):
        assert out.dtype == ms.bool_
        np.testing.assert_array_equal(out.asnumpy(), [True, True])
    for out in (mint.sub(b, c, alpha=alpha), b.sub(c, alpha=alpha)):
        assert out.dtype == ms.bool_
        np.testing.assert_array_equal(out.asnumpy(), [False, True])
    # alpha 0: input itself (mint.sub(b, c, alpha=0) -> [True, False]); a Python bool other: b.add(True, alpha=2)
    np.testing.assert_array_equal(mint.sub(b, c, alpha=0).asnumpy(), _B)
    np.testing.assert_array_equal(b.add(True, alpha=alpha).asnumpy(), [True, True])


def test_a_bool_alpha_is_refused():
    # MindSpore 2.10 CPU: bool operands with alpha=True / False -> TypeError "Select CPU operator[AddExt] fail!
    # Unsupported data type!"; other operands -> "For 'AddExt', boolean alpha need boolean input and other, but
    # got Int64 and Int64" (int32 with bool: "Int32 and Int32")
    b, c = Tensor(_B), Tensor(_C)
    for call, kernel in ((lambda: mint.add(b, c, alpha=True), "AddExt"), (lambda: b.sub(c, alpha=False), "SubExt"),
                         (lambda: mint.sub(b, c, alpha=True), "SubExt")):
        with pytest.raises(TypeError, match=rf"Select CPU operator\[{kernel}\] fail! Unsupported data type!"):
            call()
    with pytest.raises(TypeError, match="For 'AddExt', boolean alpha need boolean input and other, but got Int64 "
                                        "and Int64"):
        Tensor(np.array([1, 2])).add(Tensor(np.array([3, 4])), alpha=True)
    with pytest.raises(TypeError, match="but got Int32 and Int32"):
        mint.add(Tensor(np.array([1, 2], np.int32)), b, alpha=True)


def test_ops_add_and_sub_refuse_two_bools_and_subtract_scales_first():
    # MindSpore 2.10: ops.add / ops.sub of two bools (or a bool and True) -> TypeError "For primitive[Add], the
    # input argument[x] must be a type of {Tensor[BFloat16], ...}, but got Tensor[Bool]."; ops.subtract(b, c) is
    # sub(b, 1 * c): Int64 [0, -1]; alpha=2 -> Int64 [-1, -2]; alpha=1.5 -> Float32 [-0.5, -1.5]; alpha=True ->
    # Sub's TypeError. `b + c` / `b - c` (Tensor's own) stay Bool.
    b, c = Tensor(_B), Tensor(_C)
    for call, prim in ((lambda: ops.add(b, c), "Add"), (lambda: ops.add(b, True), "Add"),
                       (lambda: ops.sub(b, c), "Sub"), (lambda: ops.subtract(b, c, alpha=True), "Sub")):
        with pytest.raises(TypeError, match=rf"For primitive\[{prim}\], the input argument\[x\] must be a type of "
                                            r"\{Tensor\[BFloat16\], .*\}, but got Tensor\[Bool\]\."):
            call()
    for alpha, dtype, want in ((1, ms.int64, [0, -1]), (2, ms.int64, [-1, -2]), (1.5, ms.float32, [-0.5, -1.5])):
        out = ops.subtract(b, c, alpha=alpha)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.asnumpy(), want)
    assert (b + c).dtype == ms.bool_ and (b - c).dtype == ms.bool_
    out = ops.add(b, 2)  # a number other: Int64 [3, 2]
    assert out.dtype == ms.int64
    np.testing.assert_array_equal(out.asnumpy(), [3, 2])


# -- 4. softmax / log_softmax / logsumexp over an empty axis ------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family_over_an_empty_axis(axis):
    # MindSpore 2.10 and torch: softmax / log_softmax of a (2, 0) float32 Tensor are (2, 0); logsumexp over the
    # empty axis is -inf (torch.logsumexp(zeros(2, 0), 1) -> [-inf, -inf]), over the full one an empty result
    x = np.zeros((2, 0), np.float32)
    t = Tensor(x)
    for out in (ops.softmax(t, axis), ops.log_softmax(t, axis), mint.nn.functional.softmax(t, axis),
                nn.Softmax(axis)(t), nn.LogSoftmax(axis)(t), t.softmax(axis)):
        assert out.shape == (2, 0) and out.dtype == ms.float32
    for keep in (False, True):
        want = torch.logsumexp(torch.from_numpy(x), axis, keepdim=keep).numpy()
        for out in (ops.logsumexp(t, axis, keep), t.logsumexp(axis, keep)):
            assert out.shape == want.shape
            np.testing.assert_array_equal(out.asnumpy(), want)


def test_gradients_through_an_empty_softmax_axis_are_empty():
    # torch: the gradient of sum(logsumexp(x, 1)) / sum(softmax(x, 1)) at a (2, 0) x is (2, 0)
    x = Tensor(np.zeros((2, 0), np.float32))
    for fn in (lambda v: ops.logsumexp(v, 1).sum(), lambda v: ops.softmax(v, 1).sum()):
        g = ms.grad(fn)(x)
        assert g.shape == (2, 0)


# -- 5. bfloat16 text, Parameter text ------------------------------------------------------------------------
def test_bfloat16_str_and_repr_as_mindspore():
    # MindSpore 2.10's outputs (str, repr) for these bfloat16 Tensors
    cases = [([1.5, 2.25, -3.0], "[1.500000 2.250000 -3.000000]",
              "Tensor(shape=[3], dtype=BFloat16, value= [ 1.5, 2.25,   -3])"),
             (np.arange(6).reshape(2, 3) / 3, "[[0.000000 0.333984 0.667969]\n [1.000000 1.335938 1.664062]]",
              "Tensor(shape=[2, 3], dtype=BFloat16, value=\n[[       0, 0.333984, 0.667969],\n"
              " [       1,  1.33594,  1.66406]])"),
             ([1e10, 0.001, 100000, float("nan"), float("inf"), -0.0, 7],
              "[9999220736.000000 0.000999 99840.000000 nan inf -0.000000 7.000000]",
              "Tensor(shape=[7], dtype=BFloat16, value= [9.99922e+09, 0.000999451,       99840,         nan,         "
              "inf,          -0,           7])"),
             (np.linspace(-5, 5, 12), "[-5.000000 -4.093750 -3.187500 -2.265625 -1.367188 -0.455078 0.455078\n"
              " 1.367188 2.265625 3.187500 4.093750 5.000000]", None),
             (np.arange(2000) / 7, "[0.000000 0.142578 0.285156 ... 286.000000 286.000000 286.000000]",
              "Tensor(shape=[2000], dtype=BFloat16, value= [       0, 0.142578, 0.285156 ...      286,      286,      "
              "286])"),
             (1.5, "1.500000", "Tensor(shape=[], dtype=BFloat16, value= 1.5)")]
    for value, want_str, want_repr in cases:
        x = Tensor(value, ms.bfloat16)
        assert str(x) == want_str
        if want_repr is not None:
            assert repr(x) == want_repr
    a = Tensor([1.5, 2.25], ms.bfloat16).asnumpy()  # MindSpore: a bfloat16 array (its own NumPy type), not refused
    assert a.dtype.name == "bfloat16" and a.astype(np.float32).tolist() == [1.5, 2.25]


def test_str_of_a_parameter_is_its_repr():
    # MindSpore 2.10: str(p) / print(p) / f"{p}" -> 'Parameter (name=pf, shape=(3,), dtype=Float32, requires_grad=True)'
    p = Parameter(Tensor(np.array([1.5, 2.25, -3.0], np.float32)), name="pf")
    want = "Parameter (name=pf, shape=(3,), dtype=Float32, requires_grad=True)"
    assert str(p) == repr(p) == f"{p}" == want
    pb = Parameter(Tensor([1.5, 2.25, -3.0], ms.bfloat16), name="pb")
    assert str(pb) == "Parameter (name=pb, shape=(3,), dtype=BFloat16, requires_grad=True)"


# -- 1. joins MindSpore's graphs refuse before any value decides ---------------------------------------------
def test_a_side_that_prints_still_gets_the_join_error():
    # MindSpore's tests/st/compiler/graph_syntax/join/test_join_failed.py::test_if_branch_has_one_return: a jit
    # function whose `else` prints x and returns 0 where the other side leaves a Tensor: MindSpore 2.10 raises
    # TypeError "Cannot join the return values of different branches" for either value of the condition
    from gradserve import jit

    @jit
    def foo(x, y):
        if x < y:
            a = Tensor([1, 2, 3])
        else:
            print(x)
            return 0
        return a
    for x in (2.0, 9.0):
        with pytest.raises(TypeError, match="Cannot join the return values of different branches") as ei:
            foo(Tensor(x, ms.float32), Tensor(6, ms.float32))
        assert "return 0" in str(ei.value)

    @jit
    def fine(x, y):  # sides that join: the print's side runs where taken, values as NumPy's
        if x < y:
            print(x)
            out = x * 2
        else:
            out = x * 3
        return out
    assert fine(Tensor(2.0), Tensor(6.0)).asnumpy() == 4.0
    assert fine(Tensor(7.0), Tensor(6.0)).asnumpy() == 21.0


class _Pair(nn.Cell):
    def construct(self, x):
        return x, Tensor(10)


class _Square(nn.Cell):
    def construct(self, x):
        return x ** 2


class _Switch(nn.Cell):
    def __init__(self, layers):
        super().__init__()
        self.layers = layers

    def construct(self, x, index):
        return self.layers[index](x)


def test_switch_layer_outputs_that_cannot_join_are_refused_in_graph_mode():
    # MindSpore's test_join_failed.py::test_switch_layer_join_failed: a tuple (ReLU, Softmax, a Cell returning a
    # tuple, x ** 2) indexed by Tensor(1): MindSpore 2.10 GRAPH_MODE raises TypeError "Cannot join the return values
    # of different branches"; (ReLU, Softmax, Tanh) runs the Cell indexed (values as NumPy's)
    x = np.array([[-1.0, 2.0]], np.float32)
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        bad = _Switch((nn.ReLU(), nn.Softmax(), _Pair(), _Square()))
        with pytest.raises(TypeError, match="Cannot join the return values of different branches") as ei:
            bad(Tensor(x), Tensor(1, ms.int32))
        assert "return x, Tensor(10)" in str(ei.value) and "return x ** 2" in str(ei.value)
        # and MindSpore's own Cells' returns, which its test looks for too (h-msleft11)
        assert "return self.relu(input)" in str(ei.value) and "return self.softmax(input)" in str(ei.value)
        good = _Switch((nn.ReLU(), nn.Softmax(), nn.Tanh()))
        e = np.exp(x - x.max())
        for i, want in enumerate((np.maximum(x, 0), e / e.sum(), np.tanh(x))):
            np.testing.assert_allclose(good(Tensor(x), Tensor(i, ms.int32)).asnumpy(), want, rtol=1e-6)
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    np.testing.assert_allclose(bad(Tensor(x), Tensor(3, ms.int32)).asnumpy(), x ** 2)  # PyNative: the one taken


# -- idioms: mint ------------------------------------------------------------------------------------------
def test_mint_flatten_takes_every_dimension_by_default():
    # MindSpore 2.10: mint.flatten of a (2, 3, 4) Tensor -> (24,); (x, 1) -> (2, 12); (x, 0, 1) -> (6, 4);
    # ops.flatten keeps the first: (2, 12). Values as NumPy's reshape.
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = Tensor(a)
    np.testing.assert_array_equal(mint.flatten(x).asnumpy(), a.reshape(24))
    np.testing.assert_array_equal(mint.flatten(x, 1).asnumpy(), a.reshape(2, 12))
    np.testing.assert_array_equal(mint.flatten(x, 0, 1).asnumpy(), a.reshape(6, 4))
    assert mint.flatten(x, start_dim=1, end_dim=-1).shape == (2, 12) and ops.flatten(x).shape == (2, 12)


def test_mint_softplus_dropout_masked_select():
    # MindSpore 2.10: mint.nn.functional.softplus(y, beta=2, threshold=1) -> [[1, 0.0090750, 3], [4, 5, 3.0721e-06]]
    # (torch.nn.functional.softplus gives the same); dropout(training=False) / p=0 -> y; masked_select(y, y > 0)
    y = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], np.float32)
    t = Tensor(y)
    want = torch.nn.functional.softplus(torch.from_numpy(y), beta=2, threshold=1).numpy()
    np.testing.assert_allclose(mint.nn.functional.softplus(t, beta=2, threshold=1).asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(mint.nn.functional.softplus(t).asnumpy(),
                               torch.nn.functional.softplus(torch.from_numpy(y)).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(mint.nn.functional.dropout(t, p=0.5, training=False).asnumpy(), y)
    np.testing.assert_array_equal(mint.nn.functional.dropout(t, p=0.0).asnumpy(), y)
    np.testing.assert_array_equal(mint.masked_select(t, t > 0).asnumpy(), y[y > 0])


# -- idioms: ops defaults, dtype reprs -----------------------------------------------------------------------
def test_one_hot_default_values_are_int64():
    # MindSpore 2.10: ops.one_hot(Tensor([0, 2]), 3) -> Int64 [[1, 0, 0], [0, 0, 1]] (on / off default 1 / 0);
    # (5, -1) -> Int64; (1.0, 0.0) -> Float32; Tensor(1, int32) on / off -> Int32; axis=0 -> (3, 2) Int64
    idx = Tensor(np.array([0, 2]))
    for args, dtype, want in (((), ms.int64, [[1, 0, 0], [0, 0, 1]]), ((5, -1), ms.int64, [[5, -1, -1], [-1, -1, 5]]),
                              ((1.0, 0.0), ms.float32, [[1, 0, 0], [0, 0, 1]]),
                              ((Tensor(np.int32(1)), Tensor(np.int32(0))), ms.int32, [[1, 0, 0], [0, 0, 1]])):
        out = ops.one_hot(idx, 3, *args)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.asnumpy(), want)
    out = ops.one_hot(idx, 3, axis=0)
    assert out.dtype == ms.int64 and out.shape == (3, 2)


def test_unique_index_dtype_follows_the_input():
    # MindSpore 2.10: ops.unique(int64 [3, 1, 3, 2]) -> ([3, 1, 2], Int64 [0, 1, 0, 2]); int32 / float32 -> Int32
    for np_dtype, idx_dtype in ((np.int64, ms.int64), (np.int32, ms.int32), (np.float32, ms.int32)):
        y, idx = ops.unique(Tensor(np.array([3, 1, 3, 2], np_dtype)))
        assert idx.dtype == idx_dtype
        np.testing.assert_array_equal(y.asnumpy(), np.array([3, 1, 2], np_dtype))
        np.testing.assert_array_equal(idx.asnumpy(), [0, 1, 0, 2])


def test_dtype_repr_is_mindsporess():
    # MindSpore 2.10: repr(ms.float32) 'mindspore.float32', repr(ms.bool_) 'mindspore.bool', [ms.int32] prints
    # '[mindspore.int32]'; str stays 'Float32'
    assert repr(ms.float32) == "mindspore.float32" and repr(ms.bool_) == "mindspore.bool"
    assert repr([ms.int32]) == "[mindspore.int32]" and repr(ms.bfloat16) == "mindspore.bfloat16"
    assert str(ms.float32) == "Float32" and f"{ms.uint8!r}" == "mindspore.uint8"


def test_bool_tensor_with_an_integer_is_bitwise_in_the_integer_type():
    # MindSpore 2.10: b | 1 -> Int64 [1, 1, 1]; b & 1 -> Int64 [1, 0, 1]; b ^ 2 -> Int64 [3, 2, 3]; b | int32 [1, 2, 3]
    # -> Int32 [1, 2, 3]; b | True -> Bool; i & True -> Int32 [1, 0, 1] (values NumPy's on the promoted ints)
    bn = np.array([True, False, True])
    b, i = Tensor(bn), Tensor(np.array([1, 2, 3], np.int32))
    for out, dtype, want in ((b | 1, ms.int64, bn.astype(np.int64) | 1), (b & 1, ms.int64, bn.astype(np.int64) & 1),
                             (b ^ 2, ms.int64, bn.astype(np.int64) ^ 2),
                             (b | i, ms.int32, bn.astype(np.int32) | [1, 2, 3]),
                             (b | True, ms.bool_, bn | True), (i & True, ms.int32, np.array([1, 2, 3]) & 1),
                             (i | b, ms.int32, np.array([1, 2, 3]) | bn)):
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.asnumpy(), want)


def test_tensor_cumsum_of_narrow_ints_and_bool_is_int32():
    # MindSpore 2.10: Tensor.cumsum of uint8 [250, 10] -> Int32 [250, 260] (no wrap); int8 [100, 100] -> Int32
    # [100, 200]; bool [T, F, T] -> Int32 [1, 1, 2]; int16 -> Int32; ops.cumsum keeps uint8 ([250, 4]) as NumPy's
    for a in (np.array([250, 10], np.uint8), np.array([100, 100], np.int8), np.array([True, False, True]),
              np.array([1, 2], np.int16)):
        out = Tensor(a).cumsum(0)
        assert out.dtype == ms.int32
        np.testing.assert_array_equal(out.asnumpy(), np.cumsum(a.astype(np.int32)))
    u = np.array([250, 10], np.uint8)
    assert ops.cumsum(Tensor(u), 0).dtype == ms.uint8
    np.testing.assert_array_equal(ops.cumsum(Tensor(u), 0).asnumpy(), np.cumsum(u, dtype=np.uint8))


def test_experimental_is_an_attribute_with_no_import():
    # MindSpore 2.10: `import mindspore as ms; ms.experimental.optim.Adam` works with no import of experimental
    # (a fresh interpreter: this one may have imported it already)
    import os
    import subprocess
    import sys
    code = "import gradserve as ms, sys; assert 'gradserve.experimental' not in sys.modules; " \
           "print(ms.experimental.optim.Adam.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                         timeout=300, check=True)
    assert out.stdout.strip() == "Adam"


def test_bfloat16_repr_summarised_in_2d_pads_to_the_widest_shown_element():
    # the rule above (each '%g' right-aligned to the widest element shown): the shown corner [0, 39] holds 123.5,
    # so every element is 5 wide (the width was taken from the diagonal's six elements only: '1')
    a = np.ones((40, 40), np.float32)
    a[0, 39] = 123.5
    lines = repr(Tensor(a, ms.bfloat16)).split("\n")
    assert lines[1] == "[[    1,     1,     1 ...     1,     1, 123.5],"
    assert lines[2] == " [    1,     1,     1 ...     1,     1,     1],"
