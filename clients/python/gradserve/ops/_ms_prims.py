"""MindSpore 2.10's signatures of ops whose engine counterparts take other arguments (each checked against
MindSpore 2.10 on CPU for this task):

- LayerNorm(begin_norm_axis=1, begin_params_axis=1, epsilon=1e-7)(x, gamma, beta) -> (y, mean, variance),
  mean / variance over the normalised axes, kept as size-1 axes; only y carries a gradient (MindSpore's
  LayerNormGrad takes dy alone).
- Pad(paddings)(x): ((lo, hi), ...) per axis, zeros; pad(input_x, padding, mode='constant', value=None) with
  `padding` flat and last axis first (PyTorch's order), modes constant / reflect / replicate; negative
  entries crop.
- Argmax / Argmin(axis=-1, output_type=int32): int32 indices unless told; ops.argmax(input, dim=None,
  keepdim=False) gives int64, ops.argmin(input, axis=None, keepdims=False) int32; None: of the flattened.
"""
from __future__ import annotations

from .. import dtype as _dt
from .._tensor import Tensor
from .._trace import apply
from ._extra import P
from ._scalar_axis import one_element_axis
from ._nan_scan import scan_like
from ._primitives import Primitive, _has_bool, _refuse_bools, stop_gradient

__all__ = ["LayerNorm", "Pad", "pad", "Argmax", "Argmin", "argmax", "argmin"]


def _axis(axis: int, ndim: int, what: str) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{what}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % max(ndim, 1)


class LayerNorm(Primitive):
    """ops.LayerNorm(begin_norm_axis=1, begin_params_axis=1, epsilon=1e-7)(x, gamma, beta)."""

    op = "layer_norm"

    def __init__(self, begin_norm_axis: int = 1, begin_params_axis: int = 1, epsilon: float = 1e-7):
        self.attrs = {}
        self.begin_norm_axis, self.begin_params_axis = int(begin_norm_axis), int(begin_params_axis)
        self.epsilon = float(epsilon)

    def __call__(self, input_x, gamma, beta):
        x = input_x  # (MindSpore's name for it)
        nd = len(x.shape)
        norm = _axis(self.begin_norm_axis, nd, "LayerNorm begin_norm_axis")
        params = _axis(self.begin_params_axis, nd, "LayerNorm begin_params_axis")
        if tuple(gamma.shape) != tuple(x.shape[params:]) or tuple(beta.shape) != tuple(x.shape[params:]):
            raise ValueError(f"LayerNorm: gamma {tuple(gamma.shape)} and beta {tuple(beta.shape)} must have the "
                             f"shape of x's axes from begin_params_axis={params}: {tuple(x.shape[params:])}")
        attrs = {"axis": norm, "epsilon": self.epsilon}
        if params == norm:
            y = apply("layer_norm", [x, gamma, beta], attrs)[0]
        else:  # the parameters cover other axes than the normalised ones: scale and shift by broadcasting
            y = apply("layer_norm", [x], attrs)[0] * gamma + beta
        axes = list(range(norm, nd))
        mean = P.mean(x, axis=axes, keepdims=True)
        centred = x - mean
        var = P.mean(centred * centred, axis=axes, keepdims=True)
        return y, stop_gradient(mean), stop_gradient(var)


def _pad_pairs(padding, ndim: int, what: str) -> list:
    flat = [int(p) for p in padding]
    if len(flat) % 2 or len(flat) // 2 > ndim:
        raise ValueError(f"{what}: padding {tuple(flat)} must hold (left, right) pairs for at most {ndim} axes")
    pairs = [[0, 0] for _ in range(ndim)]
    for i in range(len(flat) // 2):  # the first pair is for the last axis
        pairs[ndim - 1 - i] = [flat[2 * i], flat[2 * i + 1]]
    return pairs


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}


