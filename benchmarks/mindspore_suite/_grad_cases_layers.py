"""grad_diff.py's cases for parameterised activations (at their thresholds), pooling with tied maxima,
convolutions, interpolation, embedding, einsum, the ternary arithmetic ops, remainders of negative numbers,
integer / mixed-precision inputs, and a few more reductions and linear-algebra functions."""
from __future__ import annotations

import numpy as np

import mindspore as ms
from mindspore import Tensor, mint, ops

from _grad_cases import F16, F64, KINKS, Case, arr, randn, reseed

TIED_IMG = arr([[[[1, 1, 2, 2], [1, 1, 2, 0], [3, 0, 3, 3], [0, 0, 3, 3]]]])


def _activation_cases() -> list[Case]:
    reseed("_activation_cases")
    x = KINKS
    soft = arr([-25.0, -1.0, 0.0, 1.0, 10.0, 20.0, 25.0])  # softplus's threshold 20 / beta 2 at 10
    return [Case("ops.leaky_relu[alpha0.1]", lambda a: ops.leaky_relu(a, 0.1), (x,)),
            Case("ops.elu[alpha0.5]", lambda a: ops.elu(a, 0.5), (x,)),
            Case("ops.celu[alpha2]", lambda a: ops.celu(a, 2.0), (x,), ("pynative", "second")),
            Case("ops.softplus[threshold]", lambda a: ops.softplus(a), (soft,)),
            Case("ops.softplus[beta2_threshold]", lambda a: ops.softplus(a, 2, 20), (soft,)),
            Case("ops.hardtanh[bounds]", lambda a: ops.hardtanh(a, -2.0, 2.0), (x,)),
            Case("ops.threshold[at]", lambda a: ops.threshold(a, 1.0, -5.0), (x,)),
            Case("ops.hardshrink[lambd1]", lambda a: ops.hardshrink(a, 1.0), (x,)),
            Case("ops.softshrink[lambd1]", lambda a: ops.softshrink(a, 1.0), (x,)),
            Case("ops.gelu[tanh]", lambda a: ops.gelu(a, "tanh"), (x,), ("pynative", "second")),
            Case("ops.prelu[kinks]", lambda a, w: ops.prelu(a, w), (x.reshape(1, 10), arr([0.25]))),
            Case("ops.glu[axis0]", lambda a: ops.glu(a, 0), (randn(4, 3),)),
            Case("mint.nn.functional.leaky_relu[0.1]", lambda a: mint.nn.functional.leaky_relu(a, 0.1), (x,)),
            Case("mint.nn.functional.gelu[normal]", lambda a: mint.nn.functional.gelu(a), (x,)),
            Case("mint.nn.functional.silu[normal]", lambda a: mint.nn.functional.silu(a), (x,)),
            Case("mint.nn.functional.hardswish[kinks]", lambda a: mint.nn.functional.hardswish(a), (x,)),
            Case("mint.nn.functional.elu[kinks]", lambda a: mint.nn.functional.elu(a), (x,)),
            Case("mint.nn.functional.relu[kinks]", lambda a: mint.nn.functional.relu(a), (x,)),
            Case("mint.nn.functional.sigmoid[kinks]", lambda a: mint.nn.functional.sigmoid(a), (x,)),
            Case("mint.nn.functional.softplus[threshold]", lambda a: mint.nn.functional.softplus(a), (soft,))]


