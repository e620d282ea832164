"""Differential testing round 3, against PyTorch (torch.func) in float64: ops in dtype corners (float16 / float32 /
float64 inputs, broadcasting over size-1 dims, reductions with keep_dims and negative axes, empty tensors,
gathers / scatters / index_add with duplicate indices, in-place Tensor ops and item assignment inside the
differentiated function, sort / topk) under the MindSpore grad surface: ops.grad with grad_position,
value_and_grad, GradOperation(get_all, sens_param) with a tuple of sens, vjp / jvp with several inputs and
outputs, jvp over vjp, grad of grad of grad, and ops.vmap with nested in_axes / None. PyNative and GRAPH_MODE.
Where MindSpore's convention differs from torch's, MindSpore's wins (checked against MindSpore 2.10 on CPU):
- ops.std / ops.var default to ddof=0 (torch: unbiased); the cases pass ddof explicitly.
- max / min with an axis (ops.max, ArgMaxWithValue, Tensor.max(axis)) route the cotangent to the one index
  returned; ReduceMax / amax / amin / x.max() over all split it evenly among ties (as torch's amax does).
- A grad_position tuple of one element returns a bare Tensor, not a tuple of one.
Ties are kept out of the random inputs (values drawn on a grid-free uniform) so each op's derivative is unique.
run_torch_case(seed) -> ('ok' | 'mismatch' | 'error', name, detail)."""
from __future__ import annotations

import numpy as np
import torch
import torch.func as tf

from gradserve import Tensor, ops
from gradserve.ops import GradOperation

try:
    from ._differential_specs import judged
except ImportError:  # run as a script
    from _differential_specs import judged

IDX = np.array([1, 3, 1, 0], np.int64)  # duplicate index 1
SEG = np.array([0, 2, 0, 1, 2], np.int64)
HOLES = np.array([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1]], np.float64)  # zeros in prod / cumprod: one, two, none


def _ti(a):
    return torch.tensor(a)


def _mi(a):
    return Tensor(a.astype(np.int32))


def _iadd(m):
    def f(x, y):
        z = x * 1.5
        z += y
        z *= x
        return z
    return f


def _setitem(x, v):
    z = x * 2.0
    z[_mi(np.array([0, 2]))] = v
    return z * x


def _setitem_t(x, v):
    return x.mul(2.0).index_put((_ti(np.array([0, 2])),), v) * x


def _setslice(x, v):
    z = x * 2.0
    z[1:3] = v * 3.0
    return z * x


def _setslice_t(x, v):
    z = x * 2.0
    return torch.cat([z[:1], v * 3.0, z[3:]]) * x


