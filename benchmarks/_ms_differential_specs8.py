"""Round 8's signatures for ms_differential.py (spelled as _ms_differential_specs.py's; "$name" is keyword-only):
stop 40's new names with their optional arguments drawn (conv strides / padding strings / dilation / groups,
norm orders and tuple dims, nll_loss weights and ignore_index, pad widths and values), and reductions with
keepdims / tuple axes / the empty tuple. The hand-written program forms (promotion, indexing, setitem, in-place
methods, control flow under @jit, loss Cells, vmap over grad) are in _ms_differential_gen8.py."""
from __future__ import annotations

STOP40 = [
    "F.conv1d(input:x3d, weight:conv1d_w, bias?:conv_b, stride?:one_two, padding?:conv_pad, dilation?:one_two)",
    "F.conv2d(input:x4d, weight:conv2d_w, bias?:conv_b, stride?:one_two, padding?:conv_pad, dilation?:one_two)",
    "F.conv1d(input:x_g, weight:conv1d_gw, bias?:none, stride?:one, padding?:zero_one, dilation?:one, $groups:two)",
    "F.layer_norm(input:x3d, normalized_shape:ln_shape2, weight?:ln_w2, bias?:ln_w2, eps?:eps_pos)",
    "F.group_norm(input:x_g4, num_groups:one_two, weight?:bias_c, bias?:bias_c, eps?:eps_pos)",
    "F.embedding(input:emb_idx, weight:mat2d, padding_idx?:pad_idx_neg)",
    "F.pad(input:x3d, pad:pad4, mode?:pad_mode_c, value?:f)", "F.pad(input:x4d, pad:pad4, mode?:pad_mode)",
    "F.pad(input:x3d, pad:pad_neg)",
    "F.normalize(input:x, p?:p_norm, dim?:axis, eps?:eps_pos)",
    "F.kl_div(input:x, target:s+, reduction?:kl_reduction, log_target?:bool)",
    "F.kl_div(input:x, target:s, reduction?:kl_reduction, $log_target:true)",
    "F.nll_loss(input:mat2d, target:cls_ign, weight?:class_w, ignore_index?:ign, reduction?:reduction)",
    "F.nll_loss(input:x_ncd, target:cls_d, weight?:class_w, reduction?:reduction)",
    "F.cross_entropy(input:mat2d, target:cls_ign, weight?:class_w, ignore_index?:ign, reduction?:reduction, "
    "label_smoothing?:f01)",
    "F.softplus(input:x, beta?:f_pos, threshold?:f_thr)", "F.threshold(input:x, threshold:f, value:f)",
    "F.cosine_embedding_loss(input1:mat2d, input2:s, target:cos_target, margin?:f_margin, reduction?:reduction)",
    "F.soft_margin_loss(input:x, target:sign, reduction?:reduction)",
    "F.adaptive_avg_pool2d(input:x4d, output_size:out_size2)", "F.adaptive_avg_pool2d(input:x3d, output_size:out_size2)",
    "mint.norm(input:x, p?:norm_p, dim?:dims, keepdim?:bool)",
    "mint.norm(input:mat2d, p:mat_p, dim?:both_dims, keepdim?:bool)",
    "ops.vector_norm(x:x, ord?:norm_p, axis?:dims, keepdims?:bool)",
    "Tensor.sum_to_size(*size:sum_size)", "Tensor.sum_to_size(size:sum_size_tuple)",
]

REDUCTIONS = [
    "ops.sum(x:x, dim?:axes8, keepdim?:bool)", "ops.mean(x:x, axis?:axes8, keep_dims?:bool)",
    "ops.amax(x:x, axis?:axes8, keepdims?:bool)", "ops.amin(x:x, axis?:axes8, keepdims?:bool)",
    "ops.std(x:x, axis?:axes8, ddof?:ddof, keepdims?:bool)", "ops.var(x:x, axis?:axes8, ddof?:ddof, keepdims?:bool)",
    "ops.logsumexp(x:x, axis:axes8, keep_dims?:bool)", "ops.nansum(x:x, axis?:axes8, keepdims?:bool)",
    "ops.all(x:x, axis?:axes8, keep_dims?:bool)", "ops.any(x:x, axis?:axes8, keep_dims?:bool)",
    "ops.count_nonzero(x:x, axis?:axes8, keep_dims?:bool)", "ops.norm(x:x, ord?:none, dim?:dims, keepdim?:bool)",
    "ops.var_mean(x:x, axis?:axes8, ddof?:ddof, keepdims?:bool)",
    "ops.prod(x:x, axis?:opt_axis, $keep_dims:true)", "ops.max(x:x, axis:axis, $keepdims:true)",
    "ops.argmax(x:x, dim:axis, $keepdim:true)", "ops.median(x:x, axis?:axis, $keepdims:true)",
    "mint.sum(input:x, dim?:axes8, keepdim?:bool)", "mint.mean(input:x, dim?:axes8, keepdim?:bool)",
    "mint.amax(input:x, dim?:axes8, keepdim?:bool)", "mint.all(input:x, dim?:axes8, keepdim?:bool)",
    "mint.any(input:x, dim?:axes8, keepdim?:bool)", "mint.var(input:x, dim?:axes8, $correction?:ddof, $keepdim?:bool)",
    "mint.logsumexp(input:x, dim:axes8, keepdim?:bool)",
    "Tensor.sum(axis?:axes8, keepdims?:bool)", "Tensor.mean(axis?:axes8, keep_dims?:bool)",
    "Tensor.amax(axis?:axes8, keepdims?:bool)", "Tensor.amin(axis?:axes8, keepdims?:bool)",
    "Tensor.std(axis?:axes8, ddof?:ddof, keepdims?:bool)", "Tensor.var(axis?:axes8, ddof?:ddof, keepdims?:bool)",
    "Tensor.all(axis?:axes8, keep_dims?:bool)", "Tensor.any(axis?:axes8, keep_dims?:bool)",
    "Tensor.logsumexp(axis:axes8, keepdims?:bool)", "Tensor.prod(axis?:opt_axis, $keep_dims:true)",
]
