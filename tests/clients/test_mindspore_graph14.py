"""GRAPH_MODE / @jit leftovers of earlier rounds (benchmarks/mindspore_suite/README.md, "GRAPH_MODE leftovers, round 14").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv, each probe in a process
of its own (GRAPH_MODE unless said; MindSpore's texts end with its C++ call stack, left out here)."""
import numpy as np
import pytest

from gradserve import Tensor, context, jit, nn

_LIST = ("AssertionError, AttributeError, BaseException, EnvironmentError, Exception, IOError, IndentationError, "
         "IndexError, KeyError, KeyboardInterrupt, MemoryError, NameError, NotImplementedError, OSError, "
         "OverflowError, RuntimeError, RuntimeWarning, StopIteration, TypeError, UnboundLocalError, ValueError, "
         "ZeroDivisionError. ")


class _MyError(Exception):
    pass


def _refused(name: str) -> str:
    return f"Unsupported exception type: {name}. Raise only support some Python standard exception types: " + _LIST


# -- raise ----------------------------------------------------------------------------------------------------
def test_raise_of_a_type_outside_mindspores_list_is_refused_where_compiled(on_real_server, graph_mode):
    # tests/ut/python/graph_syntax/statements/test_raise_const.py 14, 19, 21 (gradserve raised UserWarning /
    # NameError / ImportError). MindSpore 2.10: RuntimeError with this text for UserWarning, ImportError, a class of
    # the user's, an undefined name, a local variable holding an exception (`raise e`: "type: e") or a class (`y =
    # ValueError; raise y("alias")`: "type: y"); an `if` on a
    # Python value that skips it: no error (2 returned); an `if` on a Tensor: refused though the call takes the
    # other side (jit, x = 1.0 against 100).
    class Net(nn.Cell):
        def construct(self, x):
            if x == 1:
                raise UserWarning("w")
            if x == 2:
                raise NotSupportError("w")  # noqa: F821 - undefined on purpose: refused by name, not a NameError
            if x == 3:
                raise _MyError("w")
            if x == 4:
                raise ImportError("w")
            if x == 5:
                e = ValueError("local")
                raise e
            if x == 6:
                y = ValueError
                raise y("alias")
            return x

    for x, name in ((1, "UserWarning"), (2, "NotSupportError"), (3, "_MyError"), (4, "ImportError"), (5, "e"), (6, "y")):
        with pytest.raises(RuntimeError) as got:
            Net()(x)
        assert str(got.value) == _refused(name)
    assert Net()(7) == 7

    @jit
    def f(x):
        if x > 100:
            raise UserWarning("k")
        return x

    with pytest.raises(RuntimeError, match="Unsupported exception type: UserWarning"):
        f(Tensor(1.0))


def test_raise_of_constants_takes_mindspores_text(on_real_server, graph_mode):
    # test_raise_const.py nested_list / nested_tuple / joinedstr_tensor. MindSpore 2.10's str(e) (before its call
    # stack): ValueError(2.0, 1.5, "a", 3) -> "(2, 1.5, 'a', 3)"; ValueError(2.0) -> "2"; ValueError("abc") -> "'abc'";
    # ValueError(x, y) of x = [1, 2.0], y = [x, x] -> "([1, 2], [[1, 2], [1, 2]])"; ValueError(("a", 1.0)) ->
    # "'(a, 1)'"; ValueError(Tensor([1.5])) -> "[1.5]"; ValueError() / ValueError -> ""; the f-string below ->
    # "'y=2 t=Tensor(shape=[], dtype=Float32, value=2) l=[1, 2]|Tensor(shape=[2], dtype=Float32, value=[ 1.50000000e+00
    # 2.00000000e+00])|Tensor(shape=[2, 2], dtype=Int32, value=\n[[1 2]\n [3 4]])|Tensor(shape=[], dtype=Bool,
    # value=True)'"; KeyError("k", 2.0) in a jit function -> KeyError of "('k', 2)"
    class Net(nn.Cell):
        def construct(self, k):
            x = [1, 2.0]
            if k == 0:
                raise ValueError(2.0, 1.5, "a", 3)
            if k == 1:
                raise ValueError(2.0)
            if k == 2:
                raise ValueError("abc")
            if k == 3:
                raise ValueError(x, [x, x])
            if k == 4:
                raise ValueError(("a", 1.0))
            if k == 5:
                raise ValueError(Tensor([1.5]))
            if k == 6:
                raise ValueError()
            if k == 7:
                raise ValueError
            y = 2.0
            raise ValueError(f"y={y} t={Tensor(2.0)} l={[1.0, 2]}|{Tensor([1.5, 2.0])}|"
                             f"{Tensor(np.array([[1, 2], [3, 4]], np.int32))}|{Tensor(True)}")

    texts = ["(2, 1.5, 'a', 3)", "2", "'abc'", "([1, 2], [[1, 2], [1, 2]])", "'(a, 1)'", "[1.5]", "", "",
             "'y=2 t=Tensor(shape=[], dtype=Float32, value=2) l=[1, 2]|Tensor(shape=[2], dtype=Float32, value=[ "
             "1.50000000e+00  2.00000000e+00])|Tensor(shape=[2, 2], dtype=Int32, value=\n[[1 2]\n [3 4]])|"
             "Tensor(shape=[], dtype=Bool, value=True)'"]
    for k, text in enumerate(texts):
        with pytest.raises(ValueError) as got:
            Net()(k)
        assert type(got.value) is ValueError and str(got.value) == text, k

    @jit
    def f(x):
        raise KeyError("k", 2.0)

    with pytest.raises(KeyError) as got:
        f(3)
    assert got.value.args == ("('k', 2)",)


