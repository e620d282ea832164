"""MindSpore leftovers, round 35 (h-left35; benchmarks/mindspore_suite/README.md, "Leftovers, round 35").

Expected values and texts: MindSpore 2.10 (CPU) runs for this task in its own venv (/work/msvenv; the probes are
/work/scratch_left35/p*.py, each a Cell in GRAPH_MODE and a @jit function in PYNATIVE_MODE and GRAPH_MODE), written
here as literals."""
import numpy as np
import pytest

from clients._ms_shim import in_mode, mindspore_is_gradserve  # noqa: F401  (the fixture: `import mindspore` is gradserve)


# -- 1. a name one side of an `if` rebinds, the other keeps: later in-place writes reach the argument there -----
def f_a(x):
    if x > 1:
        x = x + 2
    x += 3
    return x


def f_mul(x):
    if x > 1:
        x = x * 2
    x -= 1
    return x


def f_else(x):
    if x > 1:
        x += 2
    else:
        x = x * 1
    x += 3
    return x


def f_elif(x):
    if x > 5:
        x = x * 2
    elif x > 1:
        x -= 1
    x += 3
    return x


def f_nested(x):
    if x > 1:
        if x > 3:
            x = x + 2
    x += 3
    return x


def f_nested2(x):
    if x > 1:
        if x > 3:
            x = x + 2
        x += 1
    x += 3
    return x


def f_loop(x):
    for _ in range(2):
        if x > 1:
            x = x + 2
        x += 3
    return x


def f_alias(x):
    z = x
    if x > 1:
        z = z + 2
    z += 3
    return z


def f_twice(x):
    if x > 1:
        x = x + 2
    x += 3
    x.add_(1)
    return x


def f_two(x, y):  # (another argument bound on a side: its writes are not followed)
    if x > 1:
        x = y
    x += 3
    return x


def f_while(x):  # (a while body's rebinding: not followed)
    while x < 4:
        x = x + 2
    x += 3
    return x


# MindSpore 2.10, the same in a GRAPH_MODE Cell and a jit function in both modes: {x: (output, x after the call)}
REBIND = {f_a: {0: (3, 3), 2: (7, 2), 5: (10, 5)}, f_mul: {0: (-1, -1), 2: (3, 2), 5: (9, 5)},
          f_else: {0: (3, 0), 2: (7, 7), 5: (10, 10)}, f_elif: {0: (3, 3), 2: (4, 4), 5: (7, 7)},
          f_nested: {0: (3, 3), 2: (5, 5), 5: (10, 5)}, f_nested2: {0: (3, 3), 2: (6, 6), 5: (11, 5)},
          f_loop: {0: (8, 3), 2: (12, 2), 5: (15, 5)}, f_alias: {0: (3, 3), 2: (7, 2), 5: (10, 5)},
          f_twice: {0: (4, 4), 2: (8, 2), 5: (11, 5)}, f_two: {0: (3, 3), 2: (13, 2), 5: (13, 5)},
          f_while: {0: (7, 0), 2: (7, 2), 5: (8, 5)}}


def _callers(ms, f):
    class Net(ms.nn.Cell):
        def construct(self, *a):
            return f(*a)
    return (("cell", True, Net()), ("jit", False, ms.jit(f)), ("jit", True, ms.jit(f)))


def test_if_rebinding_one_side_writes_back_where_the_other_side_ran(mindspore_is_gradserve):
    import mindspore as ms
    for f, want in REBIND.items():
        for kind, graph, fn in _callers(ms, f):
            for v, (out, after) in want.items():
                x, y = ms.Tensor(np.float32(v)), ms.Tensor(np.float32(10.0))
                r = in_mode(graph, lambda: fn(x, y) if f is f_two else fn(x))
                got = (float(r.asnumpy()), float(x.asnumpy()), float(y.asnumpy()))
                assert got == (out, after, 10.0), (f.__name__, kind, graph, v)


