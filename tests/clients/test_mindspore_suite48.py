"""Sample seed 48 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 48").

Expected values and error texts: MindSpore 2.10 (CPU), PyNative mode, each program run in a fresh process of its
own venv (/work/ms_suite48/probe/p3.py, p5.py, p6.py hold the same programs)."""
import numpy as np
import pytest

import gradserve.common as ms_common
import gradserve as gs
from gradserve import Tensor, _c_expression, jit, nn, ops
from gradserve import dtype as mstype

X3 = np.arange(12, dtype=np.float32).reshape(1, 3, 4)

# MindSpore 2.10's ops.pad (PadV3) in reflect / replicate / circular mode: 2 pads for a 2-d / 3-d input, 4 for
# 3-d / 4-d, 6 for 4-d / 5-d, reflect at most 4-d (n + 1 dims counted as n + 2); gradserve padded any rank.
REFUSED = [
    ("reflect", 2, 2, "For primitive[PadV3], the input dims for edge, reflect or circular mode must be greater than "
                      "or equal to 3, but got 2."),
    ("replicate", 1, 1, "For primitive[PadV3], the input dims for edge, reflect or circular mode must be greater "
                        "than or equal to 3, but got 1."),
    ("reflect", 4, 1, "For primitive[PadV3], the input dims when padding's size equal 2 must be equal to 3, but "
                      "got 4."),
    ("replicate", 5, 2, "For primitive[PadV3], the input dims when padding's size equal 4 must be equal to 4, but "
                        "got 5."),
    ("circular", 3, 3, "For primitive[PadV3], the input dims when padding's size equal 6 must be equal to 5, but "
                       "got 3."),
    ("reflect", 4, 3, "For primitive[PadV3], the input dims for reflect mode must be less than or equal to 4, but "
                      "got 5."),
    ("reflect", 5, 1, "For primitive[PadV3], the input dims for reflect mode must be less than or equal to 4, but "
                      "got 5."),
    ("replicate", 6, 3, "For primitive[PadV3], the input dims for edge mode must be less than or equal to 5, but "
                        "got 6."),
    ("circular", 6, 1, "For primitive[PadV3], the input dims for edge mode must be less than or equal to 5, but "
                       "got 6."),
    ("replicate", 3, 4, "For 'pad', the padding must be less than or equal to 6, but got 8."),
]


@pytest.mark.parametrize("mode,ndim,pairs,text", REFUSED)
def test_pad_modes_refuse_ranks_mindspore_refuses(on_real_server, mode, ndim, pairs, text):
    with pytest.raises(ValueError) as info:
        ops.pad(Tensor(np.ones((3,) * ndim, np.float32)), (1,) * (2 * pairs), mode=mode)
    assert str(info.value) == text


@pytest.mark.parametrize("mode,ndim,pairs,shape", [
    ("reflect", 2, 1, (3, 5)), ("replicate", 4, 3, (3, 5, 5, 5)), ("circular", 5, 3, (3, 3, 5, 5, 5)),
    ("reflect", 4, 2, (3, 3, 5, 5))])
def test_pad_modes_take_ranks_mindspore_takes(on_real_server, mode, ndim, pairs, shape):
    # MindSpore 2.10's output shapes
    assert ops.pad(Tensor(np.ones((3,) * ndim, np.float32)), (1,) * (2 * pairs), mode=mode).shape == shape


def test_pad_values_and_gradient(on_real_server):
    # MindSpore 2.10 (probe/p6.py)
    np.testing.assert_array_equal(ops.pad(Tensor(X3), (1, 2, 0, 1), mode="replicate").asnumpy(),
                                  [[[0, 0, 1, 2, 3, 3, 3], [4, 4, 5, 6, 7, 7, 7], [8, 8, 9, 10, 11, 11, 11],
                                    [8, 8, 9, 10, 11, 11, 11]]])
    w = Tensor(np.arange(1, 8, dtype=np.float32))
    g = ops.grad(lambda t: (ops.pad(t, (1, 2), mode="reflect") * w).sum())(Tensor(X3))
    np.testing.assert_array_equal(g.asnumpy(), [[[2, 11, 10, 5]] * 3])


