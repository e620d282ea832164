"""MindSpore's N-d gathers / scatters and segment reductions (ops.gather_nd, scatter_nd, tensor_scatter_*,
unsorted_segment_*, their classes): values and gradients against MindSpore 2.10 (CPU, PyNative; the values
recorded here came from running the same programs there), NumPy and PyTorch; jvp and vmap against the
gradient / a loop."""
import numpy as np
import pytest

from gradserve import ShapeError, Tensor, ops

torch = pytest.importorskip("torch")

X = np.arange(12, dtype=np.float32).reshape(3, 4)
W = np.arange(12, dtype=np.float32).reshape(3, 4) + 1  # a weight for the loss sum(op(...) * W)


def T(a, dt=np.float32):
    return Tensor(np.array(a, dt))


def _weighted_grad(fn, args, w, argnums=0):
    return ops.grad(lambda *a: ops.sum(fn(*a) * Tensor(w)), argnums)(*[Tensor(a) for a in args])


def test_gather_nd_values_gradient_jvp_and_vmap(fake):
    idx = np.array([[0, 1], [2, 3], [0, 1]], np.int32)  # a repeated row: its cotangents add
    got = ops.gather_nd(Tensor(X), Tensor(idx))
    np.testing.assert_array_equal(got.asnumpy(), X[idx[:, 0], idx[:, 1]])
    g = _weighted_grad(lambda x: ops.GatherNd()(x, Tensor(idx)), [X], np.array([1, 2, 3], np.float32))
    np.testing.assert_array_equal(g.asnumpy(), [[0, 4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 2]])  # MindSpore 2.10
    # slices: rows of a rank-3 tensor picked by one index component, batched index shape [2, 2, 1]
    x3 = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    i3 = np.array([[[1], [0]], [[1], [1]]], np.int64)
    np.testing.assert_array_equal(ops.gather_nd(Tensor(x3), Tensor(i3)).asnumpy(), x3[i3[..., 0]])
    t = np.random.default_rng(0).normal(size=X.shape).astype(np.float32)
    _, tan = ops.jvp(lambda x: ops.gather_nd(x, Tensor(idx)), (Tensor(X),), (Tensor(t),))
    np.testing.assert_array_equal(tan.asnumpy(), t[idx[:, 0], idx[:, 1]])
    batch = np.stack([X, X * 2])
    vm = ops.vmap(lambda x: ops.gather_nd(x, Tensor(idx)))(Tensor(batch)).asnumpy()
    np.testing.assert_array_equal(vm, batch[:, idx[:, 0], idx[:, 1]])


def test_gather_nd_refuses_rows_outside_the_shape(fake):
    with pytest.raises(RuntimeError, match=r"gather_nd: index row \[-1, 0\] \(row 0\)"):
        ops.gather_nd(Tensor(X), T([[-1, 0]], np.int32))  # MindSpore 2.10 refuses negatives as well (RuntimeError)
    with pytest.raises(ValueError, match="last axis of at most 2"):
        ops.gather_nd(Tensor(X), T([[0, 0, 0]], np.int32))
    with pytest.raises(TypeError, match="indices must be int32 or int64"):
        ops.gather_nd(Tensor(X), T([[0.0, 1.0]]))


def test_scatter_nd_accumulates_repeats(fake):
    idx = T([[0], [2], [0]], np.int32)
    out = ops.ScatterNd()(idx, T([1.0, 2.0, 3.0]), (4,))
    np.testing.assert_array_equal(out.asnumpy(), [4, 0, 2, 0])  # MindSpore 2.10
    g = _weighted_grad(lambda u: ops.scatter_nd(idx, u, (4,)), [np.array([1, 2, 3], np.float32)],
                       np.array([1, 2, 3, 4], np.float32))
    np.testing.assert_array_equal(g.asnumpy(), [1, 3, 1])  # MindSpore 2.10
    rows = ops.scatter_nd(T([[1], [0]], np.int32), T([[1, 2], [3, 4]], np.int32), (2, 2))
    np.testing.assert_array_equal(rows.asnumpy(), [[3, 4], [1, 2]])
    with pytest.raises(ValueError, match=r"updates of shape \(2,\) do not fit"):
        ops.scatter_nd(idx, T([1.0, 2.0]), (4,))