def test_raise_of_traced_values_takes_the_runs_text(on_real_server, graph_mode):
    # MindSpore 2.10 (a raise its run makes): ValueError(x) of x = [[1., 2.]] -> "[[1. 2.]]"; ValueError("a", x, 2.0)
    # -> "('a', [[1. 2.]], 2.0)"; RuntimeError(f"v {Tensor([1.5])} {x}") -> "v [1.5] [[1. 2.]]"; under `if x > 1`
    # of x = Tensor(3.0): ValueError("big") -> "big", ValueError("big", "b") -> "('big', 'b')", ValueError(f"big
    # {Tensor([1])}") -> "big Tensor(shape=[1], dtype=Int64, value=[1])" (an f-string of constants is compiled);
    # x = Tensor(0.5) returns x * 2 = 1
    class Net(nn.Cell):
        def construct(self, x, k):
            if k == 0:
                raise ValueError(x)
            if k == 1:
                raise ValueError("a", x, 2.0)
            raise RuntimeError(f"v {Tensor([1.5])} {x}")

    x = Tensor(np.array([[1, 2]], np.float32))
    for k, (kind, text) in enumerate(((ValueError, "[[1. 2.]]"), (ValueError, "('a', [[1. 2.]], 2.0)"),
                                      (RuntimeError, "v [1.5] [[1. 2.]]"))):
        with pytest.raises(kind) as got:
            Net()(x, k)
        assert str(got.value) == text

    class Cond(nn.Cell):
        def construct(self, x, k):
            if x > 1:
                if k == 0:
                    raise ValueError("big")
                if k == 1:
                    raise ValueError("big", "b")
                raise ValueError(f"big {Tensor([1])}")
            return x * 2

    for k, text in enumerate(("big", "('big', 'b')", "big Tensor(shape=[1], dtype=Int64, value=[1])")):
        with pytest.raises(ValueError) as got:
            Cond()(Tensor(3.0), k)
        assert str(got.value) == text
    assert float(Cond()(Tensor(0.5), 0).asnumpy()) == 1.0


def test_pynative_raise_is_pythons(on_real_server, pynative):
    # MindSpore 2.10, PYNATIVE_MODE: a construct's `raise UserWarning("w")` raises UserWarning("w"); a jit function's
    # is refused as in a graph (its RuntimeError)
    class Net(nn.Cell):
        def construct(self, x):
            if x == 1:
                raise UserWarning("w")
            raise ValueError(2.0)

    with pytest.raises(UserWarning, match="^w$"):
        Net()(1)
    with pytest.raises(ValueError, match=r"^2\.0$"):
        Net()(2)

    @jit
    def f(x):
        raise UserWarning("a")

    with pytest.raises(RuntimeError, match="Unsupported exception type: UserWarning"):
        f(Tensor(1.0))
    assert context.get_context("mode") == context.PYNATIVE_MODE


