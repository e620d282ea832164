"""PyNative (the default mode) reuses a trace only while all it read is unchanged (gradserve._pyguard).

Each test calls a Cell / derivative, checks the value against NumPy (by hand: d/dx sum(s * x * x) = 2 s x),
calls again unchanged (the trace must be reused: no new trace), then changes one thing the Python read (a
global, a closure cell, a sub-cell, an attribute, a dict or list read, a captured Tensor written in place, the
training flag, a class attribute) and checks the new value. What cannot be guarded (an object of a user class,
a NumPy array, print, random) is traced afresh on every call, and its Python runs each time.
"""
from unittest import mock

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, _trace, nn, ops
from gradserve import context as gs_context

pytestmark = pytest.mark.usefixtures("on_real_server")

XA = np.array([1.0, 2.0, 3.0], np.float32)
X = Tensor(XA)


def _np(t):
    return np.asarray(t.asnumpy())


@pytest.fixture
def traces(monkeypatch):
    """The traces made so far, `.call_count` (a reused trace makes none). A Mock: a counter written in this
    file would itself be user code that stores (unguardable) running inside every trace."""
    spy = mock.Mock(wraps=_trace.trace_program)
    monkeypatch.setattr(_trace, "trace_program", spy)
    return spy


def _same_then(traces, call, want, reused=True):
    """call() thrice gives want; the third reuses a trace (or, reused=False, traces again). (A signature's
    first call is traced unrecorded, its second recorded; after a change the first is recorded.)"""
    for _ in range(2):
        np.testing.assert_allclose(_np(call()), want, rtol=1e-6)
    n = traces.call_count
    np.testing.assert_allclose(_np(call()), want, rtol=1e-6)
    assert traces.call_count == (n if reused else n + 1)


SCALE = 2.0
CONFIG = {"scale": 2.0}


def _double(x):
    return x * 2.0


HELPER = _double


class GlobalReader(nn.Cell):
    def construct(self, x):
        return (x * x * SCALE * CONFIG["scale"]).sum() + HELPER(x).sum()


def test_a_global_float_a_global_function_and_a_global_dicts_item_changed_are_seen(traces):
    global SCALE, HELPER
    g = ops.grad(GlobalReader())
    try:
        _same_then(traces, lambda: g(X), 2 * 4.0 * XA + 2.0)
        SCALE = 3.0
        _same_then(traces, lambda: g(X), 2 * 6.0 * XA + 2.0)
        HELPER = lambda x: x * 5.0  # noqa: E731 - a global function rebound
        _same_then(traces, lambda: g(X), 2 * 6.0 * XA + 5.0)
        CONFIG["scale"] = 0.5  # the dict the construct reads, changed in place
        _same_then(traces, lambda: g(X), 2 * 1.5 * XA + 5.0)
    finally:
        SCALE, HELPER, CONFIG["scale"] = 2.0, _double, 2.0


class Times(nn.Cell):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def construct(self, x):
        return x * self.k


class Holder(nn.Cell):
    factor = 1.0

    def __init__(self):
        super().__init__()
        self.fc = Times(2.0)
        self.scale = 1.0
        self.weights = [1.0, 1.0, 1.0]
        self.dropping = nn.Dropout(p=0.5)

    def construct(self, x):
        y = self.fc(x) * x * self.scale * self.factor * Tensor(np.array(self.weights, np.float32))
        return (self.dropping(y) if self.training else y).sum()


def test_a_sub_cell_an_attribute_a_list_item_the_class_and_set_train_changed_are_seen(traces):
    net = Holder()
    g = ops.grad(net)
    _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    net.fc = Times(7.0)  # a sub-cell swapped
    _same_then(traces, lambda: g(X), 2 * 7.0 * XA)
    net.fc.k = 3.0  # the sub-cell's Python attribute
    _same_then(traces, lambda: g(X), 2 * 3.0 * XA)
    net.scale = 2.0
    _same_then(traces, lambda: g(X), 2 * 6.0 * XA)
    net.weights[1] = 0.0  # a list attribute changed in place
    _same_then(traces, lambda: g(X), 2 * 6.0 * XA * [1.0, 0.0, 1.0])
    Holder.factor = -1.0  # a class attribute
    try:
        _same_then(traces, lambda: g(X), -2 * 6.0 * XA * [1.0, 0.0, 1.0])
    finally:
        Holder.factor = 1.0
    net.set_train(True)  # dropout now: each element 0 or doubled (p=0.5), never the inference value
    d = _np(g(X))
    base = 2 * 6.0 * XA * [1.0, 0.0, 1.0]
    assert all(np.isclose(v, 0.0) or np.isclose(v, 2 * b) for v, b in zip(d, base))
    net.set_train(False)
    _same_then(traces, lambda: g(X), base)


