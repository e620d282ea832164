"""A PyNative call traced afresh (its Python cannot be guarded) keeps the last trace's registration when the graph
is the same, found without writing the weights out (gradserve._trace._share_registration: structure and weight
identities; a large model's base64 cost seconds a call). A changed weight is still sent: set_data, a new
Parameter object, a Parameter thawed since. Expected values: NumPy by hand (d/dx sum(x*x*w)*s = 2 x w s,
d/dw = x*x*s)."""
from unittest import mock

import numpy as np
import pytest

from gradserve import Parameter, Tensor, _trace, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")

XA = np.array([1.0, 2.0, 3.0, -1.5], np.float32)
W0 = np.array([0.5, -1.0, 2.0, 0.25], np.float32)


class Settings:
    scale = 2.0


SETTINGS = Settings()  # an attribute of a plain object: not guardable, so every call traces afresh


class Scaled(nn.Cell):
    def __init__(self, w):
        super().__init__()
        self.w = Parameter(Tensor(w), name="w")

    def construct(self, x):
        return (x * x * self.w).sum() * SETTINGS.scale


def _kept(net):
    """The trace a Cell's PyNative calls keep for their one signature."""
    (entry,) = net.__dict__["_gs_programs"].guarded.values()
    return entry.prog


def _value(net, x=XA):
    return float(net(Tensor(x)).asnumpy())


@pytest.fixture
def docs_written():
    """The `values` of every Program.graph_doc call meanwhile ("frozen": a doc with the weights' values)."""
    orig = _trace.Program.graph_doc
    seen: list = []

    def spy(self, values="all", raws=None, arrays=None):
        seen.append(values)
        return orig(self, values, raws, arrays)
    with mock.patch.object(_trace.Program, "graph_doc", spy):
        yield seen


def test_a_retrace_of_the_same_graph_keeps_its_registration_without_writing_the_weights(docs_written):
    net = Scaled(W0)
    want = float((XA * XA * W0).sum() * 2.0)
    for _ in range(2):
        assert _value(net) == pytest.approx(want, rel=1e-6)
    ref = _kept(net).ref()
    del docs_written[:]
    for _ in range(2):
        assert _value(net) == pytest.approx(want, rel=1e-6)
        assert _kept(net).ref() is ref  # (traced again: the same graph, registered once)
    assert docs_written and "frozen" not in docs_written and "all" not in docs_written  # compared: "marked" alone


def test_a_weight_set_between_retraces_is_sent():
    net = Scaled(W0)
    g = ops.grad(net, grad_position=0, weights=net.trainable_params())
    for w in (W0, W0 * 3.0, W0 - 1.0):
        if w is not W0:
            net.w.set_data(Tensor(w))
        for _ in range(3):  # (first, recorded and plain retraces of the signature)
            gx, (gw,) = g(Tensor(XA))
            np.testing.assert_allclose(gx.asnumpy(), 2 * XA * w * 2.0, rtol=1e-6)
            np.testing.assert_allclose(gw.asnumpy(), XA * XA * 2.0, rtol=1e-6)
            assert _value(net) == pytest.approx(float((XA * XA * w).sum() * 2.0), rel=1e-6)


def test_a_new_parameter_object_between_retraces_is_sent(docs_written):
    net = Scaled(W0)
    for _ in range(3):
        _value(net)
    ref = _kept(net).ref()
    net.w = Parameter(Tensor(W0 * -2.0), name="w")  # the same name, shape and dtype: another frozen value
    del docs_written[:]
    assert _value(net) == pytest.approx(float((XA * XA * W0 * -2.0).sum() * 2.0), rel=1e-6)
    assert _kept(net).ref() is not ref and "frozen" in docs_written  # (its value written out and registered)


def test_a_frozen_value_is_compared_by_its_array_not_its_bytes():
    """The arrays a registration was written from, held weakly and compared by identity: a copy is another value."""
    net = Scaled(W0)
    for _ in range(3):
        _value(net)
    written = _kept(net)._written
    arrays: list = []
    bare = _kept(net).graph_doc(values="marked", arrays=arrays)
    assert written.same(bare, arrays)
    assert not written.same(bare, [a.copy() for a in arrays])  # equal bytes, another array: not the same