def _check_pad_v3(mode: str, npads: int, ndim: int, batch_added: bool = True) -> None:
    """MindSpore 2.10's checks (PadV3) for ops.pad's reflect / replicate / circular modes, in its order and texts:
    2 pads take a 2-d / 3-d input, 4 a 3-d / 4-d, 6 a 4-d / 5-d (n + 1 dims count as n + 2: ops.pad adds a batch
    axis first; the PadV3 primitive, batch_added False, does not), and reflect takes at most 4 dims counted so, so
    never 6 pads."""
    if npads > 6:
        raise ValueError(f"For 'pad', the padding must be less than or equal to 6, but got {npads}.")
    if npads % 2 or npads == 0:
        raise ValueError(f"For 'pad', mode '{mode}' takes 2, 4 or 6 pads, got {npads}.")
    n = npads // 2
    dims = ndim + 1 if ndim == n + 1 and batch_added else ndim
    if dims < 3:
        raise ValueError("For primitive[PadV3], the input dims for edge, reflect or circular mode must be greater "
                         f"than or equal to 3, but got {ndim}.")
    limit, name = (4, "reflect") if mode == "reflect" else (5, "edge")
    if dims > limit:
        raise ValueError(f"For primitive[PadV3], the input dims for {name} mode must be less than or equal to "
                         f"{limit}, but got {dims}.")
    if dims != n + 2:
        raise ValueError(f"For primitive[PadV3], the input dims when padding's size equal {npads} must be equal to "
                         f"{n + 2}, but got {dims}.")


def _circular(x, padding):
    """MindSpore's circular mode: each padded axis continued periodically (its start after its end and its end
    before its start); the pads and dims allowed: _check_pad_v3. A negative pad crops its side first and the
    positive ones wrap around what is left (MindSpore's and torch's values). A pad beyond that length (MindSpore
    reads past the axis, torch refuses) is refused."""
    ndim = len(x.shape)
    for axis, (lo, hi) in enumerate(_pad_pairs(padding, ndim, "ops.pad")):
        before = (slice(None),) * axis
        size = x.shape[axis] - max(-lo, 0) - max(-hi, 0)
        if size < 1 or max(lo, hi) > size:
            raise ValueError(f"For 'pad', mode 'circular' pads axis {axis} (length {x.shape[axis]}) by ({lo}, {hi}): "
                             f"a pad must be at most the length left after the negative ones ({size}), which must "
                             f"be at least 1 (it wraps around at most once).")
        if min(lo, hi) < 0:
            x = x[before + (slice(max(-lo, 0), max(-lo, 0) + size),)]
        lo, hi = max(lo, 0), max(hi, 0)
        if lo or hi:
            parts = ([x[before + (slice(size - lo, size),)]] if lo else []) + [x] + \
                ([x[before + (slice(0, hi),)]] if hi else [])
            x = P.concat(parts, axis)
    return x


def pad(input_x, padding, mode: str = "constant", value=None):
    """ops.pad(input_x, padding, mode='constant', value=None); mode 'circular': see _circular. Modes other than
    'constant' take the pads and ranks MindSpore's PadV3 takes (_check_pad_v3)."""
    if mode in ("reflect", "replicate", "circular") and value is None:
        _check_pad_v3(mode, len(padding), len(input_x.shape))
    return pad_any_rank(input_x, padding, mode, value)


def pad_any_rank(input_x, padding, mode: str = "constant", value=None):
    """pad without PadV3's rank checks: for nn's padding layers and mint's pad, whose MindSpore counterparts
    check ranks their own way."""
    if mode == "circular":
        if value is not None:
            raise ValueError(f"For 'pad', the padding mode 'circular' can not set value, but got value {value}.")
        return _circular(input_x, [int(p) for p in padding])
    if mode not in _PAD_MODES:
        raise ValueError(f"ops.pad: mode {mode!r} is not supported; use one of {sorted([*_PAD_MODES, 'circular'])}")
    if value is not None and mode != "constant":
        raise ValueError(f"ops.pad: value is for mode 'constant' only, got mode {mode!r}")
    pairs = _pad_pairs(padding, len(input_x.shape), "ops.pad")
    return apply("pad", [input_x], {"pads": pairs, "mode": _PAD_MODES[mode],
                                    "value": 0.0 if value is None else float(value)})[0]


