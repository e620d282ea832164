"""argmax / argmin (int64, not differentiable), sort and top_k (values differentiable,
indices not). The values' cotangent goes back to where each value came from
(scatter_add_along with the indices); their tangent is gathered (take_along_axis).
Ties: the first index wins (stable order), as in NumPy / PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

from . import introselect, stable_merge
from ._infer import rule_infer
from .assignment import _host
from .composite import dtype_name
from .registry import Attr, defop, impl_rules, jvp_rules, vjp_rules


for _name in ("argmax", "argmin"):
    defop(_name, 1, rule_infer(_name), attrs={"axis": Attr("int", -1), "keepdims": Attr("bool", False)},
          nondiff=True, doc=f"index (int64) of the first {_name[3:]}imum along `axis`")
    impl_rules[_name] = (lambda xp, x, axis, keepdims, _f=_name: xp.astype(
        getattr(xp, _f)(x, axis=axis % x.ndim, keepdims=keepdims), xp.int64))


def _sort_impl(xp, x, axis, descending, k=None):
    ax = axis % x.ndim
    # descending as a stable ascending sort of an order-reversed key, so ties keep the first index first
    # (NumPy has no descending=): -x for floats; ~x for ints and bool, where -x wraps (uint8 1 -> 255,
    # int8 -128 -> -128) and ~x (-x - 1, or MAX - x unsigned) cannot
    key = x if not descending else -x if dtype_name(x.dtype).startswith("float") else xp.bitwise_invert(x)
    idx = xp.astype(xp.argsort(key, axis=ax, stable=True), xp.int64)
    if k is not None:
        idx = idx[(slice(None),) * ax + (slice(0, k), ...)]
    return xp.take_along_axis(x, idx, axis=ax), idx


def _sort_vjp(b, ins, outs, cts, axis, **_):
    if cts[0] is None:
        return [None]
    return [b.scatter_add_along(cts[0], outs[1], shape=ins[0].shape, axis=axis % len(ins[0].shape))]


def _sort_jvp(b, ins, outs, ts, axis, **_):
    return [b.take_along_axis(ts[0], outs[1], axis=axis % len(ins[0].shape)), None]


defop("sort", 1, rule_infer("sort"), n_outputs=2, attrs={"axis": Attr("int", -1), "descending": Attr("bool", False)},
      doc="(values, int64 indices) sorted along `axis` (stable); values differentiable, indices not")
impl_rules["sort"] = _sort_impl
vjp_rules["sort"] = _sort_vjp
jvp_rules["sort"] = _sort_jvp

def _nan_rows(xp, x, axis, descending, k, arrange_row):
    """_sort_impl's answer (its first k), except each row holding a NaN: arrange_row(values, before)'s indices."""
    host = _host(x)
    if host.ndim == 0 or host.dtype.kind != "f" or not np.isnan(host).any():
        return _sort_impl(xp, x, axis, descending, k)
    ax = axis % host.ndim
    moved = np.moveaxis(host, ax, -1)
    rows = moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])
    idx = np.argsort(-rows if descending else rows, axis=-1, kind="stable").astype(np.int64)[:, :k]
    for r in np.flatnonzero(np.isnan(rows).any(axis=-1)):
        v = rows[r].tolist()
        before = (lambda i, j, v=v: v[i] > v[j]) if descending else (lambda i, j, v=v: v[i] < v[j])
        idx[r] = arrange_row(v, before)[:idx.shape[1]]
    idx = xp.asarray(np.ascontiguousarray(np.moveaxis(idx.reshape(moved.shape[:-1] + (idx.shape[1],)), -1, ax)))
    return xp.take_along_axis(x, idx, axis=ax), idx


def _sort_stl_impl(xp, x, axis, descending):
    """sort's answer, but each row holding a NaN in libstdc++'s std::stable_sort order by `<` (`>` descending),
    MindSpore's CPU Sort (stable_merge): a NaN compares neither way there, so NumPy's NaN-last is not its order."""
    return _nan_rows(xp, x, axis, descending, None, lambda v, before: stable_merge.arrange(len(v), before))


def _top_k_stl_impl(xp, x, k, axis, largest):
    """top_k's answer, but each row holding a NaN as MindSpore's CPU TopK(sorted=True) picks and orders it: k above
    half the row, the row's std::stable_sort by `>` (`<` smallest: -x by `>`); else nth_element at k, then
    std::stable_sort of the first k (libstdc++'s steps: introselect, stable_merge)."""
    def row(v, before):
        if k > len(v) // 2:
            return stable_merge.arrange(len(v), before)[:k]
        first = introselect.arrange(len(v), k, before)[:k]
        picked = [first[i] for i in stable_merge.arrange(k, lambda i, j: before(first[i], first[j]))]
        return _smaller_indices_at_the_cut(picked, v, largest)
    return _nan_rows(xp, x, axis, largest, k, row)


defop("sort_stl", 1, rule_infer("sort_stl"), n_outputs=2,
      attrs={"axis": Attr("int", -1), "descending": Attr("bool", False)},
      doc="sort, but a row holding NaN in the order libstdc++'s std::stable_sort by `<` (`>` descending) leaves it "
          "(MindSpore's CPU Sort; a NaN compares neither way, so it stays where the merges put it); values "
          "differentiable, indices not")
impl_rules["sort_stl"] = _sort_stl_impl
vjp_rules["sort_stl"] = _sort_vjp
jvp_rules["sort_stl"] = _sort_jvp

defop("top_k", 1, rule_infer("top_k"), n_outputs=2,
      attrs={"k": Attr("int"), "axis": Attr("int", -1), "largest": Attr("bool", True)},
      doc="(values, int64 indices) of the k largest (or smallest) along `axis`, in order; values differentiable")
impl_rules["top_k"] = lambda xp, x, k, axis, largest: _sort_impl(xp, x, axis, largest, k)
vjp_rules["top_k"] = _sort_vjp
jvp_rules["top_k"] = _sort_jvp


defop("top_k_stl", 1, rule_infer("top_k_stl"), n_outputs=2,
      attrs={"k": Attr("int"), "axis": Attr("int", -1), "largest": Attr("bool", True)},
      doc="top_k, but a row holding NaN picked and ordered as MindSpore's CPU TopK(sorted=True) does with "
          "libstdc++ (k above half the row: std::stable_sort by `>`; else nth_element, then std::stable_sort of "
          "the first k; `<` for the smallest); values differentiable")
impl_rules["top_k_stl"] = _top_k_stl_impl
vjp_rules["top_k_stl"] = _sort_vjp
jvp_rules["top_k_stl"] = _sort_jvp


def _nth_element_impl(xp, x, k, axis, largest):
    """Each row's first k after libstdc++'s nth_element by `>`, as MindSpore's CPU TopK(sorted=False) arranges
    them; smallest first as ops.topk(largest=False) asks that kernel: on -x (a signed integer's minimum wraps
    there too; unsigned and bool, which have no such kernel, by `<`)."""
    ax = axis % x.ndim
    host = np.moveaxis(_host(x), ax, -1)
    rows = host.reshape(math.prod(host.shape[:-1]), host.shape[-1])
    negate = not largest and host.dtype.kind in "fi"
    rows = (-rows if negate else rows).tolist()
    greater = largest or negate
    idx = np.empty((len(rows), k), np.int64)
    for r, v in enumerate(rows):
        before = (lambda i, j, v=v: v[i] > v[j]) if greater else (lambda i, j, v=v: v[i] < v[j])
        idx[r] = _smaller_indices_at_the_cut(introselect.arrange(len(v), k, before)[:k], v, greater)
    idx = xp.asarray(np.ascontiguousarray(np.moveaxis(idx.reshape(host.shape[:-1] + (k,)), -1, ax)))
    return xp.take_along_axis(x, idx, axis=ax), idx


def _smaller_indices_at_the_cut(picked: list, v: list, greater: bool) -> list:
    """MindSpore's docs: of equal elements the smaller index is taken; its CPU kernel's nth_element may take others
    of those equal to the k-th value (the cut). Those picked beyond the smallest such indices are swapped for the
    missing ones, in place and ascending, so values and arrangement stay the kernel's (unchanged where it agrees)."""
    if not picked or len(picked) == len(v):
        return picked
    cut = (min if greater else max)(v[i] for i in picked)
    if cut != cut:  # NaN: no order to follow
        return picked
    at_cut = [p for p, i in enumerate(picked) if v[i] == cut]
    want = set([j for j, x in enumerate(v) if x == cut][:len(at_cut)])  # (a set: a row of ties is linear, not quadratic)
    extra, missing = [p for p in at_cut if picked[p] not in want], sorted(want - set(picked))
    for p, j in zip(extra, missing):
        picked[p] = j
    return picked


defop("top_k_unsorted", 1, rule_infer("top_k_unsorted"), n_outputs=2,
      attrs={"k": Attr("int"), "axis": Attr("int", -1), "largest": Attr("bool", True)},
      doc="(values, int64 indices) of the k largest (or smallest) along `axis` in the order libstdc++'s "
          "std::nth_element leaves them (MindSpore's CPU TopK(sorted=False)), of elements equal to the k-th the smaller "
          "indices (its docs); values differentiable")
impl_rules["top_k_unsorted"] = _nth_element_impl
vjp_rules["top_k_unsorted"] = _sort_vjp
jvp_rules["top_k_unsorted"] = _sort_jvp