# -- max / min / any / all of traced Tensors and Python numbers ----------------------------------------------------
def test_max_min_of_a_traced_tensor_and_a_number_take_the_runs_value(on_real_server, graph_mode):
    # benchmarks/mindspore_suite/README.md, seed 32's leftovers (gradserve: BranchJoinError). MindSpore 2.10:
    # max(x, 2), min(x, 2) of Tensor(5) -> (Tensor(5), 2), of Tensor(1) -> (2, Tensor(1)); float32 x with 2.5:
    # max(x, 2.5), min(2.5, x), max((x, 2)) of 5 -> (Tensor(5.), 2.5, Tensor(5.)), of 1 -> (2.5, Tensor(1.), 2);
    # max / min of two 0-d Tensors 5., 3. -> Tensors 5., 3.; jit max(x, 2) of Tensor(5.) -> Tensor(5.)
    class Net(nn.Cell):
        def construct(self, x):
            return max(x, 2), min(x, 2)

    class Floats(nn.Cell):
        def construct(self, x):
            return max(x, 2.5), min(2.5, x), max((x, 2))

    net, floats = Net(), Floats()
    for _ in range(2):  # (the same Cells again: a trace specialised on one call's value answers the next one's)
        hi, lo = net(Tensor(5))
        assert isinstance(hi, Tensor) and int(hi.asnumpy()) == 5 and lo == 2 and not isinstance(lo, Tensor)
        hi, lo = net(Tensor(1))
        assert hi == 2 and not isinstance(hi, Tensor) and isinstance(lo, Tensor) and int(lo.asnumpy()) == 1
        got = floats(Tensor(np.float32(5)))
        assert float(got[0].asnumpy()) == 5.0 and got[1] == 2.5 and float(got[2].asnumpy()) == 5.0
        got = floats(Tensor(np.float32(1)))
        assert got[0] == 2.5 and float(got[1].asnumpy()) == 1.0 and got[2] == 2 and not isinstance(got[2], Tensor)

    class Two(nn.Cell):
        def construct(self, x, y):
            return max(x, y), min(x, y)

    hi, lo = Two()(Tensor(5.0), Tensor(3.0))
    assert float(hi.asnumpy()) == 5.0 and float(lo.asnumpy()) == 3.0

    @jit
    def f(x):
        return max(x, 2)

    assert float(f(Tensor(5.0)).asnumpy()) == 5.0


def test_any_all_of_traced_tensors_are_python_bools(on_real_server, graph_mode):
    # MindSpore 2.10: sum((x, 2)), any((x, 0)), all((x, 1)) of Tensor(3.0) -> (Tensor(5.), True, True) (Python bools;
    # gradserve gave bool Tensors); any(x), all(x) of Tensor([0., 2.]) -> (True, False)
    class Net(nn.Cell):
        def construct(self, x):
            return sum((x, 2)), any((x, 0)), all((x, 1)), any((x * 0, 0)), all((x, x * 0))

    s, *truths = Net()(Tensor(3.0))
    assert float(s.asnumpy()) == 5.0 and truths == [True, True, False, False]
    assert all(type(t) is bool for t in truths)

    class Elements(nn.Cell):
        def construct(self, x):
            return any(x), all(x)

    assert Elements()(Tensor(np.array([0.0, 2.0], np.float32))) == (True, False)


# -- a Cell whose __init__ skips super().__init__() -------------------------------------------------------------
def test_cell_without_super_init_refuses_parameters_as_mindspore():
    # benchmarks/mindspore_suite/README.md, seed 32's leftovers (gradserve answered [] / {} and took the Parameter).
    # MindSpore 2.10: `self.w = Parameter(...)` in such an __init__ -> AttributeError "For 'insert_param_to_cell',
    # please call Cell.__init__() firstly."; without one, trainable_params() / parameters_dict() -> AttributeError
    # "The 'N' object has no attribute '_params'.", a call -> AttributeError "The 'N' object does not inherit
    # attribute from 'cell'. Please use 'super().__init__()'."
    from gradserve import Parameter

    class WithParam(nn.Cell):
        def __init__(self):  # noqa: D107 - super().__init__() left out on purpose
            self.w = Parameter(Tensor(1.0), name="w")

    class N(nn.Cell):
        def __init__(self):
            pass

        def construct(self, x):
            return x

    with pytest.raises(AttributeError, match=r"^For 'insert_param_to_cell', please call Cell.__init__\(\) firstly\.$"):
        WithParam()
    n = N()
    for f in (n.trainable_params, n.parameters_dict):
        with pytest.raises(AttributeError, match=r"^The 'N' object has no attribute '_params'\.$"):
            f()
    with pytest.raises(AttributeError, match=r"does not inherit attribute from 'cell'\. Please use 'super\(\).__init__\(\)'"):
        n(Tensor(1.0))