def test_tensor_scatter_update_values_and_gradients(fake):
    idx = T([[0, 1], [2, 2]], np.int32)
    out = ops.tensor_scatter_update(Tensor(X), idx, T([10.0, 20.0]))
    want = X.copy()
    want[0, 1], want[2, 2] = 10, 20
    np.testing.assert_array_equal(out.asnumpy(), want)
    gx, gu = _weighted_grad(lambda x, u: ops.TensorScatterUpdate()(x, idx, u), [X, np.array([10, 20], np.float32)],
                            W, (0, 1))
    wx = W.copy()
    wx[0, 1] = wx[2, 2] = 0
    np.testing.assert_array_equal(gx.asnumpy(), wx)  # MindSpore 2.10: the overwritten places get nothing
    np.testing.assert_array_equal(gu.asnumpy(), [2, 11])
    last = ops.tensor_scatter_update(Tensor(X), T([[1, 1], [1, 1]], np.int32), T([5.0, 6.0]))
    assert last.asnumpy()[1, 1] == 6.0  # a repeated row: the last update


# MindSpore 2.10 on x = arange(12).reshape(3, 4) + 1, rows [0, 1], [0, 1] (a repeat), [2, 2], updates
# [2, 3, 0.5], loss sum(out * W): (out[0, 1], out[2, 2], d x[0, 1], d x[2, 2], d updates)
MS_COMBINE = {
    "add": (7.0, 11.5, 2.0, 11.0, [2, 2, 11]),
    "sub": (-3.0, 10.5, 2.0, 11.0, [-2, -2, -11]),
    "mul": (12.0, 5.5, 12.0, 5.5, None),
    "div": (1 / 3, 22.0, 1 / 3, 22.0, None),
    "max": (3.0, 11.0, 0.0, 11.0, [0, 2, 0]),
    "min": (2.0, 0.5, 1.0, 0.0, [1, 0, 11]),  # x[0, 1] = 2 ties update 2: the gradient 2 split in halves
}


@pytest.mark.parametrize("name", sorted(MS_COMBINE))
def test_tensor_scatter_combine_against_mindspore(fake, name):
    x = np.arange(12, dtype=np.float32).reshape(3, 4) + 1
    idx, u = T([[0, 1], [0, 1], [2, 2]], np.int32), np.array([2, 3, 0.5], np.float32)
    fn = getattr(ops, f"tensor_scatter_{name}")
    out = fn(Tensor(x), idx, Tensor(u)).asnumpy()
    o01, o22, g01, g22, gu_ms = MS_COMBINE[name]
    np.testing.assert_allclose([out[0, 1], out[2, 2]], [o01, o22], rtol=1e-6)
    untouched = np.ones_like(x, bool)
    untouched[0, 1] = untouched[2, 2] = False
    np.testing.assert_array_equal(out[untouched], x[untouched])
    gx, gu = _weighted_grad(lambda a, b: getattr(ops, "TensorScatter" + name.capitalize())()(a, idx, b), [x, u], W,
                            (0, 1))
    gx = gx.asnumpy()
    np.testing.assert_allclose([gx[0, 1], gx[2, 2]], [g01, g22], rtol=1e-6)
    np.testing.assert_array_equal(gx[untouched], W[untouched])
    if gu_ms is not None:
        np.testing.assert_allclose(gu.asnumpy(), gu_ms, rtol=1e-6)
    else:  # mul / div with a repeated row: the product's true derivative (MindSpore's bprop leaves the
        # other repeat out: 4, 4, 121 for mul); against PyTorch on the same composition
        xt, ut = torch.tensor(x, requires_grad=True), torch.tensor(u, requires_grad=True)
        f01 = ut[0] * ut[1]
        o = xt.clone()
        o = o.index_put((torch.tensor([0, 2]), torch.tensor([1, 2])),
                        torch.stack([xt[0, 1] * f01, xt[2, 2] * ut[2]]) if name == "mul"
                        else torch.stack([xt[0, 1] / f01, xt[2, 2] / ut[2]]))
        (o * torch.tensor(W)).sum().backward()
        np.testing.assert_allclose(gu.asnumpy(), ut.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-6)