def _pool_conv_cases() -> list[Case]:
    reseed("_pool_conv_cases")
    IMG = randn(1, 2, 4, 4)  # noqa: N806 - read like the module's TIED_IMG
    w = randn(3, 2, 3, 3)
    return [Case("ops.max_pool2d[ties]", lambda a: ops.max_pool2d(a, 2, 2), (TIED_IMG,)),
            Case("ops.max_pool2d[ties,overlap]", lambda a: ops.max_pool2d(a, 2, 1), (TIED_IMG,)),
            Case("ops.max_pool2d[normal,pad]", lambda a: ops.max_pool2d(a, 3, 2, 1), (IMG,)),
            Case("ops.avg_pool2d[normal]", lambda a: ops.avg_pool2d(a, 2, 2), (IMG,)),
            Case("ops.avg_pool2d[pad,no_count_pad]", lambda a: ops.avg_pool2d(a, 3, 2, 1, False, False), (IMG,)),
            Case("ops.avg_pool2d[ceil]", lambda a: ops.avg_pool2d(a, 3, 2, 0, True), (IMG,)),
            Case("ops.adaptive_avg_pool2d[3]", lambda a: ops.adaptive_avg_pool2d(a, 3), (IMG,)),
            Case("ops.adaptive_max_pool2d[ties]", lambda a: ops.adaptive_max_pool2d(a, 2), (TIED_IMG,)),
            Case("ops.lp_pool2d[p2]", lambda a: ops.lp_pool2d(a, 2, 2), (IMG,)),
            Case("ops.avg_pool1d[normal]", lambda a: ops.avg_pool1d(a, 2, 1), (randn(1, 2, 5),)),
            Case("mint.nn.functional.max_pool2d[ties]", lambda a: mint.nn.functional.max_pool2d(a, 2, 2), (TIED_IMG,)),
            Case("ops.conv2d[valid]", lambda a, k: ops.conv2d(a, k), (IMG, w)),
            Case("ops.conv2d[pad1_stride2]", lambda a, k: ops.conv2d(a, k, None, 2, "pad", 1), (IMG, w)),
            Case("ops.conv2d[dilation2_same]", lambda a, k: ops.conv2d(a, k, None, 1, "same", 0, 2), (IMG, w)),
            Case("ops.conv2d[groups2]", lambda a, k: ops.conv2d(a, k, None, 1, "valid", 0, 1, 2),
                 (IMG, randn(4, 1, 2, 2))),
            Case("ops.conv1d[bias]", lambda a, k, b: ops.conv1d(a, k, b), (randn(1, 2, 6), randn(3, 2, 2), randn(3))),
            Case("ops.conv_transpose2d[stride2]", lambda a, k: ops.conv_transpose2d(a, k, None, 2),
                 (IMG, randn(2, 3, 3, 3))),
            Case("ops.dense[bias]", lambda a, k, b: ops.dense(a, k, b), (randn(2, 3), randn(4, 3), randn(4))),
            Case("ops.bias_add[nchw]", lambda a, b: ops.bias_add(a, b), (IMG, randn(2))),
            Case("ops.unfold[k2]", lambda a: ops.unfold(a, 2), (IMG,)),
            Case("ops.pixel_shuffle[2]", lambda a: ops.pixel_shuffle(a, 2), (randn(1, 4, 2, 2),)),
            Case("ops.interpolate[bilinear]", lambda a: ops.interpolate(a, (6, 6), mode="bilinear", align_corners=False),
                 (IMG,)),
            Case("ops.interpolate[bilinear,align]", lambda a: ops.interpolate(a, (6, 6), mode="bilinear",
                                                                              align_corners=True), (IMG,)),
            Case("ops.interpolate[nearest]", lambda a: ops.interpolate(a, (6, 6), mode="nearest"), (IMG,)),
            Case("ops.interpolate[bicubic]", lambda a: ops.interpolate(a, (6, 6), mode="bicubic",
                                                                       align_corners=False), (IMG,)),
            Case("ops.interpolate[linear]", lambda a: ops.interpolate(a, 7, mode="linear"), (randn(1, 2, 4),)),
            Case("ops.grid_sample[bilinear]", lambda a, g: ops.grid_sample(a, g, align_corners=False),
                 (IMG, np.clip(randn(1, 3, 3, 2), -1.2, 1.2))),
            Case("ops.embedding[repeated]", lambda w_: ops.embedding(Tensor(np.array([[0, 2, 0]], np.int32)), w_),
                 (randn(3, 4),))]


