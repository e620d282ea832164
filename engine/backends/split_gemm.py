"""Large matrix products split into blocks across a few threads, taken dynamically (NumPy backend).

Why not BLAS's own threads: OpenBLAS cuts each GEMM statically, one share per thread, so when another
process on a shared host holds one of the cores, every call waits for the descheduled helper's share
(10x and more seen on a 2-core box). Here a product is cut into blocks of rows (M) or columns (N) of the
output and the caller and (threads - 1) persistent helper threads take blocks from a shared counter
until none is left: a slow helper delays a call by at most the block it holds. The caller's first block is
a little larger than the rest (SKEW: a woken helper starts later and runs slower), and a layer's two backward
products (dX, dW: neither reads the other) go as one split (matmul_pair): one hand-off instead of two, each
product cut as for half the threads (at two: each whole, no block re-packing an operand). NumPy's matmul releases
the GIL around BLAS, so the blocks run in parallel; each is one single-threaded BLAS call (whoever sets
threads > 1 keeps BLAS itself at one thread: service.core_lending does).

Bitwise the unsplit product: K is never split, so every output element is summed by one BLAS call over
the whole of K; each block is large enough to take the same OpenBLAS path as the whole product (below
~7.3M multiply-adds OpenBLAS switches to other kernels: "direct" sgemm, small-matrix kernels), and its
edges fall where OpenBLAS's own blocking of the whole product has edges (ROW_ALIGN, COL_ALIGN).
That holds where the BLAS gives a block the bits it gives the whole: OpenBLAS's kernels on the AVX-512
hosts this was built on did, for every dtype; OpenBLAS 0.3.31's float32 kernels on an AMD Zen 3 host do not
(a 128-column block of W2's product differs in the last bits; float64 is bitwise there). On such a host a
float32 product split across lent cores differs from the one-thread run in the last bits, within GEMM's own
error bound (tests/engine/test_split_gemm.py checks which holds). Products NumPy does not hand to GEMM stay one call: other dtypes, a matrix-vector product, x @ x.T
(SYRK), an output that overlaps an input.
"""
from __future__ import annotations

import itertools
import os
import threading
from queue import SimpleQueue

import ml_dtypes
import numpy as np