def check_not_negative(paddings) -> None:
    """MindSpore 2.10's Pad text for a negative pad (its first one named)."""
    for i, (lo, hi) in enumerate(paddings):
        if lo < 0 or hi < 0:
            raise ValueError(f"For 'Pad', all elements of 'paddings' must be >= 0, but got paddings[{i}][0] = {lo}, "
                             f"paddings[{i}][1] = {hi}")


class Pad(Primitive):
    """ops.Pad(paddings)(x): paddings ((lo, hi), ...) one pair per axis, filled with zeros."""

    op = "pad"

    def __init__(self, paddings):
        self.attrs = {}
        self.paddings = [[int(lo), int(hi)] for lo, hi in paddings]

    def __call__(self, x):
        check_not_negative(self.paddings)  # when it runs, as MindSpore 2.10's Pad
        if len(self.paddings) != len(x.shape):
            raise ValueError(f"Pad: {len(self.paddings)} (lo, hi) pairs for a tensor of rank {len(x.shape)}")
        return apply("pad", [x], {"pads": self.paddings, "mode": "constant", "value": 0.0})[0]


def index_of(op: str, x, axis, keep: bool, dtype: str):
    """op (argmax / argmin) along axis (None: of the flattened, 0-d), as indices of dtype. argmax takes a bool x, as
    MindSpore 2.10's ops.argmax / Tensor.argmax (checked: [False, True, True] gives 1); its argmin and mint.argmax
    refuse bool, as here."""
    prim, arg = ("Argmax", "input_x") if op == "argmax" else ("Argmin", "x")
    _refuse_bools(axis, prim, prim + "(axis={t}, output_type=mindspore.dtype)(" + arg + "=Tensor)",
                  f"{prim}(axis=<int>, output_type=<mindspore.dtype>)({arg}=<Tensor>)")
    if op == "argmax" and isinstance(x, Tensor) and x._dtype == "bool":
        x = P.cast(x, "int32")
    x, axis, keep = one_element_axis(x, axis, keep)
    if axis is None:  # of the flattened tensor, a 0-d index
        out = apply(op, [scan_like(P.reshape(x, (-1,)), 0, op)], {"axis": 0, "keepdims": False})[0]
    else:  # (NaN as MindSpore's CPU scan)
        out = apply(op, [scan_like(x, int(axis), op)], {"axis": int(axis), "keepdims": bool(keep)})[0]
    return out if out._dtype == dtype else P.cast(out, dtype)


class _ArgIndex(Primitive):
    """ops.Argmax / Argmin(axis=-1, output_type=mindspore.int32)(x): indices of type output_type."""

    op = ""

    def __init__(self, axis: int = -1, output_type=_dt.int32):
        self.attrs, self.axis = {}, (axis if _has_bool(axis) else int(axis))  # (a bool: refused when called)
        self.dtype = _dt.to_name(output_type)

    def __call__(self, x):
        return index_of(self.op, x, self.axis, False, self.dtype)


class Argmax(_ArgIndex):
    """ops.Argmax(axis=-1, output_type=mindspore.int32)(x): indices of the maxima, of type output_type."""

    op = "argmax"

    def __call__(self, input_x):  # MindSpore's name here (Argmin's is x)
        return super().__call__(input_x)


class Argmin(_ArgIndex):
    """ops.Argmin(axis=-1, output_type=mindspore.int32)(x): indices of the minima, of type output_type."""

    op = "argmin"


def argmax(input, dim=None, keepdim=False):  # noqa: A002
    """ops.argmax(input, dim=None, keepdim=False): int64 indices."""
    return index_of("argmax", input, dim, keepdim, "int64")


def argmin(input, axis=None, keepdims=False):  # noqa: A002
    """ops.argmin(input, axis=None, keepdims=False): int32 indices (MindSpore 2.10)."""
    return index_of("argmin", input, axis, keepdims, "int32")