def test_tensor_scatter_unique_rows_match_mindspore_bprop_and_jvp(fake):
    """With one update per position MindSpore 2.10's mul bprop (updates: W * x) is the derivative."""
    x = np.arange(12, dtype=np.float32).reshape(3, 4) + 1
    idx, u = T([[0, 1], [2, 2]], np.int32), np.array([2, 0.5], np.float32)
    gx, gu = _weighted_grad(lambda a, b: ops.tensor_scatter_mul(a, idx, b), [x, u], W, (0, 1))
    np.testing.assert_allclose(gu.asnumpy(), [W[0, 1] * x[0, 1], W[2, 2] * x[2, 2]])
    tx, tu = np.ones_like(x), np.array([1.0, -1.0], np.float32)
    for name in ("update", "add", "mul", "max"):
        fn = getattr(ops, f"tensor_scatter_{name}")
        _, jv = ops.jvp(lambda a, b: ops.sum(fn(a, idx, b) * Tensor(W)), (Tensor(x), Tensor(u)),
                        (Tensor(tx), Tensor(tu)))
        ga, gb = _weighted_grad(lambda a, b: fn(a, idx, b), [x, u], W, (0, 1))
        want = float((ga.asnumpy() * tx).sum() + (gb.asnumpy() * tu).sum())
        np.testing.assert_allclose(float(jv.asnumpy()), want, rtol=1e-6, err_msg=name)


def test_unsorted_segment_sum_leaves_negative_ids_out(fake):
    d = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.float32)
    s = T([0, 2, 0, -1], np.int32)
    out = ops.UnsortedSegmentSum()(Tensor(d), s, 3)
    np.testing.assert_array_equal(out.asnumpy(), [[6, 8], [0, 0], [3, 4]])  # MindSpore 2.10
    g = _weighted_grad(lambda a: ops.unsorted_segment_sum(a, s, 3), [d], np.array([[1, 2], [3, 4], [5, 6]], np.float32))
    np.testing.assert_array_equal(g.asnumpy(), [[1, 2], [5, 6], [1, 2], [0, 0]])
    with pytest.raises(ValueError, match=r"segment id 5 is outside \[0, 2\)"):
        ops.unsorted_segment_sum(T([1.0, 2.0, 3.0]), T([0, 5, 1], np.int32), 2)  # MindSpore 2.10 refuses too
    seg = ops.SegmentSum()(Tensor(d), T([0, 0, 1, 3], np.int32))
    np.testing.assert_array_equal(seg.asnumpy(), [[4, 6], [5, 6], [0, 0], [7, 8]])


# MindSpore 2.10: input [[1, 2], [1, 4], [5, 6], [7, 8]], ids [0, 0, 2, 1], 4 segments (the last empty);
# loss sum(out * [[1, 2], [3, 4], [5, 6], [7, 8]])
F32_MAX = float(np.finfo(np.float32).max)
MS_SEGMENT = {
    "max": ([[1, 4], [7, 8], [5, 6], [-F32_MAX, -F32_MAX]], [[0.5, 0], [0.5, 2], [5, 6], [3, 4]]),
    "min": ([[1, 2], [7, 8], [5, 6], [F32_MAX, F32_MAX]], [[0.5, 2], [0.5, 0], [5, 6], [3, 4]]),
    "prod": ([[1, 8], [7, 8], [5, 6], [1, 1]], [[1, 8], [1, 4], [5, 6], [3, 4]]),
}


@pytest.mark.parametrize("name", sorted(MS_SEGMENT))
def test_unsorted_segment_reductions_against_mindspore(fake, name):
    d = np.array([[1, 2], [1, 4], [5, 6], [7, 8]], np.float32)
    ids = T([0, 0, 2, 1], np.int32)
    want, want_grad = MS_SEGMENT[name]
    out = getattr(ops, "UnsortedSegment" + name.capitalize())()(Tensor(d), ids, 4)
    np.testing.assert_array_equal(out.asnumpy(), np.array(want, np.float32))
    g = _weighted_grad(lambda a: getattr(ops, f"unsorted_segment_{name}")(a, ids, 3),
                       [d], np.array([[1, 2], [3, 4], [5, 6]], np.float32))
    np.testing.assert_array_equal(g.asnumpy(), want_grad)
    with pytest.raises(ValueError, match=r"segment id -1 is outside \[0, 3\)"):
        getattr(ops, f"unsorted_segment_{name}")(Tensor(d), T([0, -1, 2, 1], np.int32), 3)


