"""The NumPy backend's split of large matrix products across intra-op threads
(engine/backends/split_gemm.py) gives bit for bit its blocks' np.matmul products, and so what one
np.matmul call gives wherever the BLAS computes a block as it computes the whole (K is never split;
elsewhere within the GEMM error bound),
for plain, transposed, strided, batched and broadcast operands, float32/64 and complex, odd sizes;
small products and the cases NumPy does not hand to GEMM stay one call; the engine's matmul and conv
kernels (plan program and generic loop) go through it; it never deadlocks (one thread, callers on
several threads at once, a forked child). BLAS runs at one thread throughout, as a worker runs it."""
from __future__ import annotations

import functools
import os
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from engine import Engine, GraphBuilder, grad_operation
from engine.backends import get_backend, intra_op_threads, set_intra_op_threads, split_gemm
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.lower import lower


@pytest.fixture
def threads():
    """Set the intra-op threads for one test (BLAS at one thread); back to 1 after."""
    with threadpool_limits(1, user_api="blas"):
        yield set_intra_op_threads
        set_intra_op_threads(1)


def _rand(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


@functools.lru_cache(maxsize=None)  # a property of this host's BLAS: probed once per dtype
def _blas_block_invariant(dtype: str) -> bool:
    """Whether this BLAS (at one thread) gives a 128-column block of W2's first product the bits it gives
    the whole product. OpenBLAS's kernels on the AVX-512 hosts before: yes for float32 and float64; on an
    AMD Zen 3 host (OpenBLAS 0.3.31, its Haswell kernels): float64 yes, float32 no (the last bits)."""
    rng = np.random.default_rng(0)
    a, b = _rand(rng, (256, 784), dtype), _rand(rng, (784, 512), dtype)
    with threadpool_limits(1, user_api="blas"):
        return _blockwise(a, b, -1, [0, 128, 256, 384, 512]).tobytes() == np.matmul(a, b).tobytes()


def _bitwise_dtype() -> str:
    """float32 where this BLAS is block-invariant for it (the engine's split is then bitwise the unsplit
    run), else float64: what these tests check is that the engine routes its products through the split
    and assembles them exactly, which float64 shows on either host."""
    return "float32" if _blas_block_invariant("float32") else "float64"


def _blockwise(a, b, axis: int, bounds: list) -> np.ndarray:
    """The product assembled from one np.matmul call per block of the plan (plain NumPy slicing)."""
    if axis == -1:
        return np.concatenate([np.matmul(a, b[..., :, lo:hi]) for lo, hi in zip(bounds, bounds[1:])], axis=-1)
    return np.concatenate([np.matmul(a[..., lo:hi, :], b) for lo, hi in zip(bounds, bounds[1:])], axis=-2)


def _assert_split_bitwise(a, b, n=2, out=None):
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    planned = split_gemm.plan(shape, a.shape[-1], n)
    assert planned is not None, "this product should be split"
    ref = np.matmul(a, b)  # one call (intra-op threads are not read by np.matmul)
    blocks = _blockwise(a, b, *planned)
    set_intra_op_threads(n)
    got = split_gemm.matmul(a, b) if out is None else split_gemm.matmul(a, b, out)
    if out is not None:
        assert got is out
    assert got.dtype == ref.dtype and got.shape == ref.shape and got.flags.c_contiguous
    # the split is exactly its blocks' products, each one BLAS call, whatever the thread that took it
    # (compared to a bool first: pytest's diff of two large byte strings runs for minutes with CI set)
    same = got.tobytes() == blocks.tobytes()
    assert same, f"{a.shape} @ {b.shape} {a.dtype}: bits differ from its blocks"
    if blocks.tobytes() == ref.tobytes():
        return  # this BLAS gives a block the bits it gives the whole (K is never cut): so does the split
    # Some BLAS kernels do not (OpenBLAS 0.3.31's float32 kernels on an AMD Zen 3 host: a block's product
    # differs from the whole's in the last bits, seen in CI; on the AVX-512 hosts before, bit for bit):
    # then the split is as accurate as one call, within the standard GEMM error bound K * eps * |a| @ |b|.
    k, eps = a.shape[-1], np.finfo(ref.dtype).eps
    bound = 2 * k * eps * np.matmul(np.abs(a), np.abs(b)).real
    assert np.all(np.abs(got - ref) <= bound), f"{a.shape} @ {b.shape} {a.dtype}: beyond the GEMM error bound"


# (a shape, b shape, how a and b are made from C arrays)
SHAPES = [
    ((256, 784), (784, 512), "plain"),  # W2's first layer
    ((784, 256), (256, 512), "a.T"),  # W2's dW1 = x.T @ g1, a transposed view
    ((256, 512), (512, 512), "b.T"),  # g2 @ W2.T
    ((512, 256), (256, 512), "a.T b.T"),
    ((517, 1031), (1031, 333), "plain"),  # odd sizes: edge tiles and a short last block
    ((333, 1031), (1031, 517), "plain"),
    ((301, 2049), (2049, 129), "plain"),
    ((64, 288), (288, 4096), "plain"),  # a conv's W @ im2col(x): few rows, cut along the columns
    ((37, 1031), (1031, 2048), "b.T"),
    ((3, 300, 512), (512, 300), "plain"),  # batched, b broadcast
    ((2, 1, 260, 400), (3, 400, 270), "plain"),  # broadcast batch axes both ways
    ((400, 900), (900, 300), "strided"),  # every other row / column of larger arrays
    ((2, 600, 300), (2, 300, 500), "batched a.T"),
    ((2, 40, 500), (2, 500, 1024), "batched a.T"),
]


def _operands(rng, sa, sb, how, dtype):
    def make(shape, transposed):
        if "strided" in how:
            return _rand(rng, tuple(2 * d for d in shape), dtype)[..., ::2, ::2]
        if transposed:
            return np.swapaxes(_rand(rng, shape[:-2] + shape[::-1][:2], dtype), -1, -2)
        return _rand(rng, shape, dtype)
    return make(sa, "a.T" in how), make(sb, "b.T" in how)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa, sb, how", SHAPES, ids=[f"{sa}@{sb}-{h}" for sa, sb, h in SHAPES])
def test_split_product_is_bitwise_one_call(threads, sa, sb, how, dtype):
    a, b = _operands(np.random.default_rng(len(sa) + sa[-1]), sa, sb, how, dtype)
    assert a.shape == sa and b.shape == sb and (how != "plain" or a.flags.c_contiguous)
    _assert_split_bitwise(a, b)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_any_thread_count_and_a_given_output_buffer(threads, n):
    rng = np.random.default_rng(n)
    a, b = _rand(rng, (512, 700), "float32"), _rand(rng, (700, 640), "float32")
    _assert_split_bitwise(a, b, n=n, out=np.full((512, 640), np.nan, np.float32))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_products_split_bitwise(threads, dtype):
    rng = np.random.default_rng(5)
    _assert_split_bitwise(_rand(rng, (300, 400), dtype), _rand(rng, (400, 260), dtype))


def test_blocks_never_cut_k_and_are_large_and_aligned():
    # W2's first layer: columns (each block re-packs A, 256 x 784, not B, 784 x 512)
    # (the first block, the caller's, SKEW column tiles larger and the last as many smaller)
    skew = split_gemm.SKEW * split_gemm.COL_ALIGN
    assert split_gemm.plan((256, 512), 784, 2) == (-1, [0, 256 + skew, 512])  # one block per thread
    assert split_gemm.plan((256, 512), 784, 4) == (-1, [0, 128 + skew, 256 + skew, 384 + skew, 512])
    assert split_gemm.plan((784, 512), 256, 2)[0] == -2  # its dW1 = x.T @ g1: rows
    cases = [((256, 512), 784), ((784, 512), 256), ((517, 333), 1031), ((3, 300, 300), 512), ((64, 4096), 288)]
    for shape, k in cases:
        axis, bounds = split_gemm.plan(shape, k, 2)
        other = shape[-1] if axis == -2 else shape[-2]
        align = split_gemm.ROW_ALIGN if axis == -2 else split_gemm.COL_ALIGN
        sizes = np.diff(bounds)
        assert all(s * other * k >= split_gemm.BLOCK_WORK for s in sizes), (shape, k, bounds)
        assert all(e % align == 0 for e in bounds[:-1]), bounds
        assert bounds[0] == 0 and bounds[-1] == shape[axis]
        assert 2 <= len(sizes) <= 2 * split_gemm.BLOCKS_PER_THREAD * 2
    assert split_gemm.plan((64, 4096), 288, 2)[0] == -1  # too few rows for two blocks: columns
    assert split_gemm.plan((64, 4100), 288, 2) is None  # ... not when the last column tile is partial


def test_small_products_and_vectors_stay_one_call():
    assert split_gemm.plan((256, 10), 512, 2) is None  # W2's last layer (1.3M multiply-adds)
    assert split_gemm.plan((256, 512), 784, 1) is None  # one thread
    assert split_gemm.plan((4096, 1), 4096, 2) is None  # matrix-vector: GEMV
    assert split_gemm.plan((1, 4096), 4096, 2) is None
    assert split_gemm.plan((64, 64, 64), 64, 2) is None  # a big batch of small products


def test_cases_numpy_does_not_give_to_gemm_stay_one_call(threads, monkeypatch):
    calls = []
    real = split_gemm._Split
    monkeypatch.setattr(split_gemm, "_Split", lambda *a: calls.append(a) or real(*a))  # every split shows here
    set_intra_op_threads(2)
    rng = np.random.default_rng(3)
    x = _rand(rng, (512, 800), "float32")
    cases = [(x, x.T), (x, x.T.astype(np.float64)), (x.astype(np.int64), x.T.astype(np.int64))]
    for a, b in cases:  # x @ x.T is SYRK in NumPy; int has no BLAS; mixed dtypes cast
        assert np.array_equal(split_gemm.matmul(a, b), np.matmul(a, b), equal_nan=True)
    buf = _rand(rng, (512, 1312), "float32")  # an output that overlaps an input: NumPy copies, we do not split
    b = _rand(rng, (800, 512), "float32")
    ref = np.matmul(buf[:, :800].copy(), b)
    assert split_gemm.matmul(buf[:, :800], b, buf[:, 800:]) is not None and np.array_equal(buf[:, 800:], ref)
    assert not calls
    split_gemm.matmul(x, b)
    assert len(calls) == 1  # the same size, fresh operands and output: split


def test_shape_errors_are_numpys(threads):
    set_intra_op_threads(2)
    a, b = np.ones((512, 700), np.float32), np.ones((600, 512), np.float32)
    with pytest.raises(ValueError) as ours:
        split_gemm.matmul(a, b)
    with pytest.raises(ValueError) as theirs:
        np.matmul(a, b)
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError):
        split_gemm.matmul(a, np.ones((700, 512), np.float32), np.empty((512, 500), np.float32))


