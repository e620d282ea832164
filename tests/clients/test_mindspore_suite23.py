"""Sample seed 23 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 23"): values
that differed from MindSpore's and names its files call that gradserve lacked.

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, nn, ops

NAN = float("nan")


def test_nansum_sums_before_casting_to_dtype(on_real_server):
    # tests/st/ops/test_func_nansum.py: ops.nansum(x, axis=0, keepdims=True, dtype=ms.int64) = [[0, 128, -128]]
    x = Tensor([[NAN, 128.1, -256.9], [NAN, NAN, 128]], ms.float32)
    out = ops.nansum(x, axis=0, keepdims=True, dtype=ms.int64)
    assert out.dtype == ms.int64
    np.testing.assert_array_equal(out.asnumpy(), [[0, 128, -128]])
    # MindSpore 2.10: the sum is taken in the input's dtype, then cast (1.6 + 1.6 = 3.2 -> 3, not 1 + 1)
    y = Tensor([[NAN, 1.6, -256.9], [NAN, 1.6, 128]], ms.float32)
    np.testing.assert_array_equal(ops.nansum(y, axis=0, keepdims=True, dtype=ms.int64).asnumpy(), [[0, 3, -128]])
    assert int(ops.nansum(y, dtype=ms.int32)) == -125
    np.testing.assert_array_equal(ops.nansum(y, axis=1, dtype=ms.int8).asnumpy(), [1, -127])  # -255 and 129 wrap
    assert int(y.nansum(dtype=ms.int64)) == -125
    # an int8 sum wraps in int8 before the cast: MindSpore 2.10 gives -56 for dtype int64 and float32 too
    z = Tensor([100, 100], ms.int8)
    assert int(ops.nansum(z, dtype=ms.int64)) == -56
    assert float(ops.nansum(z, dtype=ms.float32)) == -56.0
    assert int(ops.nansum(Tensor([True, True]), dtype=ms.int8)) == 2
    h = ops.nansum(Tensor([1.5, 2.5, NAN], ms.float16), dtype=ms.float32)
    assert h.dtype == ms.float32 and float(h) == 4.0


class _MemberIn(nn.Cell):
    def construct(self, x, y):
        return x in y


class _MemberNotIn(nn.Cell):
    def construct(self, x, y):
        return x not in y


@pytest.mark.parametrize("mode", [context.PYNATIVE_MODE, context.GRAPH_MODE])
def test_tensor_in_a_list_argument_holding_it(on_real_server, mode):
    # tests/st/compiler/syntax/simple_expression/test_member_not_in.py, run after a file that left PyNative mode
    # on: MindSpore 2.10 answers `x in [x, y]` by identity in both modes (True, no elementwise == asked)
    context.set_context(mode=mode)
    try:
        x = Tensor(np.ones([2, 2], np.int32))
        y = Tensor(np.zeros([2, 2], np.int32))
        for seq in ([x, y], (x, y)):
            assert _MemberIn()(x, seq) is True
            assert _MemberNotIn()(x, seq) is False
        # (a list without x: MindSpore PyNative compares x == y, a 4-element truth value: ValueError)
        if mode == context.PYNATIVE_MODE:
            with pytest.raises(ValueError, match="ambiguous"):
                _MemberIn()(x, [y, "a"])
    finally:
        context.set_context(mode=context.PYNATIVE_MODE)
