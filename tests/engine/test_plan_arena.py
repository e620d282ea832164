"""The NumPy plan program's arena: views of arena buffers made once per arena (executor.ArenaViews), the
constants bound once per arena, and the buffers an out-kernel may write over. Each graph runs on the program
and on the backend-generic step loop (each op's impl rule) and must give the same bits, run after run."""
import threading

import numpy as np
import pytest

from engine import GraphBuilder
from engine.errors import EngineError
from engine.executor import compile_graph
from engine.lower import lower

F32 = np.float32
RNG = np.random.default_rng(11)


def _plans(g):
    flat = lower(g, opt=False)  # as written: the views and the buffer reuse under test stay in the plan
    prog, loop = compile_graph(flat), compile_graph(flat)
    loop.program = None
    assert prog.program is not None
    return prog, loop


def _flat(t):
    return [a for x in t for a in _flat(x)] if isinstance(t, (tuple, list)) else [np.asarray(t)]


def _same(got, want):
    got, want = _flat(got), _flat(want)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _run_body(src: str) -> str:
    return src.split("    def run(")[1]


def _views_graph():
    """exp into an arena buffer, read through a reshape, a reshape of that, an alias-free broadcast view, and
    as a transposed matmul operand; a strided slice whose reshape must copy; answers that alias none of it."""
    gb = GraphBuilder("views")
    x = gb.input((8, 6), "float32")
    e = gb.exp(x)
    r = gb.reshape(gb.reshape(e, shape=[4, 12]), shape=[2, 24])
    m = gb.matmul(e, e, transpose_a=True)  # e.mT as an operand
    s = gb.reshape(gb.index(e, index=[[0, 8, 2]]), shape=[24])  # a (4, 6) view with row stride 2: reshape copies
    b = gb.broadcast_to(gb.reshape(e, shape=[1, 48]), shape=[3, 48])
    out = gb.add(gb.sum(gb.mul(r, r)), gb.sum(gb.mul(s, s)))
    return gb.build((gb.add(out, gb.sum(m)), gb.tanh(b), gb.sin(s)))


def test_views_of_arena_buffers_are_made_once_and_give_the_loops_bits():
    prog, loop = _plans(_views_graph())
    make, run = prog.program.source.split("    def run(")
    # the reshapes and the .mT operand are bound in __make; the strided slice's copy stays in run
    assert make.count(".reshape(") >= 3 and ".mT" in make and ".mT" not in run
    assert run.count(".reshape(") >= 1
    for _ in range(3):  # new inputs every run: a stale copy would repeat an earlier answer
        x = RNG.standard_normal((8, 6)).astype(F32)
        _same(prog.run_host([x]), loop.run_host([x]))


def test_constants_are_read_from_the_closure_not_rebound_every_run():
    gb = GraphBuilder("c")
    x = gb.input((4,), "float32")
    c = gb.const(np.array([1.0, -2.0, 0.5, 3.0], F32))
    g = gb.build((gb.mul(gb.exp(x), c), c))
    prog, loop = _plans(g)
    assert " = c" not in _run_body(prog.program.source)
    x = RNG.standard_normal(4).astype(F32)
    got = prog.run_host([x])
    _same(got, loop.run_host([x]))
    got[1][:] = 0  # a constant output is a copy: the next run's is intact
    _same(prog.run_host([x]), loop.run_host([x]))


def test_an_answer_held_across_runs_is_not_overwritten():
    prog, _ = _plans(_views_graph())
    x1, x2 = (RNG.standard_normal((8, 6)).astype(F32) for _ in range(2))
    held = prog.run_host([x1])
    kept = [a.copy() for a in _flat(held)]
    prog.run_host([x2])
    prog.run_host([x2])
    _same(held, kept)


