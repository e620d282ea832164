"""PyNative's guard check (gradserve._pyguard._compiled: one generated function of identity tests per trace)
sees every change to what a trace read, by whatever path it was written: a Cell attribute written past
Cell.__setattr__ (object.__setattr__, the instance's __dict__), an attribute removed, added or moved in the
__dict__'s order, a global bound over a builtin, a closure cell bound or emptied after the trace, a dict with
keys other than strings, a dict subclass, a list, a global that is None (reused, not traced each call), and an
attribute whose name is no identifier (the generated source holds no name the user's objects give). Each change
is checked twice: the next call traces again (a count: fails with the check made unconditional) and gives the
value by hand (d/dx sum(k * x * x) = 2 k x); a change back to an earlier trace's reads reuses that trace."""
from collections import OrderedDict

import numpy as np
import pytest

from gradserve import Tensor, _pyguard, nn, ops

from .test_pynative_guards import XA, X, _np, _same_then, traces  # noqa: F401 - (traces: a fixture)

pytestmark = pytest.mark.usefixtures("on_real_server")


def _traced_again(traces, call, want):
    """The next call() traces anew (the change was seen) and gives want; the two after it reuse that trace."""
    n = traces.call_count
    np.testing.assert_allclose(_np(call()), want, rtol=1e-6)
    assert traces.call_count == n + 1
    _same_then(traces, call, want)


def _earlier_reused(traces, call, want):
    """A change back to what an earlier trace of the signature read: that trace's guards hold again, it is reused
    (no trace: _trace.GUARD_ALTERNATES) and gives want, as do the calls after it."""
    n = traces.call_count
    np.testing.assert_allclose(_np(call()), want, rtol=1e-6)
    assert traces.call_count == n
    _same_then(traces, call, want)


class Scaled(nn.Cell):
    def __init__(self):
        super().__init__()
        self.k = 2.0
        self.other = 1.0

    def construct(self, x):
        return (x * x * self.k).sum()


def test_cell_attribute_writes_that_bypass_setattr_are_seen(traces):
    net = Scaled()
    g = ops.grad(net)
    _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    object.__setattr__(net, "k", 3.0)
    _traced_again(traces, lambda: g(X), 2 * 3.0 * XA)
    net.__dict__["k"] = 4.0
    _traced_again(traces, lambda: g(X), 2 * 4.0 * XA)
    vars(net).update(k=5.0)
    _traced_again(traces, lambda: g(X), 2 * 5.0 * XA)


def test_a_cell_attribute_removed_added_or_moved_is_seen(traces):
    net = Scaled()
    g = ops.grad(net)
    _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    net.__dict__["k"] = net.__dict__.pop("k")  # the same value, last in the __dict__'s order now
    _traced_again(traces, lambda: g(X), 2 * 2.0 * XA)
    del net.__dict__["other"]  # as many attributes as before, one of another name
    net.__dict__["another"] = 1.0
    _traced_again(traces, lambda: g(X), 2 * 2.0 * XA)
    net.__dict__["more"] = 1.0
    _traced_again(traces, lambda: g(X), 2 * 2.0 * XA)


class InOrder(nn.Cell):
    """A construct whose value depends on the order of its attributes (it walks its __dict__)."""

    def __init__(self):
        super().__init__()
        self.a = 2.0
        self.b = 3.0

    def construct(self, x):
        y = x
        for name, v in self.__dict__.items():
            if name in ("a", "b"):
                y = y * v + 1.0
        return y.sum()


def test_an_attribute_order_the_construct_walks_is_seen(traces):
    net = InOrder()
    vg = ops.value_and_grad(net)
    value = lambda: vg(X)[0]  # noqa: E731 - sum((x * a + 1) * b + 1): a first, then b
    _same_then(traces, value, np.sum((XA * 2.0 + 1.0) * 3.0 + 1.0))
    net.__dict__["a"] = net.__dict__.pop("a")  # b first now
    _traced_again(traces, value, np.sum((XA * 3.0 + 1.0) * 2.0 + 1.0))


OFFSET = None


class NoneReader(nn.Cell):
    def construct(self, x):
        return (x * x).sum() if OFFSET is None else (x * x * OFFSET).sum()


def test_a_global_that_is_none_is_reused_and_its_change_seen(traces):
    global OFFSET
    g = ops.grad(NoneReader())
    try:
        _same_then(traces, lambda: g(X), 2 * XA)  # (reused: a None held is no dead weak reference)
        OFFSET = 3.0
        _traced_again(traces, lambda: g(X), 2 * 3.0 * XA)
        OFFSET = None
        _earlier_reused(traces, lambda: g(X), 2 * XA)
    finally:
        OFFSET = None


class AbsReader(nn.Cell):
    def construct(self, x):
        return abs(x * x * -1.0).sum()


def test_a_builtin_then_shadowed_by_a_module_global_is_seen(traces):
    g = ops.grad(AbsReader())
    _same_then(traces, lambda: g(X), 2 * XA)  # (XA > 0)
    globals()["abs"] = lambda t: t * 2.0
    try:
        _traced_again(traces, lambda: g(X), -4 * XA)
    finally:
        del globals()["abs"]
    _earlier_reused(traces, lambda: g(X), 2 * XA)


