"""`mindspore.ops.operations._grad_ops` (imported as G): MindSpore's backward ops as classes. gradserve derives
gradients itself, so only the ones MindSpore programs call directly are here, each composed from ops already
in gradserve (its own derivative is that of those ops, so grad-of-grad works); any other name raises a clear
error when used (see _missing.py)."""
from __future__ import annotations

import numpy as np

from ... import ops as _ops
from ..._tensor import Tensor
from .._extra import P
from ._missing import module_getattr

__all__ = ["SoftplusGrad", "DropoutGrad", "ReluGrad", "ReLU6Grad", "EluGrad", "InvGrad", "AtanGrad", "AsinGrad",
           "ACosGrad", "AsinhGrad", "AcoshGrad", "HShrinkGrad", "SoftShrinkGrad", "SqrtGrad", "LayerNormGrad",
           "PReLUGrad", "L2NormalizeGrad", "NLLLossGrad", "LRNGrad", "ROIAlignGrad", "SliceGrad",
           "ResizeNearestNeighborGrad", "ResizeNearestNeighborV2Grad", "DeformableOffsetsGrad",
           "FastGeLUGrad", "SigmoidCrossEntropyWithLogitsGrad", "BiasAddGrad"]

from .._act_grad_prims import FastGeLUGrad, SigmoidCrossEntropyWithLogitsGrad  # noqa: E402
from .._lrn import LRNGrad  # noqa: E402
from .._bias_add_grad import BiasAddGrad  # noqa: E402
from .._roi_align import ROIAlignGrad  # noqa: E402
from .._deform_conv import DeformableOffsetsGrad  # noqa: E402
from .._strided_slice_grad import StridedSliceGrad as _StridedSliceGrad  # noqa: E402
from .._doc_resize_pad import nearest_index  # noqa: E402


def _nearest_rows(n_in: int, n_out: int, align_corners: bool, half_pixel: bool = False) -> np.ndarray:
    """(n_out, n_in) one-hot: which input row ResizeNearestNeighbor reads for each output row (nearest_index)."""
    return np.eye(n_in, dtype=np.float32)[nearest_index(n_in, n_out, align_corners, half_pixel)]


class ResizeNearestNeighborGrad:
    """ResizeNearestNeighborGrad(align_corners=False)(grad, size): the backward of ResizeNearestNeighbor from an
    (N, C, *size) input: each input pixel the sum of the grad pixels that read it (rows^T @ grad @ cols)."""

    half_pixel_centers = False

    def __init__(self, align_corners=False):
        self.align_corners = bool(align_corners)

    def __call__(self, grad, size):
        size = size._host_copy().tolist() if isinstance(size, Tensor) else list(size)
        if len(size) != 2 or grad.ndim != 4:
            raise ValueError(f"For '{type(self).__name__}', grad must be 4-D and size two ints, got grad of shape "
                             f"{list(grad.shape)} and size {size}")
        rows = _nearest_rows(int(size[0]), grad.shape[2], self.align_corners, self.half_pixel_centers)
        cols = _nearest_rows(int(size[1]), grad.shape[3], self.align_corners, self.half_pixel_centers)
        rows_t, cols = (Tensor(m.astype(grad._dtype)) for m in (rows.T.copy(), cols))
        return P.matmul(P.matmul(rows_t, grad), cols)


class ResizeNearestNeighborV2Grad(ResizeNearestNeighborGrad):
    """ResizeNearestNeighborV2Grad(align_corners=False, half_pixel_centers=False)(grad, size), NCHW: V1's backward,
    half_pixel_centers reading input row floor((o + 0.5) * in / out)."""

    def __init__(self, align_corners=False, half_pixel_centers=False):
        super().__init__(align_corners)
        if self.align_corners and half_pixel_centers:
            raise ValueError("For ResizeNearestNeighborV2Grad, the half_pixel_centers must be false when align_corners "
                             "is true, but half_pixel_centers got True.")
        self.half_pixel_centers = bool(half_pixel_centers)