def test_segment_reductions_with_traced_ids_and_vmap(fake):
    """ids computed in the program (traced): a negative one is left out, as for unsorted_segment_sum."""
    d = np.array([[3.0, -1.0], [2.0, 5.0], [4.0, 0.5], [9.0, 9.0]], np.float32)
    raw = Tensor(np.array([1, 0, 1, -1], np.int32))

    def f(a, ids):
        ids = ids * 1  # a traced value, not a constant
        return ops.sum(ops.unsorted_segment_max(a, ids, 2) * 2.0 + ops.unsorted_segment_sum(a, ids, 2))

    g = ops.grad(f)(Tensor(d), raw).asnumpy()
    np.testing.assert_array_equal(g, [[1, 1], [3, 3], [3, 3], [0, 0]])  # row 2 holds both maxima of segment 1
    batch = np.stack([d, -d])
    vm = ops.vmap(lambda a: ops.unsorted_segment_prod(a, Tensor(np.array([1, 0, 1, 0], np.int32)), 2))(Tensor(batch))
    want = np.stack([[b[1] * b[3], b[0] * b[2]] for b in batch])
    np.testing.assert_allclose(vm.asnumpy(), want, rtol=1e-6)


def test_traced_index_rows_count_negatives_from_the_end(fake):
    """Indices computed in the program are not known when the graph is built: a negative component counts
    from the end (as NumPy), and a row past the shape is the engine's range error at run time."""
    idx = Tensor(np.array([[-1, 0], [1, -2]], np.int32))
    w = np.array([1.0, 10.0], np.float32)
    g = ops.grad(lambda x, i: ops.sum(ops.gather_nd(x, i * 1) * Tensor(w)))(Tensor(X), idx).asnumpy()
    want = np.zeros_like(X)
    want[2, 0], want[1, 2] = 1.0, 10.0
    np.testing.assert_array_equal(g, want)
    out = ops.grad(lambda u, i: ops.sum(ops.scatter_nd(i * 1, u, (3, 4)) * Tensor(W)))(Tensor(w), idx).asnumpy()
    np.testing.assert_array_equal(out, [W[2, 0], W[1, 2]])
    past = Tensor(np.array([[0, 5]], np.int32))  # column 5 of 4: inside the 12 elements, outside the shape
    with pytest.raises(ShapeError, match="out of range"):
        ops.grad(lambda x, i: ops.sum(ops.gather_nd(x, i * 1)))(Tensor(X), past)


def test_integer_tensors_scatter_and_segment(fake):
    x = np.arange(6, dtype=np.int32).reshape(3, 2)
    ids = T([1, 0, 1], np.int32)
    np.testing.assert_array_equal(ops.unsorted_segment_max(Tensor(x), ids, 3).asnumpy(),
                                  [[2, 3], [4, 5], [np.iinfo(np.int32).min] * 2])
    np.testing.assert_array_equal(ops.unsorted_segment_sum(Tensor(x), ids, 2).asnumpy(), [[2, 3], [4, 6]])
    upd = ops.tensor_scatter_update(Tensor(x), T([[2, 1]], np.int32), T([-7], np.int32)).asnumpy()
    np.testing.assert_array_equal(upd, [[0, 1], [2, 3], [4, -7]])
    with pytest.raises(TypeError, match="updates are float32, input_x is int32"):
        ops.tensor_scatter_add(Tensor(x), T([[0, 0]], np.int32), T([1.0]))


# MindSpore 2.10 (CPU, PyNative): unsorted_segment_max / min / prod of [[1, 2], [3, 4], [5, 6]] with ids
# [1, 0, 1] and 3 segments; segment 2 is empty and holds the dtype's exact lowest / highest value (or 1).
MS_INT_SEGMENT = {
    "int64": [-9223372036854775808, 9223372036854775807], "int32": [-2147483648, 2147483647],
    "int16": [-32768, 32767], "int8": [-128, 127], "uint8": [0, 255],
}


