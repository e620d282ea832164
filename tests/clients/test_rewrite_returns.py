"""An `if` on a traced value whose sides return is one cond of the engine (gradserve._rewrite's single exit).

The rewrite left such an `if` Python's, so bool() of its test went to the branch explorer, which re-runs the
whole traced function once per side: a helper with an early return called k times in one construct ran the
construct 2^(k+1) - 1 times (k = 5: 63 runs, 1.2 s on the shared 2-core box) and, past 64 paths, decided by
this call's values (a retrace per new pattern of branches). Now returns are a flag and a value, the code after
such an `if` runs under `if not returned:`, and construct runs once per trace whatever the inputs.

Expected values are NumPy's (the same float32 operations), closed forms and central finite differences; the
join errors and values marked so are MindSpore 2.10 CPU's (jit in GRAPH_MODE, run for this file).
"""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, nn, ops

JOIN_FAILED = "Cannot join the return values of different branches, perhaps you need to make them equal."


def _step(x):
    if x.sum() > 10:
        return x / 2
    return x * 1.5


def _step_np(x):
    return x / 2 if x.sum() > 10 else x * np.float32(1.5)


RUNS = []  # (a Cell attribute written in construct would be a side effect of each call: a list outside)


class _Steps(nn.Cell):
    """The repro: a helper with an early return called k times in one construct."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def construct(self, x):
        RUNS.extend([1])  # (extend: MindSpore 2.10 graphs write the list; not append)
        for _ in range(self.k):
            x = _step(x)
        return x


@pytest.mark.parametrize("k", range(1, 7))
def test_a_helper_with_an_early_return_called_k_times_traces_construct_once(fake, graph_mode, k):
    net = _Steps(k)
    RUNS.clear()
    for v in ([0.5, 1.0], [20.0, 1.0], [3.0, 4.0], [9.0, 2.5], [0.5, 1.0]):  # (sides mixed along the k steps)
        x = np.array(v, np.float32)
        want = x
        for _ in range(k):
            want = _step_np(want)
        np.testing.assert_array_equal(net(Tensor(x)).asnumpy(), want)
    assert len(RUNS) == 1, len(RUNS)  # one trace for all inputs (was 2^(k+1) - 1 for the first alone)


def _chain(x):
    if x.sum() > 3:
        return x * 2
    elif x.sum() > 1:
        y = x - 1
        if y.sum() > 0.5:
            return y
        y = y * 3
    else:
        return -x
    for i in range(3):
        if (x * i).sum() > 4:
            return x + i
    return y


def _chain_np(x):
    if x.sum() > 3:
        return x * 2
    if not x.sum() > 1:
        return -x
    y = x - 1
    if y.sum() > 0.5:
        return y
    for i in range(3):
        if (x * i).sum() > 4:
            return x + i
    return y * 3


# x * 2, y * 3, -x, x + 2 (the loop's return), y * 3, y (the nested if's): every way out
CHAIN_POINTS = ([2.0, 2.0], [1.0, 0.6], [0.1, 0.2], [1.2, 1.1], [1.4, 0.2], [1.45, 1.5])


def _numpys_values_from_one_trace(fn, fn_np, points):
    """jit(fn) at each point against NumPy's fn_np, bit for bit, and fn run once (one trace for them all)."""
    runs = []

    def counted(x):
        runs.extend([1])  # (extend: kept in a graph; an append there is a new list, MindSpore 2.10's)
        return fn(x)

    jf = gs.jit(counted)
    for v in points:
        x = np.array(v, np.float32)
        np.testing.assert_array_equal(jf(Tensor(x)).asnumpy(), fn_np(x), err_msg=str(v))
    assert len(runs) == 1


def test_if_elif_else_nested_ifs_and_a_loops_return_give_numpys_values_from_one_trace(fake, graph_mode):
    _numpys_values_from_one_trace(_chain, _chain_np, CHAIN_POINTS)


def _three_ways(x):
    if x.sum() > 1:
        return x * 2, x
    if x.sum() > 0.25:
        return x, x * 3
    return x - 1, x + 1


def _falls_off(x):
    if x.sum() > 1:
        return x
    y = x * 2
    if y.sum() > 0.5:
        return y


