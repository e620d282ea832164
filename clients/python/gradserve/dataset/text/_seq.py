"""`mindspore.dataset.text`'s steps on 1-D token arrays and number strings: ToNumber, SlidingWindow,
TruncateSequencePair and Ngram, with MindSpore 2.10's values and texts (probes
/work/ms_suite_dataset3/probe/t1-t3.py, t7.py)."""
from __future__ import annotations

import math
import re

import numpy as np

from ... import dtype as _dt
from .._checks import typed

__all__ = ["ToNumber", "SlidingWindow", "TruncateSequencePair", "Ngram", "pipeline_error", "one_input"]

_INT_MAX = 2147483647


def pipeline_error(text: str) -> RuntimeError:
    return RuntimeError(f"Exception thrown from dataset pipeline. Refer to 'Dataset Pipeline Error Message'. "
                        f"[ERROR] {text}")


def as_tensor(x) -> np.ndarray:
    """x as an array, refused as MindSpore's eager call refuses what is no tensor (a list holding None)."""
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"Invalid user input. Got {type(x)}: {x}, cannot be converted into tensor.")
    return arr


def one_input(args: tuple) -> np.ndarray:
    """The one array a one-to-one step takes (MindSpore 2.10's texts for more, and for an empty one)."""
    if len(args) != 1:
        raise pipeline_error("The op is OneToOne, can only accept one tensor as input.")
    arr = as_tensor(args[0])
    if arr.size == 0:
        raise pipeline_error("Input Tensor has no data.")
    return arr


def _strings(arr: np.ndarray, what: str) -> list[str]:
    if arr.dtype.kind != "U":  # (bytes too: MindSpore 2.10's text steps take str only)
        raise pipeline_error(what)
    return [str(w) for w in arr.ravel()]


_WS = " \t\n\v\f\r"  # (C's isspace: what std::stoll / strtod skip before a number)
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
                    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE)


def _float_prefix(s: str) -> tuple[float, bool] | None:
    """strtod's value of the longest number at s's start and whether its digits are not all zero (None: no
    number), as C++'s std::stod reads it."""
    m = _FLOAT.match(s.lstrip(_WS))
    if m is None:
        return None
    tok = m.group()
    body = tok.lstrip("+-").lower()
    if body.startswith("0x"):
        val = float.fromhex(body if "p" in body else body + "p0")
        digits = body[2:].split("p")[0]
    else:
        val, digits = abs(float(tok)), body.split("e")[0]
    return (-val if tok.startswith("-") else val), bool(re.search(r"[1-9a-f]", digits))


class ToNumber:
    """Each string as a number of data_type, read as C++'s std::stoll / stoull / stof / stod read it (the number
    at the string's start; MindSpore 2.10: "12a" is 12, "1.5" as int32 is 1, "0x10" is 0; inf and out-of-range
    values refused, nan kept)."""

    def __init__(self, data_type):
        if not isinstance(data_type, _dt.Type) and data_type is not _dt.string:
            typed("data_type", data_type, (_dt.Type,))  # (MindSpore's text names its Type class)
        if data_type is _dt.string or data_type is _dt.bool_:
            raise TypeError(f"data_type: {'String' if data_type is _dt.string else 'Bool'} is not numeric data type.")
        self._np = np.dtype(_dt.to_name(data_type))

    def __call__(self, *args):
        arr = one_input(args)
        words = _strings(arr, "ToNumber: input should be string datatype.")
        return np.array([self._one(w) for w in words], dtype=self._np).reshape(arr.shape)

    def _one(self, s: str):
        name = self._np.name
        if self._np.kind in "iu":
            m = _INT.match(s.lstrip(_WS))
            if m is None:
                raise pipeline_error(f'ToNumber: it is invalid to convert "{s}" to a number.' if self._np.kind == "i"
                                     else f'ToNumber: It is invalid to convert "{s}" to an unsigned integer.')
            info = np.iinfo(self._np)
            whole = int(m.group())
            if not info.min <= whole <= info.max:
                raise pipeline_error(f"ToNumber: string input {s} will be out of bounds if cast to {name}. "
                                     f"The valid range is: [{info.min}, {info.max}].")
            return whole
        got = _float_prefix(s)
        if got is None:  # (MindSpore 2.10's text names an unsigned integer for floats too)
            raise pipeline_error(f'ToNumber: it is invalid to convert "{s}" to an unsigned integer.')
        read = np.float64 if name == "float64" else np.float32  # (float16: read as float32, then range-checked)
        val, nonzero = got
        fin = np.finfo(read)
        with np.errstate(over="ignore"):  # (strtof rounds to its max within half a step: 3.4028235e38 is read)
            over = math.isinf(val) or bool(np.isinf(read(val)))
            under = nonzero and abs(float(read(val))) < float(fin.tiny)
        if over or under:  # (a nonzero value that rounds below the smallest normal: strtod's ERANGE, as read)
            raise pipeline_error(f"ToNumber: string input {s} will be out of bounds if cast to {name}. "
                                 f"The valid range is: [{-fin.max:.6f}, {fin.max:.6f}].")
        val = float(read(val))
        if name == "float16" and abs(val) > 65504.0:
            raise pipeline_error(f"ToFloat16: value {val:.6f}in input data is outside of valid float16 range "
                                 f"[65504.000000, -65504.000000].")
        return val