# name: (input shapes, gradserve fn, torch fn). Shapes use (5, 3) rows so IDX / SEG index axis 0.
CASES = {
    "broadcast_mul_add": ([(2, 1, 3), (4, 1), (1,)], lambda x, y, z: x * y + z, lambda x, y, z: x * y + z),
    "broadcast_div_sub": ([(5, 3), (1, 3)], lambda x, y: x / (y * y + 1.0) - y, lambda x, y: x / (y * y + 1.0) - y),
    "sum_keepdims_neg": ([(2, 4, 3)], lambda x: x.sum(axis=-1, keepdims=True) * x,
                         lambda x: x.sum(-1, keepdim=True) * x),
    "reducesum_keep_axes": ([(2, 4, 3)], lambda x: ops.ReduceSum(keep_dims=True)(x, (-1, 0)) * ops.sin(x),
                            lambda x: x.sum((-1, 0), keepdim=True) * torch.sin(x)),
    "mean_keep": ([(2, 4, 3)], lambda x: ops.mean(x, axis=(-2,), keep_dims=True) ** 2,
                  lambda x: x.mean((-2,), keepdim=True) ** 2),
    "prod_neg_axis": ([(3, 4)], lambda x: ops.prod(x, -1), lambda x: x.prod(-1)),
    "amax_keep": ([(3, 4)], lambda x: ops.amax(x, -1, True) * x, lambda x: x.amax(-1, True) * x),
    "max_axis": ([(3, 4)], lambda x: ops.max(x, -2)[0] * 2.0, lambda x: x.max(-2)[0] * 2.0),
    "logsumexp": ([(3, 4)], lambda x: ops.logsumexp(x, -1, True), lambda x: torch.logsumexp(x, -1, True)),
    "std_ddof1": ([(3, 4)], lambda x: ops.std(x, -1, ddof=1, keepdims=True),
                  lambda x: torch.std(x, -1, keepdim=True)),
    "var_ddof0": ([(3, 4)], lambda x: ops.var(x, 0, ddof=0), lambda x: torch.var(x, 0, unbiased=False)),
    "norm_neg": ([(3, 4)], lambda x: ops.norm(x, dim=-1), lambda x: torch.linalg.vector_norm(x, dim=-1)),
    "cumsum_neg": ([(3, 4)], lambda x: ops.cumsum(x, -1) ** 2, lambda x: torch.cumsum(x, -1) ** 2),
    "cumprod": ([(3, 4)], lambda x: ops.cumprod(x, 0), lambda x: torch.cumprod(x, 0)),
    "prod_with_zeros": ([(3, 4)], lambda x: ops.prod(x * Tensor(HOLES.astype(x.dtype.name.lower())), -1),
                        lambda x: (x * _t(HOLES)).prod(-1)),
    "cumprod_with_zeros": ([(3, 4)], lambda x: ops.cumprod(x * Tensor(HOLES.astype(x.dtype.name.lower())), -1),
                           lambda x: torch.cumprod(x * _t(HOLES), -1)),
    "empty_concat": ([(0, 3), (2, 3)], lambda x, y: ops.concat((x, y), 0) ** 2, lambda x, y: torch.cat((x, y)) ** 2),
    "empty_sum": ([(0, 3), (3,)], lambda x, y: x.sum(axis=0) * y, lambda x, y: x.sum(0) * y),
    "iadd_imul": ([(5, 3), (5, 3)], _iadd(ops), _iadd(torch)),
    "setitem_index": ([(5, 3), (2, 3)], _setitem, _setitem_t),
    "setitem_slice": ([(5, 3), (2, 3)], _setslice, _setslice_t),
    "index_add_dup": ([(5, 3), (4, 3)], lambda x, s: ops.index_add(x, _mi(IDX), s, 0) * x,
                      lambda x, s: x.index_add(0, _ti(IDX), s) * x),
    "gather_dup": ([(5, 3)], lambda x: ops.gather(x, _mi(IDX), 0) ** 2, lambda x: x[_ti(IDX)] ** 2),
    "gather_axis_neg_dup": ([(5, 3)], lambda x: ops.gather(x, _mi(np.array([2, 0, 2, 2])), -1),
                            lambda x: x[:, [2, 0, 2, 2]]),
    "gather_elements_dup": ([(5, 3)], lambda x: ops.gather_elements(x, 1, _mi(np.array([[0, 0, 2]] * 5))) ** 2,
                            lambda x: torch.gather(x, 1, _ti(np.array([[0, 0, 2]] * 5))) ** 2),
    "getitem_dup": ([(5, 3)], lambda x: x[_mi(IDX)] ** 3, lambda x: x[_ti(IDX)] ** 3),
    "tensor_scatter_add_dup": ([(5, 3), (4, 3)], lambda x, s: ops.tensor_scatter_add(x, _mi(IDX[:, None]), s) * x,
                               lambda x, s: x.index_add(0, _ti(IDX), s) * x),
    "scatter_nd_dup": ([(4, 3)], lambda s: ops.scatter_nd(_mi(IDX[:, None]), s, (5, 3)) ** 2,
                       lambda s: torch.zeros(5, 3, dtype=s.dtype).index_add(0, _ti(IDX), s) ** 2),
    "segment_sum": ([(5, 3)], lambda x: ops.unsorted_segment_sum(x, _mi(SEG), 3) ** 2,
                    lambda x: torch.zeros(3, 3, dtype=x.dtype).index_add(0, _ti(SEG), x) ** 2),
    "gather_nd_dup": ([(5, 3)], lambda x: ops.gather_nd(x, _mi(np.array([[1, 2], [1, 2], [0, 0]]))) ** 2,
                      lambda x: x[[1, 1, 0], [2, 2, 0]] ** 2),
    "sort_axis0": ([(5, 3)], lambda x: ops.sort(x, 0)[0] * x[:1], lambda x: torch.sort(x, 0)[0] * x[:1]),
    "sort_desc": ([(5, 3)], lambda x: ops.sort(x, -1, descending=True)[0] ** 2,
                  lambda x: torch.sort(x, -1, descending=True)[0] ** 2),
    "topk_dim0": ([(5, 3)], lambda x: ops.topk(x, 2, dim=0)[0], lambda x: torch.topk(x, 2, dim=0)[0]),
    "topk_smallest": ([(5, 3)], lambda x: ops.topk(x, 2, dim=-1, largest=False)[0] ** 2,
                      lambda x: torch.topk(x, 2, dim=-1, largest=False)[0] ** 2),
    "masked_fill": ([(5, 3)], lambda x: ops.masked_fill(x, x > 0, 0.5) * x, lambda x: x.masked_fill(x > 0, 0.5) * x),
    "where_bcast": ([(5, 3), (1, 3)], lambda x, y: ops.where(x > y, x, y * 2.0),
                    lambda x, y: torch.where(x > y, x, y * 2.0)),
    "two_outputs": ([(3, 4), (4,)], lambda x, y: (ops.sin(x) * y, (x * y).sum(axis=-1)),
                    lambda x, y: (torch.sin(x) * y, (x * y).sum(-1))),
    "split_outputs": ([(5, 3)], lambda x: ops.split(ops.exp(x), [1, 2], -1),
                      lambda x: torch.split(torch.exp(x), [1, 2], -1)),
}
KINDS = ("grad", "value_and_grad", "grad_sens", "vjp", "jvp", "jvp_of_vjp", "grad3", "vmap_grad")
SMOOTH = {"prod_with_zeros", "cumprod_with_zeros", "broadcast_mul_add", "broadcast_div_sub", "sum_keepdims_neg", "reducesum_keep_axes", "mean_keep",
          "prod_neg_axis", "logsumexp", "cumsum_neg", "cumprod", "iadd_imul", "two_outputs", "split_outputs"}