def test_helpers_are_reused_and_callers_on_several_threads_do_not_deadlock(threads):
    set_intra_op_threads(3)
    helpers = list(split_gemm._helpers)
    assert len(helpers) >= 2 and all(t.is_alive() for t in helpers)
    rng = np.random.default_rng(7)
    a, b = _rand(rng, (512, 600), "float64"), _rand(rng, (600, 512), "float64")
    ref = np.matmul(a, b).tobytes()
    bad: list = []

    def caller():
        for _ in range(10):
            if split_gemm.matmul(a, b).tobytes() != ref:
                bad.append(1)

    ts = [threading.Thread(target=caller) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)  # a generous ceiling: a deadlock would hang here
    assert not any(t.is_alive() for t in ts) and not bad
    set_intra_op_threads(2)  # fewer threads: the same helpers, none started
    assert split_gemm._helpers[:len(helpers)] == helpers and intra_op_threads() == 2


def test_a_forked_child_starts_its_own_helpers(threads):
    set_intra_op_threads(2)
    rng = np.random.default_rng(11)
    dt = _bitwise_dtype()
    a, b = _rand(rng, (512, 600), dt), _rand(rng, (600, 512), dt)
    ref = np.matmul(a, b).tobytes()
    pid = os.fork()
    if pid == 0:  # the child: the parent's helper threads do not exist here
        ok = not split_gemm._helpers and split_gemm.threads() == 1
        ok = ok and split_gemm.matmul(a, b).tobytes() == ref
        set_intra_op_threads(2)
        ok = ok and len(split_gemm._helpers) == 1 and split_gemm.matmul(a, b).tobytes() == ref
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# -- through the engine -------------------------------------------------------------------------
def _mlp_grad(batch=256, sizes=(784, 512, 512, 10), dtype="float32"):
    """W2 of the loops benchmark: MLP tanh, gradient of sum(o*o) w.r.t. its 6 parameters."""
    rng = np.random.default_rng(0)
    gb = GraphBuilder("mlp")
    h = gb.input((batch, sizes[0]), dtype=dtype, name="x")
    for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = gb.param(f"W{i}", (rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype))
        h = gb.add(gb.matmul(h, w), gb.param(f"b{i}", (0.1 * rng.standard_normal(n)).astype(dtype)))
        if i < len(sizes) - 2:
            h = gb.tanh(h)
    g = grad_operation(gb.build(gb.sum(gb.mul(h, h))), get_by_list=True)
    return g, [rng.standard_normal((batch, sizes[0])).astype(dtype)]