class SliceGrad:
    """SliceGrad()(dy, x, begin, size): zeros of x's shape with dy at x[begin : begin + size] (the backward of
    Slice): StridedSliceGrad with unit strides."""

    def __call__(self, dy, x, begin, size):
        shape = tuple(x.shape)
        if not len(begin) == len(size) == len(shape):
            raise ValueError(f"For 'SliceGrad', 'begin' {tuple(begin)} and 'size' {tuple(size)} must have one entry "
                             f"per axis of x's shape {list(shape)}")
        if any(s < 0 for s in size):  # (MindSpore 2.10's CPU kernel takes no -1 here, unlike Slice)
            raise RuntimeError("For 'SliceGrad', the value of size can not be negative.")
        end = [b + s for b, s in zip(begin, size)]
        return _StridedSliceGrad()(dy, shape, tuple(begin), end, (1,) * len(shape))


class SoftplusGrad:
    """SoftplusGrad()(dout, x) = dout * sigmoid(x): d softplus(x)/dx = sigmoid(x) (MindSpore's SoftplusGrad)."""

    def __call__(self, dout, x):
        return P.mul(dout, P.sigmoid(x))


class DropoutGrad:
    """DropoutGrad(keep_prob)(dy, mask) = dy * mask / keep_prob: the backward of Dropout with its kept-mask."""

    def __init__(self, keep_prob: float = 0.5):
        keep_prob = float(keep_prob)
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"DropoutGrad: keep_prob must be in (0, 1], got {keep_prob}")
        self.keep_prob = keep_prob

    def __call__(self, dy, mask):
        return P.mul(P.mul(dy, P.cast(mask, dy.dtype)), 1.0 / self.keep_prob)


def _masked(dy, keep):
    """dy where keep holds, else 0 (not dy * mask: -0.0 for a negative dy; no gradient flows through keep)."""
    return P.where(keep, dy, P.zeros_like(dy))


class ReluGrad:
    """ReluGrad()(dy, x) = dy where x > 0, else 0 (MindSpore 2.10's `ops.auto_generate.ReluGrad`: 0 at x = 0 and
    -0.0)."""

    def __call__(self, dy, x):
        return _masked(dy, P.greater(x, 0))


class ReLU6Grad:
    """ReLU6Grad()(dy, x) = dy where 0 < x <= 6, else 0 (MindSpore 2.10's, as its relu6 gradient: 1 at x = 6)."""

    def __call__(self, dy, x):
        return _masked(dy, P.logical_and(P.greater(x, 0.0), P.less_equal(x, 6.0)))


class EluGrad:
    """EluGrad()(dy, y), y = elu(x) with alpha 1: dy where y > 0, else dy * (y + 1)."""

    def __call__(self, dy, y):
        return P.where(P.greater(y, 0.0), dy, P.mul(dy, P.add(y, 1.0)))


class InvGrad:
    """InvGrad()(y, dy), y = 1 / x: -dy * y**2."""

    def __call__(self, y, dy):
        return P.neg(P.mul(dy, P.square(y)))


def _over_conj(dy, denominator):
    """dy / conj(denominator): MindSpore's backward kernels divide by the conjugate of the derivative for complex
    input (the Wirtinger convention its autodiff uses); for real input it is dy / denominator."""
    if denominator.dtype.name.startswith("complex"):
        denominator = P.conj(denominator)
    return P.div(dy, denominator)


class AtanGrad:
    """AtanGrad()(x, dy) = dy / conj(1 + x**2)."""

    def __call__(self, x, dy):
        return _over_conj(dy, P.add(P.square(x), 1.0))


class AsinGrad:
    """AsinGrad()(x, dy) = dy / conj(sqrt(1 - x**2))."""

    def __call__(self, x, dy):
        if x.dtype.name.startswith("complex"):
            return _over_conj(dy, P.sqrt(P.sub(1.0, P.square(x))))
        return P.mul(dy, P.rsqrt(P.sub(1.0, P.square(x))))