def _t(a):
    return torch.tensor(np.asarray(a, np.float64))


def _np(x):
    """torch results (nested tuples) as float64 NumPy."""
    if isinstance(x, (tuple, list)):
        return tuple(_np(a) for a in x)
    return x.detach().numpy()


def _outs(x):
    return x if isinstance(x, tuple) else (x,)


def _total(fn, lib, dtype="float64"):
    """The sum of all outputs, each weighted by 1 + its flat index / 10 (a non-uniform implicit sens)."""
    def f(*a):
        s = 0.0
        for o in _outs(fn(*a)):
            w = np.arange(int(np.prod(o.shape)), dtype=np.float64).reshape(tuple(o.shape)) / 10 + 1
            s = s + (o * (Tensor(w.astype(dtype)) if lib is ops else _t(w))).sum()
        return s
    return f


def run_kind(kind, ms_fn, t_fn, xs, rng, dtype):
    """(gradserve's result, torch's) for one kind of derivative of fn at xs."""
    ms_x = [Tensor(x) for x in xs]
    tx = [_t(x) for x in xs]
    pos = tuple(range(len(xs))) if len(xs) > 1 else 0
    if kind in ("grad", "value_and_grad"):
        want_g = tf.grad(_total(t_fn, torch), argnums=pos)(*tx)
        if kind == "grad":
            return ops.grad(_total(ms_fn, ops, dtype), pos)(*ms_x), _np(want_g)
        got = ops.value_and_grad(_total(ms_fn, ops, dtype), pos)(*ms_x)
        return got, (_total(t_fn, torch)(*tx).detach().numpy(), _np(want_g))
    out_t = _outs(t_fn(*tx))
    cot = tuple(rng.uniform(-1, 1, tuple(o.shape)).astype(dtype) for o in out_t)
    cot_ms = tuple(Tensor(c) for c in cot)
    cot_t = tuple(_t(c) for c in cot)
    shaped = (lambda c: c) if isinstance(t_fn(*tx), tuple) else (lambda c: c[0])
    if kind == "grad_sens":
        got = GradOperation(get_all=True, sens_param=True)(ms_fn)(*ms_x, shaped(cot_ms))
        return got, _np(tf.vjp(t_fn, *tx)[1](shaped(cot_t)))
    if kind == "vjp":
        out, back = ops.vjp(ms_fn, *ms_x)
        t_out, t_back = tf.vjp(t_fn, *tx)
        return (out, back(shaped(cot_ms))), (_np(t_out), _np(t_back(shaped(cot_t))))
    tan = [rng.uniform(-1, 1, x.shape).astype(dtype) for x in xs]
    if kind == "jvp":
        return ops.jvp(ms_fn, tuple(ms_x), tuple(Tensor(v) for v in tan)), _np(tf.jvp(t_fn, tuple(tx), tuple(map(_t, tan))))
    if kind == "jvp_of_vjp":
        back_ms = lambda *a: ops.vjp(ms_fn, *a)[1](shaped(cot_ms))  # noqa: E731
        back_t = lambda *a: tf.vjp(t_fn, *a)[1](shaped(cot_t))  # noqa: E731
        got = ops.jvp(back_ms, tuple(ms_x), tuple(Tensor(v) for v in tan))
        return got, _np(tf.jvp(back_t, tuple(tx), tuple(map(_t, tan))))
    if kind == "grad3":
        g_ms, g_t = _total(ms_fn, ops, dtype), _total(t_fn, torch)
        for _ in range(2):
            g_ms = (lambda g: lambda *a: _outs(ops.grad(g, pos)(*a))[0].sum())(g_ms)
            g_t = (lambda g: lambda *a: _outs(tf.grad(g, pos)(*a))[0].sum())(g_t)
        return ops.grad(g_ms, pos)(*ms_x), _np(tf.grad(g_t, pos)(*tx))
    return _vmap_grad(_total(ms_fn, ops, dtype), _total(t_fn, torch), ms_x, tx, pos)