def test_a_failing_run_leaves_the_arena_sound():
    gb = GraphBuilder("fail")
    x = gb.input((6, 4), "float32")
    i = gb.input((2, 4), "int32")
    e = gb.reshape(gb.exp(x), shape=[6, 4])
    t = gb.take_along_axis(gb.tanh(e), i, axis=0)  # an index out of range raises mid-run
    g = gb.build((gb.mul(t, t), gb.sum(gb.reshape(e, shape=[24]))))
    prog, loop = _plans(g)
    good = np.array([[0, 5, 1, 2], [3, 3, 4, 0]], np.int32)
    x = RNG.standard_normal((6, 4)).astype(F32)
    _same(prog.run_host([x, good]), loop.run_host([x, good]))
    with pytest.raises(EngineError):
        prog.run_host([RNG.standard_normal((6, 4)).astype(F32), np.full((2, 4), 9, np.int32)])
    x = RNG.standard_normal((6, 4)).astype(F32)
    _same(prog.run_host([x, good]), loop.run_host([x, good]))


def test_concurrent_runs_of_one_plan_keep_their_own_arenas_and_views():
    prog, loop = _plans(_views_graph())
    xs = [RNG.standard_normal((8, 6)).astype(F32) for _ in range(4)]
    want = [_flat(loop.run_host([x])) for x in xs]
    errors: list = []
    start = threading.Barrier(4)

    def worker(k):
        start.wait()
        for _ in range(40):
            got = _flat(prog.run_host([xs[k]]))
            if not all(a.tobytes() == b.tobytes() for a, b in zip(got, want[k])):
                errors.append(k)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert len(prog.program._arenas) >= 1


@pytest.mark.parametrize("index", [[[0, 32, 1], [0, 1, 1], [0, 1, 1]],  # the first element of each row
                                   [[0, 32, 1], [5, 6, 1], [2, -4, -1]]])  # a row, its last axis reversed
def test_a_split_broadcast_never_writes_over_an_operand_it_still_reads(index):
    """(32, 1, k) - (1, 32, 3) ran as one ufunc call per index of the last axis (np_broadcast.binary_kernel, before
    stop 47; one call on swapped views since). Given the buffer of a value it reads through a view (dying at that step), the first calls overwrote what
    the later ones read: before the fix the program's sum was 44171.76 against the loop's 32823.03 (first case)."""
    gb = GraphBuilder("overlap")
    x = gb.input((32, 32, 3), "float32")
    w = gb.input((1, 32, 3), "float32")
    z = gb.sub(gb.index(gb.exp(x), index=index), w)
    g = gb.build(gb.sum(gb.mul(z, z)))
    prog, loop = _plans(g)
    x = np.random.default_rng(0).standard_normal((32, 32, 3)).astype(F32)
    w = np.random.default_rng(1).standard_normal((1, 32, 3)).astype(F32)
    _same(prog.run_host([x, w]), loop.run_host([x, w]))


def _special(shape, dtype, seed):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    a.flat[::5] = -0.0
    a.flat[1::11], a.flat[2::13], a.flat[3::17] = np.nan, np.inf, -np.inf
    return a


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb", [((32, 1, 3), (1, 32, 3)), ((32, 32, 1), (3,)), ((40, 1, 2), (1, 30, 1))])
def test_swapped_broadcasts_written_out_as_one_call_give_the_loops_bits(sa, sb, dtype):
    """A swapped broadcast into an arena buffer is written out as one ufunc call (ArenaViews.split; before stop 47
    one call per index of the short last axis), on operands that are inputs (viewed in the run), arena values
    (viewed once per arena), and as an answer (the kernel)."""
    gb = GraphBuilder("split")
    a, b = gb.input(sa, dtype), gb.input(sb, dtype)
    direct = gb.sub(a, b)  # operands: the inputs
    ea, eb = gb.reshape(gb.exp(gb.reshape(a, shape=[-1])), shape=list(sa)), gb.tanh(b)
    viewed = gb.div(ea, eb)  # operands: arena buffers, through a reshape
    g = gb.build((gb.sin(direct), gb.sin(viewed), gb.sub(a, eb)))  # elementwise answers: every value compared
    prog, loop = _plans(g)
    run = _run_body(prog.program.source)
    assert sum(line.strip().startswith("u") for line in run.splitlines()) == 2
    with np.errstate(all="ignore"):
        for seed in range(2):
            xs = [_special(sa, dtype, seed), _special(sb, dtype, seed + 7)]
            _same(prog.run_host(xs), loop.run_host(xs))