def _dead_of_another_structure(x):
    y = (x, x)
    if x.sum() > 1:
        y = x  # (a tuple after the `if`: only on the path that has returned)
        return y
    return y[0] * 2


@pytest.mark.parametrize("v, three_ways, falls_off, dead", [
    # MindSpore 2.10 CPU, jit in GRAPH_MODE: the same values (None where construct falls off its end)
    ([0.5, 1.0], ([1.0, 2.0], [0.5, 1.0]), [0.5, 1.0], [0.5, 1.0]),
    ([0.1, 0.2], ([0.1, 0.2], [0.3, 0.6]), [0.2, 0.4], [0.2, 0.4]),
    ([0.05, 0.05], ([-0.95, -0.95], [1.05, 1.05]), None, [0.1, 0.1]),
])
def test_tuples_none_and_names_dead_after_a_return_as_mindspore(fake, graph_mode, v, three_ways, falls_off, dead):
    x = Tensor(np.array(v, np.float32))
    a, b = gs.jit(_three_ways)(x)
    np.testing.assert_allclose(a.asnumpy(), three_ways[0], rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), three_ways[1], rtol=1e-6)
    out = gs.jit(_falls_off)(x)
    if falls_off is None:
        assert out is None
    else:
        np.testing.assert_allclose(out.asnumpy(), falls_off, rtol=1e-6)
    np.testing.assert_allclose(gs.jit(_dead_of_another_structure)(x).asnumpy(), dead, rtol=1e-6)


def _lists(x):
    if x.sum() > 1:
        return [x, x * 2]
    return [x * 3, x]


def test_lists_on_both_sides_join_in_one_trace(fake, graph_mode):
    runs = []

    def f(x):
        runs.extend([1])
        return _lists(x)

    jf = gs.jit(f)
    for v, want in (([0.5, 1.0], [[0.5, 1.0], [1.0, 2.0]]), ([0.1, 0.2], [[0.3, 0.6], [0.1, 0.2]])):
        out = jf(Tensor(np.array(v, np.float32)))
        assert isinstance(out, list)
        np.testing.assert_allclose([t.asnumpy() for t in out], want, rtol=1e-6)
    assert len(runs) == 1  # (the zeros the side that has not returned yet holds are a list, not a constant)


def _tensor_or_tuple(x):
    if x.sum() > 1:
        return x
    return x, x


def _tensor_or_list(x):
    if x.sum() > 1:
        return x
    return [x, x]


def _list_or_tuple(x):
    if x.sum() > 1:
        return [x, x]
    return x, x


def _number_or_tuple(x):
    if x.sum() > 1:
        return 1
    return (1, 2)


def _dict_or_tensor(x):
    if x.sum() > 1:
        return {"a": x}
    return x


def _tensor_or_pair_in_a_pair(x):
    if x.sum() > 1:
        return x, (x, x)
    return x, x


@pytest.mark.parametrize("f", [_tensor_or_tuple, _tensor_or_list, _list_or_tuple, _number_or_tuple, _dict_or_tensor,
                               _tensor_or_pair_in_a_pair])
@pytest.mark.parametrize("v", [[0.5, 1.0], [0.1, 0.2]])
def test_sides_returning_other_kinds_of_tree_are_mindsporess_join_type_error(fake, graph_mode, f, v):
    # MindSpore 2.10 CPU (jit, GRAPH_MODE): TypeError with this text for each, whichever side the value takes
    with pytest.raises(TypeError, match="Cannot join the return values of different branches"):
        gs.jit(f)(Tensor(np.array(v, np.float32)))


def _scaled_unless(x, n):
    if n > 2:
        return x * n
    return x - n


def test_an_if_on_a_python_value_stays_pythons(fake, graph_mode):
    runs = []

    def f(x, n):
        runs.extend([n])
        return _scaled_unless(x, n)

    x = np.array([1.0, 2.0], np.float32)
    np.testing.assert_array_equal(gs.jit(f)(Tensor(x), 3).asnumpy(), x * 3)
    np.testing.assert_array_equal(gs.jit(f)(Tensor(x), 1).asnumpy(), x - 1)
    assert runs == [3, 1]  # one trace for each n (a constant of the graph)


def _doubles_until(x):
    i = 0
    while i < 5:
        if x.sum() > 10:
            return x + i
        x = x * 2
        i += 1
    return x - 1