class ACosGrad:
    """ACosGrad()(x, dy) = -dy / conj(sqrt(1 - x**2))."""

    def __call__(self, x, dy):
        return P.neg(AsinGrad()(x, dy))


class AsinhGrad:
    """AsinhGrad()(y, dy), y = asinh(x): dy / conj(cosh(y))."""

    def __call__(self, y, dy):
        return _over_conj(dy, P.cosh(y))


class AcoshGrad:
    """AcoshGrad()(y, dy), y = acosh(x): dy / conj(sinh(y))."""

    def __call__(self, y, dy):
        return _over_conj(dy, P.sinh(y))


class _ShrinkGrad:
    """(lambd)(gradients, features) = gradients where |features| > lambd, else 0 (HShrink and SoftShrink alike)."""

    def __init__(self, lambd: float = 0.5):
        if float(lambd) < 0:
            raise ValueError(f"{type(self).__name__}: lambd must be >= 0, got {lambd}")
        self.lambd = float(lambd)

    def __call__(self, gradients, features):
        return _masked(gradients, P.greater(P.abs(features), self.lambd))


class HShrinkGrad(_ShrinkGrad):
    pass


class SoftShrinkGrad(_ShrinkGrad):
    pass


def _sum_to(t, shape: tuple):
    """t summed over the axes a broadcast to t's shape added or stretched (the gradient of that broadcast)."""
    lead = t.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and t.shape[lead + i] != 1)
    out = _ops.reduce_sum(t, axes) if axes else t
    return P.reshape(out, tuple(shape))


class _PairGrad:
    """(grad_x=True, grad_y=True)(x1, x2, grads) -> (dx1, dx2) of minimum / maximum: grads goes to the chosen
    operand, half to each at a tie, summed back to each operand's shape. MindSpore 2.10 returns both whatever
    the flags say (read off its CPU kernel)."""

    def __init__(self, grad_x: bool = True, grad_y: bool = True):
        self.grad_x, self.grad_y = bool(grad_x), bool(grad_y)

    def _pick(self, a, b):  # where a is the one chosen over b
        raise NotImplementedError

    def __call__(self, x1, x2, grads):
        tie, half, zero = P.equal(x1, x2), P.mul(grads, 0.5), P.zeros_like(grads)
        d1 = P.where(self._pick(x1, x2), grads, P.where(tie, half, zero))
        d2 = P.where(self._pick(x2, x1), grads, P.where(tie, half, zero))
        return _sum_to(d1, tuple(x1.shape)), _sum_to(d2, tuple(x2.shape))


class MinimumGrad(_PairGrad):
    def _pick(self, a, b):
        return P.less(a, b)


class MaximumGrad(_PairGrad):
    def _pick(self, a, b):
        return P.greater(a, b)


class MaximumGradGrad:
    """(grad_x=True, grad_y=True)(x1, x2, dx1, dx2) -> (0 like x1, 0 like x2, dx1 where x1 >= x2 else dx2, broadcast):
    maximum's gradient differentiated again. MindSpore 2.10's CPU kernel: the flags change nothing, a tie takes dx1
    (x1 = x2 = 3, dx1 8, dx2 10: 8), integers stay integers."""

    def __init__(self, grad_x: bool = True, grad_y: bool = True):
        self.grad_x, self.grad_y = bool(grad_x), bool(grad_y)

    def __call__(self, x1, x2, dx1, dx2):
        return P.zeros_like(x1), P.zeros_like(x2), P.where(P.greater_equal(x1, x2), dx1, dx2)


