"""MindSpore 2.10 ops its tests (seed 15 of its suite) call, composed of existing ops (derivatives are theirs):
gather_d, bitwise shifts (LeftShift / RightShift, bitwise_left_shift / bitwise_right_shift), diagflat,
logcumsumexp, addbmm, ApplyFtrl, ROIAlign, uniform; Tensor.trace (NumPy's form) and Tensor.addbmm. Values checked in MindSpore's venv."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._late import late

__all__ = ["gather_d", "LeftShift", "RightShift", "bitwise_left_shift", "bitwise_right_shift", "diagflat",
           "logcumsumexp", "addbmm", "ApplyFtrl", "ROIAlign", "uniform"]


def gather_d(x, dim, index):
    """ops.gather_d(x, dim, index) = gather_elements: out[i][j] = x[index[i][j]][j] (dim 0), ..."""
    return late.ops.gather_elements(x, int(dim), index)


def _shift_operands(x, other, where: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', input must be a Tensor, got {type(x).__name__}")
    dt = x.dtype.name
    if not (dt.startswith("int") or dt.startswith("uint")):
        raise TypeError(f"For '{where}', input must be an integer Tensor, got {dt}")
    if not isinstance(other, Tensor):
        other = Tensor(np.asarray(other, dtype=dt))
    return x, other, dt


def _wide(dt: str) -> str:
    """The dtype a shift runs in: int8 / int16 / uint8 / uint16 promote to int32, as C++'s integer promotion
    in MindSpore 2.10's CPU kernel (int8 1 << 8 = 0 and -128 >> 9 = -1, the count taken mod 32)."""
    return dt if np.dtype(dt).itemsize >= 4 else "int32"


