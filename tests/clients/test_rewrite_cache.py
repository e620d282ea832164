"""The rewritten-function cache of gradserve._rewrite is bounded (least recently used dropped): a program that
makes functions from new source at run time (exec, generated code) does not grow it without end, and a
function dropped from it is rewritten again, correctly, when next used."""
import linecache

import numpy as np

from gradserve import Tensor, _rewrite, ops


def make(k: int):
    """A new function (its own code object) with an `if` and a `while`, as generated code would be."""
    src = (f"def f{k}(x):\n"
           f"    if x > {k}:\n"
           f"        x = x - {k}\n"
           f"    while x < 100:\n"
           f"        x = x * 2\n"
           f"    return x\n")
    name = f"<generated {k}>"
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)  # its source readable, as a real file's
    ns: dict = {}
    exec(compile(src, name, "exec"), ns)  # noqa: S102 - the test's own source
    return ns[f"f{k}"]


def expected(x, k):
    if x > k:
        x = x - k
    while x < 100:
        x = x * 2
    return x


def test_the_cache_keeps_the_most_recently_used(monkeypatch):
    monkeypatch.setattr(_rewrite, "CACHE_SIZE", 8)
    monkeypatch.setattr(_rewrite, "_cache", _rewrite._LRU())
    fns = [make(k) for k in range(30)]
    keep = fns[0]
    for k, f in enumerate(fns):
        g = _rewrite.convert(f)
        assert g is not f  # rewritten (control flow inside)
        assert g(3.0 + k) == expected(3.0 + k, k)  # values: Python's loop and `if`
        _rewrite.convert(keep)  # used again after each new one: never the least recent
        assert len(_rewrite._cache) <= 8
    assert keep.__code__ in _rewrite._cache
    assert fns[5].__code__ not in _rewrite._cache  # dropped long ago
    assert _rewrite.convert(fns[5])(7.0) == expected(7.0, 5)  # rewritten again, still right
    assert fns[5].__code__ in _rewrite._cache


def test_a_dropped_construct_still_traces_its_control_flow(on_real_server, monkeypatch):
    monkeypatch.setattr(_rewrite, "CACHE_SIZE", 2)
    monkeypatch.setattr(_rewrite, "_cache", _rewrite._LRU())
    fns = [make(k) for k in range(4)]
    for f in fns:
        _rewrite.convert(f)
    # fns[0] was dropped: traced with a tensor it is rewritten again. By hand: 1.5 > 0 takes x - 0, then
    # 1.5 doubles 7 times (to 192) in the traced while: d/dx = 2^7
    x = Tensor(np.float64(1.5))
    np.testing.assert_allclose([float(ops.grad(fns[0])(x))], [2.0 ** 7])
    assert fns[0].__code__ in _rewrite._cache
