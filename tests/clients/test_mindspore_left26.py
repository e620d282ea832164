"""MindSpore leftovers, round 26 (h-left26; benchmarks/mindspore_suite/README.md, "Leftovers, round 26").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left26/p*.py, PyNative and GRAPH_MODE alike); stated beside each."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

nan, inf = np.nan, np.inf
P = ms.ops

# -- 1. NaN in element-wise maximum / minimum: MindSpore 2.10 CPU answers x > y ? x : y (x < y ? x : y), so a NaN in
# y is the answer and a NaN in x alone is not; the gradient gives dout to both where either is NaN (p1.py)
_X = [nan, 2.0, nan, 1.0, 3.0, inf, nan, -inf]
_Y = [2.0, nan, nan, 1.0, 1.0, nan, -inf, nan]
_MAXIMUM = [2.0, nan, nan, 1.0, 3.0, nan, -inf, nan]
_MINIMUM = [2.0, nan, nan, 1.0, 1.0, nan, -inf, nan]
_DX_MAX, _DY_MAX = [1, 1, 1, 0.5, 1, 1, 1, 1], [1, 1, 1, 0.5, 0, 1, 1, 1]
_PAIRS = [
    ("ops.maximum", P.maximum, _MAXIMUM, _DX_MAX, _DY_MAX),
    ("ops.minimum", P.minimum, _MINIMUM, _DY_MAX, _DX_MAX),
    ("mint.maximum", lambda a, b: ms.mint.maximum(a, b), _MAXIMUM, _DX_MAX, _DY_MAX),
    ("mint.minimum", lambda a, b: ms.mint.minimum(a, b), _MINIMUM, _DY_MAX, _DX_MAX),
    ("Tensor.maximum", lambda a, b: a.maximum(b), _MAXIMUM, _DX_MAX, _DY_MAX),
    ("Maximum", lambda a, b: P.Maximum()(a, b), _MAXIMUM, _DX_MAX, _DY_MAX),
    ("Minimum", lambda a, b: P.Minimum()(a, b), _MINIMUM, _DY_MAX, _DX_MAX),
]


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("name,f,value,dx,dy", _PAIRS, ids=[p[0] for p in _PAIRS])
def test_maximum_picks_y_unless_x_compares_greater(on_real_server, request, mode, dtype, name, f, value, dx, dy):
    request.getfixturevalue(mode)
    x, y = Tensor(np.array(_X, dtype)), Tensor(np.array(_Y, dtype))
    out = f(x, y)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out.asnumpy(), np.array(value, dtype))
    gx, gy = P.GradOperation(get_all=True)(f)(x, y)
    np.testing.assert_array_equal(gx.asnumpy(), np.array(dx, dtype))
    np.testing.assert_array_equal(gy.asnumpy(), np.array(dy, dtype))


def test_maximum_broadcast_and_with_a_number(on_real_server, pynative):
    # MindSpore 2.10 PyNative (p1.py "bc" / "sc" lines)
    a, b = Tensor(np.array([[nan], [2.0]], np.float32)), Tensor(np.array([1.0, nan, 3.0], np.float32))
    np.testing.assert_array_equal(P.maximum(a, b).asnumpy(), np.array([[1, nan, 3], [2, nan, 3]], np.float32))
    np.testing.assert_array_equal(P.maximum(b, a).asnumpy(), np.array([[nan, nan, nan], [2, 2, 3]], np.float32))
    np.testing.assert_array_equal(P.minimum(a, b).asnumpy(), np.array([[1, nan, 3], [1, nan, 2]], np.float32))
    ga, gb = P.GradOperation(get_all=True)(P.maximum)(a, b)
    np.testing.assert_array_equal(ga.asnumpy(), np.array([[3], [2]], np.float32))
    np.testing.assert_array_equal(gb.asnumpy(), np.array([1, 2, 2], np.float32))
    np.testing.assert_array_equal(P.maximum(b, 2.0).asnumpy(), np.array([2, 2, 3], np.float32))
    np.testing.assert_array_equal(P.maximum(2.0, b).asnumpy(), np.array([2, nan, 3], np.float32))
    np.testing.assert_array_equal(P.minimum(b, 2.0).asnumpy(), np.array([1, 2, 2], np.float32))
    np.testing.assert_array_equal(P.maximum(Tensor(np.float32(nan)), b).asnumpy(), np.array([1, nan, 3], np.float32))
    # integers unchanged (a control)
    ti = P.maximum(Tensor(np.array([1, 5], np.int32)), Tensor(np.array([3, 2], np.int32)))
    assert ti.dtype == ms.int32 and ti.asnumpy().tolist() == [3, 5]
