"""grad_diff.py's cases beyond elementwise ops: reductions (axis / keepdim / empty-axis variants, ties,
zeros), sort / topk / cummax, clamp / where, indexing, linear algebra and nn.functional-style losses."""
from __future__ import annotations

import numpy as np

from mindspore import Tensor, mint, ops

from _grad_cases import F64, Case, arr, randn, reseed

TIES = arr([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
ZEROS = np.zeros((2, 3), np.float32)
WITH_ZERO = arr([[1.5, 0.0, -2.0], [0.0, 0.0, 3.0]])
INPUTS = {"normal": lambda: randn(2, 3), "ties": lambda: TIES, "zeros": lambda: ZEROS,
          "with_zero": lambda: WITH_ZERO, "f64": lambda: randn(2, 3, dtype=F64)}

AXES = {"all": {}, "axis0": {"axis": 0}, "axis-1": {"axis": -1}, "axis01": {"axis": (0, 1)},
        "axis1_keep": {"axis": 1, "keep": True}, "empty_axes": {"axis": ()}}

# name -> how MindSpore spells (axis, keepdim) for it, positionally: fn(x, axis, keep)
REDUCTIONS = {
    "sum": lambda x, a, k: ops.sum(x, a, k), "mean": lambda x, a, k: ops.mean(x, a, k),
    "prod": lambda x, a, k: ops.prod(x, a, k), "amax": lambda x, a, k: ops.amax(x, a, k),
    "amin": lambda x, a, k: ops.amin(x, a, k), "std": lambda x, a, k: ops.std(x, a, keepdims=k),
    "var": lambda x, a, k: ops.var(x, a, keepdims=k), "logsumexp": lambda x, a, k: ops.logsumexp(x, a, k),
    "norm": lambda x, a, k: ops.norm(x, None, a, k), "nansum": lambda x, a, k: ops.nansum(x, a, k),
    "ReduceMax": lambda x, a, k: ops.ReduceMax(k)(x, _all(a)), "ReduceMin": lambda x, a, k: ops.ReduceMin(k)(x, _all(a)),
    "ReduceSum": lambda x, a, k: ops.ReduceSum(k)(x, _all(a)), "ReduceMean": lambda x, a, k: ops.ReduceMean(k)(x, _all(a)),
    "ReduceProd": lambda x, a, k: ops.ReduceProd(k)(x, _all(a)),
    "Tensor.max": lambda x, a, k: x.max(a, k), "Tensor.min": lambda x, a, k: x.min(a, k),
    "Tensor.sum": lambda x, a, k: x.sum(a, keepdims=k), "Tensor.mean": lambda x, a, k: x.mean(a, k),
    "Tensor.prod": lambda x, a, k: x.prod(a, k), "Tensor.std": lambda x, a, k: x.std(a, keepdims=k),
    "mint.sum": lambda x, a, k: mint.sum(x, a, k), "mint.mean": lambda x, a, k: mint.mean(x, a, k),
    "mint.amax": lambda x, a, k: mint.amax(x, a if a is not None else (), k),
    "mint.prod": lambda x, a, k: mint.prod(x, a, k) if isinstance(a, int) else mint.prod(x),
}


def _all(axis):
    return () if axis is None else axis  # the Reduce* primitives spell "every axis" as ()


def _reduction_cases() -> list[Case]:
    reseed("_reduction_cases")
    cases = []
    for name, fn in REDUCTIONS.items():
        label = name if "." in name or name[0].isupper() else f"ops.{name}"
        for in_label, make in INPUTS.items():
            for ax_label, ax in AXES.items():
                if in_label != "normal" and ax_label not in ("all", "axis-1"):
                    continue
                x = make()
                cases.append(Case(f"{label}[{in_label},{ax_label}]",
                                  lambda x, f=fn, a=ax.get("axis"), k=ax.get("keep", False): f(x, a, k), (x,),
                                  ("pynative", "second") if in_label == "ties" and ax_label == "all"
                                  else ("pynative",)))
    return cases


def _index_value_cases() -> list[Case]:
    """Ops returning (values, indices) or picking elements: the subgradient goes to the chosen one."""
    reseed("_index_value_cases")
    c = []
    for label, x in (("normal", randn(2, 4)), ("ties", arr([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0]]))):
        c += [Case(f"ops.max[{label},axis1]", lambda x: ops.max(x, 1), (x,)),
              Case(f"ops.min[{label},axis1]", lambda x: ops.min(x, 1, True), (x,)),
              Case(f"ops.max[{label},all]", lambda x: ops.max(x), (x,)),
              Case(f"ops.sort[{label}]", lambda x: ops.sort(x), (x,)),
              Case(f"ops.sort[{label},descending]", lambda x: ops.sort(x, 1, True), (x,)),
              Case(f"ops.topk[{label},k2]", lambda x: ops.topk(x, 2), (x,)),
              Case(f"ops.topk[{label},k2,smallest]", lambda x: ops.topk(x, 2, 1, False), (x,)),
              Case(f"ops.cummax[{label}]", lambda x: ops.cummax(x, 1), (x,)),
              Case(f"ops.cummin[{label}]", lambda x: ops.cummin(x, 1), (x,)),
              Case(f"ops.median[{label}]", lambda x: ops.median(x, 1), (x,)),
              Case(f"ops.cumsum[{label}]", lambda x: ops.cumsum(x, 1), (x,)),
              Case(f"ops.cumprod[{label}]", lambda x: ops.cumprod(x, 1), (x,)),
              Case(f"ops.logcumsumexp[{label}]", lambda x: ops.logcumsumexp(x, 1), (x,)),
              Case(f"ops.kthvalue[{label}]", lambda x: ops.kthvalue(x, 2, 1), (x,)),
              Case(f"ops.msort[{label}]", lambda x: ops.msort(x), (x,)),
              Case(f"ops.ArgMaxWithValue[{label}]", lambda x: ops.ArgMaxWithValue(1)(x), (x,)),
              Case(f"ops.ArgMinWithValue[{label}]", lambda x: ops.ArgMinWithValue(1)(x), (x,)),
              Case(f"Tensor.max[{label},axis1,return_indices]", lambda x: x.max(1, return_indices=True), (x,)),
              Case(f"mint.max[{label},dim1]", lambda x: mint.max(x, 1), (x,)),
              Case(f"mint.max[{label},all]", lambda x: mint.max(x), (x,)),
              Case(f"mint.sort[{label}]", lambda x: mint.sort(x), (x,)),
              Case(f"mint.topk[{label},k2]", lambda x: mint.topk(x, 2), (x,)),
              Case(f"mint.cummax[{label}]", lambda x: mint.cummax(x, 1), (x,)),
              Case(f"mint.median[{label},all]", lambda x: mint.median(x), (x,))]
    return c


def _clamp_where_cases() -> list[Case]:
    reseed("_clamp_where_cases")
    x = arr([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    lo, hi = arr([-1.0] * 7), arr([1.0] * 7)
    cond = np.array([True, False, True, False, True, False, True])
    return [
        Case("ops.clamp[at_bounds]", lambda x: ops.clamp(x, -1.0, 1.0), (x,)),
        Case("ops.clamp[tensor_bounds]", lambda x, a, b: ops.clamp(x, a, b), (x, lo, hi)),
        Case("ops.clamp[min_only]", lambda x: ops.clamp(x, min=0.0), (x,)),
        Case("ops.clip_by_value[at_bounds]", lambda x: ops.clip_by_value(x, Tensor(-1.0), Tensor(1.0)), (x,)),
        Case("mint.clamp[at_bounds]", lambda x: mint.clamp(x, -1.0, 1.0), (x,)),
        Case("Tensor.clip[at_bounds]", lambda x: x.clip(-1.0, 1.0), (x,)),
        Case("ops.clamp[lo_gt_hi]", lambda x: ops.clamp(x, 1.0, -1.0), (x,)),
        Case("ops.clamp[tensor_lo_gt_hi]", lambda x, a, b: ops.clamp(x, a, b), (x, hi, lo)),
        Case("ops.clamp[tensor_lo_only]", lambda x, a: ops.clamp(x, a), (x, lo)),
        Case("ops.clamp[tensor_hi_only]", lambda x, b: ops.clamp(x, None, b), (x, hi)),
        Case("ops.where[mixed]", lambda c, a, b: ops.where(c, a, b), (cond, x, x * 2)),
        Case("ops.where[scalar_other]", lambda c, a: ops.where(c, a, 0.0), (cond, x)),
        Case("ops.where[broadcast]", lambda c, a, b: ops.where(c, a, b), (cond[None, :], randn(2, 7), randn(7))),
        Case("ops.masked_fill[zeros]", lambda a, m: ops.masked_fill(a, m, 0.0), (x, cond)),
        Case("ops.relu[where_guard_sqrt0]", lambda a: ops.where(a > 0, ops.sqrt(ops.relu(a)), a), (x,)),
    ] + _masked_infinity_cases(x)


def _masked_infinity_cases(x) -> list[Case]:
    """An infinite cotangent (sqrt'(0)) meeting a masked-off derivative: MindSpore's grad kernels select
    (ReluGrad, MaximumGrad, ...), so the masked positions get 0, not inf * 0 = NaN."""
    reseed("_masked_infinity_cases")
    return [Case("ops.relu[sqrt_of_relu]", lambda a: ops.sqrt(ops.relu(a)), (x,)),
            Case("ops.maximum[sqrt_of_maximum]", lambda a: ops.sqrt(ops.maximum(a, Tensor(0.0))), (x,)),
            Case("ops.minimum[sqrt_of_minimum]", lambda a: ops.sqrt(-ops.minimum(a, Tensor(0.0))), (x,)),
            Case("ops.clamp[sqrt_of_clamp]", lambda a: ops.sqrt(ops.clamp(a, 0.0, 1.0)), (x,)),
            Case("ops.clamp[sqrt_of_clamp_tensor]", lambda a: ops.sqrt(ops.clamp(a, Tensor(0.0))), (x,)),
            Case("ops.relu6[sqrt_of_relu6]", lambda a: ops.sqrt(ops.relu6(a)), (x,)),
            Case("ops.hardtanh[sqrt_of_hardtanh]", lambda a: ops.sqrt(ops.hardtanh(a) + 1), (x,)),
            Case("ops.amax[sqrt_of_amax]", lambda a: ops.sqrt(ops.amax(ops.stack([a, a * 0]), 0)), (x,)),
            Case("ops.abs[log_of_abs]", lambda a: ops.log(ops.abs(a)), (x,)),
            Case("ops.leaky_relu[sqrt]", lambda a: ops.sqrt(ops.leaky_relu(a, 0.0)), (x,)),
            Case("ops.where[log_of_unselected]", lambda a: ops.where(a > 0, ops.log(a), a), (x,)),
            Case("ops.abs[sqrt_of_abs]", lambda a: ops.sqrt(ops.abs(a)), (x,)),
            Case("ops.threshold[sqrt_of_threshold]", lambda a: ops.sqrt(ops.threshold(a, 0.0, 0.0)), (x,)),
            Case("ops.hardshrink[sqrt_of_hardshrink]", lambda a: ops.sqrt(ops.abs(ops.hardshrink(a, 0.7))), (x,)),
            Case("ops.softshrink[sqrt_of_softshrink]", lambda a: ops.sqrt(ops.abs(ops.softshrink(a, 0.7))), (x,)),
            Case("ops.hardswish[sqrt_of_hardswish]", lambda a: ops.sqrt(ops.hardswish(a * 4) + 0.375), (x,)),
            Case("ops.hardsigmoid[sqrt_of_hardsigmoid]", lambda a: ops.sqrt(ops.hardsigmoid(a * 4)), (x,)),
            Case("ops.max[sqrt_of_max]", lambda a: ops.sqrt(ops.max(ops.stack([a, a * 0]), 0)[0]), (x,)),
            Case("ops.sort[sqrt_of_sort]", lambda a: ops.sqrt(ops.sort(ops.relu(a))[0]), (x,)),
            Case("ops.max_pool2d[sqrt_of_pool]", lambda a: ops.sqrt(ops.max_pool2d(ops.relu(a).reshape(1, 1, 1, 7),
                                                                                   (1, 2), (1, 1))), (x,)),
            Case("ops.cummax[sqrt_of_cummax]", lambda a: ops.sqrt(ops.cummax(ops.relu(a), 0)[0]), (x,)),
            Case("ops.clamp[log_of_clamp_max]", lambda a: ops.log(-ops.clamp(a, max=0.0)), (x,)),
            Case("ops.select[sqrt_of_select]", lambda a: ops.sqrt(ops.select(a > 0, a, ops.zeros_like(a))), (x,)),
            Case("ops.masked_fill[sqrt_of_masked_fill]", lambda a: ops.sqrt(ops.masked_fill(a, a < 0, 0.0)), (x,)),
            Case("ops.gather[sqrt_of_gather]", lambda a: ops.sqrt(ops.gather(ops.relu(a), Tensor(np.array([0, 4, 6],
                                                                                  np.int32)), 0)), (x,))]


def _norm_cases() -> list[Case]:
    reseed("_norm_cases")
    zero = np.zeros(4, np.float32)
    z2 = np.zeros((2, 3), np.float32)
    v = randn(4)
    return [Case("ops.norm[zero_vector]", lambda x: ops.norm(x), (zero,)),
            Case("ops.norm[zero_vector,ord1]", lambda x: ops.norm(x, 1), (zero,)),
            Case("ops.norm[zero_vector,ordinf]", lambda x: ops.norm(x, float("inf")), (zero,)),
            Case("ops.norm[ord3]", lambda x: ops.norm(x, 3), (v,)),
            Case("ops.norm[ord0.5]", lambda x: ops.norm(x, 0.5), (np.abs(v) + 0.1,)),
            Case("ops.norm[fro_matrix]", lambda x: ops.norm(x, "fro"), (randn(2, 3),)),
            Case("ops.norm[nuc]", lambda x: ops.norm(x, "nuc"), (randn(3, 3),)),
            Case("ops.norm[ord2_matrix]", lambda x: ops.norm(x, 2), (randn(3, 3),)),
            Case("ops.norm[zero_rows,dim1]", lambda x: ops.norm(x, 2, 1), (z2,)),
            Case("ops.LpNorm[zero]", lambda x: ops.LpNorm(0, 2)(x), (zero,)),
            Case("ops.L2Normalize[zero_row]", lambda x: ops.L2Normalize(1)(x), (np.vstack([z2[:1], randn(1, 3)]),)),
            Case("ops.vector_norm[zero]", lambda x: ops.vector_norm(x), (zero,)),
            Case("ops.matrix_norm[fro]", lambda x: ops.matrix_norm(x), (randn(3, 3),)),
            Case("mint.norm[zero_vector]", lambda x: mint.norm(x), (zero,)),
            Case("mint.linalg.vector_norm[zero]", lambda x: mint.linalg.vector_norm(x), (zero,)),
            Case("ops.dist[same_points]", lambda a, b: ops.dist(a, b), (v, v.copy())),
            Case("ops.cdist[same_points]", lambda a, b: ops.cdist(a, b),
                 (TIES.reshape(1, 3, 2), TIES.reshape(1, 3, 2).copy())),
            Case("ops.pdist[dup_rows]", lambda a: ops.pdist(a), (arr([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]),)),
            Case("ops.cosine_similarity[zero_vector]", lambda a, b: ops.cosine_similarity(a, b),
                 (np.vstack([z2[:1], randn(1, 3)]), randn(2, 3))),
            Case("ops.renorm[rows]", lambda x: ops.renorm(x, 2, 0, 1.0), (randn(3, 3) * 2,))]


def cases() -> list[Case]:
    from _grad_cases_layers import cases as layer_cases
    from _grad_cases_nn import cases as nn_cases
    return (_reduction_cases() + _index_value_cases() + _clamp_where_cases() + _norm_cases() + nn_cases()
            + layer_cases())
