"""ops.fractional_max_pool2d, ops.FractionalMaxPoolWithFixedKsize (nn.FractionalMaxPool2d's function) and
ops.FractionalMaxPool (the pooling-ratio form, NHWC, whose region boundaries are drawn per call).

Fractional max pooling (Graham, 2014) with fixed windows: per (batch, channel) plane one random sample per axis
u in [0, 1) places the output windows; with alpha = (in - k) / (out - 1) the window starts are
int((i + u) * alpha) - int(u * alpha) for i < out - 1, and in - k for the last (MindSpore's and PyTorch's
sequence, in the input's float32 arithmetic). The windows are known once the samples are, so the pool is a
gather of every window's elements and a max over them: its gradient reaches the first maximum of each window
(the gather's derivative adds up where windows overlap).
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from . import _reduce_ms
from ._conv import _pair, ntuple
from .._misc import random_ops_generator
from .._trace import current
from .._late import late
from ._ms_names import rand
from ._primitives import Primitive, cast, concat, expand_dims, gather, reshape, squeeze
from ._extra import floor
from ._movement_ms import gather_elements

__all__ = ["fractional_max_pool2d", "FractionalMaxPoolWithFixedKsize", "FractionalMaxPool"]


def _starts(sample, size: int, out: int, k: int):
    """Window starts along one axis for each plane's sample (shape [planes]): [planes, out] int64. sample: a NumPy
    array (computed here) or a Tensor (a per-run draw inside a trace: computed in the graph, the same float32
    arithmetic, so that a reused trace places the windows a fresh one would)."""
    planes = sample.shape[0]
    last = np.full((planes, 1), size - k, np.int64)
    if out == 1:
        return last if isinstance(sample, np.ndarray) else Tensor(last)
    alpha = np.float32(size - k) / np.float32(out - 1)
    i = np.arange(out - 1, dtype=np.float32)[None, :]
    if isinstance(sample, np.ndarray):
        u = sample.astype(np.float32)[:, None]
        seq = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
        return np.concatenate([seq, last], axis=1)
    u, a = reshape(cast(sample, "float32"), (planes, 1)), Tensor(alpha)
    seq = cast(floor((Tensor(i) + u) * a), "int64") - cast(floor(u * a), "int64")  # (>= 0: floor = truncation)
    return concat([seq, Tensor(last)], 1)


def window_index(starts, spatial, kernel, n: int, c: int):
    """The flat spatial position of every window element, (n, c, *out, K) with K the kernel's size: starts holds
    one [planes, out] table of window starts per axis (NumPy arrays, or Tensors computed in the graph)."""
    rank = len(starts)
    outs = tuple(int(st.shape[1]) for st in starts)
    pos = []  # each axis's positions, broadcast over [planes, *out, *kernel]
    for a, (st, k) in enumerate(zip(starts, kernel)):
        shape = [-1] + [o if j == a else 1 for j, o in enumerate(outs)] + [1] * rank
        ar = np.arange(k).reshape([1] * (1 + rank) + [k if j == a else 1 for j in range(rank)])
        pos.append(st.reshape(shape) + (ar if isinstance(st, np.ndarray) else Tensor(ar)))
    idx = pos[0]
    for p, size in zip(pos[1:], spatial[1:]):
        idx = idx * size + p
    return idx.reshape((n, c) + outs + (int(np.prod(kernel)),))


def _out_size(name, spatial, kernel, output_size, output_ratio) -> tuple[int, ...]:
    """The output's spatial size (2 or 3 axes, as spatial) from output_size or output_ratio, checked."""
    rank = len(spatial)
    if output_size is None and output_ratio is None:
        raise ValueError(f"For '{name}', 'output_size' or 'output_ratio' must be given")
    if output_size is not None:
        out = tuple(int(v) for v in ntuple(output_size, rank, f"{name}: output_size"))
    else:
        ratio = (output_ratio,) * rank if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        if len(ratio) != rank or not all(0 < r < 1 for r in ratio):
            raise ValueError(f"For '{name}', 'output_ratio' must be one or {rank} numbers in (0, 1), got {output_ratio}")
        out = tuple(int(s * r) for s, r in zip(spatial, ratio))
    for axis, s, k, o in zip(("depth", "height", "width")[-rank:], spatial, kernel, out):
        if o < 1 or o + k - 1 > s:
            raise ValueError(f"For '{name}', the output {axis} {o} plus the kernel {axis} {k} minus 1 must be at most "
                             f"the input {axis} {s} (and the output at least 1)")
    return out


