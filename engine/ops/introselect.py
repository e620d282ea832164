"""std::nth_element as libstdc++ (GCC) performs it: introselect with a median-of-three pivot, a Hoare-style
unguarded partition, insertion sort below four elements and heap selection once the depth limit (twice the
floor of log2 n) is spent. MindSpore's CPU TopK(sorted=False) returns the first k of this arrangement of the
row's indices (compared by value only, ties included), so reproducing it step by step is the only way to give
its order: the C++ standard leaves the order unspecified, this library's steps fix it.

`arrange(keys, nth, before)` permutes the indices 0..n-1 so that position nth holds the element a sort by
`before` would put there; it is a host loop (O(n) comparisons on average, Python-speed).
"""
from __future__ import annotations

from collections.abc import Callable

Before = Callable[[int, int], bool]


def _median_to_first(a: list, result: int, i: int, j: int, k: int, before: Before) -> None:
    if before(a[i], a[j]):
        m = j if before(a[j], a[k]) else k if before(a[i], a[k]) else i
    elif before(a[i], a[k]):
        m = i
    else:
        m = k if before(a[j], a[k]) else j
    a[result], a[m] = a[m], a[result]


def _partition(a: list, first: int, last: int, pivot: int, before: Before) -> int:
    # unguarded in C++ (the median of three bounds both scans); bounded here so that NaN keys cannot run off
    while True:
        while first < last and before(a[first], a[pivot]):
            first += 1
        last -= 1
        while last > pivot and before(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def insertion_sort(a: list, first: int, last: int, before: Before) -> None:
    """libstdc++'s __insertion_sort of a[first:last] (also std::stable_sort's runs: stable_merge)."""
    for i in range(first + 1, last):
        v = a[i]
        if before(v, a[first]):
            a[first + 1:i + 1] = a[first:i]
            a[first] = v
            continue
        j = i
        while before(v, a[j - 1]):
            a[j] = a[j - 1]
            j -= 1
        a[j] = v


def _adjust_heap(a: list, first: int, hole: int, n: int, v: int, before: Before) -> None:
    top, child = hole, hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if before(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and before(a[first + parent], v):
        a[first + hole] = a[first + parent]
        hole, parent = parent, (parent - 1) // 2
    a[first + hole] = v


def _heap_select(a: list, first: int, middle: int, last: int, before: Before) -> None:
    n = middle - first
    if n >= 2:
        for parent in range((n - 2) // 2, -1, -1):
            _adjust_heap(a, first, parent, n, a[first + parent], before)
    for i in range(middle, last):
        if before(a[i], a[first]):
            v, a[i] = a[i], a[first]
            _adjust_heap(a, first, 0, n, v, before)


def arrange(n: int, nth: int, before: Before) -> list:
    """The indices 0..n-1 after libstdc++'s nth_element(first, first + nth, last, before) on them."""
    a = list(range(n))
    if nth >= n:
        return a
    first, last, depth = 0, n, 2 * (n.bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, before)
            a[first], a[nth] = a[nth], a[first]
            return a
        depth -= 1
        mid = first + (last - first) // 2
        _median_to_first(a, first, first + 1, mid, last - 1, before)
        cut = _partition(a, first + 1, last, first, before)
        if cut <= nth:
            first = cut
        else:
            last = cut
    insertion_sort(a, first, last, before)
    return a