def _same_shape(prim: str, x, dout) -> None:
    """MindSpore's shape check of an elementwise grad primitive (its texts, ValueError)."""
    xs, ds = tuple(x.shape), tuple(dout.shape)
    if len(xs) != len(ds):
        raise ValueError(f"Rank of x({len(xs)}) and dout({len(ds)}) not equal, primitive name: {prim}.")
    for i, (a, b) in enumerate(zip(xs, ds)):
        if a != b and a != -1 and b != -1:
            raise ValueError(f"The {i}th dim of x({a}) and dout({b}) not equal, primitive name: {prim}.")


class HSigmoidGrad:
    """HSigmoidGrad()(grads, x) = grads / 6 where -3 < x < 3, else 0 (hsigmoid(x) = relu6(x + 3) / 6)."""

    def __call__(self, grads, x):
        _same_shape("HSigmoidGrad", x, grads)
        return _masked(P.div(grads, 6.0), P.less(P.abs(x), 3.0))


class GeLUGrad:
    """GeLUGrad()(dy, x, y), y = GeLU()(x) (the tanh form, which y does not change): dy d/dx gelu(x), with
    t = tanh(k (x + c x^3)): 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2), k = sqrt(2 / pi), c = 0.044715."""

    def __call__(self, dy, x, y):
        k, c = float(np.sqrt(2.0 / np.pi)), 0.044715
        x2 = P.mul(x, x)
        t = P.tanh(P.mul(P.mul(x, P.add(P.mul(x2, c), 1.0)), k))
        slope = P.mul(P.mul(P.mul(x, P.sub(1.0, P.mul(t, t))), 0.5 * k), P.add(P.mul(x2, 3.0 * c), 1.0))
        return P.mul(dy, P.add(P.mul(P.add(t, 1.0), 0.5), slope))


__all__ += ["MinimumGrad", "MaximumGrad", "MaximumGradGrad", "HSigmoidGrad", "GeLUGrad"]

from .._grid_sampler import GridSampler2DGrad, GridSampler3DGrad  # noqa: E402

__all__ += ["GridSampler2DGrad", "GridSampler3DGrad"]

from .._strided_slice_grad import StridedSliceGrad  # noqa: E402
from .._max_pool_grad_grad import MaxPool3DGradGrad, MaxPoolGradGrad, MaxPoolGradGradWithArgmax  # noqa: E402

__all__ += ["StridedSliceGrad", "MaxPoolGradGrad", "MaxPool3DGradGrad", "MaxPoolGradGradWithArgmax"]


class TanhGrad:
    """TanhGrad()(y, dy), y = tanh(x): dy (1 - y^2)."""

    def __call__(self, y, dy):
        return P.mul(dy, P.sub(1.0, P.mul(y, y)))


class SoftmaxBackward:
    """SoftmaxBackward()(dout, out, dim=-1), out = softmax(x, dim): out (dout - sum(dout out, dim))."""

    def __call__(self, dout, out, dim=-1):
        return P.mul(out, P.sub(dout, _ops.sum(P.mul(dout, out), int(dim), keepdim=True)))


__all__ += ["TanhGrad", "SoftmaxBackward"]
__getattr__ = module_getattr("mindspore.ops.operations._grad_ops", _ops)


class SqrtGrad:
    """SqrtGrad()(y, dy), y = sqrt(x): dy / conj(2 y)."""

    def __call__(self, y, dy):
        return _over_conj(dy, P.mul(y, 2.0))