def _conv_grad(dtype="float32"):
    rng = np.random.default_rng(1)
    gb = GraphBuilder("conv")
    x = gb.input((4, 32, 32, 32), dtype=dtype, name="x")
    w = gb.param("w", (rng.standard_normal((64, 32, 3, 3)) / 17).astype(dtype))
    y = gb.conv(x, w, padding=[[1, 1], [1, 1]])
    g = grad_operation(gb.build(gb.sum(gb.mul(y, y))), get_by_list=True)
    return g, [rng.standard_normal((4, 32, 32, 32)).astype(dtype)]


@pytest.mark.parametrize("make", [_mlp_grad, _conv_grad], ids=["mlp", "conv"])
def test_engine_runs_split_bitwise_in_the_program_and_the_generic_loop(threads, make, monkeypatch):
    g, xs = make(dtype=_bitwise_dtype())
    flat = lower(g)
    prog = compile_graph(flat)
    loop = compile_graph(flat)
    loop.program = None
    assert prog.program is not None
    ref = [np.asarray(a).tobytes() for a in tree_flatten(prog.run_host(list(xs)))]
    assert ref == [np.asarray(a).tobytes() for a in tree_flatten(loop.run_host(list(xs)))]
    splits = []
    real = split_gemm._Split
    monkeypatch.setattr(split_gemm, "_Split", lambda products: splits.extend(products) or real(products))
    set_intra_op_threads(2)
    for p in (prog, loop, prog):  # the program twice: the second reuses the arena the first wrote
        before = len(splits)
        got = [np.asarray(a).tobytes() for a in tree_flatten(p.run_host(list(xs)))]
        same = got == ref  # (a bool: pytest's diff of large byte strings runs for minutes with CI set)
        assert same, "the split run's outputs differ from the unsplit run's bits"
        assert len(splits) >= before + 2  # its large products were split


