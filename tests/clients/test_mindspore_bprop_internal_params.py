"""A custom bprop's `(input grads), {Parameter: grad}` result: MindSpore 2.10 (PyNative, CPU; run in /work/msvenv
for this test) gives a Parameter the dict's gradient only when the Cell's `internal_params` lists it; another
key's entry is dropped (that Parameter's gradient through the custom rule is 0, as for any Parameter the rule
does not name)."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, context, nn, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


class _Scaled(nn.Cell):
    def __init__(self, internal):
        super().__init__()
        self.w = Parameter(Tensor(np.array([2., 3.], np.float32)), name="w")
        self.b = Parameter(Tensor(np.array([0.5], np.float32)), name="b")
        if internal is not None:
            self.internal_params = [getattr(self, name) for name in internal]

    def construct(self, x):
        return x * self.w + self.b

    def bprop(self, x, out, dout):
        return (dout * self.w * 10,), {self.w: dout * x * 100, self.b: dout.sum(keepdims=True) * 7}


@pytest.mark.parametrize("internal, want_w, want_b", [
    (None, [0., 0.], [0.]),  # no internal_params: the dict is dropped
    (("w",), [50., 400.], [0.]),  # w listed: 100 x dout (dout = 1); b not listed: dropped
    (("w", "b"), [50., 400.], [14.]),  # both: b's 7 * sum(dout)
])
def test_bprop_param_grads_reach_only_internal_params(internal, want_w, want_b):
    context.set_context(mode=context.PYNATIVE_MODE)
    net = _Scaled(internal)
    x = Tensor(np.array([0.5, 4.], np.float32))
    dx, (dw, db) = ops.grad(net, grad_position=0, weights=[net.w, net.b])(x)
    np.testing.assert_allclose(dx.asnumpy(), [20., 30.])  # 10 w dout
    np.testing.assert_allclose(dw.asnumpy(), want_w)
    np.testing.assert_allclose(db.asnumpy(), want_b)
