"""The milliseconds a job answer's `timing` shows: three decimals."""
from __future__ import annotations


def ms3(ms: float) -> float:
    """`ms` to three decimals: round(ms, 3) but for an exact tie (half a thousandth, rounded to even here), at
    about half its instructions (round with ndigits goes through a decimal string: ~2.9k instructions, ~1.3k
    this way; a small job's answer rounds five figures)."""
    return round(ms * 1e3) / 1e3
