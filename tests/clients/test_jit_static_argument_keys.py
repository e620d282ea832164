"""A jit function's (or Cell's) trace is reused only for arguments that make the same trace.

Unhashable constant arguments (the dict of keyword values jit and Cells build on every call, a plain dict,
a NumPy array) were keyed by id(): once the previous call's object was freed, a new one at the same address
hit the old trace, with the old values baked in. CI saw it once in the stop-29 emulation
(`foo(x, y=Tensor([1, 2]))` right after `foo(x, y=1)` returned x + 1: a silently wrong value); it depends on
the allocator, so these tests check what decides it (keys by value: equal values share one trace, two live
objects with different values never do, whatever their addresses) and the values over many calls.
Expected values by hand."""
import numpy as np

import gradserve as ms
from gradserve import Tensor, nn


def traces(fn) -> int:
    """The traces jit keeps for fn (one per distinct argument signature)."""
    from gradserve._jit import _programs

    return len(_programs.get(fn, {}))


def test_keyword_values_of_a_jit_function_key_its_trace_by_value(fake):
    @ms.jit
    def foo(x, **kwargs):
        return x + kwargs.get("y")

    x = Tensor(np.array([3.0, 4.0], np.float32))
    np.testing.assert_array_equal(foo(x, y=1).asnumpy(), [4.0, 5.0])
    assert traces(foo) == 1
    np.testing.assert_array_equal(foo(x, y=1).asnumpy(), [4.0, 5.0])  # a new dict, the same values: one trace
    assert traces(foo) == 1
    for k in range(12):
        y = float(k) if k % 2 else Tensor(np.array([k, 2.0 * k], np.float32))
        want = x.asnumpy() + (np.float32(k) if k % 2 else np.array([k, 2.0 * k], np.float32))
        np.testing.assert_array_equal(foo(x, y=y).asnumpy(), want)


def test_keyword_values_of_a_cell_are_not_confused_across_calls(fake):
    class Net(nn.Cell):
        def construct(self, x, scale=None):
            return x * scale

    net, x = Net(), Tensor(np.array([1.0, 2.0], np.float32))
    for k in range(1, 9):
        np.testing.assert_array_equal(net(x, scale=Tensor(np.full(2, k, np.float32))).asnumpy(), [k, 2.0 * k])


def test_array_and_dict_constants_are_keyed_by_their_values(fake):
    @ms.jit
    def f(x, table, d):
        return x * Tensor(table) + d["b"]

    x = Tensor(np.ones(3, np.float32))
    for k in range(1, 9):
        table = np.arange(3, dtype=np.float32) * k  # a new array (and dict) each call, the old one freed
        np.testing.assert_array_equal(f(x, table, {"b": float(k)}).asnumpy(), np.arange(3, dtype=np.float32) * k + k)
    assert traces(f) == 8
    np.testing.assert_array_equal(f(x, np.arange(3, dtype=np.float32), {"b": 1.0}).asnumpy(), [1.0, 2.0, 3.0])
    assert traces(f) == 8  # k = 1's values again, in new objects: its trace


def test_two_live_constants_with_different_values_never_share_a_key():
    from gradserve._trace import _sig

    a, b = {"y": Tensor(np.array([1.0], np.float32))}, {"y": Tensor(np.array([2.0], np.float32))}
    assert _sig(a) != _sig(b) and _sig(a) == _sig({"y": Tensor(np.array([1.0], np.float32))})
    assert _sig(np.zeros(2)) != _sig(np.ones(2)) and _sig(np.zeros(2)) != _sig(np.zeros(2, np.float32))


def test_tensor_keyword_values_are_trace_inputs_one_trace_for_a_loop(fake):
    # MindSpore 2.10 takes a Tensor keyword argument as an input of the compiled graph: a loop passing a new
    # Tensor each step compiles once (here it was one trace per value, the cache growing without bound)
    @ms.jit
    def foo(x, *, b=None, **kw):
        return x * b + kw["c"]

    class Net(nn.Cell):
        def construct(self, x, *, w, scale=1.0):
            return x * w * scale

    ms.set_context(mode=ms.GRAPH_MODE)  # (a Cell's traces are kept in GRAPH_MODE; PyNative traces each call)
    x, net = Tensor(np.array([1.0, 2.0], np.float32)), Net()
    for k in range(6):
        b = Tensor(np.array([k, -k], np.float32))
        np.testing.assert_array_equal(foo(x, b=b, c=Tensor(np.float32(k))).asnumpy(), [2.0 * k, -k])
        np.testing.assert_array_equal(net(x, w=b).asnumpy(), [k, -2.0 * k])
    assert traces(foo) == 1 and len(net._gs_programs) == 1
    np.testing.assert_array_equal(net(x, w=Tensor(np.array([1.0, 1.0], np.float32)), scale=3.0).asnumpy(), [3.0, 6.0])
    assert len(net._gs_programs) == 2  # a new constant keyword value: a trace of its own
    assert foo.cache_info().currsize == 1 and net.trace_cache_info().currsize == 2


def test_the_trace_cache_is_bounded_least_recently_used_first(fake, monkeypatch):
    from gradserve import _trace

    monkeypatch.setattr(_trace, "TRACE_CACHE_SIZE", 3)

    @ms.jit
    def f(x, k):
        return x + k

    x = Tensor(np.zeros(2, np.float32))
    for k in range(5):  # five constants: five traces, three kept
        np.testing.assert_array_equal(f(x, k).asnumpy(), [k, k])
    info = f.cache_info()
    assert (info.currsize, info.maxsize, info.misses, info.evictions) == (3, 3, 5, 2)
    np.testing.assert_array_equal(f(x, 2).asnumpy(), [2, 2])  # kept: a hit, and now the most recent
    np.testing.assert_array_equal(f(x, 5).asnumpy(), [5, 5])  # evicts 3 (the least recently used), not 2
    np.testing.assert_array_equal(f(x, 2).asnumpy(), [2, 2])
    info = f.cache_info()
    assert (info.hits, info.misses, info.evictions, info.currsize) == (2, 6, 3, 3)
    np.testing.assert_array_equal(f(x, 0).asnumpy(), [0, 0])  # evicted long ago: traced again, still right
