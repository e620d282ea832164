"""std::stable_sort as libstdc++ (GCC 11 and later) performs it when its temporary buffer is granted: the range is
cut at (n + 1) / 2, each half sorted through the buffer (insertion sort of runs of 7, then merge passes of doubling
width, back and forth between range and buffer), and the halves merged (forward from the buffer where the first
half is no longer, else backward). MindSpore 2.10's CPU Sort orders each row's indices this way by `<` (`>`
descending); a NaN compares neither way there, so where it lands depends on these steps alone (checked on 18 rows
of 3 to 100 elements with NaN, both orders: [1, nan, 3, 2] -> [1, nan, 2, 3], descending [3, 2, 1, nan]).

`arrange(n, before)` returns the indices 0..n-1 in that order; a host loop (O(n log n) comparisons, Python-speed).
"""
from __future__ import annotations

from collections.abc import Callable

from .introselect import insertion_sort

Before = Callable[[int, int], bool]
_RUN = 7  # libstdc++'s _S_chunk_size


def arrange(n: int, before: Before) -> list:
    a = list(range(n))
    if n < 2:
        return a
    mid = (n + 1) // 2
    _sort_halfway(a, 0, mid, before)
    _sort_halfway(a, mid, n, before)
    if mid <= n - mid:
        _merge_forward(a, a[:mid], mid, n, 0, before)
    else:
        _merge_backward(a, 0, mid, a[mid:n], n, before)
    return a


def _merge(src: list, f1: int, l1: int, f2: int, l2: int, dst: list, r: int, before: Before) -> int:
    """The runs src[f1:l1] and src[f2:l2] into dst from r: the second run's element only where it is before."""
    while f1 < l1 and f2 < l2:
        if before(src[f2], src[f1]):
            dst[r], f2 = src[f2], f2 + 1
        else:
            dst[r], f1 = src[f1], f1 + 1
        r += 1
    tail = src[f1:l1] + src[f2:l2]
    dst[r:r + len(tail)] = tail
    return r + len(tail)


def _pass(src: list, lo: int, hi: int, dst: list, r: int, step: int, before: Before) -> None:
    f = lo
    while hi - f >= 2 * step:
        r = _merge(src, f, f + step, f + step, f + 2 * step, dst, r, before)
        f += 2 * step
    s = min(hi - f, step)
    _merge(src, f, f + s, f + s, hi, dst, r, before)


def _sort_halfway(a: list, lo: int, hi: int, before: Before) -> None:
    n, step = hi - lo, _RUN
    for k in range(lo, hi, _RUN):
        insertion_sort(a, k, min(k + _RUN, hi), before)
    buf = [0] * n
    while step < n:
        _pass(a, lo, hi, buf, 0, step, before)
        step *= 2
        _pass(buf, 0, n, a, lo, step, before)
        step *= 2


def _merge_forward(a: list, buf: list, f2: int, l2: int, r: int, before: Before) -> None:
    i = 0
    while i < len(buf) and f2 < l2:
        if before(a[f2], buf[i]):
            a[r], f2 = a[f2], f2 + 1
        else:
            a[r], i = buf[i], i + 1
        r += 1
    a[r:r + len(buf) - i] = buf[i:]


def _merge_backward(a: list, f1: int, l1: int, buf: list, end: int, before: Before) -> None:
    """a[f1:l1] and buf merged into a[f1:end] from the back: the first run's element where buf's is before it."""
    i1, i2 = l1 - 1, len(buf) - 1
    while True:
        end -= 1
        if before(buf[i2], a[i1]):
            a[end] = a[i1]
            if i1 == f1:
                a[end - i2 - 1:end] = buf[:i2 + 1]
                return
            i1 -= 1
        else:
            a[end] = buf[i2]
            if i2 == 0:
                return
            i2 -= 1