def _samples(name: str, random_samples, n: int, c: int, per: int = 2):
    """The (n * c, per) samples in [0, 1), one per pooled axis of each plane: given, a NumPy array (checked);
    None, drawn (inside a trace a per-run draw, a Tensor: the windows are then computed in the graph)."""
    if random_samples is None:
        drawn = rand(n, c, per)
        if current() is not None:
            return reshape(drawn, (n * c, per))
        random_samples = drawn
    s = random_samples._host_copy() if isinstance(random_samples, Tensor) else np.asarray(random_samples)
    if s.shape != (n, c, per):
        raise ValueError(f"For '{name}', the random samples must have shape {[n, c, per]} (batch, channels, {per}), "
                         f"got {list(s.shape)}")
    if np.any(s < 0) or np.any(s >= 1):
        raise ValueError(f"For '{name}', the random samples must lie in [0, 1)")
    return s.reshape(n * c, per)


def _pool(name, x, kernel, out, random_samples, return_indices):
    if not isinstance(x, Tensor) or x.ndim not in (3, 4):
        raise ValueError(f"For '{name}', the input must be a 3-d (C, H, W) or 4-d (N, C, H, W) Tensor")
    batched = x.ndim == 4
    x = x if batched else expand_dims(x, 0)
    n, c, h, w = x.shape
    (kh, kw), (oh, ow) = kernel, out
    s = _samples(name, random_samples, n, c)
    rows, cols = _starts(s[:, 1], h, oh, kh), _starts(s[:, 0], w, ow, kw)  # (sample 0: width, 1: height)
    return window_max(x, window_index((rows, cols), (h, w), kernel, n, c), batched, return_indices)


def window_max(x, idx, batched: bool, return_indices: bool):
    """The max over each window of x (n, c, *spatial): idx (n, c, *out, K), a NumPy array or a Tensor, holds the
    flat spatial positions of each window's K elements. The first maximum of a window takes its gradient;
    return_indices: its position."""
    n, c = x.shape[:2]
    shape = tuple(idx.shape)
    idx = idx if isinstance(idx, Tensor) else Tensor(idx)
    flat = gather_elements(reshape(x, (n, c, -1)), 2, reshape(idx, (n, c, -1)))
    y, k = _reduce_ms.max(reshape(flat, shape), -1)
    if not batched:
        y = squeeze(y, 0)
    if not return_indices:
        return y
    last = len(shape) - 1
    ind = squeeze(gather_elements(idx, last, expand_dims(k, -1)), last)
    return y, (ind if batched else squeeze(ind, 0))


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,  # noqa: A002
                          _random_samples=None):
    """ops.fractional_max_pool2d: input (N, C, H, W) or (C, H, W); output_size (oh, ow) or output_ratio
    (output = int(input * ratio)); _random_samples (N, C, 2) in [0, 1) (drawn when None). return_indices: also the
    int64 position of each maximum in its H * W plane."""
    name = "fractional_max_pool2d"
    kernel = tuple(int(v) for v in _pair(kernel_size, f"{name}: kernel_size"))
    if any(k < 1 for k in kernel):
        raise ValueError(f"For '{name}', 'kernel_size' must be positive, got {kernel_size}")
    if not isinstance(input, Tensor):
        raise TypeError(f"For '{name}', the input must be a Tensor, got {type(input).__name__}")
    out = _out_size(name, input.shape[-2:], kernel, output_size, output_ratio)
    return _pool(name, input, kernel, out, _random_samples, return_indices)


class FractionalMaxPoolWithFixedKsize(Primitive):
    """ops.FractionalMaxPoolWithFixedKsize(ksize, output_shape, data_format='NCHW')(input_x, random_samples):
    (y, argmax), argmax int64."""
    _format = "NCHW"

    def __init__(self, ksize, output_shape, data_format="NCHW"):
        if data_format != self._format:
            raise ValueError(f"{type(self).__name__}: data_format must be '{self._format}', got {data_format!r}")
        self.attrs = {}
        self.ksize, self.output_shape = ksize, output_shape

    def _pool(self, *args):
        return fractional_max_pool2d(*args)

    def __call__(self, input_x, random_samples):
        return self._pool(input_x, self.ksize, self.output_shape, None, True, random_samples)