def test_numpy_backend_matmul_is_the_split():
    assert get_backend("numpy").xp.matmul is split_gemm.matmul


def test_engine_run_with_threads(threads):
    g, xs = _mlp_grad(batch=128, sizes=(300, 700, 10), dtype="float64")
    eng = Engine("numpy")
    ref = [a.tobytes() for a in tree_flatten(eng.run(g, xs))]
    set_intra_op_threads(2)
    assert [a.tobytes() for a in tree_flatten(eng.run(g, xs))] == ref


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_two_matrix_products_are_bitwise_np_matmul(dtype):
    """2-D real products go to np.dot (less call overhead): bit for bit np.matmul's, with and without an
    output buffer, for transposed views, vectors shaped as matrices, x @ x.T and an output that overlaps."""
    rng = np.random.default_rng(11)
    sizes = (1, 2, 3, 16, 33, 100)
    with threadpool_limits(1, user_api="blas"):
        for m in sizes:
            for k in sizes:
                for n in sizes:
                    for ta in (False, True):
                        for tb in (False, True):
                            a = _rand(rng, (k, m), dtype).T if ta else _rand(rng, (m, k), dtype)
                            b = _rand(rng, (n, k), dtype).T if tb else _rand(rng, (k, n), dtype)
                            ref = np.matmul(a, b)
                            out = np.empty((m, n), dtype)
                            assert split_gemm.matmul(a, b, out) is out
                            assert out.tobytes() == ref.tobytes(), (m, k, n, ta, tb)
                            got = split_gemm.matmul(a, b)
                            assert got.dtype == ref.dtype and got.tobytes() == ref.tobytes()
        x = _rand(rng, (40, 24), dtype)
        assert split_gemm.matmul(x, x.T).tobytes() == np.matmul(x, x.T).tobytes()  # SYRK in both
        sq = _rand(rng, (24, 24), dtype)
        ref = np.matmul(sq, sq)
        buf = sq.copy()
        split_gemm.matmul(buf, sq, buf)  # the output is an operand
        assert buf.tobytes() == ref.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_outputs_take_np_matmul_bit_for_bit_as_np_dot(dtype, monkeypatch):
    """At DOT_MAX_BYTES of output and more, blasable operands go to np.matmul (np.dot zeroes the output
    first): the bits np.dot gives, for rows, columns, transposed views and W2's shapes; operands np.matmul
    would not hand to BLAS (a strided view) still go to np.dot."""
    rng = np.random.default_rng(12)
    dots = []
    real = np.dot
    monkeypatch.setattr(split_gemm, "dot", lambda *a: dots.append(a) or real(*a))
    with threadpool_limits(1, user_api="blas"):
        for m, k, n in ((256, 784, 512), (1, 300, 20000), (20000, 300, 1), (130, 7, 130), (256, 2, 512)):
            for ta in (False, True):
                for tb in (False, True):
                    a = _rand(rng, (k, m), dtype).T if ta else _rand(rng, (m, k), dtype)
                    b = _rand(rng, (n, k), dtype).T if tb else _rand(rng, (k, n), dtype)
                    assert m * n * a.itemsize >= split_gemm.DOT_MAX_BYTES
                    ref = real(a, b)
                    out = np.empty((m, n), dtype)
                    assert split_gemm.matmul(a, b, out) is out
                    assert out.tobytes() == ref.tobytes(), (m, k, n, ta, tb)
                    assert split_gemm.matmul(a, b).tobytes() == ref.tobytes(), (m, k, n, ta, tb)
        assert dots == []
        strided = _rand(rng, (256, 600), dtype)[:, ::2]
        b = _rand(rng, (300, 512), dtype)
        assert split_gemm.matmul(strided, b).tobytes() == real(strided, b).tobytes()
        assert len(dots) == 1
        assert split_gemm.kernel_for((300, 8), (8, 300), dtype, dtype) is split_gemm.matmul
        assert split_gemm.kernel_for((60, 8), (8, 60), dtype, dtype) is split_gemm.dot  # (the wrapper above)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_column_times_a_row_takes_np_dot_at_any_output_size(dtype, monkeypatch):
    """K = 1 (engine/contract.py's outer products: L1's (1024, 1) @ (1, 16)): np.matmul computes a column times
    a row in its own loop, not BLAS (~18 us against np.dot's ~4 us there), so it goes to np.dot at any output
    size, with the same bits as np.matmul and the product (+0.0 for a -0.0 product: 0 + a * b in both), also for
    transposed views, zeros, infinities, NaNs and subnormals."""
    rng = np.random.default_rng(13)
    dots = []
    real = np.dot
    monkeypatch.setattr(split_gemm, "dot", lambda *a: dots.append(a) or real(*a))
    with threadpool_limits(1, user_api="blas"), np.errstate(invalid="ignore"):
        for m, n in ((1024, 16), (256, 512), (3, 5)):
            for ta in (False, True):
                for tb in (False, True):
                    a = _rand(rng, (1, m), dtype).T if ta else _rand(rng, (m, 1), dtype)
                    b = _rand(rng, (n, 1), dtype).T if tb else _rand(rng, (1, n), dtype)
                    a[::7], a[1::7], a[2::7], a[3::7], a[4::7] = -0.0, 0.0, np.inf, np.nan, 1e-40
                    b[0, ::3] = -0.0
                    ref = np.matmul(a, b)
                    assert np.array_equal(ref, a * b, equal_nan=True)
                    dots.clear()
                    out = np.empty((m, n), dtype)
                    assert split_gemm.matmul(a, b, out) is out
                    assert out.tobytes() == ref.tobytes(), (m, n, ta, tb)
                    assert split_gemm.matmul(a, b).tobytes() == ref.tobytes(), (m, n, ta, tb)
                    assert len(dots) == 2, (m, n, ta, tb)
        assert split_gemm.kernel_for((1024, 1), (1, 16), dtype, dtype) is split_gemm.dot  # (the plan's binding)