@pytest.mark.parametrize("dt", sorted(MS_INT_SEGMENT))
def test_integer_empty_segment_holds_the_exact_extreme(fake, dt):
    x = Tensor(np.array([[1, 2], [3, 4], [5, 6]], dt))
    ids = T([1, 0, 1], np.int32)
    low, high = MS_INT_SEGMENT[dt]
    for name, empty, want in (("max", low, [[3, 4], [5, 6]]), ("min", high, [[3, 4], [1, 2]]),
                              ("prod", 1, [[3, 4], [5, 12]])):
        out = getattr(ops, f"unsorted_segment_{name}")(x, ids, 3).asnumpy()
        assert out.dtype == np.dtype(dt), (name, out.dtype)
        np.testing.assert_array_equal(out, np.array(want + [[empty, empty]], dt), err_msg=name)


@pytest.mark.parametrize("dt", [np.int64, np.int32])
def test_integer_tensor_scatter_max_min(fake, dt):
    """MindSpore 2.10: x [[1, 2], [3, 4]], rows [[0, 0], [1, 1], [0, 0]], updates [-7, 9, 5] (a repeat)."""
    x, idx, u = Tensor(np.array([[1, 2], [3, 4]], dt)), T([[0, 0], [1, 1], [0, 0]], np.int32), T([-7, 9, 5], dt)
    np.testing.assert_array_equal(ops.tensor_scatter_max(x, idx, u).asnumpy(), [[5, 2], [3, 9]])
    np.testing.assert_array_equal(ops.tensor_scatter_min(x, idx, u).asnumpy(), [[-7, 2], [3, 4]])


def test_tensor_scatter_update_repeated_row_the_last_wins(fake):
    """MindSpore 2.10 (x = arange(12).reshape(3, 4), rows [1, 1], [0, 0], [1, 1], updates [5, 7, 6], loss
    sum(out * W)): out and d x as recorded there. d updates: the derivative (the overwritten update 5 moves
    nothing: 0); MindSpore's bprop gives each repeat the position's cotangent ([6, 1, 6])."""
    idx, u = T([[1, 1], [0, 0], [1, 1]], np.int32), np.array([5.0, 7.0, 6.0], np.float32)
    out = ops.tensor_scatter_update(Tensor(X), idx, Tensor(u)).asnumpy()
    np.testing.assert_array_equal(out, [[7, 1, 2, 3], [4, 6, 6, 7], [8, 9, 10, 11]])
    gx, gu = _weighted_grad(lambda a, b: ops.tensor_scatter_update(a, idx, b), [X, u], W, (0, 1))
    np.testing.assert_array_equal(gx.asnumpy(), [[0, 2, 3, 4], [5, 0, 7, 8], [9, 10, 11, 12]])
    np.testing.assert_array_equal(gu.asnumpy(), [0, 1, 6])


def test_a_hundred_thousand_index_rows_in_linear_memory(fake):
    """10^5 index rows (most positions repeated): one pass each (the former pairwise comparison needed
    10^10 elements); values against NumPy, and the max's gradient splits among ties."""
    n, p = 100_000, 500
    rng = np.random.default_rng(0)
    rows = rng.integers(0, p, n)
    vals = rng.integers(-50, 50, n).astype(np.float32)  # many ties per position
    x = np.zeros((p,), np.float32) - 100
    idx = Tensor(rows.reshape(n, 1).astype(np.int64))
    want = x.copy()
    np.maximum.at(want, rows, vals)
    np.testing.assert_array_equal(ops.tensor_scatter_max(Tensor(x), idx, Tensor(vals)).asnumpy(), want)
    last = x.copy()
    last[rows] = vals  # NumPy's fancy assignment: the last repeat wins
    np.testing.assert_array_equal(ops.tensor_scatter_update(Tensor(x), idx, Tensor(vals)).asnumpy(), last)
    seg = ops.unsorted_segment_min(Tensor(vals), Tensor(rows.astype(np.int32)), p + 1).asnumpy()
    low = np.full(p + 1, np.finfo(np.float32).max, np.float32)
    np.minimum.at(low, rows, vals)
    np.testing.assert_array_equal(seg, low)
    g = ops.grad(lambda v: ops.sum(ops.unsorted_segment_max(v, Tensor(rows.astype(np.int32)), p)))(Tensor(vals))
    top = np.full(p, -np.inf, np.float32)
    np.maximum.at(top, rows, vals)
    at_max = vals == top[rows]
    np.testing.assert_allclose(g.asnumpy(), at_max / np.bincount(rows[at_max], minlength=p)[rows], rtol=1e-6)