def _arith_cases() -> list[Case]:
    reseed("_arith_cases")
    a, b, c = randn(2, 3), randn(2, 3), randn(2, 3)
    neg = arr([-3.5, -2.0, -0.5, 0.5, 2.0, 3.5])
    den = arr([2.0, -2.0, 1.5, -1.5, 3.0, -3.0])
    return [Case("ops.lerp[tensor_weight]", lambda x, y, w: ops.lerp(x, y, w), (a, b, np.abs(c) % 1)),
            Case("ops.lerp[scalar_weight]", lambda x, y: ops.lerp(x, y, 0.3), (a, b)),
            Case("ops.addcmul[value]", lambda x, y, z: ops.addcmul(x, y, z, Tensor(0.5)), (a, b, c)),
            Case("ops.addcdiv[value]", lambda x, y, z: ops.addcdiv(x, y, z, Tensor(0.5)), (a, b, np.abs(c) + 0.5)),
            Case("ops.einsum[matmul]", lambda x, y: ops.einsum("ij,jk->ik", x, y), (a, randn(3, 2))),
            Case("ops.einsum[trace_diag]", lambda x: ops.einsum("ii->i", x), (randn(3, 3),)),
            Case("ops.einsum[outer_sum]", lambda x, y: ops.einsum("i,j->", x, y), (randn(3), randn(2))),
            Case("ops.remainder[negative]", lambda x, y: ops.remainder(x, y), (neg, den)),
            Case("ops.floor_mod[negative]", lambda x, y: ops.floor_mod(x, y), (neg, den)),
            Case("ops.fmod[negative]", lambda x, y: ops.fmod(x, y), (neg, den)),
            Case("ops.floor_div[negative]", lambda x, y: ops.floor_div(x, y), (neg, den)),
            Case("Tensor.__mod__[negative]", lambda x, y: x % y, (neg, den)),
            Case("Tensor.__floordiv__[negative]", lambda x, y: x // y, (neg, den)),
            Case("ops.round[decimals]", lambda x: ops.round(x, decimals=1), (a,)),
            Case("ops.diff[n2]", lambda x: ops.diff(x, 2), (randn(2, 5),)),
            Case("ops.trapz[dx]", lambda y: ops.trapz(y, dx=0.5), (randn(2, 5),)),
            Case("ops.polar[normal]", lambda r, t: ops.abs(ops.polar(r, t)), (np.abs(a) + 0.1, b)),
            Case("ops.addmv[normal]", lambda x, m, v: ops.addmv(x, m, v, beta=0.5, alpha=2.0),
                 (randn(2), a, randn(3))),
            Case("ops.addr[normal]", lambda x, u, v: ops.addr(x, u, v, beta=0.5, alpha=2.0), (a, randn(2), randn(3))),
            Case("ops.vecdot[normal]", lambda x, y: ops.vecdot(x, y), (a, b))]


def _dtype_cases() -> list[Case]:
    reseed("_dtype_cases")
    ints = np.array([[1, 4, 9], [0, 2, 3]], np.int32)
    return [Case("ops.sqrt[int32_input]", lambda x: ops.sqrt(x), (ints,)),
            Case("ops.exp[int32_input]", lambda x: ops.exp(x), (ints,)),
            Case("ops.mean[int32_input]", lambda x: ops.mean(ops.cast(x, ms.float32)), (ints,)),
            Case("ops.add[f16_f32]", lambda x, y: ops.add(x, y), (randn(2, 3, dtype=F16), randn(2, 3))),
            Case("ops.mul[f32_f64]", lambda x, y: ops.mul(x, y), (randn(2, 3), randn(2, 3, dtype=F64))),
            Case("ops.mul[f32_int64]", lambda x, y: ops.mul(x, y), (randn(2, 3), np.arange(6).reshape(2, 3))),
            Case("ops.div[int32_int32]", lambda x, y: ops.div(x, y), (ints, ints + 1)),
            Case("ops.pow[int_base_float_exp]", lambda x, y: ops.pow(x, y), (ints, randn(2, 3))),
            Case("ops.softmax[f16]", lambda x: ops.softmax(x), (randn(2, 3, dtype=F16),)),
            Case("ops.sum[f16,large]", lambda x: ops.sum(x), (np.full((64, 64), 1.1, F16),)),
            Case("ops.mean[f16,large]", lambda x: ops.mean(x), (np.full((64, 64), 1.1, F16),)),
            Case("ops.cast[f32_to_f16_grad]", lambda x: ops.cast(x, ms.float16) * 3, (randn(2, 3),)),
            Case("ops.cast[f32_to_int_grad]", lambda x, y: ops.cast(x, ms.int32) * y, (randn(2, 3) * 3, randn(2, 3))),
            Case("ops.where[int_branch]", lambda c, x: ops.where(c, x, Tensor(np.int32(2))),
                 (np.array([True, False]), arr([1.5, 2.5])))]


def _more_reduction_cases() -> list[Case]:
    reseed("_more_reduction_cases")
    x, ties = randn(2, 4), arr([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0]])
    nan_x = arr([[1.0, np.nan, 3.0, 0.0], [np.nan, np.nan, 2.0, -1.0]])
    return [Case("ops.std_mean[normal,ddof1]", lambda a: ops.std_mean(a, 1, 1), (x,)),
            Case("ops.var_mean[normal]", lambda a: ops.var_mean(a, 1), (x,)),
            Case("ops.var[ddof1,empty_axes]", lambda a: ops.var(a, (), 1), (x,)),
            Case("ops.nanmean[nan]", lambda a: ops.nanmean(a, 1), (nan_x,)),
            Case("ops.nansum[nan]", lambda a: ops.nansum(a, 1), (nan_x,)),
            Case("ops.nanmedian[ties]", lambda a: ops.nanmedian(a, 1), (ties,)),
            Case("ops.median[even_count]", lambda a: ops.median(a, 1), (ties,)),
            Case("ops.amax[ties,keep]", lambda a: ops.amax(a, 1, True), (ties,)),
            Case("ops.argmax[ties]", lambda a: ops.argmax(a, 1), (ties,)),
            Case("ops.argmin[ties]", lambda a: ops.argmin(a, 1), (ties,)),
            Case("ops.logsumexp[inf]", lambda a: ops.logsumexp(a, 1), (arr([[-np.inf, -np.inf], [0.0, -np.inf]]),)),
            Case("ops.logsumexp[large]", lambda a: ops.logsumexp(a, 1), (arr([[1000.0, 1000.0], [-1000.0, 0.0]]),)),
            Case("ops.softmax[inf]", lambda a: ops.softmax(a), (arr([[-np.inf, 0.0, 1.0], [0.0, 0.0, 0.0]]),)),
            Case("ops.log_softmax[large]", lambda a: ops.log_softmax(a), (arr([[1000.0, 0.0], [-1000.0, 0.0]]),)),
            Case("ops.logdet[spd]", lambda a: ops.logdet(a), (np.eye(3, dtype=np.float32) * 2 + 0.1,)),
            Case("ops.pinv[normal]", lambda a: ops.pinv(a), (randn(3, 2),)),
            Case("ops.matrix_exp[normal]", lambda a: ops.matrix_exp(a), (randn(3, 3) * 0.5,)),
            Case("ops.cumsum[reverse_via_flip]", lambda a: ops.flip(ops.cumsum(ops.flip(a, (1,)), 1), (1,)), (x,)),
            Case("ops.CumSum[exclusive_reverse]", lambda a: ops.CumSum(True, True)(a, 1), (x,)),
            Case("ops.CumProd[exclusive]", lambda a: ops.CumProd(True)(a, 1), (x,)),
            Case("ops.cumprod[zeros]", lambda a: ops.cumprod(a, 1), (arr([[0.0, 2.0, 0.0, 3.0], [1.0, 0.0, 2.0, 2.0]]),)),
            Case("ops.prod[two_zeros]", lambda a: ops.prod(a, 1), (arr([[0.0, 2.0, 0.0, 3.0], [1.0, 0.0, 2.0, 2.0]]),),
                 ("pynative", "second"))]


def cases() -> list[Case]:
    return _activation_cases() + _pool_conv_cases() + _arith_cases() + _dtype_cases() + _more_reduction_cases()