def test_two_matrix_products_take_np_dot(monkeypatch):
    calls = []
    real = np.dot
    monkeypatch.setattr(split_gemm, "dot", lambda *a: calls.append(a) or real(*a))
    a, b = np.ones((4, 3), np.float32), np.ones((3, 5), np.float32)
    split_gemm.matmul(a, b, np.empty((4, 5), np.float32))
    assert len(calls) == 1
    split_gemm.matmul(a[None], b)  # batched, a mixed dtype, complex: np.matmul as before
    split_gemm.matmul(a, b.astype(np.float64))
    split_gemm.matmul(a.astype(np.complex64), b.astype(np.complex64))
    assert len(calls) == 1


def test_a_plans_small_products_run_no_python_code_of_numpys():
    """np.dot runs NumPy's Python-level __array_function__ dispatcher (multiarray.dot) on every call, ~0.15 us;
    a plan's small products (L1's 14 a request) bind the method instead: the same C product, counted here
    as no Python frame of NumPy's while the plan runs, and the bits np.matmul gives (the generic loop's)."""
    import sys

    g, xs = _mlp_grad(batch=8, sizes=(5, 7, 3), dtype="float32")
    flat = lower(g)
    prog = compile_graph(flat)
    loop = compile_graph(flat)
    loop.program = None
    ref = [np.asarray(a).tobytes() for a in tree_flatten(loop.run_host(list(xs)))]
    prog.run_host(list(xs))  # (warm: the arena made)
    numpy_frames: list = []

    def hook(frame, event, arg):
        if event == "call" and "numpy" in frame.f_code.co_filename:
            numpy_frames.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
    sys.setprofile(hook)
    try:
        got = prog.run_host(list(xs))
    finally:
        sys.setprofile(None)
    assert numpy_frames == []
    assert [np.asarray(a).tobytes() for a in tree_flatten(got)] == ref
    a, b = np.ones((4, 3), np.float32), np.arange(15, dtype=np.float32).reshape(3, 5)
    with pytest.raises(ValueError):  # (np.dot's refusal, before writing: matmul then words it as NumPy does)
        split_gemm.dot(a, b, np.empty((5, 4), np.float32))
    assert split_gemm.dot(a, b).tobytes() == np.dot(a, b).tobytes()


