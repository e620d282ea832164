"""MindSpore leftovers, round 34 (h-left34; benchmarks/mindspore_suite/README.md, "Leftovers, round 34").

Expected values and texts: MindSpore 2.10 (CPU) runs for this task in its own venv (/work/msvenv; the probes are
/work/scratch_left34/p*.py, each a @jit function called in PYNATIVE_MODE and in GRAPH_MODE, or a Cell in GRAPH_MODE),
written here as literals."""
import numpy as np
import pytest

from clients._ms_shim import in_mode, mindspore_is_gradserve  # noqa: F401  (the fixture: `import mindspore` is gradserve)

BOTH = (False, True)


def _vals(out):
    return [float(np.asarray(o.asnumpy()).reshape(-1)[0]) for o in (out if isinstance(out, tuple) else (out,))]


# -- 1. extend / pop / insert / reverse / += of a list in a graph: a new value of that name alone -----------------
def _alias_programs(ms):
    @ms.jit
    def ext(x):
        y = [1]
        z = y
        z.extend([3, 4])
        return x * len(y), x * len(z)

    @ms.jit
    def pop(x):
        y = [1, 2, 3]
        z = y
        v = z.pop(0)
        return x * len(y), x * y[0], x * z[0], x * v

    @ms.jit
    def ins(x):
        y = [1, 2]
        z = y
        z.insert(0, 7)
        return x * len(y), x * y[0], x * z[0]

    @ms.jit
    def rev(x):
        y = [1, 2]
        z = y
        z.reverse()
        return x * y[0], x * z[0]

    @ms.jit
    def iadd(x):
        y = [1]
        z = y
        z += [5, 6]
        return x * len(y), x * len(z)

    @ms.jit
    def iadd_then_extend(x):
        y = [1, 2]
        z = y
        z += [3]
        z.extend([4])
        return x * len(y), x * len(z)
    # MindSpore 2.10, both modes
    return ((ext, [1.0, 3.0]), (pop, [3.0, 1.0, 2.0, 1.0]), (ins, [2.0, 1.0, 7.0]), (rev, [1.0, 2.0]),
            (iadd, [1.0, 3.0]), (iadd_then_extend, [2.0, 4.0]))


def test_local_alias_keeps_its_list(mindspore_is_gradserve):
    import mindspore as ms
    x = ms.Tensor(np.array([1.0], np.float32))
    for graph in BOTH:
        for f, want in _alias_programs(ms):
            assert _vals(in_mode(graph, lambda: f(x))) == want, (graph, f.__name__)


def _argument_programs(ms):
    @ms.jit
    def direct(x, lst, op):
        if op == "ext":
            lst.extend([3])
        elif op == "pop":
            lst.pop()
        elif op == "ins":
            lst.insert(0, 9)
        elif op == "rev":
            lst.reverse()
        else:
            lst += [3]
        return x * len(lst), x * lst[0]

    @ms.jit
    def aliased(x, lst, op):
        z = lst
        if op == "ext":
            z.extend([3])
        elif op == "pop":
            z.pop()
        elif op == "ins":
            z.insert(0, 9)
        elif op == "rev":
            z.reverse()
        else:
            z += [3]
        return x * len(lst), x * lst[0], x * len(z)
    return direct, aliased


# MindSpore 2.10, both modes: (the graph's values, the caller's list after) for lst = [1, 2]
_DIRECT = {"ext": ([3.0, 1.0], [1, 2, 3]), "pop": ([1.0, 1.0], [1]), "ins": ([3.0, 9.0], [9, 1, 2]),
           "rev": ([2.0, 2.0], [2, 1]), "iadd": ([3.0, 1.0], [1, 2])}
_ALIASED = {"ext": ([2.0, 1.0, 3.0], [1, 2, 3]), "pop": ([2.0, 1.0, 1.0], [1]), "ins": ([2.0, 1.0, 3.0], [9, 1, 2]),
            "rev": ([2.0, 1.0, 2.0], [2, 1]), "iadd": ([2.0, 1.0, 3.0], [1, 2])}