class LayerNormGrad:
    """LayerNormGrad(begin_norm_axis=1, begin_params_axis=1)(x, dy, variance, mean, gamma) -> (dx, dgamma, dbeta)
    of y = (x - mean) / sqrt(variance + 1e-12) * gamma + beta, with MindSpore's saved mean / variance (kept
    dims over the normalised axes): xhat = (x - mean) rstd, g = dy gamma, dx = rstd (g - mean(g) - xhat
    mean(g xhat)) over the normalised axes (its kernel's full derivative, which adds rstd mean(xhat) mean(g xhat):
    not 0 where the mean given is not x's own), dgamma / dbeta the sums of dy xhat / dy over the axes before
    begin_params_axis."""

    def __init__(self, begin_norm_axis: int = 1, begin_params_axis: int = 1):
        self.begin_norm_axis, self.begin_params_axis = int(begin_norm_axis), int(begin_params_axis)

    def __call__(self, x, dy, variance, mean, gamma):
        nd = x.ndim
        norm = tuple(range(self.begin_norm_axis % nd, nd))
        batch = tuple(range(self.begin_params_axis % nd))
        rstd = P.rsqrt(P.add(variance, 1e-12))
        xhat = P.mul(P.sub(x, mean), rstd)
        g = P.mul(dy, gamma)
        dx = P.mul(rstd, P.sub(P.sub(g, P.mean(g, norm, True)), P.mul(P.sub(xhat, P.mean(xhat, norm, True)),
                                                                       P.mean(P.mul(g, xhat), norm, True))))
        if not batch:  # begin_params_axis 0: gamma spans x, nothing to sum (an empty axis tuple would sum all)
            return dx, P.mul(dy, xhat), dy
        return dx, P.sum(P.mul(dy, xhat), batch), P.sum(dy, batch)


class PReLUGrad:
    """PReLUGrad()(dy, x, weight) -> (dx, dweight) of y = x where x > 0, else weight x (weight along axis 1,
    or one weight for all): dx = dy or weight dy; dweight = the sum of x dy where x <= 0 over every axis but 1."""

    def __call__(self, dy, x, weight):
        w = weight
        if x.ndim >= 2:
            w = P.reshape(weight, (-1,) + (1,) * (x.ndim - 2))
        pos = P.greater(x, 0.0)
        dx = P.where(pos, dy, P.mul(dy, w))
        contrib = P.where(pos, P.zeros_like(x), P.mul(x, dy))
        if int(weight.size) == 1:
            return dx, P.reshape(P.sum(contrib), tuple(weight.shape))
        return dx, P.sum(contrib, tuple(a for a in range(x.ndim) if a != 1))

class NLLLossGrad:
    """NLLLossGrad(reduction='mean', ignore_index=-100)(logits [N, C], loss_grad, labels [N], weight [C],
    total_weight) -> d loss / d logits: -weight[t_i] * loss_grad (loss_grad_i for 'none'; / total_weight for
    'mean') at [i, t_i], 0 elsewhere and where t_i == ignore_index."""

    def __init__(self, reduction="mean", ignore_index=-100):
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"For 'NLLLossGrad', 'reduction' must be in ['none', 'mean', 'sum'], got {reduction!r}")
        self.reduction, self.ignore_index = reduction, int(ignore_index)

    def __call__(self, logits, loss_grad, labels, weight, total_weight):
        n, c = (int(d) for d in logits.shape)
        kept = P.not_equal(labels, self.ignore_index)
        safe = P.where(kept, labels, P.zeros_like(labels))
        w = P.where(kept, P.gather(weight, safe, 0), P.zeros_like(P.gather(weight, safe, 0)))
        g = P.reshape(loss_grad, (n,)) if self.reduction == "none" else P.reshape(loss_grad, ())
        if self.reduction == "mean":
            g = P.div(g, P.reshape(total_weight, ()))
        hot = P.cast(P.equal(P.reshape(safe, (n, 1)), Tensor(np.arange(c, dtype=np.int32).reshape(1, c))),
                     logits.dtype)
        return P.mul(hot, P.reshape(P.neg(P.mul(w, g)), (n, 1)))


