"""Round 7's signatures for ms_differential.py (spelled as _ms_differential_specs.py's, as MindSpore 2.10 documents
them; "$name" is keyword-only): mint.*, mint.nn.functional (F.*) and more Tensor methods; the nn layers with
Parameters the round adds (attention, Transformer layers, stacked / bidirectional recurrent layers)."""
from __future__ import annotations

MINT_UNARY = """abs acos acosh asin asinh atan atanh ceil cos cosh erf erfc exp expm1 floor frac log log10 log1p log2
neg reciprocal round rsqrt sigmoid sign sin sinc sinh sqrt square tan tanh trunc isfinite isnan isinf
logical_not""".split()
MINT_BINARY = """add sub mul div maximum minimum atan2 remainder fmod logaddexp logaddexp2 xlogy fmax fmin eq ne gt ge
lt le greater less logical_and logical_or logical_xor isclose floor_divide""".split()

MINT = [
    "mint.sum(input:x, dim?:axes, keepdim?:bool)", "mint.mean(input:x, dim?:axes, keepdim?:bool)",
    "mint.prod(input:x, dim?:opt_axis, keepdim?:bool)", "mint.amax(input:x, dim?:axes, keepdim?:bool)",
    "mint.amin(input:x, dim?:axes, keepdim?:bool)", "mint.max(input:x)", "mint.min(input:x)",
    "mint.max(input:x, dim:axis, keepdim?:bool)", "mint.min(input:x, dim:axis, keepdim?:bool)",
    "mint.std(input:x, dim?:axes, $correction?:ddof, $keepdim?:bool)",
    "mint.var(input:x, dim?:axes, $correction?:ddof, $keepdim?:bool)",
    "mint.std_mean(input:x, dim?:axes, $correction?:ddof, $keepdim?:bool)",
    "mint.var_mean(input:x, dim?:axes, $correction?:ddof, $keepdim?:bool)",
    "mint.logsumexp(input:x, dim:axes, keepdim?:bool)", "mint.cumsum(input:x, dim:axis)",
    "mint.softmax(input:x, dim:axis)", "mint.clamp(input:x, min?:f, max?:f)", "mint.where(condition:mask, input:x, other:y)",
    "mint.matmul(input:mat, other:mat_rhs)", "mint.bmm(input:mat3, mat2:bmm_rhs)", "mint.mm(input:mat2d, mat2:mat_rhs2)",
    "mint.outer(input:vec, vec2:vec)", "mint.addmm(input:mat_out, mat1:mm1, mat2:mm2, $beta?:f, $alpha?:f)",
    "mint.lerp(input:x, end:s, weight:f01)", "mint.sort(input:x, $dim?:axis, $descending?:bool)",
    "mint.topk(input:x, k:k, dim?:minus_one, largest?:bool)", "mint.flip(input:x, dims:axes_tuple)",
    "mint.tril(input:mat2d, diagonal?:small_int)", "mint.triu(input:mat2d, diagonal?:small_int)",
    "mint.gather(input:x, dim:last_axis, index:idx_full)", "mint.index_select(input:x, dim:zero, index:idx0)",
    "mint.cat(tensors:pair, dim?:axis)", "mint.stack(tensors:pair, dim?:new_axis)", "mint.permute(input:x, dims:perm)",
    "mint.transpose(input:x, dim0:axis, dim1:axis)", "mint.squeeze(input:x, dim:axis)",
    "mint.unsqueeze(input:x, dim:new_axis)", "mint.tile(input:x, dims:reps)", "mint.broadcast_to(input:x, shape:shape)",
    "mint.diff(input:x, n?:one_two, dim?:axis)", "mint.cummax(input:x, dim:axis)", "mint.cummin(input:x, dim:axis)",
    "mint.median(input:x, dim?:axis, keepdim?:bool)", "mint.trace(input:sq)", "mint.cdist(x1:mat3, x2:mat3_rhs, p?:p_norm)",
    "mint.norm(input:x, p?:p_norm, dim?:opt_axis, keepdim?:bool)", "mint.argmax(input:x, dim?:opt_axis, keepdim?:bool)",
    "mint.argmin(input:x, dim?:opt_axis, keepdim?:bool)", "mint.nan_to_num(input:x, nan?:f)",
    "mint.pow(input:x+, exponent:f)", "mint.pow(input:x, exponent:small_int)", "mint.erfinv(input:x~)",
    "mint.cross(input:mat3, other:s, dim?:minus_one)", "mint.roll(input:x, shifts:small_int, dims?:axis)",
    "mint.narrow(input:x, dim:zero, start:zero, length:one)", "mint.split(tensor:x, split_size_or_sections:one, dim?:axis)",
    "mint.chunk(input:x, chunks:one_two, dim?:axis)", "mint.unbind(input:x, dim?:axis)",
    "mint.add(input:x, other:y, $alpha?:f)", "mint.sub(input:x, other:y, $alpha?:f)", "mint.flatten(input:x)",
    "mint.reshape(input:x, shape:flat)", "mint.swapaxes(input:x, axis0:axis, axis1:axis)", "mint.t(input:mat2d)",
    "mint.mv(input:mat2d, vec:mv_vec)", "mint.frac(input:x)", "mint.fix(input:x)", "mint.clone(input:x)",
    "mint.zeros_like(input:x)", "mint.ones_like(input:x)", "mint.full_like(input:x, fill_value:f)",
]