def test_argument_list_changed_after_the_graph_read_it(mindspore_is_gradserve):
    import mindspore as ms
    x = ms.Tensor(np.array([1.0], np.float32))
    direct, aliased = _argument_programs(ms)
    for graph in BOTH:
        for f, table in ((direct, _DIRECT), (aliased, _ALIASED)):
            for op, (want, after) in table.items():
                lst = [1, 2]
                assert _vals(in_mode(graph, lambda: f(x, lst, op))) == want, (graph, f.__name__, op)
                assert lst == after, (graph, f.__name__, op)


def test_closure_module_and_attribute_lists_through_an_alias(mindspore_is_gradserve):
    import mindspore as ms
    from mindspore import nn
    x = ms.Tensor(np.array([1.0], np.float32))

    def closure():
        cl = [1, 2]

        @ms.jit
        def f(x):
            z = cl
            z.insert(0, 9)
            return x * len(cl), x * cl[0], x * len(z)
        return f, cl

    class Attr(nn.Cell):
        def __init__(self):
            super().__init__()
            self.lst = [1, 2]

        def construct(self, x):
            z = self.lst
            z.extend([3])
            return x * len(self.lst), x * self.lst[0], x * len(z)

    for graph in BOTH:
        f, cl = closure()
        assert _vals(in_mode(graph, lambda: f(x))) == [2.0, 1.0, 3.0]  # MindSpore 2.10
        assert cl == [9, 1, 2]
    cell = Attr()
    assert _vals(in_mode(True, lambda: cell(x))) == [2.0, 1.0, 3.0]  # MindSpore 2.10 GRAPH_MODE
    assert cell.lst == [1, 2, 3]


def test_returned_list_is_the_callers_object(mindspore_is_gradserve):
    import mindspore as ms

    @ms.jit
    def ret_alias(lst):
        z = lst
        z.extend([3])
        return z

    @ms.jit
    def ret_item(t):
        y = t[0]
        y.extend([3])
        return y, len(t[0])

    @ms.jit
    def twice(lst):
        z = lst
        z.pop()
        z.pop()
        return len(z), len(lst)

    for graph in BOTH:  # MindSpore 2.10: the very object comes back, changed
        lst = [1, 2]
        assert in_mode(graph, lambda: ret_alias(lst)) is lst and lst == [1, 2, 3]
        tup = ([1, 2], 2)
        out = in_mode(graph, lambda: ret_item(tup))
        assert out[0] is tup[0] and tup == ([1, 2, 3], 2) and out[1] == 2
        lst = [1, 2, 3]
        assert in_mode(graph, lambda: twice(lst)) == (1, 3) and lst == [1]


# -- 2. a functional op on two Python numbers in a graph: Int32 (wrapping), an int pair's true division Float64 ---
_NUMBER_PAIRS = {  # MindSpore 2.10, a @jit function (PyNative or GRAPH_MODE) and a GRAPH_MODE construct alike
    "mul": (lambda ops: ops.mul(3, 4), "Int32", 12), "add": (lambda ops: ops.add(3, 4), "Int32", 7),
    "sub": (lambda ops: ops.sub(3, 4), "Int32", -1), "pow": (lambda ops: ops.pow(2, 10), "Int32", 1024),
    "pow_neg": (lambda ops: ops.pow(2, -1), "Int32", 0), "maximum": (lambda ops: ops.maximum(3, 4), "Int32", 4),
    "floor_div": (lambda ops: ops.floor_div(7, 2), "Int32", 3), "floor_mod": (lambda ops: ops.floor_mod(7, 3), "Int32", 1),
    "add_bool": (lambda ops: ops.add(True, 2), "Int32", 3),
    "mul_wraps": (lambda ops: ops.mul(2**31 - 1, 2), "Int32", -2),
    "add_wraps": (lambda ops: ops.add(2**31 - 1, 1), "Int32", -2147483648),
    "mul_2_40": (lambda ops: ops.mul(2**40, 3), "Int32", 0),
    "div": (lambda ops: ops.div(3, 4), "Float64", 0.75), "true_divide": (lambda ops: ops.true_divide(3, 4), "Float64", 0.75),
    "div_zero": (lambda ops: ops.div(1, 0), "Float64", float("inf")),
    "div_floats": (lambda ops: ops.div(3.0, 4.0), "Float32", 0.75), "mul_int_float": (lambda ops: ops.mul(3, 4.5), "Float32", 13.5),
    "gt": (lambda ops: ops.gt(3, 4), "Bool", False),
}
# MindSpore 2.10 outside a graph (both modes): Int64, unwrapped, the true division Float32
_EAGER = {"mul": ("Int64", 12), "mul_wraps": ("Int64", 4294967294), "mul_2_40": ("Int64", 3298534883328),
          "div": ("Float32", 0.75), "true_divide": ("Float32", 0.75), "add_bool": ("Int64", 3)}