def test_a_closure_cell_rebound_and_a_captured_tensor_written_in_place_are_seen(traces):
    c = Tensor(np.array([2.0, 2.0, 2.0], np.float32))
    k = 1.0

    def f(x):
        return (x * x * c).sum() * k

    g = ops.grad(f)
    _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    k = 3.0  # the closure's float cell rebound
    _same_then(traces, lambda: g(X), 2 * 6.0 * XA)
    c[0] = 10.0  # the captured Tensor written in place
    _same_then(traces, lambda: g(X), 2 * 3.0 * np.array([10.0, 2.0, 2.0]) * XA)
    c = Tensor(np.array([4.0, 5.0, 6.0], np.float32))  # the Tensor's cell rebound
    _same_then(traces, lambda: g(X), 2 * 3.0 * np.array([4.0, 5.0, 6.0]) * XA)


class Settings:
    scale = 2.0


SETTINGS = Settings()
WEIGHTS = np.array([1.0, 1.0, 1.0], np.float32)


class Unguardable(nn.Cell):
    def construct(self, x):
        return (x * x * SETTINGS.scale * Tensor(WEIGHTS)).sum()


def test_a_user_object_and_a_numpy_array_read_are_traced_afresh_each_call(traces):
    net = Unguardable()
    g = ops.grad(net)
    try:
        _same_then(traces, lambda: g(X), 2 * 2.0 * XA, reused=False)
        SETTINGS.scale = 3.0  # an attribute of a plain object: not guardable
        _same_then(traces, lambda: g(X), 2 * 3.0 * XA, reused=False)
        WEIGHTS[2] = 5.0  # a NumPy array written in place
        _same_then(traces, lambda: net(X), 3.0 * (XA * XA * [1.0, 1.0, 5.0]).sum(), reused=False)
    finally:
        SETTINGS.scale, WEIGHTS[2] = 2.0, 1.0


class Printing(nn.Cell):
    def construct(self, x):
        print("construct ran")
        return (x * x).sum()


def test_python_side_effects_run_on_every_call(traces, capsys):
    net = Printing()
    _same_then(traces, lambda: net(X), (XA * XA).sum(), reused=False)
    assert capsys.readouterr().out.count("construct ran") == 3


class Noisy(nn.Cell):
    def construct(self, x):
        return (x * Tensor(np.random.uniform(1.0, 2.0, size=3).astype(np.float32))).sum()


def test_numpy_random_state_read_is_drawn_anew_on_every_call(traces):
    g = ops.grad(Noisy())
    a, n = _np(g(X)), traces.call_count
    b = _np(g(X))
    assert traces.call_count == n + 1
    assert np.all((a >= 1.0) & (a <= 2.0)) and np.all((b >= 1.0) & (b <= 2.0)) and not np.allclose(a, b)


class Plain(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Tensor(np.array([1.0, 2.0, 3.0], np.float32))

    def construct(self, x):
        return (x * self.w).sum()


def test_an_unchanged_cell_reuses_its_trace_and_a_new_shape_traces_anew(traces):
    net = Plain()
    _same_then(traces, lambda: net(X), (XA * [1.0, 2.0, 3.0]).sum())
    n = traces.call_count
    x2 = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(_np(net(Tensor(x2))), 2 * 6.0, rtol=1e-6)
    assert traces.call_count == n + 1
    assert net.trace_cache_info().currsize == 0  # (GRAPH_MODE's cache: the guarded traces are apart)


def test_a_global_changed_before_every_call_gives_every_calls_value():
    global SCALE
    g = ops.grad(GlobalReader())
    try:
        for s in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0]:  # (past _trace.GUARD_CHURN: traced afresh, unrecorded)
            SCALE = s
            np.testing.assert_allclose(_np(g(X)), 2 * 2.0 * s * XA + 2.0, rtol=1e-6)
    finally:
        SCALE = 2.0


def test_code_typed_or_execd_is_guarded_as_the_users(traces):
    space = {"ops": ops, "k": 2.0}
    exec("def f(x):\n    return (x * x * k).sum()\n", space)  # noqa: S102 - the test's own code
    g = ops.grad(space["f"])
    _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    space["k"] = 4.0  # a global of "<string>" code
    _same_then(traces, lambda: g(X), 2 * 4.0 * XA)


class Config:  # a class as a namespace of settings
    scale = 2.0


