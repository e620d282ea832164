"""MindSpore 2.10 (CPU): one exported Cell per op for ../mindir_ms210_sweep2.npz, mostly ops with non-default
keyword arguments (axes, keepdims, modes, reductions, dtypes, negative axes), nn layers with non-default arguments
and Tensor methods; each with MindSpore's output and its gradients (of the output's sum, w.r.t. the float inputs and
every trainable parameter) computed by MindSpore. Run: python ops_sweep2.py OUTDIR (writes OUTDIR/*.mindir and the
npz next to this file). Functions are top-level defs: MindSpore parses their source."""
import json, os, sys
import numpy as np, mindspore as ms
from mindspore import nn, ops, Tensor
ms.set_context(mode=ms.PYNATIVE_MODE)
ms.set_seed(5)
rng = np.random.default_rng(2)
def T(*s): return Tensor(rng.standard_normal(s).astype(np.float32))
def P(*s): return Tensor((np.abs(rng.standard_normal(s)) + 0.5).astype(np.float32))
def U(*s): return Tensor(rng.uniform(-0.9, 0.9, s).astype(np.float32))
def I(a): return Tensor(np.array(a, np.int32))
def L(a): return Tensor(np.array(a, np.int64))
F32 = ms.float32

# -- activations with non-default arguments
def c_elu_alpha(x): return ops.elu(x, alpha=0.5)
def c_leaky_kw(x): return ops.leaky_relu(x, alpha=0.3)
def c_gelu_none(x): return ops.gelu(x, approximate='none')
def c_softplus_bt(x): return ops.softplus(x * 3, beta=2, threshold=5)
def c_hardsigmoid(x): return ops.hardsigmoid(x * 3)
def c_hardtanh(x): return ops.hardtanh(x, -0.5, 0.7)
def c_celu(x): return ops.celu(x, alpha=0.5)
def c_selu(x): return ops.selu(x)
def c_softsign(x): return ops.softsign(x)
def c_tanhshrink(x): return ops.tanhshrink(x)
def c_softshrink(x): return ops.softshrink(x, 0.3)
def c_hardshrink(x): return ops.hardshrink(x, 0.3)
def c_logsigmoid(x): return ops.logsigmoid(x)
def c_threshold(x): return ops.threshold(x, 0.1, 2.0)
def c_glu(x): return ops.glu(x, axis=-1)
def c_glu0(x): return ops.glu(x, axis=0)
def c_softmin(x): return ops.softmin(x, axis=0)
def c_softmax0(x): return ops.softmax(x, axis=0)
def c_softmax_m2(x): return ops.softmax(x, -2)
def c_log_softmax_kw(x): return ops.log_softmax(x, axis=-1)
def c_relu_sq(x): return ops.relu(x) ** 2
def c_hardswish2(x): return ops.hardswish(x * 3)
def c_silu2(x): return ops.silu(x * 2)
def c_prelu_fn(x, w): return ops.prelu(x, w)
# -- elementwise math
def c_atan2(x, y): return ops.atan2(x, y)
def c_asin_acos(x): return ops.asin(x) + ops.acos(x) * 2
def c_sinh_cosh(x): return ops.sinh(x) * ops.cosh(x)
def c_tan(x): return ops.tan(x)
def c_asinh_atanh(x): return ops.asinh(x) + ops.atanh(x)
def c_acosh(x): return ops.acosh(x + 1.5)
def c_log2_log10(x): return ops.log2(x) + ops.log10(x) * 3
def c_xlogy(x, y): return ops.xlogy(x, y)
def c_logaddexp(x, y): return ops.logaddexp(x, y) + ops.logaddexp2(x, y)
def c_hypot(x, y): return ops.hypot(x, y)
def c_lerp(x, y): return ops.lerp(x, y, 0.3)
def c_lerp_t(x, y, w): return ops.lerp(x, y, w)
def c_addcmul(x, y, z): return ops.addcmul(x, y, z, value=Tensor(0.5))
def c_addcdiv(x, y, z): return ops.addcdiv(x, y, z, value=Tensor(2.0))
def c_fmod(x): return ops.fmod(x * 3, 0.7)
def c_remainder_t(x, y): return ops.remainder(x * 3, y)
def c_floor_divide(x, y): return ops.floor_divide(x * 3, y) * x
def c_trunc_ceil(x): return ops.trunc(x * 3) + ops.ceil(x * 2) + x
def c_frac(x): return ops.frac(x * 3)
def c_sinc(x): return ops.sinc(x)
def c_exp2(x): return ops.exp2(x)
def c_pow_t(x, y): return ops.pow(x, y)
def c_sub_alpha(x, y): return ops.sub(x, y) * 2 - x
def c_true_divide(x, y): return ops.true_divide(x, y)
def c_div_floor(x, y): return ops.div(x * 4, y, rounding_mode='floor') + x
def c_div_trunc(x, y): return ops.div(x * 4, y, rounding_mode='trunc') + x
def c_square_diff(x, y): return ops.squared_difference(x, y)
def c_maximum_minimum(x, y): return ops.maximum(x, y) * 2 + ops.minimum(x, y)
def c_fmax_fmin(x, y): return ops.fmax(x, y) - ops.fmin(x, y) * 3
def c_clamp_kw(x): return ops.clamp(x, min=-0.3)
def c_clamp_max(x): return ops.clamp(x, max=0.2)
def c_clamp_t(x, lo): return ops.clamp(x, lo, lo + 0.5)
def c_clip_by_value(x): return ops.clip_by_value(x, -0.4, 0.6)
def c_nan_to_num(x): return ops.nan_to_num(ops.log(x), 0.0, 5.0, -5.0)
def c_sign_abs(x): return ops.sign(x) * ops.abs(x) ** 1.5
def c_rsqrt_sq(x): return ops.rsqrt(x) * ops.square(x)
def c_erfinv(x): return ops.erfinv(x)
def c_lgamma(x): return ops.lgamma(x)
def c_digamma(x): return ops.digamma(x)
def c_bias_add(x, b): return ops.bias_add(x, b)
def c_addn3(x, y): return ops.addn((x, y, y))
def c_neg_rec(x): return ops.neg(ops.reciprocal(x))
def c_cast_f64(x): return ops.cast(ops.cast(x, ms.float64) * 2, F32)
def c_cast_int(x): return ops.cast(ops.cast(x * 3, ms.int32), F32) + x
def c_astype16(x): return x.astype(ms.float16).astype(F32) * 3
# -- reductions with axes / keepdims
def c_sum_kw(x): return ops.sum(x, dim=-1, keepdim=True) * x
def c_sum_tuple(x): return ops.sum(x, dim=(0, 2))
def c_mean_tuple(x): return ops.mean(x, axis=(0, -1))
def c_mean_neg_keep(x): return ops.mean(x, -2, True) * x
def c_prod_neg(x): return ops.prod(x, axis=-1, keep_dims=True) * x
def c_amax_keep(x): return ops.amax(x, axis=-1, keepdims=True) + ops.amin(x, axis=0, keepdims=True)
def c_amax_tuple(x): return ops.amax(x, axis=(0, 1))
def c_max_keep(x): return ops.max(x, axis=-1, keepdims=True)[0] * x
def c_min_axis0(x): return ops.min(x, axis=0)[0]
def c_argmin_keep(x): return ops.gather_elements(x, 0, ops.argmin(x, axis=0, keepdims=True))
def c_argmax_neg(x): return ops.gather_elements(x, 1, ops.argmax(x, dim=-1, keepdim=True))
def c_var_ddof(x): return ops.var(x, axis=1, ddof=0)
def c_var_keep(x): return ops.var(x, axis=0, ddof=1, keepdims=True) * x
def c_std_keep(x): return ops.std(x, axis=0, ddof=1, keepdims=True)
def c_std_all(x): return ops.std(x) * x
def c_var_mean(x): return ops.var_mean(x, axis=1)[0] + ops.var_mean(x, axis=1)[1]
def c_std_mean(x): return ops.std_mean(x, axis=0, ddof=0)[0] * 2 + ops.std_mean(x, axis=0)[1]
def c_logsumexp_keep(x): return ops.logsumexp(x, dim=0, keepdim=True) * x
def c_norm_p1(x): return ops.norm(x, ord=1, dim=0)
def c_norm_fro(x): return ops.norm(x) * x
def c_norm_keep(x): return ops.norm(x, 2, dim=-1, keepdim=True) * x
def c_norm_inf(x): return ops.norm(x, float('inf'), dim=1)
def c_cumsum_neg(x): return ops.cumsum(x, axis=-2)
def c_cumprod(x): return ops.cumprod(x, 0)
def c_cummax(x): return ops.cummax(x, axis=1)[0] * 2
def c_cummin(x): return ops.cummin(x, 0)[0]
def c_logcumsumexp(x): return ops.logcumsumexp(x, 1)
def c_reduce_sum_keep(x): return ops.ReduceSum(keep_dims=True)(x, (1,)) * x
def c_reduce_max(x): return ops.ReduceMax(keep_dims=False)(x, -1)
def c_reduce_mean_kw(x): return ops.ReduceMean(keep_dims=True)(x, 0) - x
def c_reduce_prod(x): return ops.ReduceProd()(x, 1)
def c_count_nz(x): return ops.cast(ops.count_nonzero(ops.relu(x), 1), F32) * x.sum()
def c_trace(x): return ops.trace(x) * x
def c_cos_sim(x, y): return ops.cosine_similarity(x, y, dim=0)
def c_cdist_p1(x, y): return ops.cdist(x, y, p=1.0)
def c_cdist_p2(x, y): return ops.cdist(x, y)
def c_dist(x, y): return ops.dist(x, y, 3)
# -- linear algebra
def c_inner(x, y): return ops.inner(x, y)
def c_outer(x, y): return ops.outer(x, y)
def c_dot(x, y): return ops.dot(x, y)
def c_mv(x, v): return ops.mv(x, v)
def c_addmm(c, a, b): return ops.addmm(c, a, b, beta=0.5, alpha=2)
def c_addmv(c, a, v): return ops.addmv(c, a, v, beta=2, alpha=0.5)
def c_baddbmm(c, a, b): return ops.baddbmm(c, a, b, beta=0.5, alpha=1.5)
def c_addbmm(c, a, b): return ops.addbmm(c, a, b, beta=2, alpha=0.5)
def c_tensor_dot(x, y): return ops.tensor_dot(x, y, ((1,), (0,)))
def c_kron(x, y): return ops.kron(x, y)
def c_cross(x, y): return ops.cross(x, y, dim=1)
def c_matmul_tt(x, y): return ops.MatMul(transpose_a=True, transpose_b=True)(x, y)
def c_matmul_ta(x, y): return ops.MatMul(transpose_a=True)(x, y)
def c_batchmatmul_ta(x, y): return ops.BatchMatMul(transpose_a=True)(x, y)
def c_matmul_bcast(x, y): return ops.matmul(x, y)
def c_diag(x): return ops.diag(x)
def c_diagonal(x): return ops.diagonal(x, 1)
def c_diagonal_neg(x): return ops.diagonal(x, offset=-1, dim1=1, dim2=0)
def c_triu(x): return ops.triu(x, 1)
def c_tril(x): return ops.tril(x, -1)
def c_diag_embed(x): return ops.diag_embed(x, 1)
def c_band_part(x): return ops.matrix_band_part(x, 1, 0)
def c_det(x): return ops.det(x)
def c_inverse(x): return ops.inverse(x)
# -- shapes and indexing
def c_permute(x): return ops.permute(x, (2, 0, 1)) * 2
def c_permute_neg(x): return ops.permute(x, (-1, -3, -2)) * 2
def c_swapaxes(x): return ops.swapaxes(x, 0, -1) * 2
def c_moveaxis(x): return ops.moveaxis(x, 0, -1) * 2
def c_movedim(x): return ops.movedim(x, (0, 1), (2, 0)) * 2
def c_roll(x): return ops.roll(x, 1, 0) * x
def c_roll2(x): return ops.roll(x, shifts=(1, -2), dims=(0, 1)) * x
def c_narrow(x): return ops.narrow(x, 1, 1, 2)
def c_narrow_neg(x): return ops.narrow(x, -1, 0, 3)
def c_index_select(x, i): return ops.index_select(x, 1, i)
def c_index_select0(x, i): return ops.index_select(x, 0, i)
def c_gather_neg(x, i): return ops.gather(x, i, -1)
def c_gather_batch(x, i): return ops.gather(x, i, 1, batch_dims=1)
def c_gather_elements(x, i): return ops.gather_elements(x, 1, i)
def c_gather_d0(x, i): return ops.gather_d(x, 0, i)
def c_gather_nd(x, i): return ops.gather_nd(x, i)
def c_unsqueeze_neg(x): return ops.unsqueeze(x, -1) * x.unsqueeze(0).sum()
def c_squeeze_axis(x): return ops.squeeze(x, axis=1) * 2
def c_squeeze_neg(x): return ops.squeeze(x, -1) * 2
def c_flatten_sd(x): return ops.flatten(x, start_dim=1) * 2
def c_flatten_ed(x): return ops.flatten(x, start_dim=0, end_dim=1) * 2
def c_reshape_neg(x): return ops.reshape(x, (-1, 2)) * 2
def c_unbind(x): return ops.unbind(x, 1)[2] * 3
def c_hstack(x, y): return ops.hstack((x, y))
def c_vstack(x, y): return ops.vstack((x, y))
def c_dstack(x, y): return ops.dstack((x, y))
def c_column_stack(x, y): return ops.column_stack((x, y))
def c_repeat_interleave(x): return ops.repeat_interleave(x, 2, 1)
def c_repeat_elements(x): return ops.repeat_elements(x, 2, axis=0)
def c_tile3(x): return ops.tile(x, (2, 1, 3))
def c_broadcast_neg(x): return ops.broadcast_to(x, (2, -1, 4))
def c_split_neg(x): return ops.split(x, 2, axis=-1)[1] * 2
def c_split_list(x): return ops.split(x, [1, 2], 0)[1] * 2
def c_tensor_split(x): return ops.tensor_split(x, 3, axis=1)[2] * 2
def c_chunk0(x): return ops.chunk(x, 3, axis=0)[1] * 2
def c_concat_kw(x, y): return ops.concat((x, y), axis=0)
def c_stack_neg(x, y): return ops.stack((x, y), axis=-1)
def c_flip_neg(x): return ops.flip(x, dims=(-1,)) * x
def c_fliplr(x): return ops.fliplr(x) * 2 + ops.flipud(x)
def c_rot90(x): return ops.rot90(x, 1, (0, 1))
def c_rot90_k2(x): return ops.rot90(x, 2, (1, 0))
def c_pad_reflect(x): return ops.pad(x, (1, 1, 2, 0), mode='reflect')
def c_pad_reflect3(x): return ops.pad(x, (2, 1), mode='reflect')
def c_pad_replicate(x): return ops.pad(x, (2, 1), mode='replicate')
def c_pad_value(x): return ops.pad(x, (1, 1, 1, 1), value=0.5)
def c_pad_neg(x): return ops.pad(x, (-1, 1))
def c_slice_fn(x): return ops.slice(x, (0, 1), (2, 2)) * 2
def c_strided_slice(x): return ops.strided_slice(x, (0, 3), (3, 0), (2, -1)) * 2
def c_getitem_neg(x): return x[-1, -3:] * 2 + x[..., -1].sum()
def c_getitem_none(x): return x[None, :, 1] * 2
def c_getitem_bool(x): return x[1:2, ::-2] * 2
def c_getitem_tensor(x, i): return x[i] * 2
def c_meshgrid(x, y): return ops.meshgrid(x, y, indexing='ij')[0] * ops.meshgrid(x, y, indexing='xy')[1].T
def c_where_scalar(x): return ops.where(x > 0, x, 0.0)
def c_masked_fill_t(x): return ops.masked_fill(x, x < 0, Tensor(0.25))
def c_scatter_add(x, i, u): return ops.tensor_scatter_elements(x, i, u, 1, 'add')
def c_tensor_scatter_update(x, u): return ops.tensor_scatter_update(x, I([[0], [2]]), u)
def c_tensor_scatter_add(x, u): return ops.tensor_scatter_add(x, I([[1], [1]]), u)
def c_scatter_nd(u): return ops.scatter_nd(I([[0], [2]]), u, (4, 4))
def c_select_scatter(x, u): return ops.select_scatter(x, u, 0, 1)
def c_slice_scatter(x, u): return ops.slice_scatter(x, u, 1, 0, 4, 2)
def c_reverse_seq(x): return ops.reverse_sequence(x, I([1, 2, 3]), 1, 0) * x
def c_sort_desc(x): return ops.sort(x, axis=0, descending=True)[0] * 2
def c_argsort_desc(x): return ops.gather_elements(x, 1, ops.argsort(x, axis=1, descending=True)) * ops.arange(4).astype(F32)
def c_topk_small(x): return ops.topk(x, 2, dim=0, largest=False)[0]
def c_topk_unsorted(x): return ops.topk(x, 3, sorted=True)[0] * ops.arange(3).astype(F32)
def c_one_hot_neg(i, x): return ops.one_hot(i, 4, Tensor(2.0), Tensor(-1.0), axis=0) * x
# -- creation with dtypes
def c_zeros_ones(x): return x + ops.ones((3, 4), F32) * 2 + ops.zeros((1, 4), F32)
def c_full(x): return x * ops.full((3, 4), 1.5, dtype=F32)
def c_arange_dtype(x): return x * ops.arange(0, 4, 1, dtype=F32)
def c_arange_float(x): return x * ops.arange(0.5, 2.5, 0.5)
def c_linspace(x): return x * ops.linspace(0, 1, 4)
def c_eye(x): return x * ops.eye(3, 4, F32)
def c_ones_like_dt(x): return x * ops.ones_like(x, dtype=ms.float16).astype(F32) * 3
def c_zeros_like_dt(x): return x + ops.full_like(x, 0.25)
def c_fill(x): return x * ops.fill(F32, (3, 4), 2.0)
# -- losses with reductions
def c_l1_sum(x, y): return ops.l1_loss(x, y, reduction='sum')
def c_l1_none(x, y): return ops.l1_loss(x, y, reduction='none')
def c_mse_none(x, y): return ops.mse_loss(x, y, reduction='none')
def c_mse_sum(x, y): return ops.mse_loss(x, y, reduction='sum')
def c_smoothl1_beta(x, y): return ops.smooth_l1_loss(x, y, beta=0.5, reduction='mean')
def c_smoothl1_none(x, y): return ops.smooth_l1_loss(x, y, 2.0, 'none')
def c_huber(x, y): return ops.huber_loss(x, y, reduction='sum', delta=0.5)
def c_soft_margin(x, y): return ops.soft_margin_loss(x, ops.sign(y), reduction='sum')
def c_nll_sum(x, t): return ops.nll_loss(ops.log_softmax(x, 1), t, reduction='sum')
def c_nll_none(x, t): return ops.nll_loss(ops.log_softmax(x, 1), t, reduction='none')
def c_ce_ls(x, t): return ops.cross_entropy(x, t, label_smoothing=0.1, reduction='sum')
def c_ce_none(x, t): return ops.cross_entropy(x, t, reduction='none')
def c_ce_weight(x, t): return ops.cross_entropy(x, t, Tensor(np.array([1, 2, 0.5, 1], np.float32)))
def c_ce_probs(x, y): return ops.cross_entropy(x, ops.softmax(y, 1))
def c_bce(x, y): return ops.binary_cross_entropy(ops.sigmoid(x), ops.sigmoid(y), reduction='sum')
def c_bce_none(x, y): return ops.binary_cross_entropy(ops.sigmoid(x), ops.sigmoid(y), reduction='none')
def c_bce_logits_none(x, y): return ops.binary_cross_entropy_with_logits(x, ops.sigmoid(y), reduction='none')
def c_kl_div(x, y): return ops.kl_div(ops.log_softmax(x, 1), ops.softmax(y, 1), reduction='sum')
def c_margin_rank(x, y): return ops.margin_ranking_loss(x, y, ops.sign(x - y), margin=0.2, reduction='sum')
def c_triplet(x, y, z): return ops.triplet_margin_loss(x, y, z, margin=0.5)
def c_cos_emb(x, y): return ops.cosine_embedding_loss(x, y, Tensor(np.array([1, -1, 1], np.int32)), 0.1, 'sum')
def c_hinge_emb(x, y): return ops.hinge_embedding_loss(x, ops.sign(y), 0.5, 'sum')
def c_gaussian_nll(x, y, v): return ops.gaussian_nll_loss(x, y, v, reduction='sum')
def c_poisson_nll(x, y): return ops.poisson_nll_loss(x, ops.abs(y), reduction='sum')
def c_multi_margin(x, t): return ops.multi_margin_loss(x, t, p=1, margin=2)
def c_multilabel_soft(x, y): return ops.multilabel_soft_margin_loss(x, ops.cast(y > 0, F32))
# -- nn functionals
def c_dense_fn(x, w, b): return ops.dense(x, w, b)
def c_conv2d_fn(x, w): return ops.conv2d(x, w, stride=2, pad_mode='pad', padding=1)
def c_conv2d_same(x, w): return ops.conv2d(x, w, pad_mode='same', dilation=2)
def c_conv1d_fn(x, w): return ops.conv1d(x, w, stride=2, pad_mode='pad', padding=1)
def c_max_pool2d_fn(x): return ops.max_pool2d(x, 3, 2, 1)
def c_avg_pool2d_fn(x): return ops.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
def c_avg_pool2d_ceil(x): return ops.avg_pool2d(x, 2, 2, ceil_mode=True)
def c_avg_pool1d_fn(x): return ops.avg_pool1d(x, 3, 1, 1)
def c_adaptive_max1d(x): return ops.adaptive_max_pool1d(x, 2)
def c_adaptive_avg1d(x): return ops.adaptive_avg_pool1d(x, 2)
def c_interp_nearest(x): return ops.interpolate(x, size=(5, 6), mode='nearest')
def c_interp_linear_ac(x): return ops.interpolate(x, size=7, mode='linear', align_corners=True)
def c_interp_bilinear_ac(x): return ops.interpolate(x, size=(5, 5), mode='bilinear', align_corners=True)
def c_interp_bicubic(x): return ops.interpolate(x, size=(4, 6), mode='bicubic')
def c_interp_area(x): return ops.interpolate(x, size=(2, 2), mode='area')
def c_pixel_shuffle(x): return ops.pixel_shuffle(x, 2)
def c_pixel_unshuffle(x): return ops.pixel_unshuffle(x, 2)
def c_layer_norm_fn(x): return ops.layer_norm(x, (4,), eps=1e-3)
def c_normalize(x): return ops.L2Normalize(axis=0, epsilon=1e-6)(x)
def c_dropout_eval(x): return ops.dropout(x, p=0.5, training=False) * 2
def c_unfold(x): return ops.unfold(x, 2, dilation=1, padding=0, stride=1)
def c_fold_unfold(x): return ops.fold(ops.unfold(x, 2, 1, 0, 2), Tensor(np.array([4, 4], np.int32)), 2, 1, 0, 2)
# -- Tensor methods
def c_t_mean(x): return x.mean(axis=-1) * 2
def c_t_sum(x): return x.sum(axis=0, keepdims=True) * x
def c_t_max(x): return x.max(axis=1) * 2
def c_t_min_keep(x): return x.min(axis=0, keepdims=True) * x
def c_t_std(x): return x.std(axis=1, ddof=1) * 2
def c_t_var(x): return x.var(axis=0) * 2
def c_t_transpose(x): return x.transpose(1, 0) * 2
def c_t_view(x): return x.view(4, 3) * 2
def c_t_expand_dims(x): return x.expand_dims(-1) * 2
def c_t_clip(x): return x.clip(-0.2, 0.3) * 2
def c_t_cumsum(x): return x.cumsum(axis=0) * 2
def c_t_repeat(x): return x.repeat_interleave(2, 1)
def c_t_norm(x): return x.norm() * x
def c_t_sort(x): return x.sort(axis=0)[0] * 2
def c_t_topk(x): return x.topk(2, largest=False)[0] * 2
def c_t_ravel(x): return x.ravel() * 2
def c_t_prod(x): return x.prod(dim=0) * 2
def c_t_swapaxes(x): return x.swapaxes(0, 1) * 2
def c_t_argmax(x): return ops.cast(x.argmax(axis=-1), F32) + x.sum()
def c_t_masked_fill(x): return x.masked_fill(x > 0.5, 0.0) * 2
def c_t_tile(x): return x.tile((1, 2)) * 2
def c_t_abs_exp(x): return x.abs().exp() * 2
def c_t_squeeze(x): return x.squeeze(0) * 2
def c_t_reshape(x): return x.reshape((2, -1)) * 2
def c_t_flatten(x): return x.flatten() * 2
def c_t_amax(x): return x.amax(0, True) * x
def c_t_logsumexp(x): return x.logsumexp(1, True) * x
def c_t_narrow(x): return x.narrow(0, 1, 2) * 2
def c_t_pow(x): return x.pow(3) + x.square()
def c_t_T(x): return x.T * 2
def c_t_diag(x): return x.diagonal() * 2
def c_t_trace(x): return x.trace() * x