def test_if_rebinding_then_item_assignment_leaves_the_argument(mindspore_is_gradserve):
    import mindspore as ms

    def f_sub(x):
        if x[0] > 1:
            x = x + 2
        x[1] = 7.0
        return x
    for kind, graph, fn in _callers(ms, f_sub):
        for v in (0.0, 2.0, 5.0):
            x = ms.Tensor(np.array([v, 0.0], np.float32))
            r = in_mode(graph, lambda: fn(x))
            # MindSpore 2.10: out [v or v + 2, 7], x unchanged
            assert r.asnumpy().tolist() == [v + 2 if v > 1 else v, 7.0] and x.asnumpy().tolist() == [v, 0.0], (kind, v)


# -- 2. one Tensor given twice: a write through one argument is the other's ------------------------------------
def g_add(a, b):
    a.add_(5)
    return a + b


def g_both(a, b):
    a += 1
    b += 10
    return a + b


def g_after(a, b):
    a += 1
    return b * 1


def test_same_tensor_twice_shares_its_writes(mindspore_is_gradserve):
    import mindspore as ms
    # MindSpore 2.10 (a GRAPH_MODE Cell, a jit function in both modes), v = 2: (output, v after) per call
    want = {g_add: [(14.0, 7.0), (24.0, 12.0)], g_both: [(26.0, 13.0), (48.0, 24.0)],
            g_after: [(3.0, 3.0), (4.0, 4.0)]}
    for f, calls in want.items():
        for kind, graph, fn in _callers(ms, f):
            v = ms.Tensor(np.float32(2.0))
            for out, after in calls:
                r = in_mode(graph, lambda: fn(v, v))
                assert (float(r.asnumpy()), float(v.asnumpy())) == (out, after), (f.__name__, kind, graph)
            w = ms.Tensor(np.float32(2.0))  # (two objects after the cached (v, v) trace: no sharing)
            r = in_mode(graph, lambda: fn(v, w))
            assert float(w.asnumpy()) == {g_add: 2.0, g_both: 12.0, g_after: 2.0}[f], (f.__name__, kind, graph)