_GEMM_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128))
_DOT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# float16 products are computed in float32 by BLAS and rounded once, as MindSpore's CPU MatMul, PyTorch's CPU and
# XLA's are: NumPy's own float16 loop has no BLAS (a (2048, 2048) @ (2048, 768) product took ~15 s of CPU, past a
# job's deadline; (256, 2048) @ (2048, 768): 1.8 s -> 0.04 s) and sums in another order than their kernels.
# (bfloat16 never gets here from a plan: the NumPy backend widens its nodes to float32, numpy_backend.widen.)
_HALF_DTYPES = frozenset(np.dtype(t) for t in (np.float16, ml_dtypes.bfloat16))
BLOCK_WORK = 1 << 23  # multiply-adds in the smallest block: OpenBLAS's regular GEMM path (see above)
# Blocks per thread: each block is one BLAS call that packs again the operand it does not cut, so every
# block more costs CPU on a CPU-bound box (W2's plan at 2 threads, process CPU interleaved call by call: 1 block
# per thread 0.92-0.97x of 2; benchmarks/LOOPS_REPORT.md, "W2's split products in one block per thread").
# The balance 2 per thread bought is small: the caller's first block is larger (SKEW) for the helper's late
# start, a helper that wakes late leaves its block to the caller (the counter), and a caller waiting on a
# helper another process pre-empted mid-block waits mostly for the pre-emption (a scheduler slice, ms), not
# for the rest of the block (~1 ms of W2's largest product at 1 per thread, ~0.6 ms at 2)
BLOCKS_PER_THREAD = 1
# Block edges: OpenBLAS walks the output's rows in chunks of 3 x its N unroll (6, 12 or 24) and its
# columns in micro-tiles of up to 16; edges on these multiples keep every element's summation order
ROW_ALIGN, COL_ALIGN = 48, 16
# aligned units moved from the last block to the first (the caller's; see _bounds). W2 at 2 threads, 4 x
# 300-400 runs interleaved in one process at real-time priority (the box was loaded): 0 units 7.4-9.1 ms,
# 1 unit 0.97-0.99x of that, 2 units 0.95-0.98x, 3 units 0.95-1.00x. That was at 2 blocks per thread, where
# the counter then evened the threads' shares out; at 1 the skew sets the shares: the caller's share f that
# ends both threads together, the helper starting ~50 us late and computing 5-10% slower, is ~0.53 for W2's
# split products (f T = 1.075 (1 - f) T + 0.05 ms, T = 1.6-2.5 ms): 1 unit (fwd1 272 of 512 columns, dW1 432
# of 784 rows); 2 would give the caller 56-61% and leave the helper idle at the end
SKEW = 1
# outputs of this many bytes or more go to np.matmul, not np.dot: NumPy's dot zeroes its output before it
# calls GEMM (cblas_matrixproduct's memset), whose beta = 0 then overwrites it anyway: a pass over the output
# that held 3.6% of the perf samples of W2's one-thread plan (benchmarks/LOOPS_REPORT.md, "W2's CPU per
# call"); below, np.dot's ~1-2 us less dispatch a call (L1's small products) is worth more than the memset
DOT_MAX_BYTES = 1 << 16
# np.dot without its Python-level dispatcher: NumPy's np.dot runs a Python function (multiarray.dot, the
# __array_function__ dispatcher) on every call, ~0.15 us; the method runs the same C product (the same
# PyArray_MatrixProduct2, out and errors alike). L1's plan makes 14 small products a call.
dot = np.ndarray.dot

_threads = 1
_helpers: list[threading.Thread] = []
_tasks: SimpleQueue = SimpleQueue()
_start_lock = threading.Lock()


def set_threads(n: int) -> None:
    """Threads (the caller included) that large products are split across; 1: one call each."""
    global _threads
    n = max(1, int(n))
    if n > 1:
        _start_helpers(n - 1)
    _threads = n


def threads() -> int:
    return _threads


def helper_ids() -> list[int]:
    """The kernel thread ids of the helpers started so far (core_lending pins each to a core)."""
    return [t.native_id for t in _helpers]


def _start_helpers(n: int) -> None:
    # started here, by the thread that widens the worker (core_lending pins before it raises threads),
    # so a new helper inherits the widened mask; pin_threads covers every thread of the process after
    with _start_lock:
        while len(_helpers) < n:
            t = threading.Thread(target=_helper, name=f"gemm-split-{len(_helpers)}", daemon=True)
            t.start()
            _helpers.append(t)


def _helper() -> None:
    while True:
        _tasks.get()._work()


def _forget_helpers() -> None:
    # a forked child has none of the parent's threads: one thread until it is told more
    global _threads, _tasks, _start_lock
    _helpers.clear()
    _threads, _tasks, _start_lock = 1, SimpleQueue(), threading.Lock()


os.register_at_fork(after_in_child=_forget_helpers)