def test_two_python_numbers_in_a_graph(mindspore_is_gradserve):
    import mindspore as ms
    from mindspore import nn, ops

    x = ms.Tensor(np.float32(1))
    for name, (expr, dtype, value) in _NUMBER_PAIRS.items():
        jitted = ms.jit(lambda x, expr=expr: expr(ops))

        class Net(nn.Cell):
            def construct(self, x, expr=expr):
                return expr(ops)
        for graph in BOTH:
            for f in ((jitted, Net()) if graph else (jitted,)):
                out = in_mode(graph, lambda f=f: f(x))
                assert (str(out.dtype), out.asnumpy().item()) == (dtype, value), (name, graph, f)
    for name, (dtype, value) in _EAGER.items():
        for graph in BOTH:
            out = in_mode(graph, lambda name=name: _NUMBER_PAIRS[name][0](ops))
            assert (str(out.dtype), out.asnumpy().item()) == (dtype, value), (name, graph)


# -- 3. GRAPH_MODE write-back of an input written after an `if` whose side wrote another input ------------------
def _after_if_cells(nn):
    class ThenY(nn.Cell):  # `if x > 1: x += 2` then `y += 10`, three return expressions
        def __init__(self, ret):
            super().__init__()
            self.ret = ret

        def construct(self, x, y):
            if x > 1:
                x += 2
            y += 10
            if self.ret == "x":
                return x
            if self.ret == "y":
                return y
            return x + y

    class ThenX(nn.Cell):  # `if y > 1: y += 1` then `x += 1`
        def __init__(self, ret):
            super().__init__()
            self.ret = ret

        def construct(self, x, y):
            if y > 1:
                y += 1
            x += 1
            if self.ret == "x":
                return x
            if self.ret == "y":
                return y
            return x + y
    return ThenY, ThenX


# MindSpore 2.10 GRAPH_MODE (/work/scratch_left34/p3b.py): (x, y) -> (output, the caller's x, y after)
_AFTER_IF = {
    ("ThenY", "x"): {(0.0, 5.0): (0.0, 0.0, 15.0), (5.0, 0.0): (7.0, 7.0, 10.0)},
    ("ThenY", "y"): {(0.0, 5.0): (15.0, 0.0, 5.0), (5.0, 0.0): (10.0, 7.0, 0.0)},  # returned alone: not written
    ("ThenY", "x + y"): {(0.0, 5.0): (15.0, 0.0, 15.0), (5.0, 0.0): (17.0, 7.0, 10.0)},
    ("ThenX", "x"): {(0.0, 5.0): (1.0, 0.0, 6.0), (5.0, 0.0): (6.0, 5.0, 0.0)},  # returned alone: not written
    ("ThenX", "y"): {(0.0, 5.0): (6.0, 1.0, 6.0), (5.0, 0.0): (0.0, 6.0, 0.0)},
    ("ThenX", "x + y"): {(0.0, 5.0): (7.0, 1.0, 6.0), (5.0, 0.0): (6.0, 6.0, 0.0)},
}