K = 2.0
_OTHER: dict = {"__name__": "gs_guard_other_module"}  # (exec'd code of no module: the user's, guarded)
exec("def other_scaled(x):\n    return x * K\n", _OTHER)  # noqa: S102 - a fixed source of this test
other_scaled = _OTHER["other_scaled"]


def _two_ks(x):
    return (other_scaled(x) * x * K).sum()  # d/dx (K' K x^2) = 2 K' K x


def test_one_name_read_from_two_modules_is_guarded_in_each(traces):
    # the same name holding the same object in two modules' globals is two guards, not one: the check tests
    # each (module, name) once (a name loaded by several runs of one module's code is tested once)
    _OTHER["K"] = K
    g = ops.grad(_two_ks)
    _same_then(traces, lambda: g(X), 2 * 2.0 * 2.0 * XA)
    _OTHER["K"] = 3.0
    _traced_again(traces, lambda: g(X), 2 * 3.0 * 2.0 * XA)
    globals()["K"] = 5.0
    try:
        _traced_again(traces, lambda: g(X), 2 * 3.0 * 5.0 * XA)
    finally:
        globals()["K"] = 2.0


def test_a_closure_cell_bound_after_the_trace_then_emptied_is_seen(traces):
    def f(x):
        try:
            k = late  # noqa: F821 - (bound below, after the first calls)
        except NameError:
            k = 1.0
        return (x * x * k).sum()

    g = ops.grad(f)
    _same_then(traces, lambda: g(X), 2 * XA)
    late = 3.0
    _traced_again(traces, lambda: g(X), 2 * 3.0 * XA)
    del late
    _earlier_reused(traces, lambda: g(X), 2 * XA)


TABLE = {0: 1.0, 1: 2.0}


class TableReader(nn.Cell):
    def construct(self, x):
        return (x * x * TABLE[1]).sum()


def test_a_dict_with_int_keys_changed_in_place_is_seen(traces):
    g = ops.grad(TableReader())
    try:
        _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
        TABLE[1] = 5.0
        _traced_again(traces, lambda: g(X), 2 * 5.0 * XA)
        del TABLE[0]  # (as many items, the key another)
        TABLE[2] = 1.0
        _traced_again(traces, lambda: g(X), 2 * 5.0 * XA)
    finally:
        TABLE.clear()
        TABLE.update({0: 1.0, 1: 2.0})


ODD = "k) or (True"  # an attribute name that would be code if a guard's source spelled it


class OddName(nn.Cell):
    def construct(self, x):
        return (x * x * getattr(self, ODD)).sum()


def test_an_attribute_named_like_code_is_guarded_and_never_in_the_source(traces):
    net = OddName()
    net.__dict__[ODD] = 2.0
    g = ops.grad(net)
    _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    net.__dict__[ODD] = 4.0
    _traced_again(traces, lambda: g(X), 2 * 4.0 * XA)
    assert _pyguard._SOURCES and not any(ODD in src for src in _pyguard._SOURCES)


def test_a_cell_in_a_closure_replaced_is_seen(traces):
    cell = Scaled()

    def f(x):
        return cell(x)

    g = ops.grad(f)
    _same_then(traces, lambda: g(X), 2 * 2.0 * XA)
    cell = Scaled()  # the first freed (the guard holds it weakly), this one at the same address, maybe
    cell.k = 6.0
    _traced_again(traces, lambda: g(X), 2 * 6.0 * XA)


class OrderedReader(nn.Cell):
    def __init__(self):
        super().__init__()
        self.cfg = OrderedDict(k=2.0)
        self.ks = [2.0]

    def construct(self, x):
        return (x * x * self.cfg["k"] * self.ks[0]).sum()


def test_a_dict_subclass_and_a_list_changed_in_place_are_seen(traces):
    net = OrderedReader()
    g = ops.grad(net)
    _same_then(traces, lambda: g(X), 2 * 4.0 * XA)
    net.cfg["k"] = 3.0  # (an OrderedDict: compared as the values it iterates, not by look-ups)
    _traced_again(traces, lambda: g(X), 2 * 6.0 * XA)
    net.ks[0] = 1.0
    _traced_again(traces, lambda: g(X), 2 * 3.0 * XA)


def test_a_guard_check_is_in_no_reference_cycle():
    """The generated check's globals hold the guarded values (a Tensor attribute among them): it is
    freed with its trace cache by reference counts, not left to a later garbage collection."""
    from clients.test_loops_training import _cyclic_garbage

    def fresh_cell():
        net = Scaled()
        net.big = Tensor(np.zeros(3, np.float32))
        g = ops.grad(net)
        for _ in range(3):  # (the second call records: a check made; the third runs it)
            g(X)
    left = dict(_cyclic_garbage(fresh_cell))
    assert [k for k in ("check", "Guarded", "Scaled") if k in left] == []