# -- more keyword arguments
def c_scatter_fn(x, i, u): return ops.scatter(x, 1, i, u)
def c_index_add(x, u): return ops.index_add(x, I([0, 2]), u, 1, alpha=2)
def c_index_fill(x): return ops.index_fill(x, 1, I([0, 2]), 0.5)
def c_logit_eps(x): return ops.logit(x, eps=0.1)
def c_searchsorted_r(x): return ops.cast(ops.searchsorted(Tensor(np.array([-1.0, 0.0, 0.5], np.float32)), x, right=True), F32) * x
def c_bucketize(x): return ops.cast(ops.bucketize(x, [-0.5, 0.0, 0.5], right=True), F32) * x
def c_diff(x): return ops.diff(x, 1, 1)
def c_diff0(x): return ops.diff(x, n=2, axis=0)
def c_trapz(x): return ops.trapz(x, dx=0.5, dim=0)
def c_mm(x, y): return ops.mm(x, y)
def c_pdist(x): return ops.pdist(x, p=1.0)
def c_clip_by_norm(x): return ops.clip_by_norm(x, 0.5, axis=1)
def c_renorm(x): return ops.renorm(x, 2, 0, 1.0)
def c_cumsum_dtype(x): return ops.cumsum(x, 0, dtype=ms.float64).astype(F32)
def c_sum_dtype64(x): return ops.sum(x, 1, dtype=ms.float64).astype(F32)
def c_unsorted_segment_sum(x, ids): return ops.unsorted_segment_sum(x, ids, 4)
def c_arange_step(x): return x * ops.arange(0.5, 3.0, 0.75, dtype=F32)
def c_mean_dtype(x): return ops.mean(x, 0, True) * x
def c_mean_f64(x): return ops.mean(x, 1, dtype=ms.float64)
def c_prod_f64(x): return ops.prod(x, 1, dtype=ms.float64)
def c_sum_f64(x): return ops.sum(x, 0, dtype=ms.float64)
def c_t_mean_f64(x): return x.mean(0, dtype=ms.float64)
def c_cumsum_f64(x): return ops.cumsum(x, 1, dtype=ms.float64)
def c_argmax_kw(x): return ops.cast(ops.argmax(x, dim=0, keepdim=False), F32) + x
def c_max_dim_idx(x): return ops.cast(ops.max(x, 0)[1], F32) * ops.max(x, 0)[0]
def c_median(x): return ops.median(x, axis=1, keepdims=True)[0] * x
def c_quantile(x): return ops.quantile(x, 0.3, axis=1)
def c_isclose(x, y): return ops.cast(ops.isclose(x, y, rtol=0.5, atol=0.2), F32) * x
def c_tensor_scatter_max(x, u): return ops.tensor_scatter_max(x, I([[0], [2]]), u)
def c_tensor_scatter_mul(x, u): return ops.tensor_scatter_mul(x, I([[1]]), u)
def c_expand_t(x): return x.expand(Tensor(np.array([2, 3, 4]), ms.int32))
def c_expand_as(x, y): return x.expand_as(y)
def c_tril_dims(x): return ops.tril(x, 1)
def c_logspace(x): return ops.logspace(0.0, 1.0, 4, base=2, dtype=F32) * x
def c_conv_transpose2d_fn(x, w): return ops.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
def c_avg_pool3d_fn(x): return ops.avg_pool3d(x, 2, 1)
def c_max_pool3d_fn(x): return ops.max_pool3d(x, 2, 1, 0)
def c_lp_pool2d(x): return ops.lp_pool2d(x, 2, 2, 2)
def c_group_norm_fn(x, w, b): return ops.group_norm(x, 2, w, b, eps=1e-3)
def c_batch_norm_fn(x, w, b): return ops.batch_norm(x, Tensor(np.array([0.1, -0.2, 0.3], np.float32)), Tensor(np.array([1.0, 2.0, 0.5], np.float32)), w, b, False, 0.1, 1e-3)
def c_instance_norm_fn(x): return ops.layer_norm(x, (4, 4))
def c_embedding_fn(i, w): return ops.embedding(i, w, padding_idx=1)
def c_grid_sample(x, g): return ops.grid_sample(x, g, mode='bilinear', padding_mode='zeros', align_corners=True)
def c_affine_grid(t): return ops.affine_grid(t, (1, 1, 3, 4), align_corners=False)
def c_interp_nearest_sf(x): return ops.interpolate(x, scale_factor=(2.0, 1.0), mode='nearest', recompute_scale_factor=True)
def c_interp_trilinear(x): return ops.interpolate(x, size=(3, 3, 4), mode='trilinear', align_corners=True)
def c_softmax_dtype(x): return ops.softmax(x, -1, dtype=F32)
def c_relu6_t(x): return x.relu() * 2 + ops.relu6(x * 5)
def c_t_clamp_kw(x): return x.clamp(min=-0.1) * x.clamp(max=0.4)
def c_t_var_keep(x): return x.var(0, ddof=0, keepdims=True) * x
def c_t_std_keep(x): return x.std(1, ddof=0, keepdims=True) * x
def c_t_mean_tuple(x): return x.mean((0, 1), True) * x
def c_t_sum_dtype(x): return x.sum(1, dtype=ms.float64).astype(F32)
def c_t_max_idx(x): return x.max(0, True)[0] * 2 if False else x.max(axis=0, keepdims=True) * x
def c_t_argmin(x): return ops.cast(x.argmin(axis=0), F32) + x.sum()
def c_t_cumprod(x): return x.cumprod(1)
def c_t_roll_free(x): return x.flip(0, 1) if False else x.flip((0, 1)) * 2
def c_t_index_select(x, i): return x.index_select(0, i) * 2
def c_t_gather_kw(x, i): return x.gather(i, 1) * 2
def c_t_narrow_neg(x): return x.narrow(-1, 1, 3) * 2
def c_t_sort_desc(x): return x.sort(axis=-1, descending=True)[0] * ops.arange(4).astype(F32)
def c_t_topk_dim(x): return x.topk(2, dim=0)[0] * 2
def c_t_split(x): return x.split(1, axis=0)[2] * 2
def c_t_chunk(x): return x.chunk(2, 1)[1] * 2
def c_t_unsqueeze(x): return x.unsqueeze(-2) * 2
def c_t_permute(x): return x.permute(2, 1, 0) * 2
def c_t_log_softmax(x): return x.log_softmax(0) * 2 if hasattr(x, 'log_softmax') else x