class L2NormalizeGrad:
    """L2NormalizeGrad(axis=0, epsilon=1e-4)(x, y, dy), y = L2Normalize(x): (dy - y sum(y dy, axis)) /
    max(sqrt(sum(x^2, axis)), epsilon) (MindSpore 2.10's kernel: the epsilon bounds the norm, not its square)."""

    def __init__(self, axis=0, epsilon=1e-4):
        axis = axis[0] if isinstance(axis, (tuple, list)) else axis
        self.axis, self.epsilon = int(axis), float(epsilon)

    def __call__(self, input_x, out, dout):
        norm = P.sqrt(P.sum(P.mul(input_x, input_x), self.axis, True))
        norm = P.maximum(norm, Tensor(np.asarray(self.epsilon, dtype=input_x.dtype.name)))
        return P.div(P.sub(dout, P.mul(out, P.sum(P.mul(out, dout), self.axis, True))), norm)


# CdistGrad (MindSpore's CPU kernel's rules: gradserve/_cdist_grad)
from .._cdist_grad import CdistGrad  # noqa: E402

__all__ += ["CdistGrad"]

class KLDivLossGrad:
    """KLDivLossGrad(reduction='mean')(dy, x, target): d KLDivLoss(x, target) / dx = -target * dy, over the
    element count for 'mean' and the first axis' size for 'batchmean' (MindSpore 2.10's CPU kernel: also where
    target <= 0, as ops.kl_div's gradient; dy is one number unless reduction is 'none')."""

    _REDUCTIONS = ("none", "mean", "batchmean", "sum")

    def __init__(self, reduction="mean"):
        if not isinstance(reduction, str) or reduction not in self._REDUCTIONS:
            raise ValueError(f"For 'KLDivLossGrad', the 'reduction' must be str and must be in "
                             f"'{list(self._REDUCTIONS)}', but got '{reduction}'.")
        self.reduction = reduction

    def __call__(self, dy, x, target):
        grad = P.neg(P.mul(target, dy if self.reduction == "none" else P.reshape(dy, ())))
        count = {"mean": int(np.prod(x.shape)), "batchmean": int(x.shape[0]) if x.ndim else 1}
        if self.reduction in count:
            grad = P.div(grad, Tensor(np.asarray(count[self.reduction], dtype=grad.dtype.name)))
        return grad


__all__ += ["KLDivLossGrad"]


class ConcatOffset:
    """ConcatOffset(N=2, axis=0)(shapes: a tuple of Tensors): [len(shapes), rank] int64, row i the offset at which
    Tensor i starts in their concatenation along axis (zeros elsewhere; MindSpore 2.10 checks neither N nor the
    other dimensions). A function of the shapes alone: a constant of the trace."""

    def __init__(self, N=2, axis=0):  # noqa: N803 - MindSpore's name
        self.N, self.axis = N, int(axis)

    def __call__(self, input_x):
        shapes = [tuple(int(d) for d in t.shape) for t in input_x]
        rank = len(shapes[0])
        axis = self.axis % rank
        out = np.zeros((len(shapes), rank), np.int64)
        out[1:, axis] = np.cumsum([s[axis] for s in shapes[:-1]])
        return Tensor(out)


__all__ += ["ConcatOffset"]


class ResizeBilinearGrad:
    """ResizeBilinearGrad(align_corners=False, half_pixel_centers=False)(grads, original_image): the gradient of
    ResizeBilinearV2 from original_image's H x W to grads' size at grads (each axis' weights transposed:
    ops/_resize), in grads' dtype."""

    def __init__(self, align_corners=False, half_pixel_centers=False):
        if align_corners and half_pixel_centers:
            raise ValueError("ResizeBilinearGrad: align_corners and half_pixel_centers cannot both be True")
        self.align_corners, self.half_pixel_centers = bool(align_corners), bool(half_pixel_centers)

    def __call__(self, grads, original_image):
        from .._resize import linear_weights, resize_axis  # noqa: PLC0415 - (ops' own module, loaded by then)
        if grads.ndim != 4 or original_image.ndim != 4:
            raise ValueError(f"ResizeBilinearGrad: grads and original_image must be 4-D, got shapes "
                             f"{list(grads.shape)} and {list(original_image.shape)}")
        dx = grads
        for axis in (-2, -1):
            w = linear_weights(int(original_image.shape[axis]), int(grads.shape[axis]), self.align_corners,
                               self.half_pixel_centers)
            dx = resize_axis(dx, axis, w.T)
        return dx