def _vmap_grad(ms_fn, t_fn, ms_x, tx, pos):
    """The gradient of the scalar ms_fn / t_fn under ops.vmap over a stack of 2 copies (x, 2 - x) on a new axis 1 of the first input, the others held (None)."""
    axes = (1,) + (None,) * (len(ms_x) - 1)
    first_ms = ops.stack((ms_x[0], 2.0 - ms_x[0]), 1)
    first_t = torch.stack((tx[0], 2.0 - tx[0]), 1)
    got = ops.vmap(ops.grad(ms_fn, pos), in_axes=axes, out_axes=0)(first_ms, *ms_x[1:])
    want = torch.vmap(tf.grad(t_fn, argnums=pos), in_dims=axes, out_dims=0)(first_t, *tx[1:])
    return got, _np(want)


def draw_torch_case(seed: int):
    rng = np.random.default_rng(900_000 + seed)
    name = list(CASES)[int(rng.integers(len(CASES)))]
    kinds = KINDS if name in SMOOTH else KINDS[:6]
    kind = kinds[int(rng.integers(len(kinds)))]
    mode = "graph" if rng.random() < 0.4 else "pynative"
    dtype = str(rng.choice(["float32"] * 6 + ["float64"] * 3 + ["float16"] * 2))
    if kind in ("grad3", "jvp_of_vjp") and dtype == "float16":
        dtype = "float32"  # second / third derivatives in 11 bits: the tolerance would say nothing
    return rng, name, kind, mode, dtype


def run_torch_case(seed: int):
    rng, name, kind, mode, dtype = draw_torch_case(seed)
    label = f"{name}/{kind}/{mode}/{dtype}"
    shapes, ms_fn, t_fn = CASES[name]
    xs = [rng.uniform(-1.2, 1.2, s).astype(dtype) for s in shapes]
    return judged(label, lambda: run_kind(kind, ms_fn, t_fn, xs, rng, dtype), dtype, mode)