# inputs (default: one 3x4 normal tensor)
X = {
 'unsorted_segment_sum': [T(3, 4), I([0, 3, 0])], 'arange_step': [T(3, 4)],
 'scatter_fn': [T(3, 4), I([[0, 1], [3, 3], [2, 0]]), T(3, 2)], 'index_add': [T(3, 4), T(3, 2)],
 'logit_eps': [Tensor(rng.uniform(0.05, 0.95, (3, 4)).astype(np.float32))], 'mm': [T(3, 4), T(4, 2)],
 'tensor_scatter_max': [T(3, 4), T(2, 4)], 'tensor_scatter_mul': [T(3, 4), T(1, 4)], 'expand_t': [T(3, 1)],
 'expand_as': [T(3, 1), T(3, 4)], 'conv_transpose2d_fn': [T(1, 2, 3, 3), T(2, 3, 3, 3)], 'avg_pool3d_fn': [T(1, 1, 3, 3, 3)],
 'max_pool3d_fn': [T(1, 1, 3, 3, 3)], 'lp_pool2d': [T(1, 2, 4, 4)], 'group_norm_fn': [T(2, 4, 3), T(4), T(4)],
 'batch_norm_fn': [T(2, 3, 4), T(3), T(3)], 'instance_norm_fn': [T(2, 4, 4)], 'embedding_fn': [I([[0, 1], [3, 1]]), T(4, 3)],
 'grid_sample': [T(1, 1, 3, 4), U(1, 2, 3, 2)], 'affine_grid': [U(1, 2, 3)], 'interp_nearest_sf': [T(1, 1, 2, 3)],
 'interp_trilinear': [T(1, 1, 2, 2, 3)], 't_index_select': [T(3, 4), I([2, 0])], 't_gather_kw': [T(3, 4), I([[0, 2], [1, 1], [3, 3]])],
 't_permute': [T(2, 3, 4)], 'quantile': [T(3, 4)], 'isclose': [T(3, 4), T(3, 4)], 'pad_reflect3': [T(1, 2, 4)],
 'acosh': [P(3, 4)], 'log2_log10': [P(3, 4)], 'xlogy': [P(3, 4), P(3, 4)], 'asin_acos': [U(3, 4)],
 'asinh_atanh': [U(3, 4)], 'erfinv': [U(3, 4)], 'lgamma': [P(3, 4)], 'digamma': [P(3, 4)], 'rsqrt_sq': [P(3, 4)],
 'neg_rec': [P(3, 4)], 'pow_t': [P(3, 4), T(3, 4)], 'true_divide': [T(3, 4), P(3, 4)], 'remainder_t': [T(3, 4), P(3, 4)],
 'floor_divide': [T(3, 4), P(3, 4)], 'div_floor': [T(3, 4), P(3, 4)], 'div_trunc': [T(3, 4), P(3, 4)],
 'nan_to_num': [T(3, 4)], 'lerp_t': [T(3, 4), T(3, 4), U(3, 4)], 'addcmul': [T(3, 4), T(3, 4), T(3, 4)],
 'addcdiv': [T(3, 4), T(3, 4), P(3, 4)], 'clamp_t': [T(3, 4), T(4)], 'bias_add': [T(2, 3, 4), T(3)],
 'prelu_fn': [T(2, 3, 4), Tensor(np.array([0.1, 0.3, -0.2], np.float32))], 'glu0': [T(4, 3)],
 'sum_tuple': [T(2, 3, 4)], 'mean_tuple': [T(2, 3, 4)], 'mean_neg_keep': [T(2, 3, 4)], 'amax_tuple': [T(2, 3, 4)],
 'prod_neg': [P(3, 4)], 'cumprod': [P(3, 4)], 'cos_sim': [T(3, 4), T(3, 4)], 'cdist_p1': [T(3, 4), T(5, 4)],
 'cdist_p2': [T(3, 4), T(5, 4)], 'dist': [T(3, 4), T(3, 4)], 'inner': [T(3, 4), T(5, 4)], 'outer': [T(3), T(4)],
 'dot': [T(3, 4), T(4, 2)], 'mv': [T(3, 4), T(4)], 'addmm': [T(3, 5), T(3, 4), T(4, 5)], 'addmv': [T(3), T(3, 4), T(4)],
 'baddbmm': [T(2, 3, 5), T(2, 3, 4), T(2, 4, 5)], 'addbmm': [T(3, 5), T(2, 3, 4), T(2, 4, 5)],
 'tensor_dot': [T(3, 4), T(4, 2)], 'kron': [T(2, 3), T(2, 2)], 'cross': [T(2, 3), T(2, 3)],
 'matmul_tt': [T(4, 3), T(5, 4)], 'matmul_ta': [T(4, 3), T(4, 5)], 'batchmatmul_ta': [T(2, 4, 3), T(2, 4, 5)],
 'matmul_bcast': [T(2, 3, 4), T(4, 5)], 'diag': [T(4)], 'diag_embed': [T(2, 3)], 'band_part': [T(4, 4)],
 'det': [T(3, 3)], 'inverse': [Tensor((np.eye(3) * 3 + rng.standard_normal((3, 3))).astype(np.float32))],
 'permute': [T(2, 3, 4)], 'permute_neg': [T(2, 3, 4)], 'swapaxes': [T(2, 3, 4)], 'moveaxis': [T(2, 3, 4)],
 'movedim': [T(2, 3, 4)], 'index_select': [T(3, 4), I([3, 0, 3])], 'index_select0': [T(3, 4), I([2, 2])],
 'gather_neg': [T(3, 4), I([[1, 3], [0, 0]])], 'gather_batch': [T(3, 4), I([[1, 3], [0, 0], [2, 1]])],
 'gather_elements': [T(3, 4), L([[1, 3], [0, 0], [2, 2]])], 'gather_d0': [T(3, 4), I([[1, 2, 0, 1]])],
 'gather_nd': [T(3, 4), I([[0, 1], [2, 3]])], 'squeeze_axis': [T(3, 1, 4)], 'squeeze_neg': [T(3, 4, 1)],
 'flatten_sd': [T(2, 3, 4)], 'flatten_ed': [T(2, 3, 4)], 'hstack': [T(3, 4), T(3, 2)], 'vstack': [T(3, 4), T(2, 4)],
 'dstack': [T(3, 4), T(3, 4)], 'column_stack': [T(3), T(3)], 'tile3': [T(3, 4)], 'broadcast_neg': [T(3, 4)],
 'split_list': [T(3, 4)], 'chunk0': [T(3, 4)], 'concat_kw': [T(3, 4), T(1, 4)], 'stack_neg': [T(3, 4), T(3, 4)],
 'getitem_tensor': [T(3, 4), I([2, 0])], 'meshgrid': [T(3), T(4)], 'scatter_add': [T(3, 4), L([[0, 1], [3, 3], [2, 0]]), T(3, 2)],
 'tensor_scatter_update': [T(3, 4), T(2, 4)], 'tensor_scatter_add': [T(3, 4), T(2, 4)], 'scatter_nd': [T(2, 4)],
 'select_scatter': [T(3, 4), T(4)], 'slice_scatter': [T(3, 4), T(3, 2)], 'reverse_seq': [T(3, 4)],
 'one_hot_neg': [I([0, 3, 1]), T(4, 3)], 'l1_sum': [T(3, 4), T(3, 4)], 'l1_none': [T(3, 4), T(3, 4)],
 'mse_none': [T(3, 4), T(3, 4)], 'mse_sum': [T(3, 4), T(3, 4)], 'smoothl1_beta': [T(3, 4), T(3, 4)],
 'smoothl1_none': [T(3, 4), T(3, 4)], 'huber': [T(3, 4), T(3, 4)], 'soft_margin': [T(3, 4), T(3, 4)],
 'nll_sum': [T(3, 4), I([0, 3, 1])], 'nll_none': [T(3, 4), I([0, 3, 1])], 'ce_ls': [T(3, 4), I([0, 3, 1])],
 'ce_none': [T(3, 4), I([0, 3, 1])], 'ce_weight': [T(3, 4), I([0, 3, 1])], 'ce_probs': [T(3, 4), T(3, 4)],
 'bce': [T(3, 4), T(3, 4)], 'bce_none': [T(3, 4), T(3, 4)], 'bce_logits_none': [T(3, 4), T(3, 4)],
 'kl_div': [T(3, 4), T(3, 4)], 'margin_rank': [T(3, 4), T(3, 4)], 'triplet': [T(3, 4), T(3, 4), T(3, 4)],
 'cos_emb': [T(3, 4), T(3, 4)], 'hinge_emb': [T(3, 4), T(3, 4)], 'gaussian_nll': [T(3, 4), T(3, 4), P(3, 4)],
 'poisson_nll': [T(3, 4), T(3, 4)], 'multi_margin': [T(3, 4), I([0, 3, 1])], 'multilabel_soft': [T(3, 4), T(3, 4)],
 'dense_fn': [T(3, 4), T(2, 4), T(2)], 'conv2d_fn': [T(1, 2, 7, 7), T(3, 2, 3, 3)], 'conv2d_same': [T(1, 2, 7, 7), T(3, 2, 3, 3)],
 'conv1d_fn': [T(2, 2, 9), T(3, 2, 3)], 'max_pool2d_fn': [T(1, 2, 7, 7)], 'avg_pool2d_fn': [T(1, 2, 7, 7)],
 'avg_pool2d_ceil': [T(1, 2, 5, 5)], 'avg_pool1d_fn': [T(1, 2, 7)], 'adaptive_max1d': [T(1, 2, 6)],
 'adaptive_avg1d': [T(1, 2, 6)], 'interp_nearest': [T(1, 2, 3, 3)], 'interp_linear_ac': [T(1, 2, 4)],
 'interp_bilinear_ac': [T(1, 1, 3, 3)], 'interp_bicubic': [T(1, 1, 3, 3)], 'interp_area': [T(1, 2, 5, 4)],
 'pixel_shuffle': [T(1, 8, 2, 3)], 'pixel_unshuffle': [T(1, 2, 4, 6)], 'unfold': [T(1, 2, 4, 4)], 'fold_unfold': [T(1, 2, 4, 4)],
 't_view': [T(3, 4)], 't_squeeze': [T(1, 3, 4)], 't_prod': [P(3, 4)], 't_diag': [T(4, 4)], 't_trace': [T(4, 4)],
 'trace': [T(4, 4)], 'atan2': [T(3, 4), T(3, 4)], 'logaddexp': [T(3, 4), T(3, 4)], 'hypot': [T(3, 4), T(3, 4)],
 'lerp': [T(3, 4), T(3, 4)], 'sub_alpha': [T(3, 4), T(3, 4)], 'square_diff': [T(3, 4), T(3, 4)],
 'maximum_minimum': [T(3, 4), T(3, 4)], 'fmax_fmin': [T(3, 4), T(3, 4)], 'addn3': [T(3, 4), T(3, 4)],
}
# nn layers with non-default arguments
LAYERS = {
 'nn_conv2d_pad4': (lambda: nn.Conv2d(2, 3, 3, pad_mode='pad', padding=(1, 2, 0, 1), has_bias=True), [T(1, 2, 6, 6)]),
 'nn_conv2d_rect': (lambda: nn.Conv2d(2, 4, (2, 3), stride=(2, 1), dilation=(1, 2), pad_mode='valid', group=2), [T(1, 2, 7, 8)]),
 'nn_conv1d_same': (lambda: nn.Conv1d(2, 3, 4, stride=2, pad_mode='same', has_bias=True), [T(2, 2, 9)]),
 'nn_conv3d': (lambda: nn.Conv3d(2, 2, 3, pad_mode='pad', padding=1, has_bias=True), [T(1, 2, 4, 4, 4)]),
 'nn_conv1dT': (nn.Conv1dTranspose(2, 3, 3, stride=2, pad_mode='valid'), [T(1, 2, 5)]),
 'nn_conv2dT_pad': (nn.Conv2dTranspose(2, 3, 3, stride=2, pad_mode='pad', padding=1, has_bias=True), [T(1, 2, 4, 4)]),
 'nn_maxpool1d_same': (lambda: nn.MaxPool1d(3, 2, pad_mode='same'), [T(1, 2, 8)]),
 'nn_maxpool2d_pad': (lambda: nn.MaxPool2d(3, 2, pad_mode='pad', padding=1), [T(1, 2, 7, 7)]),
 'nn_avgpool2d_nocip': (lambda: nn.AvgPool2d(3, 2, pad_mode='pad', padding=1, count_include_pad=False), [T(1, 2, 7, 7)]),
 'nn_avgpool2d_same': (lambda: nn.AvgPool2d(3, 2, pad_mode='same'), [T(1, 2, 7, 7)]),
 'nn_maxpool3d': (lambda: nn.MaxPool3d(2, 2), [T(1, 1, 4, 4, 4)]),
 'nn_avgpool3d': (lambda: nn.AvgPool3d(2, 2), [T(1, 1, 4, 4, 4)]),
 'nn_adaptive_max2d': (lambda: nn.AdaptiveMaxPool2d((2, 3)), [T(1, 2, 6, 6)]),
 'nn_adaptive_avg1d': (lambda: nn.AdaptiveAvgPool1d(4), [T(1, 2, 8)]),
 'nn_layernorm_axis': (lambda: nn.LayerNorm((3, 4), begin_norm_axis=1, begin_params_axis=1, epsilon=1e-3), [T(2, 3, 4)]),
 'nn_layernorm_last': (lambda: nn.LayerNorm((4,), begin_norm_axis=-1, begin_params_axis=-1), [T(2, 3, 4)]),
 'nn_bn2d_eval': (lambda: nn.BatchNorm2d(3, eps=1e-3, momentum=0.8), [T(2, 3, 4, 4)]),
 'nn_bn2d_train_stats': (lambda: nn.BatchNorm2d(3, use_batch_statistics=True), [T(2, 3, 4, 4)]),
 'nn_bn3d': (lambda: nn.BatchNorm3d(2), [T(1, 2, 2, 3, 3)]),
 'nn_instnorm1d': (lambda: nn.InstanceNorm1d(3, affine=True), [T(2, 3, 5)]),
 'nn_groupnorm_eps': (lambda: nn.GroupNorm(3, 6, eps=1e-3, affine=True), [T(2, 6, 2, 2)]),
 'nn_dense_nobias': (lambda: nn.Dense(4, 3, has_bias=False, activation='sigmoid'), [T(3, 4)]),
 'nn_dense_gelu': (lambda: nn.Dense(4, 3, activation='gelu'), [T(2, 3, 4)]),
 'nn_bidense': (lambda: nn.BiDense(3, 4, 2), [T(2, 3), T(2, 4)]),
 'nn_embedding_pad': (lambda: nn.Embedding(6, 3, padding_idx=0), [I([[0, 5], [3, 0]])]),
 'nn_prelu_ch': (lambda: nn.PReLU(channel=3, w=0.1), [T(2, 3, 4)]),
 'nn_leakyrelu': (lambda: nn.LeakyReLU(0.05), [T(3, 4)]),
 'nn_elu': (lambda: nn.ELU(alpha=0.7), [T(3, 4)]),
 'nn_gelu_exact': (lambda: nn.GELU(approximate=False), [T(3, 4)]),
 'nn_hardtanh': (lambda: nn.Hardtanh(-0.3, 0.4), [T(3, 4)]),
 'nn_softmax0': (lambda: nn.Softmax(axis=0), [T(3, 4)]),
 'nn_logsoftmax0': (lambda: nn.LogSoftmax(axis=0), [T(3, 4)]),
 'nn_softmin': (lambda: nn.Softmin(axis=-1), [T(3, 4)]),
 'nn_flatten_sd': (lambda: nn.Flatten(start_dim=0, end_dim=1), [T(2, 3, 4)]),
 'nn_unflatten': (lambda: nn.Unflatten(1, (2, 2)), [T(3, 4)]),
 'nn_pixelshuffle': (lambda: nn.PixelShuffle(2), [T(1, 4, 2, 2)]),
 'nn_upsample': (lambda: nn.Upsample(scale_factor=2.0, mode='nearest', recompute_scale_factor=True), [T(1, 2, 3, 3)]),
 'nn_upsample_bilinear': (lambda: nn.Upsample(size=(5, 4), mode='bilinear', align_corners=False), [T(1, 2, 3, 3)]),
 'nn_zeropad2d': (lambda: nn.ZeroPad2d((1, 0, 2, 1)), [T(1, 2, 3, 3)]),
 'nn_reflectionpad1d': (lambda: nn.ReflectionPad1d((2, 1)), [T(1, 2, 4)]),
 'nn_replicationpad2d': (lambda: nn.ReplicationPad2d((1, 2, 0, 1)), [T(1, 2, 3, 3)]),
 'nn_constantpad2d': (lambda: nn.ConstantPad2d((1, 1, 2, 0), 0.5), [T(1, 2, 3, 3)]),
 'nn_l1_sum': (lambda: nn.L1Loss(reduction='sum'), [T(3, 4), T(3, 4)]),
 'nn_mse_none': (lambda: nn.MSELoss(reduction='none'), [T(3, 4), T(3, 4)]),
 'nn_smoothl1': (lambda: nn.SmoothL1Loss(beta=0.5, reduction='sum'), [T(3, 4), T(3, 4)]),
 'nn_huber': (lambda: nn.HuberLoss(reduction='sum', delta=0.4), [T(3, 4), T(3, 4)]),
 'nn_bcewl_pos': (lambda: nn.BCEWithLogitsLoss(reduction='sum', pos_weight=Tensor(np.array([1, 2, 3, 4], np.float32))), [T(3, 4), U(3, 4)]),
 'nn_nll_w': (lambda: nn.NLLLoss(weight=Tensor(np.array([1, 2, 0.5, 1], np.float32)), reduction='sum'), [T(3, 4), I([0, 3, 1])]),
 'nn_ce_ls': (lambda: nn.CrossEntropyLoss(label_smoothing=0.2, reduction='mean'), [T(3, 4), I([0, 3, 1])]),
 'nn_kldiv': (lambda: nn.KLDivLoss(reduction='batchmean'), [T(3, 4), P(3, 4)]),
 'nn_softmarginloss': (lambda: nn.SoftMarginLoss(reduction='sum'), [T(3, 4), T(3, 4)]),
 'nn_cos_emb': (lambda: nn.CosineEmbeddingLoss(margin=0.2, reduction='none'), [T(3, 4), T(3, 4), I([1, -1, -1])]),
 'nn_gaussian_nll': (lambda: nn.GaussianNLLLoss(full=True, reduction='sum'), [T(3, 4), T(3, 4), P(3, 4)]),
 'nn_lstm_2l': (lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True), [T(2, 3, 3)]),
 'nn_gru_tm': (lambda: nn.GRU(3, 2, batch_first=False), [T(4, 2, 3)]),
 'nn_rnn_relu': (lambda: nn.RNN(3, 2, nonlinearity='relu', batch_first=True), [T(2, 4, 3)]),
 'nn_lstmcell': (lambda: nn.LSTMCell(3, 2), [T(2, 3), (T(2, 2), T(2, 2))]),
 'nn_mha': (lambda: nn.MultiheadAttention(4, 2), [T(3, 2, 4), T(3, 2, 4), T(3, 2, 4)]),
 'nn_identity': (lambda: nn.Identity(), [T(3, 4)]),
 'nn_cosine_sim': (lambda: nn.CosineSimilarity(0), [T(3, 4), T(3, 4)]),
 'nn_pairwise': (lambda: nn.PairwiseDistance(p=1.0, keepdim=True), [T(3, 4), T(3, 4)]),
}