class _Split:
    """Products' blocks, out[sl] = a[sl_a] @ b[sl_b] each, taken in counter order by the caller and helpers."""

    __slots__ = ("blocks", "next", "left", "lock", "done", "error")

    def __init__(self, products: list):
        """products: (a, b, out, axis, bounds) each; their blocks are taken the largest first (LPT: a merged
        last block, a smaller product's blocks come last and even out the threads' ends)."""
        blocks = [(a, b, out, axis, slice(lo, hi)) for a, b, out, axis, bounds in products
                  for lo, hi in zip(bounds, bounds[1:])]
        self.blocks = sorted(blocks, key=_block_work, reverse=True)
        self.next = itertools.count()  # next() is atomic under the GIL: each block is taken once
        self.left = len(self.blocks)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error: BaseException | None = None

    def _work(self) -> None:
        blocks = self.blocks
        while True:
            i = next(self.next)
            if i >= len(blocks):
                return  # late helpers find nothing and never touch an output
            a, b, out, axis, sl = blocks[i]
            try:
                if axis == -2:
                    np.matmul(a[..., sl, :], b, out=out[..., sl, :])
                else:
                    np.matmul(a, b[..., sl], out=out[..., sl])
            except BaseException as e:  # noqa: BLE001 - re-raised by the caller
                self.error = e
            with self.lock:
                self.left -= 1
                if self.left == 0:
                    self.done.set()

    def run(self) -> None:
        for _ in range(min(_threads - 1, len(self.blocks) - 1)):
            _tasks.put(self)
        self._work()
        self.done.wait()  # only blocks a helper took and is still computing
        if self.error is not None:
            raise self.error


def _block_work(block) -> int:
    """A block's multiply-adds (its product's K times the block's share of the output)."""
    a, b, out, axis, sl = block
    lines = len(range(*sl.indices(out.shape[axis])))
    return lines * a.shape[-1] * (out.shape[-1] if axis == -2 else out.shape[-2])


def plan(shape: tuple, k: int, n_threads: int):
    """(axis, block bounds) to split a product of output `shape` (batch axes first) summed over `k`
    across `n_threads`, or None: one call."""
    m, n = shape[-2:]
    if n_threads < 2 or m < 2 or n < 2:  # a matrix-vector product: GEMV, whose blocks would not be GEMMs
        return None
    rows = _bounds(m, k * n, ROW_ALIGN, n_threads)
    # columns only when every block is whole micro-tiles: OpenBLAS sums the edge tile's elements in an
    # order that depends on how the call was blocked (seen with float64)
    cols = _bounds(n, k * m, COL_ALIGN, n_threads) if n % COL_ALIGN == 0 else None
    # each block re-packs the operand it does not cut: B (k x n) for row blocks, A (m x k) for columns
    if cols is not None and (rows is None or m <= n):  # a tie: columns, whose edges align finer
        return -1, cols
    return None if rows is None else (-2, rows)


def may_split(shape: tuple, k: int) -> bool:
    """Whether `plan` could split a product of output `shape` summed over `k` at some thread count. A
    block needs BLOCK_WORK multiply-adds per batch item and a split two blocks, so a product of fewer
    than 2 x BLOCK_WORK per item is always one call."""
    return len(shape) >= 2 and shape[-2] * shape[-1] * k >= 2 * BLOCK_WORK


def kernel_for(a_shape: tuple, b_shape: tuple, a_dtype, b_dtype):
    """The kernel `matmul` would run for operands of these (static) shapes and dtypes when no thread
    count splits their product: np.dot for two real matrices of one dtype, else np.matmul; `matmul`
    itself when it may split. A compiled plan binds it once instead of dispatching on every call
    (~0.5-2 us of Python per small product: L1 has 19)."""
    if len(a_shape) < 2 or len(b_shape) < 2 or a_shape[-1] != b_shape[-2]:
        return matmul  # (vectors, or what NumPy should word as an error)
    if may_split(a_shape[:-1] + b_shape[-1:], a_shape[-1]):
        return matmul
    a_dtype, b_dtype = np.dtype(a_dtype), np.dtype(b_dtype)
    if a_dtype in _HALF_DTYPES and b_dtype == a_dtype:
        return matmul
    if len(a_shape) == 2 and len(b_shape) == 2 and a_dtype in _DOT_DTYPES and b_dtype == a_dtype:
        # a large output: matmul picks np.matmul per call where the operands let BLAS run (see DOT_MAX_BYTES);
        # a column times a row never (_matmul_blas)
        small = a_shape[0] * b_shape[1] * a_dtype.itemsize < DOT_MAX_BYTES
        return dot if small or a_shape[1] == 1 else matmul
    return np.matmul


