"""The private-array tables (gradserve._private_arrays) on a loop's path, counted (issue #13): asnumpy() of an
answer, which an L1-style loop makes on every step (its loss), runs none of weakref's Python code (the tables
were WeakValueDictionaries: each pop of an array not sealed raised and caught a KeyError inside weakref.py,
~5 us a step). And what the plain tables must keep: an entry goes with its array (no growth over a loop, no
entry a new array at a reused address would inherit), a sealed array released is sealed no more."""
from __future__ import annotations

import gc
import sys

import numpy as np

from gradserve import _private_arrays
from gradserve._eager import _tensor


def _answer():
    """A concrete Tensor as an answer comes back: a 0-d view of bytes read from the wire."""
    return _tensor(np.frombuffer(bytearray(np.float32(1.5).tobytes()), np.float32).reshape(()))


def _python_calls(fn) -> list:
    """The Python functions fn() runs (file:name, in order), by a profile hook on this thread."""
    seen: list = []

    def hook(frame, event, arg):
        if event == "call":
            seen.append(f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_code.co_name}")
    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(old)
    return seen


def test_asnumpy_of_an_answer_runs_no_weakref_python_code():
    t = _answer()
    t.asnumpy()  # (warm: nothing lazily made on the first call is counted)
    t = _answer()
    calls = _python_calls(t.asnumpy)
    assert not [c for c in calls if c.startswith("weakref.py")], calls
    assert calls.count("_private_arrays.py:release") == 2, calls  # (the answer's array, then its own copy)
    assert float(t.asnumpy()) == 1.5


def test_entries_go_with_their_arrays_over_a_loop():
    gc.collect()
    sealed, released = len(_private_arrays._sealed), len(_private_arrays._released)
    for _ in range(500):
        a = _answer().asnumpy()
        assert _private_arrays.handed_out(a)
        p = np.zeros(3, np.float32)
        _private_arrays.seal(p, any_size=True)
        assert _private_arrays.sealed(p)
    del a, p
    gc.collect()
    # (at most as many as before: an array an earlier test left may have gone meanwhile; 500 steps' left: 1,000)
    assert len(_private_arrays._sealed) <= sealed and len(_private_arrays._released) <= released


def test_a_new_array_at_a_freed_arrays_address_is_neither_sealed_nor_handed_out():
    olds, news = [], []
    for _ in range(200):
        a = np.zeros(4, np.float32)
        _private_arrays.seal(a, any_size=True)
        _private_arrays.release(np.zeros(2, np.float32))  # (a released array, gone at once)
        olds.append(id(a))
        del a
        b = np.zeros(4, np.float32)  # (often at the address just freed)
        news.append(id(b) in olds)
        assert not _private_arrays.sealed(b) and not _private_arrays.handed_out(b)
        assert not _private_arrays.released(b)
    assert any(news)  # (the address was reused: the check above met the case it is about)


def test_a_sealed_array_released_through_a_view_is_sealed_no_more_and_counts():
    a = np.arange(6, dtype=np.float32)
    _private_arrays.seal(a, any_size=True)
    n = _private_arrays.releases[0]
    v = a[2:]
    _private_arrays.release(v)
    assert not _private_arrays.sealed(a) and _private_arrays.released(v) and _private_arrays.released(a)
    assert _private_arrays.handed_out(v) and _private_arrays.handed_out(a)
    assert _private_arrays.releases[0] == n + 1
    _private_arrays.release(a)  # (released again: nothing sealed went now)
    assert _private_arrays.releases[0] == n + 1