def test_reflection_pad_layers_keep_any_rank(on_real_server):
    # MindSpore 2.10's nn.ReflectionPad1d / 2d pad a 1-d / 2-d input (their own kernels, not PadV3's ranks)
    np.testing.assert_array_equal(nn.ReflectionPad1d(1)(Tensor(np.array([0., 1., 2.], np.float32))).asnumpy(),
                                  [1, 0, 1, 2, 1])
    np.testing.assert_array_equal(nn.ReflectionPad2d(1)(Tensor(np.arange(4, dtype=np.float32).reshape(2, 2)))
                                  .asnumpy(), [[3, 2, 3, 2], [1, 0, 1, 0], [3, 2, 3, 2], [1, 0, 1, 0]])


def test_common_dtype_conversions():
    # MindSpore 2.10: mindspore.common exports both (pi_jit's share/ops/primitive/maxpool_ops imports the first)
    assert ms_common.dtype_to_nptype(mstype.float16) is np.float16
    assert ms_common.pytype_to_dtype(float) == mstype.float64
    assert ms_common.pytype_to_dtype(bool) == mstype.bool_


def test_pi_jit_switch_leaves_bytecode_capture_python(on_real_server):
    @jit(capture_mode="bytecode")
    def f(x):
        out = x
        x -= 1
        return out + x

    # MindSpore 2.10: each switch returns whether it flipped the state (from off: disable False, enable True,
    # enable False, disable True); f at [5] is [9] and x stays [5] with the switch on or off
    _c_expression.jit_mode_pi_disable()  # a known state, whatever earlier tests left
    for switch, flipped in ((_c_expression.jit_mode_pi_disable, False), (_c_expression.jit_mode_pi_enable, True),
                            (_c_expression.jit_mode_pi_enable, False), (_c_expression.jit_mode_pi_disable, True)):
        assert switch() is flipped
        x = Tensor(np.array([5.0], np.float32))
        np.testing.assert_array_equal(f(x).asnumpy(), [9.0])
        np.testing.assert_array_equal(x.asnumpy(), [5.0])


class _NoneBesideIndex(nn.Cell):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def construct(self, x, i):
        if self.k == 0:
            return x[None, i, ::2]
        if self.k == 1:
            return x[i, None, ::2]
        return x[None, i]


@pytest.mark.parametrize("mode", [0, 1])
def test_none_beside_a_traced_index(on_real_server, mode):
    # MindSpore 2.10 (probe/p9.py), GRAPH_MODE and PyNative alike: None beside a Tensor index given to construct
    # (gradserve refused: "None and bool beside a traced index array", "too many indices ... 3")
    gs.set_context(mode=mode)
    x = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    grad = ops.GradOperation()
    np.testing.assert_array_equal(_NoneBesideIndex(0)(x, Tensor(1, mstype.int64)).asnumpy(), [[4, 6]])
    np.testing.assert_array_equal(grad(_NoneBesideIndex(1))(x, Tensor(1, mstype.int64)).asnumpy(),
                                  [[0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    rows = Tensor(np.array([2, 0]), mstype.int32)
    np.testing.assert_array_equal(_NoneBesideIndex(0)(x, rows).asnumpy(), [[[8, 10], [0, 2]]])
    np.testing.assert_array_equal(grad(_NoneBesideIndex(0))(x, rows).asnumpy(),
                                  [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0]])
    np.testing.assert_array_equal(grad(_NoneBesideIndex(2))(x, rows).asnumpy(),
                                  [[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1]])


NUMPY_INDEXES = [lambda x, i: x[..., None, i], lambda x, i: x[None, ..., i], lambda x, i: x[None, i, None, ::2],
                 lambda x, i: x[:, None, i, 1:4:2], lambda x, i: x[i, None, i], lambda x, i: x[None, :, i, ::-1]]


@pytest.mark.parametrize("k", range(len(NUMPY_INDEXES)))
def test_none_beside_a_traced_index_matches_numpy(on_real_server, k):
    # NumPy's values and shapes (the read) and counts of each element read (its gradient), traced under jit
    f = NUMPY_INDEXES[k]
    x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    for iv in (np.array(2), np.array([2, 0, -1]), np.array([[1], [0]])):
        got = jit(f)(Tensor(x), Tensor(iv.astype(np.int32)))
        np.testing.assert_array_equal(got.asnumpy(), f(x, iv))
        g = ops.grad(jit(lambda t, i: f(t, i).sum()))(Tensor(x), Tensor(iv.astype(np.int32)))
        picked = f(np.arange(x.size).reshape(x.shape), iv).ravel()
        np.testing.assert_array_equal(g.asnumpy(), np.bincount(picked, minlength=x.size).reshape(x.shape))