def test_input_written_after_an_if_that_wrote_another(mindspore_is_gradserve):
    import mindspore as ms
    from mindspore import nn
    cells = dict(zip(("ThenY", "ThenX"), _after_if_cells(nn)))
    for (cls, ret), table in _AFTER_IF.items():
        for (a, b), want in table.items():
            x, y = ms.Tensor(np.float32(a)), ms.Tensor(np.float32(b))
            out = in_mode(True, lambda: cells[cls](ret)(x, y))
            assert (out.asnumpy().item(), x.asnumpy().item(), y.asnumpy().item()) == want, (cls, ret, a, b)


# -- 4. ops.randint_like, mindspore.numpy.float_power's dtype, argwhere / nonzero of a 0-d Tensor ----------------
def test_randint_like(mindspore_is_gradserve):
    import mindspore as ms
    from mindspore import ops
    xi, xf = ms.Tensor(np.zeros((2, 3), np.int32)), ms.Tensor(np.zeros((4,), np.float32))
    out = ops.randint_like(xi, 5, 8, seed=3)
    assert str(out.dtype) == "Int32" and out.shape == (2, 3)  # MindSpore 2.10: input's dtype and shape
    assert set(out.asnumpy().ravel().tolist()) <= {5, 6, 7}
    again = ops.randint_like(xi, 5, 8, seed=3)  # a seed's sequence advances (MindSpore 2.10: [6, 7, 6, 7] then others)
    big = [ops.randint_like(ms.Tensor(np.zeros((64,), np.int32)), 0, 1000, seed=3).asnumpy() for _ in range(2)]
    assert not np.array_equal(*big) and again.shape == (2, 3)
    assert str(ops.randint_like(xf, 0, 10, seed=1, dtype=ms.int64).dtype) == "Int64"
    assert str(ops.randint_like(ms.Tensor(np.zeros((3,), np.int8)), 0, 10, seed=1).dtype) == "Int8"
    # MindSpore 2.10's refusals, class and text
    cases = [((xf, 0, 10), {}, ValueError, "For 'randint_like', the 'dtype' must be an int type, but got Float32."),
             ((xi, 0, 10), {"dtype": ms.float32}, ValueError,
              "For 'randint_like', the 'dtype' must be an int type, but got Float32."),
             ((ms.Tensor(np.zeros((3,), np.uint8)), 0, 10), {}, ValueError,
              "For 'randint_like', the 'dtype' must be an int type, but got UInt8."),
             ((xi, 10, 0), {}, RuntimeError, "For 'Random', invalid min/max values: (10/0)"),
             ((xi, 3, 3), {}, RuntimeError, "For 'Random', invalid min/max values: (3/3)"),
             ((xi, 0.5, 10), {}, TypeError, "For 'randint_like', 'low' must be an int, but got <class 'float'>."),
             (([1, 2], 0, 10), {}, TypeError, "For 'randint_like', the 'input' must be a Tensor, but got <class 'list'>"),
             ((xi, 0, 10), {"seed": "a"}, TypeError, "For 'randint_like', the 'seed' must be int, but got 'str'")]
    for args, kwargs, cls, text in cases:
        with pytest.raises(cls) as e:
            ops.randint_like(*args, **kwargs)
        assert str(e.value) == text


def test_numpy_float_power_is_float32(mindspore_is_gradserve):
    import mindspore as ms
    import mindspore.numpy as mnp
    for dt in (np.float64, np.float32, np.float16, np.int32):
        a, b = ms.Tensor(np.array([2, 3], dt)), ms.Tensor(np.array([2, 1], dt))
        out = mnp.float_power(a, b)
        assert str(out.dtype) == "Float32" and out.asnumpy().tolist() == [4.0, 3.0]  # MindSpore 2.10
    out = mnp.float_power(ms.Tensor(np.array([2.0, 3.0])), ms.Tensor(np.array([2.0, 0.5])))
    assert str(out.dtype) == "Float32"
    np.testing.assert_array_equal(out.asnumpy(), np.float32([4.0, np.sqrt(3.0)]))  # MindSpore 2.10: 1.7320507764816284