def _boundaries(gen, size: int, out: int, pseudo_random: bool) -> np.ndarray:
    """out + 1 region boundaries from 0 to size. Random: out steps of size // out, size % out of them one longer,
    in random order; pseudo-random: ceil(alpha * (i + u)) - 1 for one u (alpha = size / out, Graham's)."""
    if not pseudo_random:
        steps = np.full(out, size // out, np.int64)
        steps[:size % out] += 1
        gen.shuffle(steps)
        return np.concatenate([[0], np.cumsum(steps)]).astype(np.int64)
    alpha, k = size / out, size // out
    u = gen.random() * min((k + 2) / alpha - 1, (size + 1 - k) / alpha - (out - 1))
    inner = np.ceil(alpha * (np.arange(1, out) + u)).astype(np.int64) - 1
    return np.concatenate([[0], inner, [size]]).astype(np.int64)


def sequence_generator(where: str, deterministic: bool, seed: int, seed2: int) -> np.random.Generator:
    """The generator a fractional pool's call draws its boundaries from, by MindSpore 2.10's rule: deterministic,
    one seeded by (seed, seed2) anew at each call (every call draws the same boundaries); otherwise the shared
    one, and seed and seed2 must be 0."""
    if deterministic:
        return np.random.default_rng([seed % 2 ** 64, seed2 % 2 ** 64])
    if seed or seed2:
        raise ValueError(f"For '{where}', both 'seed' and 'seed2' must be 0 if 'deterministic' is false.")
    return random_ops_generator()


def _region_index(bounds: np.ndarray, size: int, overlapping: bool) -> np.ndarray:
    """[out, longest region]: each region's positions (a region shorter than the longest repeats its first
    position: the max is the same and its first maximum takes the gradient). overlapping: a region takes its
    right boundary too."""
    ends = np.minimum(bounds[1:] + (1 if overlapping else 0), size)
    width = int((ends - bounds[:-1]).max())
    pos = bounds[:-1, None] + np.arange(width)[None, :]
    return np.where(pos < ends[:, None], pos, bounds[:-1, None])


def _own(index: np.ndarray) -> np.ndarray:
    """1 where a region's position is its own, 0 where it repeats the first to fill up to the longest."""
    return ((np.arange(index.shape[1]) == 0)[None, :] | (index != index[:, :1])).astype(np.float64)


def _as_tensor(v):
    return v if isinstance(v, Tensor) else Tensor(v)


class FractionalMaxPool(Primitive):
    """ops.FractionalMaxPool(pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
    seed2=0)(x): x NHWC; pooling_ratio [1.0, rows, cols, 1.0] (each >= 1); the output has int(H / rows) x
    int(W / cols) regions. Returns (y, row_pooling_sequence, col_pooling_sequence), the sequences int64
    boundaries. The boundaries are drawn on the client for each call (a trace drawing them is not reused), by
    sequence_generator's rule."""

    def __init__(self, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0, seed2=0):
        ratio = list(pooling_ratio) if isinstance(pooling_ratio, (list, tuple)) else []
        if len(ratio) != 4 or ratio[0] != 1.0 or ratio[3] != 1.0 or not all(r >= 1.0 for r in ratio[1:3]):
            raise ValueError(f"For 'FractionalMaxPool', 'pooling_ratio' must be [1.0, rows >= 1, cols >= 1, 1.0], "
                             f"got {pooling_ratio}")
        self.attrs = {}
        self.pooling_ratio, self.pseudo_random, self.overlapping = ratio, bool(pseudo_random), bool(overlapping)
        self.deterministic, self.seed, self.seed2 = bool(deterministic), int(seed), int(seed2)

    def __call__(self, x):
        windows, rows, cols, _, _ = self._windows(x)
        return _reduce_ms.max(windows, 3)[0], _as_tensor(rows), _as_tensor(cols)

    def _windows(self, x):
        """Every region's positions gathered: ([N, oh, ow, longest rows * longest cols, C], the row and column
        boundaries, and the [out, longest] tables of rows and columns saying which positions are the region's own
        (1.0; 0.0 where the first repeats): NumPy arrays, or Tensors inside a trace)."""
        where = type(self).__name__
        if not isinstance(x, Tensor) or x.ndim != 4:
            rank = x.ndim if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"For primitive[{where}], the x_rank must be equal to 4, but got {rank}.")
        n, h, w, c = x.shape
        oh, ow = int(h / self.pooling_ratio[1]), int(w / self.pooling_ratio[2])
        if oh < 1 or ow < 1:
            raise ValueError(f"For '{where}', the pooling ratio {self.pooling_ratio} leaves no output for an input "
                             f"of {h} x {w}")
        if current() is not None:
            return self._drawn_windows(x, where, (h, oh), (w, ow))
        gen = sequence_generator(where, self.deterministic, self.seed, self.seed2)
        rows, cols = (_boundaries(gen, s, o, self.pseudo_random) for s, o in ((h, oh), (w, ow)))
        ri, ci = _region_index(rows, h, self.overlapping), _region_index(cols, w, self.overlapping)
        idx = (ri[:, None, :, None] * w + ci[None, :, None, :]).reshape(-1)  # [oh, ow, rows, cols] in the plane
        windows = reshape(gather(reshape(x, (n, h * w, c)), Tensor(idx), 1),
                          (n, oh, ow, ri.shape[1] * ci.shape[1], c))
        return windows, rows, cols, _own(ri), _own(ci)

    def _drawn_windows(self, x, where, *axes):
        """_windows inside a trace: the row and column boundaries one per-run draw (ops/_random_draws._out, from
        the generator sequence_generator gives at each run), the position tables computed from them in the graph
        with a fixed longest region (size // out + 1, + 1 overlapping: a bound of both rules), so that a reused
        trace draws and pools what a fresh one would. The tables are Tensors here (repeated first positions past
        a region's end, as _region_index's)."""
        from ._random_draws import _out  # (late: _random_draws imports this package's modules)
        n, h, w, c = x.shape
        sequence_generator(where, self.deterministic, self.seed, self.seed2)  # (its argument checks, now)
        (h, oh), (w, ow) = axes
        # The longest region is at most size // out + 1 (k + 1): shuffled steps are k or k + 1; pseudo-random
        # (alpha = size / out, u < (k + 2) / alpha - 1): the first ceil(alpha (1 + u)) - 1 <= k + 1, an inner one
        # ceil(a + alpha) - ceil(a) <= ceil(alpha) <= k + 1, the last size + 1 - ceil(alpha (out - 1 + u)) <= 1 + alpha.
        widths = [min(s // o + 1 + self.overlapping, s) for s, o in axes]

        def draw():
            gen = sequence_generator(where, self.deterministic, self.seed, self.seed2)
            both = [_boundaries(gen, s, o, self.pseudo_random) for s, o in axes]
            for b, (s, _), width in zip(both, axes, widths):
                longest = int((np.minimum(b[1:] + self.overlapping, s) - b[:-1]).max())
                assert longest <= width, (b, width)  # (the bound above: a defect here, never a wrong pool)
            return np.concatenate(both)
        drawn = _out(draw, (oh + ow + 2,), "int64", where)
        rows, cols = drawn[:oh + 1], drawn[oh + 1:]
        tables, own = [], []
        for b, (s, o), width in zip((rows, cols), axes, widths):
            first = reshape(b[:o], (o, 1))
            ends = reshape(late.ops.minimum(b[1:] + int(self.overlapping), Tensor(np.int64(s))), (o, 1))
            pos = first + Tensor(np.arange(width, dtype=np.int64)[None, :])
            tables.append(late.ops.select(pos < ends, pos, late.ops.broadcast_to(first, (o, width))))
            own.append(late.ops.cast(pos < ends, "float64"))  # (the first position is always its region's)
        ri, ci = tables
        idx = reshape(reshape(ri, (oh, 1, -1, 1)) * w + reshape(ci, (1, ow, 1, -1)), (-1,))
        windows = reshape(gather(reshape(x, (n, h * w, c)), idx, 1), (n, oh, ow, widths[0] * widths[1], c))
        return windows, rows, cols, own[0], own[1]