class Wrap(nn.Cell):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def construct(self, *xs):
        return self.f(*xs)


class First(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def construct(self, *xs):
        return self.net(*xs)[0]


def flat_inputs(xs):
    return [x for x in xs if not isinstance(x, tuple)] + [y for x in xs if isinstance(x, tuple) for y in x]


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    cases = {n[2:]: (f, X.get(n[2:], [T(3, 4)])) for n, f in list(globals().items()) if n.startswith('c_')}
    cases.update(LAYERS)
    expected, blobs = {}, {}
    for name, (f, xs) in cases.items():
        try:
            net = f() if name in LAYERS else Wrap(f)
            net.set_train(name == 'nn_bn2d_train_stats')
            if any(isinstance(x, tuple) for x in xs):
                continue
            y = net(*xs)
            if isinstance(y, tuple):
                net = First(net)
                y = y[0]
            path = os.path.join(outdir, name)
            ms.export(net, *xs, file_name=path, file_format='MINDIR')
            fl = [i for i, x in enumerate(xs) if x.dtype == F32]
            names = [p.name for p in net.trainable_params()]  # (the file's names: Wrap below prefixes them)
            g = ms.grad(Wrap(net), grad_position=tuple(fl) or None, weights=net.trainable_params())(*xs)
            if fl:
                gx, gw = g
                gx = gx if isinstance(gx, tuple) else (gx,)
            else:
                gx, gw = (), g
            expected[name] = {
                'inputs': [(x.asnumpy().tolist(), str(x.asnumpy().dtype)) for x in xs],
                'y': y.asnumpy().astype(np.float64).tolist(), 'dtype': str(y.asnumpy().dtype),
                'grad_positions': fl, 'gx': [a.asnumpy().tolist() for a in gx],
                'gw': {n: a.asnumpy().tolist() for n, a in zip(names, gw)}}
            blobs[name] = np.frombuffer(open(path + '.mindir', 'rb').read(), np.uint8)
        except Exception as e:
            print(name, 'MS FAIL', type(e).__name__, str(e)[:200].replace('\n', ' '))
    here = os.path.dirname(os.path.abspath(__file__))
    np.savez_compressed(os.path.join(here, '..', 'mindir_ms210_sweep2.npz'),
                        expected_json=np.frombuffer(json.dumps(expected).encode(), np.uint8), **blobs)
    print(len(expected), 'of', len(cases), 'written')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'sweep2')