F = [
    "F.relu(input:x)", "F.gelu(input:x, approximate?:gelu_mode)", "F.softmax(input:x, dim?:axis)",
    "F.log_softmax(input:x, dim?:axis)", "F.linear(input:mat, weight:dense_w, bias?:dense_b)",
    "F.layer_norm(input:x3d, normalized_shape:ln_shape, weight?:ln_w, bias?:ln_w, eps?:eps_pos)",
    "F.batch_norm(input:x_nc, running_mean:bias_c, running_var:bias_c+, weight?:bias_c, bias?:bias_c, training?:bool)",
    "F.group_norm(input:x4d, num_groups:one, weight?:bias_c, bias?:bias_c)", "F.elu(input:x, alpha?:f_pos)",
    "F.leaky_relu(input:x, negative_slope?:f)", "F.hardtanh(input:x, min_val?:neg1, max_val?:pos1)",
    "F.mse_loss(input:x, target:s, reduction?:reduction)", "F.l1_loss(input:x, target:s, reduction?:reduction)",
    "F.smooth_l1_loss(input:x, target:s, reduction?:reduction, beta?:f_pos)",
    "F.binary_cross_entropy_with_logits(input:x, target:s01, weight?:none, reduction?:reduction, pos_weight?:ones)",
    "F.binary_cross_entropy(input:x01, target:s01, weight?:none, reduction?:reduction)",
    "F.cross_entropy(input:mat2d, target:cls, weight?:none, ignore_index?:ign, reduction?:reduction, label_smoothing?:f01)",
    "F.nll_loss(input:mat2d, target:cls, weight?:none, ignore_index?:ign, reduction?:reduction)",
    "F.kl_div(input:x, target:s+, reduction?:kl_reduction, log_target?:bool)",
    "F.softplus(input:x, beta?:f_pos, threshold?:f_pos)", "F.normalize(input:x_nc, p?:p_norm, dim?:one)",
    "F.conv1d(input:x3d, weight:conv1d_w, bias?:none, stride?:one_two, padding?:zero_one)",
    "F.conv2d(input:x4d, weight:conv2d_w, bias?:none, stride?:one_two, padding?:zero_one)",
    "F.avg_pool1d(input:x3d, kernel_size:one_two, stride?:none)", "F.avg_pool2d(input:x4d, kernel_size:two, stride?:one)",
    "F.max_pool2d(input:x4d, kernel_size:two, stride?:one)", "F.pad(input:x3d, pad:pad2, mode?:pad_mode)",
    "F.glu(input:x_even_last, dim?:minus_one)", "F.selu(input:x)", "F.silu(input:x)", "F.mish(input:x)",
    "F.hardswish(input:x)", "F.hardsigmoid(input:x)", "F.logsigmoid(input:x)", "F.sigmoid(input:x)", "F.tanh(input:x)",
    "F.relu6(input:x)", "F.prelu(input:x_nc, weight:prelu_w)", "F.embedding(input:emb_idx, weight:mat2d, padding_idx?:pad_idx)",
    "F.threshold(input:x, threshold:f, value:f)", "F.softshrink(input:x, lambd?:f_pos)",
    "F.hardshrink(input:x, lambd?:f_pos)", "F.soft_margin_loss(input:x, target:sign, reduction?:reduction)",
    "F.adaptive_avg_pool1d(input:x3d, output_size:two)", "F.adaptive_avg_pool2d(input:x4d, output_size:two)",
    "F.cosine_embedding_loss(input1:mat2d, input2:s, target:cos_target, margin?:f01, reduction?:reduction)",
    "F.dropout(input:x, p?:f01, training?:false)", "F.pixel_shuffle(input:x_ps, upscale_factor:two)",
]

