"""Sample seed 56 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 56").

What the sample's misses asked for: Cell.set_inputs by keyword (st/dynamic_shape/test_set_inputs.py: MindSpore's
incremental mode, `set_inputs(y=...)` declares y only). Expected values and texts: MindSpore 2.10 CPU runs of the
same programs (/work/ms_suite56/probe/p1.py, p2.py)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

_X = np.arange(6, dtype=np.float32).reshape(2, 3)
_DYN = Tensor(shape=[None, None], dtype=ms.float32)


class _Add3(nn.Cell):
    def construct(self, x, y, z):
        return ops.add(ops.add(x, y), z)


@pytest.fixture(params=[ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def mode(request):
    before = ms.get_context("mode")
    ms.set_context(mode=request.param)
    yield request.param
    ms.set_context(mode=before)


def test_set_inputs_by_keyword_declares_that_input_only(mode, on_real_server):
    # MindSpore 2.10 (p1.py, p2.py): get_inputs() is the dict form; x may change its shape, y stays checked
    net = _Add3()
    net.set_inputs(y=_DYN)
    spec = net.get_inputs()
    assert spec["total_arg_length"] == 3 and spec["arg_specified_infos"][0][0] == 1
    out = net(Tensor(_X), Tensor(_X), Tensor(_X))
    np.testing.assert_array_equal(out.asnumpy(), 3 * _X)
    x4 = np.ones((2, 4), np.float32)
    out = net(Tensor(x4), Tensor(np.ones((1, 4), np.float32)), Tensor(x4))
    np.testing.assert_array_equal(out.asnumpy(), 3 * x4)
    net.set_inputs(x=_DYN, y=_DYN)  # a second call replaces the first
    assert [i for i, _ in net.get_inputs()["arg_specified_infos"]] == [0, 1]


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE], indirect=True)
def test_set_inputs_by_keyword_checks_the_declared_input(mode, on_real_server):
    # MindSpore 2.10 GRAPH_MODE (p1.py): a rank-3 declaration of y against a 2-d y is a ValueError
    net = _Add3()
    net.set_inputs(y=Tensor(shape=[None, None, None], dtype=ms.float32))
    with pytest.raises(ValueError):
        net(Tensor(_X), Tensor(_X), Tensor(_X))


def test_set_inputs_keyword_errors(on_real_server):
    # MindSpore 2.10 (p1.py, p2.py): an unknown name, and inputs and keywords together, are ValueErrors at set_inputs
    with pytest.raises(ValueError, match=r"For dict mode, valid key is \['x', 'y', 'z'\], but got w!"):
        _Add3().set_inputs(w=_DYN)
    with pytest.raises(ValueError, match="For Cell, set_inputs should only set inputs or kwargs"):
        _Add3().set_inputs(_DYN, y=_DYN)


def test_set_inputs_empty_checks_nothing(on_real_server):
    # MindSpore 2.10 (p2.py): set_inputs() with nothing declares nothing; the call runs
    net = _Add3()
    net.set_inputs()
    out = net(Tensor(_X), Tensor(_X), Tensor(_X))
    np.testing.assert_array_equal(out.asnumpy(), 3 * _X)
