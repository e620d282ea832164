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