def test_may_split_is_false_only_where_no_thread_count_splits():
    """kernel_for binds a one-call kernel where may_split says no: plan must then never split, at any
    thread count, for any batch prefix (shapes around the BLOCK_WORK edge and far from it)."""
    rng = np.random.default_rng(5)
    dims = [1, 2, 3, 16, 47, 48, 96, 128, 255, 256, 1000, 2048, 4096, 9000]
    seen_false = seen_true = 0
    for _ in range(3000):
        m, n, k = (int(rng.choice(dims)) for _ in range(3))
        shape = (int(rng.integers(1, 4)), m, n) if rng.random() < 0.3 else (m, n)
        if split_gemm.may_split(shape, k):
            seen_true += 1
            continue
        seen_false += 1
        for t in (2, 3, 4, 8, 16, 64, 1024):
            assert split_gemm.plan(shape, k, t) is None, (shape, k, t)
    assert seen_false > 100 and seen_true > 100  # both sides of the edge were drawn


def test_kernel_for_binds_one_call_kernels_only_below_the_split():
    f32, f64, c64 = np.dtype("float32"), np.dtype("float64"), np.dtype("complex64")
    assert split_gemm.kernel_for((32, 16), (16, 32), f32, f32) is split_gemm.dot
    assert split_gemm.kernel_for((32, 16), (16, 32), f64, f64) is split_gemm.dot
    assert split_gemm.kernel_for((32, 1, 32), (32, 32, 16), f32, f32) is np.matmul  # batched
    assert split_gemm.kernel_for((32, 16), (16, 32), c64, c64) is np.matmul  # complex: as matmul does
    assert split_gemm.kernel_for((32, 16), (16, 32), f32, f64) is np.matmul  # mixed: NumPy's own rules
    assert split_gemm.kernel_for((256, 784), (784, 512), f32, f32) is split_gemm.matmul  # W2's: may split
    assert split_gemm.kernel_for((16,), (16, 32), f32, f32) is split_gemm.matmul  # a vector: as before