def _width(name: str, value) -> None:
    typed(name, value, (int,))
    if not 1 <= value <= _INT_MAX:
        raise ValueError(f"Input {name} is not within the required interval of [1, {_INT_MAX}].")


class SlidingWindow:
    """The windows of width consecutive elements of a 1-D array, one a row (none when width is longer)."""

    def __init__(self, width, axis=0):
        _width("width", width)
        typed("axis", axis, (int,))
        self._width, self._axis = width, axis

    def __call__(self, *args):
        arr = one_input(args)
        if arr.ndim != 1:
            raise pipeline_error(f"SlidingWindow: SlidingWindow supports 1D input only for now, but got {arr.ndim}D.")
        if self._axis not in (0, -1):
            raise pipeline_error(f"SlidingWindow: The parameter axis supports 0 or -1 only for now, but got "
                                 f"{self._axis}.")
        n = len(arr) - self._width + 1
        if n <= 0:  # (MindSpore 2.10: an empty 1-D array of the input's type)
            return arr[:0]
        return np.stack([arr[k:k + self._width] for k in range(n)])


class TruncateSequencePair:
    """Two 1-D arrays cut to max_length elements together, from the longer one's end first."""

    def __init__(self, max_length):
        typed("max_length", max_length, (int, bool))  # (MindSpore 2.10 takes True as 1)
        self._max = int(max_length)

    def __call__(self, *args):
        if len(args) != 2:
            raise pipeline_error(f"TruncateSequencePair: Expected two inputs, but got {len(args)} inputs.")
        a, b = as_tensor(args[0]), as_tensor(args[1])
        if a.ndim != 1 or b.ndim != 1:
            raise pipeline_error("TruncateSequencePair: both data column should be of rank 1.")
        if self._max < 0:
            raise pipeline_error(f"TruncateSequencePair : The parameter max_length must be greater than or equal "
                                 f"to 0: {self._max}")
        na, nb = len(a), len(b)
        while na + nb > self._max:
            if na > nb:
                na -= 1
            else:
                nb -= 1
        return a[:na], b[:nb]


def _pad(name: str, pad) -> tuple[str, int]:
    if not (isinstance(pad, tuple) and len(pad) == 2 and isinstance(pad[0], str) and isinstance(pad[1], int)
            and not isinstance(pad[1], bool)):
        raise ValueError(f"{name} needs to be a tuple of (str, int) str is pad token and int is pad_width.")
    if pad[1] < 0:
        raise ValueError("padding width need to be positive numbers.")
    return pad


class Ngram:
    """The n-grams of a 1-D string array for each n, joined by separator; n-1 (at most pad_width) pad tokens each
    side; an n without a gram gives one empty string (MindSpore 2.10)."""

    def __init__(self, n, left_pad=("", 0), right_pad=("", 0), separator=" "):
        grams = [n] if isinstance(n, int) and not isinstance(n, bool) else n
        if not isinstance(grams, list) or not grams:
            raise ValueError("n needs to be a non-empty list of positive integers.")
        for k, g in enumerate(grams):
            typed(f"gram[{k}]", g, (int,))
        for k, g in enumerate(grams):
            if g <= 0:
                raise ValueError(f"Input gram_{k} must be greater than 0.")
        self._n, self._left, self._right = grams, _pad("left_pad", left_pad), _pad("right_pad", right_pad)
        typed("separator", separator, (str,))
        self._sep = separator

    def __call__(self, *args):
        arr = one_input(args)
        if arr.ndim != 1:
            raise pipeline_error("Ngram: input is not a 1D data with string datatype.")
        words = _strings(arr, "Ngram: input is not a 1D data with string datatype.")
        out: list[str] = []
        for n in self._n:
            padded = ([self._left[0]] * min(self._left[1], n - 1) + words
                      + [self._right[0]] * min(self._right[1], n - 1))
            grams = [self._sep.join(padded[k:k + n]) for k in range(len(padded) - n + 1)]
            out.extend(grams or [""])
        return np.array(out)