def test_parameter_twice_shares_its_writes(mindspore_is_gradserve):
    import mindspore as ms

    class Net(ms.nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = ms.Parameter(ms.Tensor(np.float32(3.0)), name="w")

        def construct(self, a, b):
            a += 1
            return a * b
    net = Net()
    r = in_mode(True, lambda: net(net.w, net.w))
    assert (float(r.asnumpy()), float(net.w.asnumpy())) == (16.0, 4.0)  # MindSpore 2.10's GRAPH_MODE
    net = Net()
    r = in_mode(False, lambda: net(net.w, net.w))
    assert (float(r.asnumpy()), float(net.w.asnumpy())) == (12.0, 3.0)  # its PyNative: `a += 1` rebinds a
    for graph in (False, True):
        p = ms.Parameter(ms.Tensor(np.float32(3.0)), name="p")
        r = in_mode(graph, lambda: ms.jit(g_both)(p, p))
        assert (float(r.asnumpy()), float(p.asnumpy())) == (28.0, 14.0), graph  # MindSpore 2.10, both modes


# -- 3. a cached graph's changes to lists from outside it: call by call ------------------------------------------
G = [1, 2]


def test_outside_list_changes_call_by_call(mindspore_is_gradserve):
    import mindspore as ms

    class ItemAttr(ms.nn.Cell):
        def __init__(self):
            super().__init__()
            self.lst = [1, 2]

        def construct(self, x):
            self.lst[0] = 9
            return x * self.lst[0]

    class AugItemAttr(ItemAttr):
        def construct(self, x):
            self.lst[0] += 1
            return x * self.lst[0]

    class AppendAttr(ItemAttr):
        def construct(self, x):
            if x > 0:
                x = x * 1
            self.lst.append(3)
            return x * len(self.lst)

    class AugItemGlobal(ItemAttr):
        def construct(self, x):
            G[0] += 1
            return x * G[0]

    class Counter(ItemAttr):
        def __init__(self):
            super().__init__()
            self.n = 0

        def construct(self, x):
            self.n = self.n + 1
            return x * self.n

    # MindSpore 2.10's GRAPH_MODE, three calls each: the outputs, then the list / counter after
    want = {ItemAttr: ([9, 9, 9], [1, 2]), AugItemAttr: ([2, 2, 2], [1, 2]), AppendAttr: ([2, 2, 2], [1, 2]),
            AugItemGlobal: ([2, 2, 2], [1, 2]), Counter: ([1, 2, 3], 3)}
    for cls, (outs, after) in want.items():
        G[:] = [1, 2]
        net = cls()
        got = [float(in_mode(True, lambda: net(ms.Tensor(np.float32(1.0)))).asnumpy()) for _ in range(3)]
        seen = net.n if cls is Counter else G if cls is AugItemGlobal else net.lst
        assert (got, seen) == (outs, after), cls.__name__

    @ms.jit
    def aug_item(x):
        G[0] += 1
        return x * G[0]
    for graph in (False, True):
        G[:] = [1, 2]
        assert [float(in_mode(graph, lambda: aug_item(ms.Tensor(np.float32(1.0)))).asnumpy()) for _ in range(2)] \
            == [2.0, 2.0] and G == [1, 2], graph  # MindSpore 2.10, both modes


# -- 4. an nn.CellList / SequentialCell indexed by a Tensor ------------------------------------------------------
def _switch_net(ms, kind):
    class Scale(ms.nn.Cell):
        def __init__(self, v):
            super().__init__()
            self.w = ms.Parameter(ms.Tensor(np.float32(v)), name="w%d" % int(v))

        def construct(self, x):
            return x * self.w

    class Net(ms.nn.Cell):
        def __init__(self):
            super().__init__()
            cells = [Scale(2.0), Scale(3.0), Scale(5.0)]
            self.layers = ms.nn.CellList(cells) if kind == "list" else ms.nn.SequentialCell(cells)

        def construct(self, x, i):
            return self.layers[i](x)
    return Net()


def test_celllist_indexed_by_a_tensor(mindspore_is_gradserve):
    import mindspore as ms
    x = ms.Tensor(np.float32(1.5))
    # MindSpore 2.10's GRAPH_MODE (switch_layer): index -> (output, d/dx, d/dw of each Cell's weight)
    want = {0: (3.0, 2.0, [1.5, 0.0, 0.0]), 2: (7.5, 5.0, [0.0, 0.0, 1.5]), -1: (7.5, 5.0, [0.0, 0.0, 1.5])}
    for i, (out, gx, gw) in want.items():
        net = _switch_net(ms, "list")
        idx = ms.Tensor(np.int32(i))
        r = in_mode(True, lambda: net(x, idx))
        g = in_mode(True, lambda: ms.grad(net, grad_position=0, weights=net.trainable_params())(x, idx))
        assert (float(r.asnumpy()), float(g[0].asnumpy()), [float(t.asnumpy()) for t in g[1]]) == (out, gx, gw), i
    net = _switch_net(ms, "list")
    with pytest.raises(IndexError, match=r"^Given index 5 out of range\. Please make sure the value of index in "
                                         r"\[-3, 3\), and the type is int32"):
        in_mode(True, lambda: net(x, ms.Tensor(np.int32(5))))
    with pytest.raises(TypeError, match=r"^For 'CellList', the type of 'index' must be int or slice, but got "
                                        r"Tensor\.$"):  # its PyNative
        in_mode(False, lambda: net(x, ms.Tensor(np.int32(0))))
    seq = _switch_net(ms, "seq")
    for graph in (False, True):
        with pytest.raises(TypeError, match=r"^For 'SequentialCell', the type of 'index' must be int, but got "
                                            r"Tensor\.$"):
            in_mode(graph, lambda: seq(x, ms.Tensor(np.int32(0))))


def test_recursion_on_a_traced_depth(mindspore_is_gradserve):
    import mindspore as ms

    class Rec(ms.nn.Cell):
        def construct(self, x, n):
            def f(x, n):
                if n <= 0:
                    return x
                return f(x * 2, n - 1)
            return f(x, n)
    for graph in (False, True):  # MindSpore 2.10, both modes: 8.0
        assert float(in_mode(graph, lambda: Rec()(ms.Tensor(np.float32(1.0)), ms.Tensor(np.int32(3)))).asnumpy()) \
            == 8.0


# -- 5. graph-mode Python: `del` -------------------------------------------------------------------------------
def test_del_is_refused_in_a_graph(mindspore_is_gradserve):
    import mindspore as ms

    def del_item(x, y):
        L = [x, y]
        del L[0]
        return L[0]

    def del_name(x, y):
        z = x
        del z
        return x

    text = r"^Unsupported statement 'Delete'\. More details please refer to syntax support at https://www\.mindspore\.cn"
    x, y = ms.Tensor(np.float32(2.0)), ms.Tensor(np.float32(5.0))
    for f in (del_item, del_name):
        for kind, graph, fn in _callers(ms, f):
            with pytest.raises(RuntimeError, match=text):  # MindSpore 2.10's (a jit function in both modes)
                in_mode(graph, lambda: fn(x, y))
        net = _callers(ms, f)[0][2]
        assert float(in_mode(False, lambda: net(x, y)).asnumpy()) == {del_item: 5.0, del_name: 2.0}[f]  # PyNative Cell


def test_nonlocal_is_refused_in_a_graph(mindspore_is_gradserve):
    import mindspore as ms

    def counter(x, y):
        n = 1

        def inner():
            nonlocal n
            n = n + 1
            return n
        inner()
        return x * n
    x, y = ms.Tensor(np.float32(2.0)), ms.Tensor(np.float32(5.0))
    for graph in (False, True):  # MindSpore 2.10's, a jit function in both modes
        with pytest.raises(RuntimeError, match=r"^Unsupported statement 'Nonlocal'\. More details please refer"):
            in_mode(graph, lambda: ms.jit(counter)(x, y))


def test_augmented_item_of_a_nested_list_writes_the_tensor(mindspore_is_gradserve):
    import mindspore as ms

    def nested(x, y):
        t = [[x, y]]
        t[0][1] -= 1
        return t[0][1], y

    def flat(x, y):
        L = [x, y]
        L[0] += L[1]
        return L[0], x
    for graph in (False, True):  # MindSpore 2.10, a jit function in both modes: in place on the item's Tensor
        x, y = ms.Tensor(np.float32(2.0)), ms.Tensor(np.float32(5.0))
        assert _vals(in_mode(graph, lambda: ms.jit(nested)(x, y))) + [float(y.asnumpy())] == [4.0, 4.0, 4.0]
        x, y = ms.Tensor(np.float32(2.0)), ms.Tensor(np.float32(5.0))
        assert _vals(in_mode(graph, lambda: ms.jit(flat)(x, y))) + [float(x.asnumpy())] == [7.0, 7.0, 7.0]


def test_print_with_an_fstring_of_a_tensor_is_pythons(mindspore_is_gradserve, capsys):
    import mindspore as ms

    def show(x, y, v):
        print("P1", x)
        print("P4", v)
        print("val", x, f"{y}")
        return x
    x, y = ms.Tensor(np.float32(2.0)), ms.Tensor(np.float32(5.5))
    v = ms.Tensor(np.array([1.0, 2.0], np.float32))
    for graph in (False, True):
        capsys.readouterr()
        in_mode(graph, lambda: ms.jit(show)(x, y, v))
        # MindSpore 2.10's stdout (a jit function, both modes): its Print op's lines, then its Python fallback's
        assert capsys.readouterr().out == ("P1\n2\nP4\nTensor(shape=[2], dtype=Float32, value=[ 1.00000000e+00  "
                                           "2.00000000e+00])\nval 2.0 5.5\n"), graph


def _vals(out):
    return [float(np.asarray(o.asnumpy()).reshape(-1)[0]) for o in (out if isinstance(out, tuple) else (out,))]