def _scaled(x, weights=[1.0, 1.0, 1.0]):  # noqa: B006 - a mutable default, changed below
    return (x * x * Config.scale * Tensor(np.array(weights, np.float32))).sum()


def test_a_class_attribute_and_a_mutable_default_changed_are_seen(traces):
    g = ops.grad(_scaled)
    try:
        _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
        Config.scale = 3.0
        _same_then(traces, lambda: g(X), 2 * 3.0 * XA)
        _scaled.__defaults__[0][2] = 4.0  # the default list, changed in place
        _same_then(traces, lambda: g(X), 2 * 3.0 * XA * [1.0, 1.0, 4.0])
        _scaled.__defaults__ = ([0.5, 0.5, 0.5],)  # the defaults replaced
        _same_then(traces, lambda: g(X), 2 * 1.5 * XA)
    finally:
        Config.scale, _scaled.__defaults__ = 2.0, ([1.0, 1.0, 1.0],)


def _times(x, *, c=2.0):
    return x * c


def _times_ten(x, *, c=2.0):
    return x * c * 10.0


def _through_times(x):
    return (x * _times(x)).sum()


def test_a_called_functions_code_and_keyword_defaults_replaced_are_seen(traces):
    g = ops.grad(_through_times)  # d/dx sum(x * x * c) = 2 c x
    code, kw = _times.__code__, _times.__kwdefaults__
    try:
        _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
        _times.__kwdefaults__ = {"c": 3.0}
        _same_then(traces, lambda: g(X), 2 * 3.0 * XA)
        _times.__code__ = _times_ten.__code__
        _same_then(traces, lambda: g(X), 2 * 30.0 * XA)
    finally:
        _times.__code__, _times.__kwdefaults__ = code, kw


class SeededNoise(nn.Cell):
    def construct(self, x):
        return (x * ops.uniform((3,), Tensor(1.0), Tensor(2.0), seed=5)).sum()


def test_a_seeded_random_op_draws_as_a_fresh_trace_does(traces):
    g = ops.grad(SeededNoise())
    gs.set_seed(6)  # (the seed's sequence: MindSpore 2.10 keeps one generator per (op, seed) and advances it at each call)
    want = [ops.uniform((3,), Tensor(1.0), Tensor(2.0), seed=5).asnumpy() for _ in range(3)]
    gs.set_seed(6)
    for w in want:  # each run draws the sequence's next values, as the eager calls did (the trace recorded at
        np.testing.assert_allclose(_np(g(X)), w, rtol=1e-6)  # the second call reused at the third)
    assert not np.array_equal(want[0], want[1])
    assert traces.call_count == 2


def _kept_ref(net):
    """The GraphRef of the trace a Cell's PyNative calls keep (one signature)."""
    (entry,) = net.__dict__["_gs_programs"].guarded.values()
    return entry.prog.ref()


def test_an_unguardable_trace_equal_to_the_last_keeps_its_registration(traces):
    net = Unguardable()
    try:
        _same_then(traces, lambda: net(X), 2.0 * (XA * XA).sum(), reused=False)
        ref = _kept_ref(net)
        _same_then(traces, lambda: net(X), 2.0 * (XA * XA).sum(), reused=False)
        assert _kept_ref(net) is ref  # (traced again, the same graph: not serialized nor registered again)
        WEIGHTS[0] = 3.0  # another constant: another graph
        _same_then(traces, lambda: net(X), 2.0 * (XA * XA * [3.0, 1.0, 1.0]).sum(), reused=False)
        assert _kept_ref(net) is not ref
    finally:
        WEIGHTS[0] = 1.0


def test_pynative_loops_and_cells_dropped_leave_no_reference_cycles():
    """The guards a Cell's or function's own cache keeps hold it weakly: a PyNative loop in steady state, and
    Cells made and dropped call after call, free everything as they go (test_loops_training: why it matters)."""
    from clients.test_loops_training import _cyclic_garbage

    net = Holder()
    g = ops.grad(net)
    g(X)  # (the first call traces, the second records: _cyclic_garbage calls once before it looks)
    # (only what these calls make is looked for: an earlier test's objects may be freed meanwhile)
    ours = ("Holder", "Plain", "Guarded", "Recorder", "frame", "TraceCache")
    left = dict(_cyclic_garbage(lambda: g(X)))  # (reused: no record, no cycle through a guard)
    assert [k for k in ours if k in left] == []

    def fresh_cell():
        Plain()(X)
        Plain()(X)  # (a second call: the guarded trace kept in the Cell)
    left = dict(_cyclic_garbage(fresh_cell))  # (a fresh trace's own cycles are the tracer's, as before)
    assert [k for k in ours if k in left] == []


