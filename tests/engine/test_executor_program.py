"""The NumPy plan program (generated straight-line code over an arena of reused buffers)
must give exactly what the backend-generic step loop gives, never hand out a buffer it
will overwrite, and keep concurrent callers apart."""
import threading

import numpy as np

from engine import Engine, GraphBuilder, evaluate, grad_operation
from engine.executor import compile_graph, run_numpy
from engine.lower import lower

F32 = np.float32


def mlp_grad(batch=8):
    rng = np.random.default_rng(0)
    gb = GraphBuilder("mlp")
    h = gb.input((batch, 5))
    for i, (a, b) in enumerate([(5, 7), (7, 7), (7, 3)]):
        w = gb.param(f"W{i}", rng.standard_normal((a, b)).astype(F32))
        c = gb.param(f"b{i}", rng.standard_normal((b,)).astype(F32))
        h = gb.add(gb.matmul(h, w), c)
        h = gb.sigmoid(h) if i == 0 else gb.tanh(h)
    out = gb.sum(gb.mul(gb.transpose(h), gb.transpose(h)))
    return grad_operation(gb.build(out), get_all=True, get_by_list=True)


def generic(g, *inputs):
    p = compile_graph(lower(g))
    p.program = None
    return run_numpy(p, inputs)


def flat(t):
    return [a for x in t for a in flat(x)] if isinstance(t, tuple) else [t]


def test_program_equals_generic_loop_bitwise():
    g = mlp_grad()
    x = np.random.default_rng(1).standard_normal((8, 5)).astype(F32)
    eng = Engine()
    got, want = flat(eng.run(g, [x])), flat(generic(g, x))
    assert len(got) == len(want) == 7
    for a, b in zip(got, want):
        assert a.dtype == b.dtype == F32 and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    assert eng.plan(g).program is not None and eng.plan(g).program.arena_bytes > 0


def test_outputs_are_not_overwritten_by_later_calls():
    g = mlp_grad()
    eng = Engine()
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((8, 5)).astype(F32) for _ in range(3)]
    first = [a.copy() for a in flat(eng.run(g, [xs[0]]))]
    kept = flat(eng.run(g, [xs[0]]))
    for x in xs[1:]:
        eng.run(g, [x])
    for a, b in zip(kept, first):
        np.testing.assert_array_equal(a, b)


def test_concurrent_callers_get_their_own_answers():
    g = mlp_grad(batch=64)
    eng = Engine()
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((64, 5)).astype(F32) for _ in range(4)]
    want = [flat(generic(g, x)) for x in xs]
    errors = []

    def worker(i):
        for _ in range(30):
            got = flat(eng.run(g, [xs[i]]))
            if not all(np.array_equal(a, b) for a, b in zip(got, want[i])):
                errors.append(i)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


def test_constant_and_parameter_outputs_are_copies():
    gb = GraphBuilder("c")
    x = gb.input((3,))
    z = gb.param("z", np.array([1.0, 2.0, 3.0], F32))
    g = gb.build((gb.sin(x), z, gb.const(np.array([1.0, 2.0, 4.0], F32))))
    eng = Engine()
    _, zo, co = eng.run(g, [np.zeros(3, F32)])
    zo[:] = 0
    co[:] = 0
    _, zo2, co2 = eng.run(g, [np.zeros(3, F32)])
    np.testing.assert_array_equal(zo2, [1, 2, 3])
    np.testing.assert_array_equal(co2, [1, 2, 4])
    np.testing.assert_array_equal(g.param_values["z"], [1, 2, 3])


def test_scalar_outputs_are_arrays():
    gb = GraphBuilder("s")
    x = gb.input(())
    out = evaluate(gb.build(gb.add(gb.sin(x), x)), np.array(0.5, F32))
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == F32


def test_plan_cache_never_confuses_two_graphs():
    """Keyed by the graph object: a collected graph's id reused by a new one must not hit."""
    for n in range(1, 30):
        gb = GraphBuilder("g")
        x = gb.input((n,))
        assert evaluate(gb.build(gb.sum(gb.sin(x))), np.zeros(n, F32)).shape == ()


def test_absorb_neg_is_exact_and_removes_negs():
    from engine import optimize as opt

    gb = GraphBuilder("n")
    x, y = gb.input((4,)), gb.input((4,))
    a = gb.mul(gb.neg(gb.sin(x)), y)  # sign pushed out of the product ...
    b = gb.add(gb.cos(y), a)  # ... and absorbed: cos(y) - sin(x) * y
    c = gb.sub(x, gb.neg(gb.div(gb.neg(y), x)))  # x - (-(-y / x)) = x + (-y / x) = x - y / x
    n2 = gb.neg(gb.exp(x))
    g = gb.build((b, c, gb.mul(n2, gb.tanh(n2)), gb.neg(gb.neg(y))))
    flat_g = lower(g, opt=False)
    before = opt.dce(opt.rebuild(flat_g))
    after = opt.optimize(flat_g)
    n_neg = lambda h: sum(e.op == "neg" for e in h.eqns)  # noqa: E731
    assert n_neg(after) < n_neg(before)
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal(4).astype(F32) + 2, rng.standard_normal(4).astype(F32)]
    for u, v in zip(run_numpy(compile_graph(before), xs), run_numpy(compile_graph(after), xs)):
        np.testing.assert_array_equal(u, v)