__all__ += ["ResizeBilinearGrad"]

# MaxPoolWithArgmaxV2's backward (gradserve/ops/_max_pool_argmax_grad)
from .._max_pool_argmax_grad import MaxPoolGradWithArgmax, MaxPoolGradWithArgmaxV2  # noqa: E402

__all__ += ["MaxPoolGradWithArgmax", "MaxPoolGradWithArgmaxV2"]

# FractionalAvgPool's backward (gradserve/ops/_fractional_avg_pool_grad)
from .._fractional_avg_pool_grad import FractionalAvgPoolGrad  # noqa: E402

__all__ += ["FractionalAvgPoolGrad"]

# FractionalMaxPool's backward (gradserve/ops/_fractional_max_pool_grad)
from .._fractional_max_pool_grad import FractionalMaxPoolGrad  # noqa: E402

__all__ += ["FractionalMaxPoolGrad"]

# the trilinear resize's backward (gradserve/ops/_interpolate_ext)
from .._interpolate_ext import UpsampleNearest3DGrad, UpsampleTrilinear3DGrad  # noqa: E402

__all__ += ["UpsampleTrilinear3DGrad", "UpsampleNearest3DGrad"]

# Conv2D's weight gradient as a convolution (gradserve/ops/_conv_filter_grad)
from .._conv_filter_grad import Conv2DBackpropFilter  # noqa: E402

__all__ += ["Conv2DBackpropFilter"]


class TraceV2Grad:
    """TraceV2Grad()(dout, shape, offset=0, axis1=1, axis2=0): the backward of TraceV2 (the sum of the diagonal
    `offset` of the (axis1, axis2) planes of an input of `shape`): zeros of `shape` with each plane's diagonal
    elements (i along axis1, i + offset along axis2) set to dout, whose axes are the input's others in order."""

    def __call__(self, dout, shape, offset=0, axis1=1, axis2=0):
        if not isinstance(shape, Tensor):  # (MindSpore 2.10 takes a Tensor only)
            raise TypeError(f"Failed calling TraceV2Grad with shape={type(shape).__name__}. The valid calling should be: "
                            '"TraceV2Grad()(dout=<Tensor>, shape=<Tensor>, offset=<int>, axis1=<int>, axis2=<int>)".')
        shape = [int(v) for v in shape._host_copy().tolist()]
        nd = len(shape)
        a1, a2 = int(axis1) % nd, int(axis2) % nd
        rest = [d for d in range(nd) if d not in (a1, a2)]
        if a1 == a2 or list(dout.shape) != [shape[d] for d in rest]:
            raise ValueError(f"For 'TraceV2Grad', axis1 {axis1} and axis2 {axis2} must name two axes of shape {shape} "
                             f"and dout's shape {list(dout.shape)} must be that of its other axes")
        i, j = np.ogrid[:shape[a1], :shape[a2]]
        diag = Tensor((j - i == int(offset)).astype(dout._dtype))
        planes = P.mul(P.reshape(dout, tuple(dout.shape) + (1, 1)), diag)  # rest axes, then axis1, axis2
        back = np.argsort(rest + [a1, a2]).tolist()
        return P.transpose(planes, tuple(back))


tracev2_grad_op = TraceV2Grad()

__all__ += ["TraceV2Grad", "tracev2_grad_op"]


# BatchNorm's backward and LstsqV2's (gradserve/ops/_batch_norm_grad, _lstsq_v2_grad)
from .._batch_norm_grad import BatchNormGrad  # noqa: E402
from .._lstsq_v2_grad import LstsqV2Grad, lstsq_v2_grad_op  # noqa: E402

__all__ += ["BatchNormGrad", "LstsqV2Grad", "lstsq_v2_grad_op"]