def _bounds(size: int, per_line: int, align: int, n_threads: int):
    """Block edges along an axis of `size` lines of `per_line` multiply-adds each, or None."""
    # NumPy makes one BLAS call per batch item: each item's block must stay on the regular GEMM path
    min_lines = max(align, -(-BLOCK_WORK // max(per_line, 1)))
    blocks = min(size // min_lines, BLOCKS_PER_THREAD * n_threads)
    if blocks < 2:
        return None
    step = max(-(-min_lines // align), round(size / blocks / align)) * align
    bounds = list(range(0, size, step)) + [size]
    if bounds[-1] - bounds[-2] < min_lines:  # a short last block joins the one before
        del bounds[-2]
    if len(bounds) < 3:
        return None
    # the caller takes the first block at once; a helper starts ~50 us later (woken) and computes ~5-10%
    # slower (the operands are hot in the caller's cache): with equal blocks the caller then waited a
    # median ~140-210 us per product for the helper's last one, plus its own wake-up
    # (benchmarks/w2_split_trace.py). SKEW aligned units more in the first block and as many less in the
    # last (when it stays large enough) even the two ends out; edges stay aligned: the same bits
    skew = SKEW * align
    if bounds[-1] - bounds[-2] - skew >= min_lines:
        bounds[1:-1] = [b + skew for b in bounds[1:-1]]
    return bounds


def _gemm_operands(a, b, out) -> bool:
    if type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim < 2 or b.ndim < 2:
        return False
    if a.dtype not in _GEMM_DTYPES or b.dtype != a.dtype:
        return False
    if out is not None and (type(out) is not np.ndarray or out.dtype != a.dtype or np.may_share_memory(out, a)
                            or np.may_share_memory(out, b)):
        return False
    # x @ x.T: NumPy computes one triangle by SYRK, which no block would
    return not (a.shape[-2:] == b.shape[-2:][::-1] and a.strides[-2:] == b.strides[-2:][::-1]
                and np.may_share_memory(a, b))


def _out_shape(a, b):
    """The product's shape, or None when NumPy should be the one to say what is wrong."""
    if a.shape[-1] != b.shape[-2]:
        return None
    try:
        return np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    except ValueError:
        return None


def _splittable(a, b, out):
    """(a, b, out, axis, bounds) to split a @ b (out made when None) across the intra-op threads, or None."""
    if not _gemm_operands(a, b, out):
        return None
    shape = _out_shape(a, b)
    p = plan(shape, a.shape[-1], _threads) if shape is not None else None
    if p is None or (out is not None and out.shape != shape):
        return None
    return a, b, np.empty(shape, a.dtype) if out is None else out, *p


def pair_threads(n_threads: int) -> int:
    """The threads each product of a pair (matmul_pair) is cut for: half the split's, rounded up. The two
    products' blocks are taken from one counter, so the split keeps its blocks per thread; at 2 threads each
    product is one block, one BLAS call: none re-packs the operand it does not cut (cut in 4 as alone, W2's
    backward products cost 1.16x and 1.33x one call's CPU; benchmarks/LOOPS_REPORT.md, "W2's backward pair")."""
    return -(-n_threads // 2)


def _pair_member(product):
    """A split product (_splittable) re-cut for its share of a pair's threads: one block when that is one."""
    a, b, out, _, _ = product
    p = plan(out.shape, a.shape[-1], pair_threads(_threads)) or (-2, [0, out.shape[-2]])
    return a, b, out, *p


def matmul(a, b, out=None):
    """np.matmul(a, b[, out]), split across the intra-op threads when it is large (bitwise the same); a
    float16 product in float32, rounded once (_HALF_DTYPES)."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.dtype in _HALF_DTYPES and b.dtype == a.dtype:
        return _half_matmul(a, b, out)
    if _threads > 1:
        product = _splittable(a, b, out)
        if product is not None:
            _Split([product]).run()
            return product[2]
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2 and a.dtype in _DOT_DTYPES \
            and b.dtype == a.dtype and not _matmul_blas(a, b, out):
        # two real matrices: np.dot makes the same BLAS call (bit for bit, tests/engine/test_split_gemm.py)
        # without the gufunc machinery of np.matmul, ~1-2 us less a call for L1's small products. It
        # copies when out overlaps an operand, as matmul does; it refuses (before writing anything)
        # mismatched shapes and an out that is not C-contiguous of the dtype: np.matmul then runs (or
        # says what is wrong, in its own words)
        try:
            return dot(a, b, out)
        except (ValueError, TypeError):
            pass
    return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)


def _half_matmul(a, b, out):
    wide = matmul(a.astype(np.float32), b.astype(np.float32))
    if out is None:
        return wide.astype(a.dtype)
    out[...] = wide  # (np.matmul's out= semantics: the rounded product written into out)
    return out


def _matmul_blas(a, b, out) -> bool:
    """Whether np.matmul should take this product of two real matrices rather than np.dot: an output of
    DOT_MAX_BYTES or more, none given or a C-contiguous one, and operands np.matmul hands to BLAS as they are
    (NumPy's is_blasable2d, either way round); np.dot copies other operands and then calls BLAS, where
    np.matmul would loop without BLAS (slower, other bits). A column times a row (K = 1) stays with np.dot:
    np.matmul computes it in its own loop whatever the strides (~18 us against np.dot's ~4 us for L1's
    (1024, 1) @ (1, 16), a 64 KiB output; the same bits, 0 + a * b per element)."""
    size = a.dtype.itemsize
    if a.shape[0] * b.shape[1] * size < DOT_MAX_BYTES or a.shape[1] == 1 \
            or not (out is None or out.flags.c_contiguous):
        return False
    return _blasable(a) and _blasable(b)


def _blasable(x) -> bool:
    size, (d1, d2), (s1, s2) = x.itemsize, x.shape, x.strides
    return (s2 == size and s1 % size == 0 and s1 // size >= d2) or (s1 == size and s2 % size == 0 and s2 // size >= d1)


def matmul_pair(a1, b1, out1, a2, b2, out2):
    """(matmul(a1, b1, out1), matmul(a2, b2, out2)) for two products of consecutive steps, the second reading
    nothing the first writes (a layer's backward pass: dX = dY @ W.T, dW = X.T @ dY). Split, the two go
    as one: the helpers are woken once and the caller waits once, not twice (each hand-off ~50-100 us on a
    VM whose idle vCPU halts: benchmarks/w2_split_trace.py), and the threads' ends even out over both
    products' blocks. Each product is cut for half the threads (pair_threads: at 2, whole; the larger block
    is first in the counter, which the caller, not yet a woken helper, usually takes). Every block is one BLAS
    call on aligned edges, so a pair has the bits of the unsplit products wherever a split product has them
    (see the module's docstring; the pair's edges differ from a product split alone). Sequential when either
    would not split alone or one's output may overlap an operand of the other."""
    if _threads > 1:
        first, second = _splittable(a1, b1, out1), _splittable(a2, b2, out2)
        if first is not None and second is not None and not _crossed(first, second):
            first, second = _pair_member(first), _pair_member(second)
            _Split([first, second]).run()
            return first[2], second[2]
    return matmul(a1, b1, out1), matmul(a2, b2, out2)


def _crossed(first, second) -> bool:
    """Whether either product's output may share memory with the other's operands or output."""
    o1, o2 = first[2], second[2]
    return any(np.may_share_memory(o, x) for o, x in ((o1, second[0]), (o1, second[1]), (o1, o2),
                                                     (o2, first[0]), (o2, first[1])))