def test_vmap_of_scatter_reductions_matches_a_loop(fake):
    """Batched operands and batched index rows (the engine's segment_reduce batching rule, both paths),
    and per-example gradients, against the same ops example by example."""
    rng = np.random.default_rng(5)
    xs, us = rng.integers(-3, 3, (3, 3, 4)).astype(np.float32), rng.integers(-3, 3, (3, 4)).astype(np.float32)
    rows = np.array([[[0, 1], [2, 2], [0, 1], [1, 3]], [[2, 0], [2, 0], [2, 0], [0, 0]],
                     [[1, 1], [0, 3], [1, 1], [2, 3]]], np.int32)
    fixed = Tensor(rows[0])
    for name in ("update", "max", "min", "mul"):
        fn = getattr(ops, f"tensor_scatter_{name}")
        got = ops.vmap(lambda x, u: fn(x, fixed, u))(Tensor(xs), Tensor(us)).asnumpy()
        want = np.stack([fn(Tensor(x), fixed, Tensor(u)).asnumpy() for x, u in zip(xs, us)])
        np.testing.assert_array_equal(got, want, err_msg=name)
        got = ops.vmap(fn)(Tensor(xs), Tensor(rows), Tensor(us)).asnumpy()
        want = np.stack([fn(Tensor(x), Tensor(r), Tensor(u)).asnumpy() for x, r, u in zip(xs, rows, us)])
        np.testing.assert_array_equal(got, want, err_msg=f"{name}, batched rows")
    per = ops.vmap(ops.grad(lambda u, r: ops.sum(ops.tensor_scatter_max(Tensor(xs[0]), r, u) * Tensor(W))))
    got = per(Tensor(us), Tensor(rows)).asnumpy()
    want = np.stack([_weighted_grad(lambda u: ops.tensor_scatter_max(Tensor(xs[0]), Tensor(r), u), [u], W).asnumpy()
                     for u, r in zip(us, rows)])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op, row, error", [  # the classes MindSpore 2.10 raises on CPU (its venv)
    ("tensor_scatter_add", [10, 10], RuntimeError), ("tensor_scatter_mul", [-1, 0], RuntimeError),
    ("tensor_scatter_div", [10, 10], RuntimeError), ("tensor_scatter_update", [10, 10], ValueError),
    ("tensor_scatter_update", [-1, 0], RuntimeError),
])
def test_tensor_scatter_rows_outside_the_shape_raise_mindspores_class(fake, op, row, error):
    with pytest.raises(error, match="is outside the indexed axes"):
        getattr(ops, op)(Tensor(X), T([row], np.int32), T([1.0]))


def test_tensor_scatter_methods_match_mindspore(on_real_server):
    x = Tensor(np.array([[-0.1, 0.3, 3.6], [0.4, 0.5, -3.2]], np.float32))
    i, u = T([[0, 1]], np.int32), T([2.0])
    want = {"scatter_add": 2.3, "scatter_sub": -1.7, "scatter_mul": 0.6, "scatter_div": 0.15, "scatter_max": 2.0,
            "scatter_min": 0.3}  # x[0, 1] after each, MindSpore 2.10 on CPU; the rest is x
    for name, v in want.items():
        out = getattr(x, name)(i, u).asnumpy()
        np.testing.assert_allclose(out, [[-0.1, v, 3.6], [0.4, 0.5, -3.2]], rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"\(dim, index, src\) form"):  # MindSpore 2.10 CPU: RuntimeError
        x.scatter_add(1, i, u)


def test_unsorted_segment_sum_takes_num_segments_as_a_one_element_tensor(on_real_server):
    x = Tensor(np.arange(1, 10).reshape(3, 3).astype(np.float32))
    ids = T([0, 1, 0], np.int32)
    out = ops.unsorted_segment_sum(x, ids, T([2], np.int32)).asnumpy()
    assert out.tolist() == [[8.0, 10.0, 12.0], [4.0, 5.0, 6.0]]  # MindSpore 2.10 on CPU
    with pytest.raises(TypeError, match="one element"):  # MindSpore 2.10: a TypeError too
        ops.unsorted_segment_sum(x, ids, T([2, 3], np.int32))