def test_two_arenas_share_no_buffer_and_no_view():
    """What a concurrent caller gets (a second arena) holds its own buffers and views of those, never the first's;
    only the folded constants (read, never written) are common to both."""
    gb = GraphBuilder("two")
    a, b = gb.input((32, 1, 3), "float32"), gb.input((1, 32, 3), "float32")
    d = gb.sub(gb.reshape(gb.exp(gb.reshape(a, shape=[-1])), shape=[32, 1, 3]), gb.tanh(b))  # split, arena operands
    m = gb.matmul(gb.reshape(d, shape=[1024, 3]), gb.reshape(d, shape=[1024, 3]), transpose_a=True)
    g = gb.build(gb.add(gb.sum(gb.mul(d, d)), gb.sum(gb.mul(m, gb.const(np.full((3, 3), 0.5, F32))))))
    prog, _ = _plans(g)
    consts = [c for c in prog.env0 if c is not None]

    def arrays(run):
        cells = [c.cell_contents for c in run.__closure__]
        return [x for x in cells if isinstance(x, np.ndarray) and not any(x is c for c in consts)]

    first, second = arrays(prog.program._arenas[0]), arrays(prog.program._new_arena())
    assert len(first) == len(second) > len(prog.program.buf_avals)  # the buffers and their views
    assert not any(np.may_share_memory(x, y) for x in first for y in second)


def _over_a_reshape(view: str):
    """(16, 8) @ (8, 6) into an arena buffer, read once through `view` by exp (elementwise, 96 elements either
    way), the exp's result read by two later steps."""
    gb = GraphBuilder("inplace")
    x, w = gb.input((16, 8), "float32"), gb.input((8, 6), "float32")
    p = gb.matmul(x, w)
    v = gb.reshape(p, shape=[4, 4, 6]) if view == "reshape" else gb.transpose(p, perm=[1, 0])
    e = gb.exp(v)
    return gb.build((gb.sum(gb.mul(e, e)), gb.tanh(e)))