# -- mutable sequences ---------------------------------------------------------------------------------------------
def test_index_of_an_empty_mutable_sequence_in_a_graph(on_real_server):
    # seed 31's leftovers (gradserve: IndexError, the empty sequence left unmarked). MindSpore 2.10, jit:
    # mutable(())[0] -> ValueError "For primitive:'TupleGetItem', cannot get item by index from an empty sequence.",
    # mutable([])[0] -> the same with 'list_getitem'
    from gradserve.common import mutable

    @jit
    def of_tuple():
        return mutable(())[0]

    @jit
    def of_list():
        return mutable([])[0]

    for f, prim in ((of_tuple, "TupleGetItem"), (of_list, "list_getitem")):
        with pytest.raises(ValueError, match=rf"^For primitive:'{prim}', cannot get item by index from an empty sequence\.$"):
            f()


# -- nested @jit functions -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_nested_jit_functions_pass_dicts_lists_and_none(on_real_server, mode):
    # MindSpore 2.10 (GRAPH_MODE and PYNATIVE_MODE alike): outer(Tensor([1., 2.])) -> (Tensor([2., 4.]), None,
    # [Tensor([4., 6.]), Tensor([3., 6.])]); inner called alone with {"a": 1., "b": 2.}, [3., 4.] -> {'s': 4., 'n':
    # None, 'l': [8., 2.]}; maybe(Tensor(2.)) -> ((2., None), (4., [2.]))
    context.set_context(mode=context.GRAPH_MODE if mode == "graph" else context.PYNATIVE_MODE)

    @jit
    def inner(d, lst):
        return {"s": d["a"] + lst[0], "n": None, "l": [lst[1] * 2, d["b"]]}

    @jit
    def outer(x):
        r = inner({"a": x, "b": x * 3}, [x, x + 1])
        return r["s"], r["n"], r["l"]

    @jit
    def optional(x, y=None):
        if y is None:
            return x, None
        return x + y, [y]

    @jit
    def maybe(x):
        return optional(x), optional(x, x)

    s, n, lst = outer(Tensor(np.array([1.0, 2.0], np.float32)))
    assert n is None and isinstance(lst, list)
    np.testing.assert_array_equal(s.asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal([t.asnumpy() for t in lst], [[4.0, 6.0], [3.0, 6.0]])
    got = inner({"a": Tensor(1.0), "b": Tensor(2.0)}, [Tensor(3.0), Tensor(4.0)])
    assert set(got) == {"s", "n", "l"} and got["n"] is None
    assert float(got["s"].asnumpy()) == 4.0 and [float(t.asnumpy()) for t in got["l"]] == [8.0, 2.0]
    (a, none), (b, [y]) = maybe(Tensor(2.0))
    assert none is None and (float(a.asnumpy()), float(b.asnumpy()), float(y.asnumpy())) == (2.0, 4.0, 2.0)


def test_a_list_display_times_a_mutable_int_is_dynamic_length(on_real_server):
    # seed 31's leftovers (gradserve: a plain list, (False, False)). MindSpore 2.10, jit: [1, 2] * mutable(5) ->
    # [1, 2, 1, 2, 1, 2, 1, 2, 1, 2], F.is_sequence_shape_unknown True, is_sequence_value_unknown True
    from gradserve.common import mutable
    from gradserve.ops import functional as F

    @jit
    def f():
        a = [1, 2] * mutable(5)
        return a, F.is_sequence_shape_unknown(a), F.is_sequence_value_unknown(a), (3,) * 2, 2 * [4]

    a, shape_unknown, value_unknown, t, lst = f()
    assert list(a) == [1, 2] * 5 and (shape_unknown, value_unknown) == (True, True)
    assert tuple(t) == (3, 3) and list(lst) == [4, 4]
