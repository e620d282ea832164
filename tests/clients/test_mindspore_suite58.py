"""Sample seed 58 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 58").

What the sample's misses asked for: `seq.count` in a graph (ut/python/dynamic_sequence/test_sequence_count.py; with
it `seq.index`'s matching), a missing attribute's type names in a graph (ut/python/graph_syntax/
test_invalid_attribute.py) and a class returned from a jit function (test_jit_forbidden_api.py). Expected values
and texts: MindSpore 2.10 CPU runs of the same programs (/work/ms_suite58/probe/p1.py .. p7.py)."""
from collections import namedtuple

import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, jit, mutable, nn
from gradserve.ops import functional as F


# -- seq.count / seq.index in a graph ---------------------------------------------------------------------------
def _count_all_known():
    # MindSpore 2.10 folds these when compiling: a number never matches one of another kind (p2.py, p3.py)
    return ([1, 2, 3].count(3.0), [1.0, 2.0].count(1), [1.5, 2.5].count(1.5), [True, 1].count(1),
            [1, 2].count(True), [0, False].count(False), (1, 2, 3).count(3.0), [(1, 2), 3].count((1, 2)),
            [(1, 2), 3].count((1.0, 2.0)), ["a", "b", "a"].count("a"), [1, 2, 3].count(np.int64(3)),
            [Tensor([1]), 1].count(1), [1, 2, 3].count(Tensor(3)))


def test_count_folded_matches_by_kind_as_mindspore(on_real_server, graph_mode):
    # MindSpore 2.10 jit (p2.py, p3.py): (0, 0, 1, 1, 0, 1, 0, 1, 0, 2, 1, 1, 0); Python's == gave 1 for the
    # first two (3 == 3.0): a silently different count before
    assert jit(_count_all_known)() == (0, 0, 1, 1, 0, 1, 0, 1, 0, 2, 1, 1, 0)


def test_count_in_pynative_is_pythons(on_real_server, pynative):
    # MindSpore 2.10 PyNative (p2.py): [1, 2, 3].count(3.0) is 1, Python's
    assert [1, 2, 3].count(3.0) == 1
    assert jit(lambda: [1, 2, 3].count(3.0))() == 0  # (a jit function is a graph in PyNative too)


@pytest.mark.parametrize("seq, x", [([1, 2, 3], 3.0), ([0, 1], True)])
def test_index_matches_by_kind_as_mindspore(on_real_server, graph_mode, seq, x):
    # MindSpore 2.10 jit (p4.py): "3 is not in ..." / "true is not in ..." (its ValueError); gradserve gave 2 / 1
    @jit
    def f():
        return seq.index(x)

    with pytest.raises(ValueError, match="is not in"):
        f()


def test_count_of_known_values_is_constant(on_real_server, graph_mode):
    @jit
    def f():
        ret = [1, 2, 3, 3].count(3)
        return ret, F.isconstant(ret)

    assert f() == (2, True)  # MindSpore 2.10 jit (p1.py)


def test_count_run_by_the_graph_is_not_constant(on_real_server, graph_mode):
    # MindSpore 2.10 jit (p1.py): a mutable() sequence, a mutable target, a traced element or target: its
    # SequenceCount kernel runs; the count is an int not known when compiling (F.isconstant False)
    @jit
    def f(t):
        a = mutable([1, 2, 3, 4]).count(3)
        b = [1, 2, 3, 3].count(mutable(3))
        c = mutable((Tensor([1]), Tensor([2]), Tensor([1])), True).count(t)
        d = [t, Tensor([2]), Tensor([1])].count(Tensor([1]))
        e = mutable([1, 2, 3], True).count(mutable(2))
        return tuple((v, isinstance(v, int), F.isconstant(v)) for v in (a, b, c, d, e))

    assert f(Tensor([1])) == ((1, True, False), (2, True, False), (2, True, False), (2, True, False),
                              (1, True, False))


@pytest.mark.parametrize("make, got", [
    (lambda t: mutable([1.0, 2.0, 3.0], True).count(3), "Float32 Int64"),
    (lambda t: mutable([1, 2, 3], True).count(3.0), "Int64 Float32"),
    (lambda t: mutable([True, False], True).count(True), "Bool Bool"),
    (lambda t: [Tensor([1.0]), Tensor([2.0])].count(t), "Float32 Int64"),
])
def test_count_run_by_the_graph_refuses_other_dtypes(on_real_server, graph_mode, make, got):
    # MindSpore 2.10 jit (p3.py, p5.py): SequenceCount's CPU kernel takes Int32 / Int64 / Float32 / Float64 pairs
    with pytest.raises(TypeError) as info:
        jit(make)(Tensor([1]))
    text = str(info.value)
    assert "Select CPU operator[SequenceCount] fail! Unsupported data type!" in text
    assert "input[Int64 Int64], output[Int64]; , but get input[" + got + " ] and output[Int64 ]" in text