def _pow2_halves(count, dt):
    """2 ** (c // 2) and 2 ** (c - c // 2) in dtype dt, c = count mod the dtype's bits (x86's shift counts:
    MindSpore 2.10's CPU kernel gives 7 << 40 = 1792 for int32). Two factors so that each fits the dtype
    (2 ** 31 does not fit int32)."""
    bits = np.dtype(dt).itemsize * 8
    c = np.arange(bits)
    lo, hi = (Tensor((2 ** (c // 2)).astype(dt)), Tensor((2 ** (c - c // 2)).astype(dt)))
    k = late.ops.floor_mod(late.ops.cast(count, "int64"), bits)
    return late.ops.gather(lo, k, 0), late.ops.gather(hi, k, 0)


def bitwise_left_shift(input, other):  # noqa: A002 - MindSpore's name
    """input << other, wrapping in input's dtype."""
    x, y, dt = _shift_operands(input, other, "bitwise_left_shift")
    wd = _wide(dt)
    lo, hi = _pow2_halves(y, wd)
    return late.ops.cast(late.ops.mul(late.ops.mul(late.ops.cast(x, wd), lo), hi), dt)


def bitwise_right_shift(input, other):  # noqa: A002
    """input >> other: arithmetic for signed integers (floor(x / 2 ** other): -5 >> 1 = -3, MindSpore's)."""
    x, y, dt = _shift_operands(input, other, "bitwise_right_shift")
    wd = _wide(dt)
    lo, hi = _pow2_halves(y, wd)
    return late.ops.cast(late.ops.floor_div(late.ops.floor_div(late.ops.cast(x, wd), lo), hi), dt)


class LeftShift:
    def __call__(self, x, y):
        return bitwise_left_shift(x, y)


class RightShift:
    def __call__(self, x, y):
        return bitwise_right_shift(x, y)


def diagflat(input, offset=0):  # noqa: A002
    """input flattened, on the offset-th diagonal of a square matrix (zeros elsewhere, input's dtype)."""
    o, k = late.ops, int(offset)
    v = o.reshape(input, (-1,))
    n = v.shape[0]
    size = n + abs(k)
    where = np.full(size * size, n, np.int64)  # position n of the padded v is a zero
    i = np.arange(n)
    where[(i + max(-k, 0)) * size + i + max(k, 0)] = i
    padded = o.concat([v, o.zeros((1,), v.dtype)], 0)
    return o.reshape(o.gather(padded, Tensor(where), 0), (size, size))


def logcumsumexp(input, axis):  # noqa: A002
    """log(cumsum(exp(input), axis)), stable at any scale: out_i = logsumexp over j <= i of input_j, as one
    logsumexp over a masked [..., n, n] copy (-inf above the diagonal), so its derivative is logsumexp's."""
    x = input
    if x.ndim == 0:
        return x
    ax = int(axis) % x.ndim
    n = x.shape[ax]
    xm = late.ops.moveaxis(x, ax, -1)  # [..., n]
    # a select, not an added -inf mask: a row that is all -inf (x_0 = -inf) has a nan softmax, and through an
    # add that nan would reach every x_j of the row; a select passes the masked entries no gradient
    tril = Tensor(np.tril(np.ones((n, n), bool)))
    wide = late.ops.broadcast_to(late.ops.expand_dims(xm, -2), tuple(xm.shape[:-1]) + (n, n))
    rows = late.ops.select(late.ops.broadcast_to(tril, wide.shape), wide,
                           late.ops.full_like(wide, -np.inf))  # [..., i, j]: x_j where j <= i
    return late.ops.moveaxis(late.ops.logsumexp(rows, -1), -1, ax)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """beta * input + alpha * sum over the batch of batch1 @ batch2 ([b, n, m] @ [b, m, p] -> [n, p])."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise ValueError(f"For 'addbmm', batch1 and batch2 must be 3-D, got shapes {list(batch1.shape)} and "
                         f"{list(batch2.shape)}")
    return late.ops.add(late.ops.mul(input, beta), late.ops.mul(late.ops.sum(late.ops.matmul(batch1, batch2), 0), alpha))


class ApplyFtrl:
    """ApplyFtrl(use_locking=False)(var, accum, linear, grad, lr, l1, l2, lr_power) -> var, by MindSpore's
    documented FTRL rule, written into var, accum and linear (Parameters, or Tensors in place):
    accum' = accum + g^2; sigma = (accum'^-p - accum^-p) / lr; linear' = linear + g - sigma var;
    var' = (sign(linear') l1 - linear') / (accum'^-p / lr + 2 l2) where |linear'| > l1, else 0."""

    def __init__(self, use_locking=False):
        self.use_locking = bool(use_locking)

    def __call__(self, var, accum, linear, grad, lr, l1, l2, lr_power):
        o = late.ops
        acc = o.add(accum, o.mul(grad, grad))
        neg_p = o.neg(lr_power) if isinstance(lr_power, Tensor) else -lr_power
        p_new, p_old = o.pow(acc, neg_p), o.pow(accum, neg_p)
        lin = o.sub(o.add(linear, grad), o.mul(o.div(o.sub(p_new, p_old), lr), var))
        num = o.sub(o.mul(o.sign(lin), l1), lin)
        den = o.add(o.div(p_new, lr), o.mul(l2, 2.0))
        new = o.select(o.greater(o.abs(lin), l1), o.cast(o.div(num, den), var.dtype), o.zeros_like(var))
        o.assign(accum, o.cast(acc, accum.dtype))
        o.assign(linear, o.cast(lin, linear.dtype))
        return o.assign(var, new)


def _bilinear_taps(y: float, x: float, h: int, w: int) -> list[tuple[int, int, float]]:
    """(row, column, weight) of the four taps at (y, x), Caffe2's ROIAlign rules: a point past one pixel
    outside the map is 0, else clamped in, the taps past the last row / column folded onto it."""
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return []
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return [(y0, x0, (1 - ly) * (1 - lx)), (y0, x1, (1 - ly) * lx), (y1, x0, ly * (1 - lx)), (y1, x1, ly * lx)]


class ROIAlign:
    """ROIAlign(pooled_height, pooled_width, spatial_scale, sample_num=2, roi_end_mode=1)(features [N, C, H, W],
    rois [R, 5] = (batch, x1, y1, x2, y2)) -> [R, C, pooled_height, pooled_width]: each bin the mean of
    sample_num x sample_num bilinear samples (sample_num <= 0: int(roi size / pooled size) of them, NaN for
    none), the box (x1, y1) * scale to (x2 + roi_end_mode, y2 + roi_end_mode) * scale, at least 1 x 1 in
    roi_end_mode 0 (Caffe2's rules but the truncated grid: MindSpore 2.10's CPU kernel). The taps come from the rois' values in this call (a value read); the result is a gather
    of the features, so its gradient reaches them (none reaches the rois, as MindSpore's ROIAlignGrad)."""

    def __init__(self, pooled_height, pooled_width, spatial_scale, sample_num=2, roi_end_mode=1):
        if roi_end_mode not in (0, 1):
            raise ValueError(f"For 'ROIAlign', roi_end_mode must be 0 or 1, got {roi_end_mode}")
        self.ph, self.pw, self.scale = int(pooled_height), int(pooled_width), float(spatial_scale)
        self.sample_num, self.end = int(sample_num), int(roi_end_mode)

    def __call__(self, features, rois):
        o = late.ops
        if features.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 5:
            raise ValueError(f"For 'ROIAlign', features must be [N, C, H, W] and rois [R, 5], got shapes "
                             f"{list(features.shape)} and {list(rois.shape)}")
        n, c, h, w = features.shape
        boxes = np.asarray(rois.asnumpy(), np.float64)
        taps, void = [], []  # per (roi, bin): [(flat pixel, weight)], whether it has no sample
        for b, x1, y1, x2, y2 in boxes:
            if not 0 <= int(b) < n:
                raise IndexError(f"For 'ROIAlign', roi batch index {int(b)} is out of range [0, {n})")
            sx, sy = x1 * self.scale, y1 * self.scale
            rw = (x2 + self.end) * self.scale - sx
            rh = (y2 + self.end) * self.scale - sy
            if self.end == 0:  # (MindSpore's kernel forces 1 x 1 in the old end mode 0 only)
                rw, rh = max(rw, 1.0), max(rh, 1.0)
            bh, bw = rh / self.ph, rw / self.pw
            # the adaptive grid truncated, as MindSpore 2.10's CPU kernel (Caffe2 takes its ceil); none: NaN
            gh = self.sample_num if self.sample_num > 0 else int(rh / self.ph)
            gw = self.sample_num if self.sample_num > 0 else int(rw / self.pw)
            for i in range(self.ph):
                for j in range(self.pw):
                    cell = []
                    for iy in range(gh):
                        y = sy + i * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            x = sx + j * bw + (ix + 0.5) * bw / gw
                            cell += [(int(b) * h * w + r * w + q, wt / (gh * gw))
                                     for r, q, wt in _bilinear_taps(y, x, h, w)]
                    taps.append(cell)
                    void.append(gh * gw == 0)  # no sample: 0 / 0, MindSpore's NaN (and no gradient)
        k = max([len(t) for t in taps] + [1])
        index = np.zeros((len(taps), k), np.int64)
        weight = np.zeros((len(taps), k), np.dtype(features.dtype.name))
        for row, cell in enumerate(taps):
            for col, (p, wt) in enumerate(cell):
                index[row, col], weight[row, col] = p, wt
        flat = o.reshape(o.transpose(features, (0, 2, 3, 1)), (n * h * w, c))
        picked = o.gather(flat, Tensor(index), 0)  # [R * ph * pw, k, C]
        out = o.sum(o.mul(picked, Tensor(weight[..., None])), 1)
        if any(void):
            out = o.add(out, Tensor(np.where(np.array(void)[:, None], np.nan, 0).astype(weight.dtype)))
        return o.transpose(o.reshape(out, (len(boxes), self.ph, self.pw, c)), (0, 3, 1, 2))


def uniform(shape, minval, maxval, seed=None, dtype=None):
    """ops.uniform(shape, minval, maxval, seed=None, dtype=float32): draws of U[minval, maxval) (int32: integers
    in [minval, maxval)); inside a construct a per-run draw, as the other random ops (ops/_random_draws). The
    draws are numpy's, not MindSpore's (a seed repeats gradserve's sequence, not MindSpore's)."""
    from . import _random_draws as rd  # (ops' random module: its per-run draw inside a trace)
    from .._misc import random_ops_generator
    o = late.ops
    kind = "float32" if dtype is None else getattr(dtype, "name", str(dtype)).lower()
    if kind not in ("float32", "int32"):
        raise TypeError(f"For 'uniform', dtype must be float32 or int32, got {kind}")
    dims = tuple(int(d) for d in shape)
    rng = rd._generator([rd._seed(seed, "uniform")])
    u = rd._out(lambda: (rng or random_ops_generator()).random(size=dims), dims, "float32", "uniform")
    lo, hi = (v if isinstance(v, Tensor) else Tensor(np.float32(v)) for v in (minval, maxval))
    if kind == "int32":
        span = o.cast(o.sub(hi, lo), "float32")
        return o.add(o.cast(o.floor(o.mul(u, span)), "int32"), o.cast(lo, "int32"))
    return o.add(o.cast(lo, "float32"), o.mul(u, o.cast(o.sub(hi, lo), "float32")))


def _tensor_trace(self, offset=0, axis1=0, axis2=1, dtype=None):
    """Tensor.trace: NumPy's (any rank, offset, axes; integers summed in int64), where ops.trace takes a
    matrix and keeps its dtype (MindSpore 2.10: Tensor(int32 2x2).trace() is Int64, ops.trace's Int32)."""
    o = late.ops
    d = o.diagonal(self, int(offset), int(axis1), int(axis2))
    kind = d.dtype.name
    out = o.sum(o.cast(d, "int64") if kind[0] in "iu" or kind == "bool" else d, -1)
    if kind == "bool":  # (a bool's trace is a bool: any True on the diagonal)
        out = o.cast(out, "bool")
    return out if dtype is None else o.cast(out, dtype)


def _tensor_addbmm(self, batch1, batch2, *, beta=1, alpha=1):
    return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)


def _is_contiguous(self):
    """False for the result of a transposing ops.transpose in PyNative (MindSpore 2.10's strided view), else
    True (a traced value has no layout)."""
    return not self.__dict__.get("_gs_view", False)


def _contiguous(self):
    """self if contiguous, else a contiguous copy (MindSpore's)."""
    if _is_contiguous(self):
        return self
    return Tensor(np.ascontiguousarray(self.asnumpy()))


def _load(self):
    """MindSpore's TensorPy._load: brings back data offloaded to disk, returns None; a gradserve Tensor's data
    is always in memory, so there is nothing to load."""
    return None


setattr(Tensor, "_load", _load)
setattr(Tensor, "is_contiguous", _is_contiguous)
setattr(Tensor, "contiguous", _contiguous)
setattr(Tensor, "trace", _tensor_trace)
setattr(Tensor, "addbmm", _tensor_addbmm)