TENSOR = [
    "Tensor.permute(*dims:perm_args)", "Tensor.unsqueeze(dim:new_axis)", "Tensor.squeeze(axis?:none)",
    "Tensor.logsumexp(axis:axes, keepdims?:bool)", "Tensor.norm(ord?:none, dim?:opt_axis, keepdim?:bool)",
    "Tensor.cummax(axis:axis)", "Tensor.topk(k:k)", "Tensor.gather(input_indices:idx, axis:last_axis)",
    "Tensor.neg()", "Tensor.reciprocal()", "Tensor.rsqrt()", "Tensor.log()", "Tensor.sin()", "Tensor.cos()",
    "Tensor.sum(axis?:axes, dtype?:float_dtype, keepdims?:bool)", "Tensor.matmul(tensor2:mat_rhs, x:mat)",
    "Tensor.outer(vec2:vec, x:vec)", "Tensor.diff(n?:one_two, axis?:axis)", "Tensor.roll(shifts:small_int, dims:axis)",
    "Tensor.index_select(axis:zero, index:idx0)", "Tensor.broadcast_to(shape:shape)", "Tensor.float()",
    "Tensor.half()", "Tensor.int()", "Tensor.bool()", "Tensor.double()", "Tensor.__truediv__(other:y)",
    "Tensor.__mul__(other:y)", "Tensor.__add__(other:y)", "Tensor.__sub__(other:y)", "Tensor.__radd__(other:f)",
    "Tensor.__rmul__(other:f)", "Tensor.__lt__(other:y)", "Tensor.__ge__(other:y)", "Tensor.__invert__()",
    "Tensor.all(axis?:axes, keep_dims?:bool)", "Tensor.any(axis?:axes, keep_dims?:bool)", "Tensor.argmin(axis?:opt_axis)",
    "Tensor.min(axis?:opt_axis, keepdims?:bool)", "Tensor.median(axis?:axis, keepdims?:bool)",
    "Tensor.nan_to_num(nan?:f)", "Tensor.hardshrink(lambd?:f_pos)", "Tensor.square()", "Tensor.trunc()",
    "Tensor.std(axis?:axes, ddof?:ddof, keepdims?:bool)", "Tensor.cumsum(axis?:axis, dtype?:float_dtype)",
    "Tensor.clamp(min?:f, max?:f)", "Tensor.where(condition:mask, y:y)", "Tensor.view(*shape:flat_args)",
    "Tensor.sum_to_size(*size:sum_size)", "Tensor.expand(size:bigger_shape)", "Tensor.new_zeros(size:shape)",
    "Tensor.addmm(mat1:mm1, mat2:mm2, beta?:f, alpha?:f, x:mat_out)", "Tensor.count_nonzero(axis?:axes, keep_dims?:bool)",
]

# round 7's nn layers, drawn with these sizes (the builder: _ms_differential_gen7.layer7)
LAYERS = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "LSTM2", "GRU2", "LSTMbi",
          "GRUbi", "Conv1d", "Conv2d", "BatchNorm1d3", "BatchNorm2d", "LayerNorm2", "Embedding", "DenseAct", "Dense",
          "GRUCell", "RNNCell", "Conv2dPad", "Conv1dTranspose", "InstanceNorm1d", "Transformer"]