# -- a missing attribute in a graph ------------------------------------------------------------------------------
_P = namedtuple("P", ["a", "b"])


class _Shape(nn.Cell):
    def construct(self, x):
        return x.shape


class _A:
    pass


# MindSpore 2.10 GRAPH_MODE (p6.py): its abstract types' names; a user's class and None keep theirs
@pytest.mark.parametrize("value, name", [
    (1, "Int"), (1.5, "Float"), (True, "Bool"), ("s", "String"), ([1, 2], "List"), ((1, 2), "Tuple"),
    ({"a": 1}, "Dictionary"), (None, "NoneType"), (_P(1, 2), "NamedTuple"), (_A(), "_A")])
def test_missing_attribute_in_a_graph_names_mindspores_type(on_real_server, graph_mode, value, name):
    with pytest.raises(AttributeError) as info:
        _Shape()(value)
    assert str(info.value) == f"'{name}' object has no attribute 'shape'"


def test_missing_attribute_of_a_local_in_jit(on_real_server, graph_mode):
    @jit
    def f():
        a = [1, 2]
        return a.foo()

    with pytest.raises(AttributeError, match="^'List' object has no attribute 'foo'$"):  # MindSpore 2.10 (p6.py)
        f()


def test_missing_attribute_in_pynative_is_pythons(on_real_server, pynative):
    with pytest.raises(AttributeError, match="^'int' object has no attribute 'shape'$"):  # MindSpore 2.10 (p6.py)
        _Shape()(1)


def test_an_attribute_error_from_deeper_code_keeps_its_text(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE (p8.py): a property's own AttributeError keeps its text
    class Holder:
        @property
        def v(self):
            raise AttributeError("my own text")

    class Net(nn.Cell):
        def construct(self, x):
            return Holder().v

    with pytest.raises(AttributeError, match="^my own text$"):
        Net()(1)


# -- a class returned ------------------------------------------------------------------------------------------
def test_a_class_returned_from_jit_is_returned(on_real_server, graph_mode):
    # MindSpore 2.10 (p7.py): jit and a GRAPH_MODE construct return a class as it is, in a tuple too
    @jit
    def made():
        return type("C", (object,), {"v": 3})

    @jit
    def pair(x):
        return x + 1, _A

    c = made()
    assert isinstance(c, type) and c.__name__ == "C" and c.v == 3
    out = pair(Tensor([1]))
    assert out[1] is _A and out[0].asnumpy().tolist() == [2]
    assert jit(lambda: int)() is int
    gs.set_context(mode=gs.PYNATIVE_MODE)
    assert made().__name__ == "C"


def test_index_run_by_the_graph_matches_by_value(on_real_server, graph_mode):
    # MindSpore 2.10 jit (p10.py, p11.py): a Tensor argument is found by value, (1, False) / (2, False); gradserve refused
    # ("... is not in list") before; a mutable() sequence's index is not constant either
    @jit
    def f(t):
        r = [1, 2, 3].index(t)
        s = mutable([1, 2, 3]).index(3)
        return r, F.isconstant(r), s, F.isconstant(s), [1, 2, 3].index(t, 1)

    assert f(Tensor(2)) == (1, False, 2, False, 1)


@pytest.mark.parametrize("make, got", [
    (lambda: mutable([1, 2, 3]).index(3.0), "Int64 Float32"),
    (lambda: mutable([True, False]).index(True), "Bool Bool"),
])
def test_index_run_by_the_graph_refuses_other_dtypes(on_real_server, graph_mode, make, got):
    # MindSpore 2.10 jit (p10.py): SequenceIndex's CPU kernel, its TypeError
    with pytest.raises(TypeError) as info:
        jit(make)()
    text = str(info.value)
    assert "Select CPU operator[SequenceIndex] fail! Unsupported data type!" in text
    assert "input[Int64 Int64 Int64 Int64], output[Int64]; , but get input[" + got + " Int64 Int64 ] and output" in text


def test_an_unknown_element_of_the_targets_kind_runs_the_kernel(on_real_server, graph_mode):
    # MindSpore 2.10 jit (p14.py): [u, Tensor([2]), Tensor([1])].count(Tensor([1])) of u = Tensor([1]) is 2, not
    # constant; a list argument's Tensor never matches a number (p13.py: [Tensor(2), 2].index(2) is 1)
    @jit
    def f(u):
        c = [u, Tensor([2]), Tensor([1])].count(Tensor([1]))
        return c, F.isconstant(c)

    @jit
    def index(seq, x):
        return seq.index(x)

    assert f(Tensor([1])) == (2, False)
    assert index([Tensor(2), 2], 2) == 1