def test_compiled_plan_binds_small_products_and_writes_reshapes_inline(threads):
    """A plan of small products calls np.dot / np.matmul itself (no dispatch per call), writes reshapes as
    the method, and gives the generic loop's bits, with intra-op threads on or off; W2-sized products
    keep the split dispatcher (test_engine_runs_split_bitwise_in_the_program_and_the_generic_loop)."""
    g, xs = _mlp_grad(batch=8, sizes=(5, 7, 3), dtype="float32")
    gb = GraphBuilder("batched")
    a = gb.input((4, 3, 5), name="a")
    w = gb.param("w", np.random.default_rng(3).standard_normal((4, 5, 2)).astype(np.float32))
    y = gb.reshape(gb.matmul(a, w), shape=(4, 6))
    bg = grad_operation(gb.build(gb.sum(gb.mul(y, y))), get_by_list=True)
    bx = [np.random.default_rng(4).standard_normal((4, 3, 5)).astype(np.float32)]
    for graph, inputs, want in ((g, xs, split_gemm.dot), (bg, bx, np.matmul)):
        flat = lower(graph)
        prog = compile_graph(flat)
        ns = prog.program.namespace
        kernels = [ns[f"k{k}"] for k, e in enumerate(prog.step_eqns) if e.op == "matmul"]
        assert kernels and all(k is want for k in kernels)
        assert ".reshape(s" in prog.program.source
        loop = compile_graph(flat)
        loop.program = None
        ref = [np.asarray(a).tobytes() for a in tree_flatten(loop.run_host(list(inputs)))]
        for n in (1, 2):
            threads(n)
            for _ in range(2):  # the second run reuses the arena the first wrote
                assert [np.asarray(a).tobytes() for a in tree_flatten(prog.run_host(list(inputs)))] == ref


@pytest.mark.parametrize("n", [2, 3, 4])
def test_a_pair_of_products_is_one_split_with_each_products_blocks(threads, monkeypatch, n):
    """split_gemm.matmul_pair (a layer's backward pass: dX = dY @ W.T and dW = X.T @ dY): one split for the
    two, each product cut as for half the threads (rounded up; at 2 threads one block, one np.matmul
    call), each output bitwise what its own blocks give (one plain np.matmul per block: _blockwise)."""
    splits = []
    real = split_gemm._Split
    monkeypatch.setattr(split_gemm, "_Split", lambda products: splits.append(products) or real(products))
    threads(n)
    share = {2: 1, 3: 2, 4: 2}[n]
    assert split_gemm.pair_threads(n) == share
    rng = np.random.default_rng(5)
    for dtype in ("float32", "float64"):
        dy, w, x = _rand(rng, (256, 512), dtype), _rand(rng, (512, 512), dtype), _rand(rng, (256, 784), dtype)
        out1 = np.empty((256, 512), dtype)
        got1, got2 = split_gemm.matmul_pair(dy, w.T, out1, x.T, dy, None)
        assert got1 is out1 and got2.shape == (784, 512)
        assert len(splits[-1]) == 2
        for got, a, b, (_, _, _, axis, bounds) in zip((got1, got2), (dy, x.T), (w.T, dy), splits[-1]):
            planned = split_gemm.plan(got.shape, a.shape[-1], share) or (-2, [0, got.shape[-2]])
            assert (axis, list(bounds)) == (planned[0], list(planned[1]))
            assert got.tobytes() == _blockwise(a, b, axis, bounds).tobytes()
            if share == 1:  # one block: the very call the product makes alone at one thread
                assert got.tobytes() == np.matmul(a, b).tobytes()


def test_a_pairs_larger_product_goes_first_and_a_late_helper_leaves_both_to_the_caller(threads, monkeypatch):
    """At 2 threads a pair is two whole products taken from one counter: the larger first (the caller's:
    a helper starts later), the first of two equal ones first; a helper that has not come by the time the
    caller's product is done leaves the other to the caller too (expected: np.matmul of each)."""
    threads(2)
    rng = np.random.default_rng(8)
    a1, b1 = _rand(rng, (256, 512), "float32"), _rand(rng, (512, 512), "float32")
    a2, b2 = _rand(rng, (256, 784), "float32"), _rand(rng, (784, 512), "float32")
    split = split_gemm._Split([split_gemm._pair_member(split_gemm._splittable(a, b, None))
                               for a, b in ((a1, b1), (a2, b2))])
    assert [blk[0] is a2 for blk in split.blocks] == [True, False]
    monkeypatch.setattr(split_gemm, "_threads", 1)  # no helper is handed this split: the caller takes both
    split.run()
    assert split.blocks[0][2].tobytes() == np.matmul(a2, b2).tobytes()
    assert split.blocks[1][2].tobytes() == np.matmul(a1, b1).tobytes()


