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