class MakesCells(nn.Cell):
    def construct(self, x):
        return (nn.ReLU()(x) * 2.0).sum()  # (a Cell made and dropped by each trace)


def test_a_trace_that_makes_cells_is_reused_after_a_collection(traces):
    import gc

    g = ops.grad(MakesCells())
    _same_then(traces, lambda: g(X), 2.0 * np.ones(3))
    gc.collect()  # (the Cells and rewritten functions the trace made are gone: their guards with them)
    n = traces.call_count
    np.testing.assert_allclose(_np(g(X)), 2.0 * np.ones(3), rtol=1e-6)
    assert traces.call_count == n


def test_a_model_package_installed_in_site_packages_is_guarded_as_a_script_is(traces, tmp_path, monkeypatch):
    """A model installed with pip lives in site-packages: its construct's globals are the user's, guarded (they
    were taken for library code, and a changed module global gave the old gradient)."""
    import importlib
    import sys

    from gradserve import _pyguard
    (tmp_path / "gs_pkg_model.py").write_text(
        "from gradserve import nn\nSCALE = 2.0\n\n\nclass Net(nn.Cell):\n"
        "    def construct(self, x):\n        return (x * x * SCALE).sum()\n")
    monkeypatch.setattr(_pyguard, "_SITE", _pyguard._SITE + (str(tmp_path) + "/",))  # (the folder is site-packages)
    monkeypatch.setattr(_pyguard, "_user_cache", type(_pyguard._user_cache)())
    monkeypatch.syspath_prepend(str(tmp_path))
    model = importlib.import_module("gs_pkg_model")
    try:
        assert not _pyguard._library_file(model.__file__)
        g = ops.grad(model.Net())
        _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
        model.SCALE = 5.0
        _same_then(traces, lambda: g(X), 2 * 5.0 * XA)
    finally:
        sys.modules.pop("gs_pkg_model", None)


class Scaled(nn.Cell):
    def construct(self, x):
        return (x * x * SCALE).sum()


def test_the_trace_counts_say_which_calls_traced_and_why():
    """_trace.trace_stats() (benchmarks record it per workload to explain a slow run): a signature's first
    call traces unrecorded, its second traces recorded, a third reuses; a changed global is one guard failure
    (and a recorded trace); an unguardable read traces afresh on each call from the third on."""
    global SCALE
    from gradserve._trace import trace_stats

    def delta(call, times=1):
        before = trace_stats()
        for _ in range(times):
            call()
        after = trace_stats()
        return {k: after[k] - before[k] for k in after if after[k] != before[k]}

    g = ops.grad(Scaled())
    assert delta(lambda: g(X)) == {"traces": 1}
    assert delta(lambda: g(X)) == {"traces": 1, "recorded": 1}
    assert delta(lambda: g(X), 3) == {}
    try:
        SCALE = 3.0
        assert delta(lambda: g(X)) == {"traces": 1, "recorded": 1, "guard_failures": 1}
        np.testing.assert_allclose(_np(g(X)), 2 * 3.0 * XA, rtol=1e-6)
    finally:
        SCALE = 2.0
    u = ops.grad(Unguardable())
    assert delta(lambda: u(X), 2) == {"traces": 2, "recorded": 1}
    assert delta(lambda: u(X), 3) == {"traces": 3, "unguarded": 3}


class ContextReader(nn.Cell):
    def construct(self, x):
        k = 3.0 if gs_context.get_context("save_graphs") else 2.0
        return (x * x * k).sum()


def test_a_context_option_changed_by_set_context_or_reset_context_is_seen(traces):
    # (the guard compares the options' write count, one comparison: each way of writing them must count)
    g = ops.grad(ContextReader())
    try:
        _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
        gs_context.set_context(save_graphs=True)
        _same_then(traces, lambda: g(X), 2 * 3.0 * XA)
        gs_context.reset_context()
        _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    finally:
        gs_context.reset_context()


def test_every_write_to_the_context_options_is_counted():
    opts = gs_context._Options({"a": 1, "b": 2})
    writes = [lambda: opts.__setitem__("a", 3), lambda: opts.update(a=4), lambda: opts.setdefault("c", 5),
              lambda: opts.pop("c"), lambda: opts.__delitem__("b"), lambda: opts.__ior__({"b": 6}),
              lambda: opts.popitem(), lambda: opts.clear()]
    for write in writes:
        n = opts.writes
        write()
        assert opts.writes == n + 1, write