def test_argwhere_of_a_0d_tensor(mindspore_is_gradserve):
    import mindspore as ms
    from mindspore import ops
    t = ms.Tensor(np.float32(1))
    for f in (lambda: ops.argwhere(t), lambda: ops.nonzero(t), lambda: t.nonzero(), lambda: t.argwhere()):
        with pytest.raises(RuntimeError, match="^Launch kernel failed, name: NonZero"):  # MindSpore 2.10 (PyNative)
            f()
    with pytest.raises(RuntimeError, match="^Simple infer info size must greater than 1, but got 0$"):
        ops.nonzero(t, as_tuple=True)
    assert ops.argwhere(ms.Tensor(np.array([0, 1, 2], np.float32))).asnumpy().tolist() == [[1], [2]]


def test_equal_and_less_refuse_two_numbers(mindspore_is_gradserve):
    from mindspore import ops
    # MindSpore 2.10 (PyNative; its GRAPH_MODE refuses too, in other words): ops.equal / ops.less take no two numbers
    with pytest.raises(TypeError) as e:
        ops.equal(1.5, 2)
    assert str(e.value) == ('Failed calling Equal with "Equal()(input=float, other=int)".\nThe valid calling should be: '
                            '\n"Equal()(input=<Tensor>, other=<Number, Tensor>)".')
    with pytest.raises(TypeError) as e:
        ops.lt(True, 2.5)
    assert str(e.value) == (
        'Failed calling less with "less(bool, float)".\nThe valid calling should be:\n"less(input=<Tensor>, '
        'other=<Number>)"\n    match failed because invalid types: (bool, float)\n                                    '
        '     ~~~~~~       \n"less(input=<Tensor>, other=<Number, Tensor, bool>)"\n    match failed because invalid '
        'types: (bool, float)\n                                         ~~~~~~~~~~~~~')
    # ... where gt / ne / le / ge answer them (MindSpore 2.10: 0-d Bool Tensors)
    assert [bool(f(1, 2).asnumpy()) for f in (ops.gt, ops.ne, ops.le, ops.ge)] == [False, True, True, False]


# -- 6. more graph Python semantics -----------------------------------------------------------------------------
def test_sort_and_remove_leave_the_list_in_a_graph(mindspore_is_gradserve):
    import mindspore as ms

    @ms.jit
    def local(x):
        a = [3, 1, 2]
        a.sort()
        b = [3, 1, 2]
        b.remove(1)
        c = [1, 2, 3]
        c.sort(reverse=True)
        return a, sorted(a), b, [v * 2 for v in c if v > 1]

    @ms.jit
    def argument(x, lst):
        lst.sort()
        return lst

    @ms.jit
    def dict_methods(x):
        d = {"a": 1}
        d.setdefault("c", 9)
        d.update({"b": 2})
        return d

    x = ms.Tensor(np.float32(1))
    for graph in BOTH:  # MindSpore 2.10: setdefault leaves the dict, update changes it
        assert in_mode(graph, lambda: dict_methods(x)) == {"a": 1, "b": 2}
    for graph in BOTH:  # MindSpore 2.10: every list as it was (sorted() still sorts)
        assert in_mode(graph, lambda: local(x)) == ([3, 1, 2], [1, 2, 3], [3, 1, 2], [4, 6])
        lst = [3, 1, 2]
        assert in_mode(graph, lambda: argument(x, lst)) == [3, 1, 2] and lst == [3, 1, 2]


def test_int_power_with_a_negative_exponent_in_a_graph(mindspore_is_gradserve):
    import mindspore as ms

    @ms.jit
    def powers(x):
        return 2 ** -1, (-2) ** -1, 1 ** -2, (-1) ** -3, 2 ** -2, 4 ** 0, 2.0 ** -1, 3 ** -1, 2 ** 3

    x = ms.Tensor(np.float32(1))
    for graph in BOTH:  # MindSpore 2.10: an int, truncated toward 0; a float operand keeps Python's
        out = in_mode(graph, lambda: powers(x))
        assert out == (0, 0, 1, -1, 0, 1, 0.5, 0, 8) and [type(v) for v in out] == [int] * 6 + [float, int, int]
    assert 2 ** -1 == 0.5  # (outside a graph: Python's)