def test_a_pair_whose_outputs_overlap_the_other_products_operands_runs_in_order(threads, monkeypatch):
    """An arena buffer the first product reads last can be the second's output (the program's steps run in
    order): the pair then makes two splits, one after the other. Expected: the same split products of
    copies taken before (split_gemm.matmul alone), and the pair never writes the first one's operand early."""
    splits = []
    real = split_gemm._Split
    monkeypatch.setattr(split_gemm, "_Split", lambda products: splits.append(len(products)) or real(products))
    threads(2)
    rng = np.random.default_rng(6)
    buf, b1 = _rand(rng, (256, 512), "float32"), _rand(rng, (512, 512), "float32")
    a2, b2 = _rand(rng, (256, 784), "float32"), _rand(rng, (784, 512), "float32")
    ref1, ref2 = split_gemm.matmul(buf.copy(), b1), split_gemm.matmul(a2, b2)
    splits.clear()
    got1, got2 = split_gemm.matmul_pair(buf, b1, None, a2, b2, buf)  # the second writes over the first's A
    assert got2 is buf and got1.tobytes() == ref1.tobytes() and got2.tobytes() == ref2.tobytes()
    assert splits == [1, 1]
    x = _rand(rng, (256, 512), "float32")  # the first's output is the second's operand: in order too
    out = np.empty((256, 512), np.float32)
    ref2 = split_gemm.matmul(split_gemm.matmul(x, b1), b1)
    got1, got2 = split_gemm.matmul_pair(x, b1, out, out, b1, None)
    assert got2.tobytes() == ref2.tobytes()


def test_a_layers_backward_products_run_as_one_split_in_the_program(threads):
    """W2's program: the middle layer's dX and dW (both large, the second not reading the first) are one
    pair; the last layer's two are small (one call each) and the first layer has no dX. The pair's bits
    are checked against the unsplit run by test_engine_runs_split_bitwise_in_the_program_and_the_generic_loop."""
    g, _ = _mlp_grad(dtype=_bitwise_dtype())
    prog = compile_graph(lower(g))
    assert prog.program.source.count("_matmul_pair(") == 1


def test_the_callers_first_block_is_the_largest_and_the_last_the_smallest(monkeypatch):
    """The caller takes the first block at once, a helper (woken, operands cold in its cache) later: the
    blocks are skewed towards the first by SKEW aligned units where the last stays large enough; the
    blocks are taken largest first (LPT), so the caller's is the first taken."""
    for shape, k, align in (((256, 512), 784, split_gemm.COL_ALIGN), ((784, 512), 256, split_gemm.ROW_ALIGN)):
        for n in (2, 4):
            bounds = split_gemm.plan(shape, k, n)[1]
            with monkeypatch.context() as m:
                m.setattr(split_gemm, "SKEW", 0)
                even = split_gemm.plan(shape, k, n)[1]
            sizes = list(np.diff(bounds))
            assert sizes[0] == max(sizes) and sizes[-1] == min(sizes), (shape, n, bounds)
            assert bounds[1:-1] == [e + split_gemm.SKEW * align for e in even[1:-1]], (shape, n, bounds, even)
    rng = np.random.default_rng(7)
    a, b = _rand(rng, (256, 784), "float64"), _rand(rng, (784, 512), "float64")
    axis, bounds = split_gemm.plan((256, 512), 784, 2)
    split = split_gemm._Split([(a, b, np.empty((256, 512)), axis, bounds)])
    assert split.blocks[0][4] == slice(bounds[0], bounds[1])


def test_a_float16_product_is_float32_blas_rounded_once(threads):
    """MindSpore's CPU MatMul, PyTorch's CPU and XLA's compute a float16 product in float32 and round once; NumPy's
    own float16 loop has no BLAS (seconds for a 2048-wide product). Within one float16 unit of the exact product."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((96, 300)).astype(np.float16)
    b = rng.standard_normal((300, 40)).astype(np.float16)
    for n in (1, 2):
        set_intra_op_threads(n)
        got = split_gemm.matmul(a, b)
        assert got.dtype == np.float16
        exact = a.astype(np.float64) @ b.astype(np.float64)
        ulp = np.spacing(np.abs(exact).astype(np.float16)).astype(np.float64)
        assert np.all(np.abs(got.astype(np.float64) - exact) <= ulp)
        assert np.array_equal(got, (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16))
        out = np.empty((96, 40), np.float16)
        assert split_gemm.matmul(a, b, out) is out and np.array_equal(out, got)
    assert split_gemm.kernel_for((96, 300), (300, 40), np.float16, np.float16) is split_gemm.matmul