def test_an_elementwise_result_takes_the_buffer_of_a_dying_input_it_reads_through_a_reshape():
    """Issue #13, stop 52: exp of reshape(x @ w) wrote a second buffer of the same 96 floats (L1's step: two of
    64 KiB, an arena of 190 KB -> 124 KB). Now it writes over the product's buffer through one view object, the
    operand's own (NumPy's in-place fast path, no overlap check); a transposed operand keeps a buffer apart."""
    prog, loop = _plans(_over_a_reshape("reshape"))
    p = prog.program
    assert len(p.buf_avals) == 2  # the product's (exp's too), mul's: before, exp had a third
    exp_line = next(ln for ln in _run_body(p.source).splitlines() if "k" in ln and p.namespace[
        ln.split("= ")[1].split("(")[0]] is np.exp)
    args = exp_line.split("(")[1].rstrip(")").split(", ")
    assert len(args) == 2 and args[0] == args[1]  # in place, one object
    assert exp_line.count("(") == 1
    t, _ = _plans(_over_a_reshape("transpose"))
    assert len(t.program.buf_avals) == 3  # exp's (6, 16) of its own: not the product's elements in order
    for _ in range(3):
        x, w = RNG.standard_normal((16, 8)).astype(F32), RNG.standard_normal((8, 6)).astype(F32)
        got = prog.run_host([x, w])
        _same(got, loop.run_host([x, w]))
        e = np.exp((x.astype(np.float64) @ w).reshape(4, 4, 6))  # NumPy in float64: the math
        np.testing.assert_allclose(got[1], np.tanh(e), rtol=1e-5)
        np.testing.assert_allclose(got[0], np.sum(e * e), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_0d_elementwise_result_does_not_write_over_its_dying_input(dtype):
    """Issue #13, stop 55: a 0-d ufunc whose out is one of its inputs takes NumPy's general path (L1's loss tail:
    ~7.7k instructions a call under callgrind against ~3.8k writing elsewhere); a 0-d step now writes a buffer of
    its own, a larger elementwise one still writes over its dying input. Bits: the step loop's; values: NumPy's."""
    gb = GraphBuilder("tail")
    x, y, v = gb.input((8, 3), dtype), gb.input((), dtype), gb.input((8, 3), dtype)
    s = gb.sub(gb.sum(x), y)  # sum -> a 0-d buffer, then s - y, dying there
    t = gb.mul(s, s)
    w = gb.add(gb.exp(v), v)  # (8, 3): exp's buffer dies at the add, which writes over it
    prog, loop = _plans(gb.build((gb.mul(t, gb.sum(w)), gb.sin(s))))
    p = prog.program
    calls = [ln.strip() for ln in _run_body(p.source).splitlines() if " = k" in ln]
    buf, in_place = {}, {}  # value -> the buffer it was written into; kernel -> whether it wrote over an input
    for ln in calls:
        v, call = ln.split(" = ")
        args = call.split("(", 1)[1].rstrip(")").split(", ")
        ins, out = args[:-1], args[-1]
        buf[v] = out
        in_place[p.namespace[call.split("(")[0]]] = any(buf.get(i, i) == out for i in ins)
    zero_d = {f"b{j}" for j, av in enumerate(p.buf_avals) if av.shape == ()}
    assert zero_d and not in_place[np.subtract] and not in_place[np.multiply], p.source
    assert in_place[np.add], p.source  # the (8, 3) add: over exp's buffer, as before
    for _ in range(3):
        xs = [RNG.standard_normal(s).astype(dtype) for s in ((8, 3), (), (8, 3))]
        got = prog.run_host(xs)
        _same(got, loop.run_host(xs))
        f = [a.astype(np.float64) for a in xs]
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(got[0], (f[0].sum() - f[1]) ** 2 * (np.exp(f[2]) + f[2]).sum(), rtol=tol)
        np.testing.assert_allclose(got[1], np.sin(f[0].sum() - f[1]), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_one_element_arena_operand_is_read_0d(dtype):
    """Issue #13, stop 55: a (1, 1) arena value broadcast by an elementwise ufunc into a larger buffer (L1's
    (32, 32) * (1, 1) and (1, 1) * (1, 32)) is read through a 0-d view made once per arena: NumPy's trivial loop,
    not its broadcasting iterator (~9.1k -> ~5.1k instructions a call). Bits: the step loop's, run after run; an
    input of one element stays as it is (nothing made once to view)."""
    gb = GraphBuilder("one")
    x, y, c = gb.input((8, 6), dtype), gb.input((1, 6), dtype), gb.input((1, 1), dtype)
    s = gb.reshape(gb.sum(x), shape=[1, 1])  # a (1, 1) arena value
    a, b = gb.mul(gb.exp(x), s), gb.sub(gb.exp(y), s)
    prog, loop = _plans(gb.build((gb.sin(a), gb.sin(b), gb.add(gb.tanh(x), c))))  # a, b into arena buffers
    make, run = prog.program.source.split("    def run(")
    assert ".reshape(())" in make and ".reshape(())" not in run, prog.program.source
    zs = {ln.split(" = ")[0].strip() for ln in make.splitlines() if ".reshape(())" in ln}
    assert sum(any(f"{z}," in ln or f"{z})" in ln for z in zs) for ln in run.splitlines()) == 2, prog.program.source
    for _ in range(3):
        xs = [RNG.standard_normal(sh).astype(dtype) for sh in ((8, 6), (1, 6), (1, 1))]
        got = prog.run_host(xs)
        _same(got, loop.run_host(xs))
        f = [v.astype(np.float64) for v in xs]
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(got[0], np.sin(np.exp(f[0]) * f[0].sum()), rtol=tol * 100, atol=tol * 100)
        np.testing.assert_allclose(got[1], np.sin(np.exp(f[1]) - f[0].sum()), rtol=tol * 100, atol=tol * 100)
        np.testing.assert_allclose(got[2], np.tanh(f[0]) + f[2], rtol=tol)
