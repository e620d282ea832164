"""MindSpore's backward primitives of two activations / losses, composed from gradserve's ops (so their own
gradients are the engine's): FastGeLUGrad (`ops.auto_generate`), SigmoidCrossEntropyWithLogitsGrad (`_grad_ops`).
Values checked against MindSpore 2.10's CPU kernels (tests/clients/test_mindspore_suite38.py)."""
from __future__ import annotations

from ._extra import P
from ._half_precision import in_float32

_K = 1.702  # fast_gelu(x) = x * sigmoid(1.702 x) (MindSpore's FastGeLU, written with |x| to stay finite)


class FastGeLUGrad:
    """FastGeLUGrad()(dy, x) = dy * d/dx fast_gelu(x) = dy (s + 1.702 x s (1 - s)), s = sigmoid(1.702 x)."""

    @in_float32  # float16 rounded once, as MindSpore's CPU kernel (its steps were up to 2 ulps off: 3.0703 for
    def __call__(self, dy, x):  # its 3.0742 at dy = x = 3)
        s = P.sigmoid(P.mul(x, _K))
        slope = P.add(s, P.mul(P.mul(P.mul(x, _K), s), P.sub(1.0, s)))
        return P.mul(dy, slope)


class SigmoidCrossEntropyWithLogitsGrad:
    """SigmoidCrossEntropyWithLogitsGrad()(logits, labels, dout) = dout (sigmoid(logits) - labels): the gradient
    of SigmoidCrossEntropyWithLogits in the logits."""

    def __call__(self, logits, labels, dout):
        return P.mul(dout, P.sub(P.sigmoid(logits), labels))