def _doubles_until_np(x):
    for i in range(5):
        if x.sum() > 10:
            return x + i
        x = x * 2
    return x - 1


def test_a_return_inside_a_loop_on_a_traced_test_composes(fake, graph_mode):
    _numpys_values_from_one_trace(_doubles_until, _doubles_until_np, ([1.0, 2.0], [20.0, 1.0], [0.01, 0.01]))


class _Base(nn.Cell):
    def construct(self, x):
        return x * 10


class _EarlyOrSuper(_Base):
    def construct(self, x):
        if x.sum() > 1:
            return x
        y = super().construct(x)  # (zero-argument super() in the code after the return)
        return y + 1


def test_zero_argument_super_after_an_early_return(fake, graph_mode):
    net = _EarlyOrSuper()
    np.testing.assert_array_equal(net(Tensor(np.array([0.5, 1.0], np.float32))).asnumpy(), [0.5, 1.0])
    np.testing.assert_allclose(net(Tensor(np.array([0.1, 0.2], np.float32))).asnumpy(), [2.0, 3.0], rtol=1e-6)


# -- gradients ---------------------------------------------------------------------------------------------
def _cube_or_square(x):
    if x.sum() > 1:
        return (x ** 3).sum()
    return (x * x).sum()


@pytest.mark.parametrize("mode", ["graph_mode", "pynative"])
def test_grads_of_each_side_first_and_second_order(fake, request, mode):
    request.getfixturevalue(mode)
    for v in ([0.5, 1.0], [0.1, 0.2]):
        x = np.array(v, np.float32)
        big = x.sum() > 1
        value, g = ops.value_and_grad(_cube_or_square)(Tensor(x))
        np.testing.assert_allclose(value.asnumpy(), (x ** 3).sum() if big else (x * x).sum(), rtol=1e-6)
        np.testing.assert_allclose(g.asnumpy(), 3 * x * x if big else 2 * x, rtol=1e-6)
        gg = ops.grad(ops.grad(_cube_or_square))(Tensor(x))  # d/dx of the sum of the gradient
        np.testing.assert_allclose(gg.asnumpy(), 6 * x if big else np.full_like(x, 2), rtol=1e-6)


def test_grads_through_every_way_out_match_finite_differences(fake, graph_mode):
    grad = ops.grad(lambda x: _chain(x).sum() * (x * x).sum())
    h = 1e-3
    for v in CHAIN_POINTS:
        x = np.array(v, np.float64)

        def fd(x):
            return float(_chain_np(x).sum() * (x * x).sum())
        want = [(fd(x + h * e) - fd(x - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(grad(Tensor(x.astype(np.float32))).asnumpy(), want, rtol=2e-3, atol=2e-3,
                                   err_msg=str(v))


def test_vmap_takes_each_rows_side(fake, graph_mode):
    x = np.array([[0.5, 1.0], [0.1, 0.2], [2.0, -0.5]], np.float32)
    out = ops.vmap(_cube_or_square)(Tensor(x)).asnumpy()
    want = [(r ** 3).sum() if r.sum() > 1 else (r * r).sum() for r in x]
    np.testing.assert_allclose(out, want, rtol=1e-6)
    g = ops.vmap(ops.grad(_cube_or_square))(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, [3 * r * r if r.sum() > 1 else 2 * r for r in x], rtol=1e-6)


CALLS = 0
RUNS = []


def _counts_globally(x):
    global CALLS
    CALLS += 1
    RUNS.extend([1])  # (extend: MindSpore 2.10 graphs write the list; not append)
    if x.sum() > 1:
        return x * 2
    return x - 1


def test_a_function_with_global_is_left_to_the_branch_explorer(fake, graph_mode):
    global CALLS
    f = gs.jit(_counts_globally)
    CALLS = 0
    RUNS.clear()
    np.testing.assert_array_equal(f(Tensor(np.array([0.5, 1.0], np.float32))).asnumpy(), [1.0, 2.0])
    assert len(RUNS) == 3  # not rewritten: the trace, then one re-run a side
    assert CALLS == 0  # (a graph's write of a global never reaches the module: MindSpore 2.10, _graph_globals)
    np.testing.assert_allclose(f(Tensor(np.array([0.1, 0.2], np.float32))).asnumpy(), [-0.9, -0.8], rtol=1e-6)
