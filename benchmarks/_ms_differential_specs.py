"""The call signatures ms_differential.py draws programs from, spelled as MindSpore 2.10 documents them:
"ops.name(param:kind, param?:kind, ...)" (a "?" parameter has a default: a program may leave it out) and
"Tensor.name(...)" for methods (the first tensor is the receiver). Only names the SDK lists are drawn.

Kinds: x (the main tensor), y (a tensor or scalar broadcastable against x), s (a tensor of x's shape),
x+ / y+ (positive values), x~ (values in (-0.9, 0.9)), axis (an int axis of x, negative too), axes (an
int, a tuple of axes or ()), axis? / opt_axis (an axis or None), bool, k (a small int <= the last dim),
f (a python float), perm (a permutation of x's axes), idx (int32 indices into x's last axis), mask (bool of
x's shape), shape (a shape x broadcasts to), reps (tile multiples)."""
from __future__ import annotations

UNARY = """abs acos acosh asin asinh atan atanh ceil cos cosh deg2rad digamma erf erfc erfinv exp exp2 expm1 floor
frac lgamma log log10 log1p log2 logit neg positive rad2deg reciprocal relu relu6 round rsqrt sigmoid sign
sin sinc sinh softsign sqrt square tan tanh trunc i0 mish silu selu hardswish hardsigmoid logsigmoid
tanhshrink hardshrink softshrink celu bessel_i0 bessel_i0e bessel_i1 bessel_i1e bessel_j0 bessel_j1
isfinite isnan isinf signbit logical_not""".split()
POSITIVE = {"acosh", "digamma", "lgamma", "log", "log10", "log1p", "log2", "rsqrt", "sqrt"}
INNER_UNIT = {"acos", "asin", "atanh", "erfinv", "logit"}

BINARY = """add sub mul div maximum minimum pow atan2 fmod remainder hypot xlogy xdivy logaddexp logaddexp2
squared_difference fmax fmin copysign floor_divide true_divide float_power eq ne gt ge lt le greater less
isclose heaviside nextafter div_no_nan mul_no_nan logical_and logical_or logical_xor""".split()

SIGNATURES = [
    # reductions
    "ops.sum(x:x, dim?:axes, keepdim?:bool)", "ops.mean(x:x, axis?:axes, keep_dims?:bool)",
    "ops.prod(x:x, axis?:opt_axis, keep_dims?:bool)", "ops.amax(x:x, axis?:axes, keepdims?:bool)",
    "ops.amin(x:x, axis?:axes, keepdims?:bool)", "ops.max(x:x, axis?:opt_axis, keepdims?:bool)",
    "ops.min(x:x, axis?:opt_axis, keepdims?:bool)", "ops.argmax(x:x, dim?:opt_axis, keepdim?:bool)",
    "ops.argmin(x:x, axis?:opt_axis, keepdims?:bool)", "ops.std(x:x, axis?:axes, ddof?:ddof, keepdims?:bool)",
    "ops.var(x:x, axis?:axes, ddof?:ddof, keepdims?:bool)", "ops.logsumexp(x:x, axis:axes, keep_dims?:bool)",
    "ops.norm(x:x, ord?:none, dim?:opt_axis, keepdim?:bool)", "ops.nansum(x:x, axis?:axes, keepdims?:bool)",
    "ops.median(x:x, axis?:axis, keepdims?:bool)", "ops.count_nonzero(x:x, axis?:axes, keep_dims?:bool)",
    "ops.all(x:x, axis?:axes, keep_dims?:bool)", "ops.any(x:x, axis?:axes, keep_dims?:bool)",
    "ops.std_mean(x:x, axis?:axes, ddof?:ddof, keepdims?:bool)", "ops.aminmax(x:x, axis?:axis, keepdims?:bool)",
    # scans, sorts, selections
    "ops.cumsum(x:x, axis:axis)", "ops.cumprod(x:x, dim:axis)", "ops.cummax(x:x, axis:axis)",
    "ops.cummin(x:x, axis:axis)", "ops.logcumsumexp(x:x, axis:axis)", "ops.sort(x:x, axis?:axis, descending?:bool)",
    "ops.argsort(x:x, axis?:axis, descending?:bool)", "ops.topk(x:x, k:k, dim?:axis, largest?:bool)",
    "ops.diff(x:x, n?:one_two, axis?:axis)", "ops.flip(x:x, dims:axes_tuple)", "ops.roll(x:x, shifts:small_int, dims:axis)",
    "ops.tril(x:x, diagonal?:small_int)", "ops.triu(x:x, diagonal?:small_int)",
    "ops.gather(x:x, input_indices:idx, axis:last_axis)", "ops.gather_elements(x:x, dim:last_axis, index:idx_full)",
    "ops.masked_fill(x:x, mask:mask, value:f)", "ops.where(condition:mask, x:x, y:y)",
    # shape
    "ops.transpose(x:x, input_perm:perm)", "ops.expand_dims(x:x, axis:new_axis)", "ops.squeeze(x:x, axis?:none)",
    "ops.tile(x:x, dims:reps)", "ops.broadcast_to(x:x, shape:shape)", "ops.reshape(x:x, shape:flat)",
    "ops.flatten(x:x)", "ops.swapaxes(x:x, axis0:axis, axis1:axis)", "ops.movedim(x:x, source:axis, destination:axis)",
    "ops.cat(tensors:pair, axis?:axis)", "ops.stack(tensors:pair, axis?:new_axis)", "ops.unsqueeze(x:x, dim:new_axis)",
    # elementwise with parameters
    "ops.clamp(x:x, min?:f, max?:f)", "ops.clip(x:x, min?:f, max?:f)", "ops.leaky_relu(x:x, alpha?:f)",
    "ops.elu(x:x, alpha?:f_pos)", "ops.gelu(x:x, approximate?:gelu_mode)", "ops.hardtanh(x:x, min_val?:neg1, max_val?:pos1)",
    "ops.softplus(x:x, beta?:f_pos, threshold?:f_pos)", "ops.lerp(x:x, end:s, weight:f01)",
    "ops.addcmul(x:x, tensor1:s, tensor2:s, value?:f)", "ops.addcdiv(x:x, tensor1:s, tensor2:s+, value?:f)",
    "ops.nan_to_num(x:x, nan?:f)", "ops.threshold(x:x, thr:f, value:f)",
    "ops.softmax(x:x, axis?:axis)", "ops.log_softmax(x:x, axis?:axis)", "ops.softmin(x:x, axis?:axis)",
    "ops.glu(x:x_even_last, axis?:minus_one)", "ops.pow(x:x+, exponent:f)", "ops.float_power(x:x+, exponent:f)",
    # linear algebra / nn functional
    "ops.matmul(x:mat, other:mat_rhs)", "ops.dense(x:mat, weight:dense_w, bias?:dense_b)",
    "ops.bias_add(x:x_nc, bias:bias_c)", "ops.cosine_similarity(x1:x, x2:s, dim?:axis)",
    "ops.mse_loss(x:x, target:s, reduction?:reduction)", "ops.l1_loss(x:x, target:s, reduction?:reduction)",
    "ops.smooth_l1_loss(x:x, target:s, beta?:f_pos, reduction?:reduction)",
    "ops.binary_cross_entropy_with_logits(x:x, target:s01, weight:ones, pos_weight:ones)",
    "ops.dist(x:x, y:s, p?:p_norm)", "ops.cdist(x1:mat3, x2:mat3_rhs, p?:p_norm)", "ops.trace(x:sq)",
    "ops.outer(x:vec, vec2:vec)", "ops.inner(x:x, other:same_last)", "ops.kron(x:small2, y:small2)",
    # Tensor methods
    "Tensor.sum(axis?:axes, keepdims?:bool)", "Tensor.mean(axis?:axes, keep_dims?:bool)",
    "Tensor.max(axis?:opt_axis, keepdims?:bool)", "Tensor.min(axis?:opt_axis, keepdims?:bool)",
    "Tensor.prod(axis?:opt_axis, keep_dims?:bool)", "Tensor.std(axis?:axes, ddof?:ddof, keepdims?:bool)",
    "Tensor.var(axis?:axes, ddof?:ddof, keepdims?:bool)", "Tensor.abs()", "Tensor.exp()", "Tensor.clip(min?:f, max?:f)",
    "Tensor.transpose(*perm:perm_args)", "Tensor.reshape(shape:flat)", "Tensor.expand_dims(axis:new_axis)",
    "Tensor.cumsum(axis?:axis)", "Tensor.argmax(axis?:opt_axis)", "Tensor.norm(ord?:none, dim?:opt_axis)",
    "Tensor.square()", "Tensor.sqrt()", "Tensor.pow(exponent:f)", "Tensor.flatten()", "Tensor.squeeze()",
    "Tensor.astype(dtype:float_dtype)", "Tensor.mean(axis?:opt_axis)", "Tensor.softmax(axis:axis)",
    "Tensor.logsumexp(axis:axes, keepdims?:bool)", "Tensor.amax(axis?:axes, keepdims?:bool)",
    "Tensor.sort(axis?:axis, descending?:bool)", "Tensor.tril(diagonal?:small_int)", "Tensor.flip(dims:axes_tuple)",
    "Tensor.sigmoid()", "Tensor.tanh()", "Tensor.log1p()", "Tensor.add(other:y)", "Tensor.mul(other:y)",
    "Tensor.sub(other:y)", "Tensor.div(other:y)", "Tensor.maximum(other:y)", "Tensor.__pow__(other:small_int)",
    "Tensor.__rsub__(other:f)", "Tensor.__rtruediv__(other:f)", "Tensor.__neg__()", "Tensor.__abs__()",
    "Tensor.__getitem__(key:index_key)",
    # round 6b: more of the listing
    "ops.addmm(x:mat_out, mat1:mm1, mat2:mm2, beta?:f, alpha?:f)", "ops.mm(x:mat, mat2:mat_rhs2)",
    "ops.mv(x:mat2d, vec:mv_vec)", "ops.bmm(x:mat3, mat2:bmm_rhs)", "ops.tensor_dot(x1:mat2d, x2:td_rhs, axes:one)",
    "ops.logit(x:x~, eps?:eps)", "ops.hardshrink(x:x, lambd?:f_pos)", "ops.softshrink(x:x, lambd?:f_pos)",
    "ops.celu(x:x, alpha?:f_pos)", "ops.relu6(x:x)", "ops.repeat_interleave(x:x, repeats:one_two, axis?:axis)",
    "ops.repeat_elements(x:x, rep:one_two, axis?:axis)", "ops.narrow(x:x, axis:zero, start:zero, length:one)",
    "ops.index_select(x:x, axis:zero, index:idx0)", "ops.pad(x:x3d, padding:pad2, mode?:pad_mode)",
    "ops.avg_pool2d(x:x4d, kernel_size:two, stride?:one)", "ops.max_pool2d(x:x4d, kernel_size:two, stride?:one)",
    "ops.adaptive_avg_pool2d(x:x4d, output_size:two)", "ops.adaptive_max_pool2d(x:x4d, output_size:two)",
    "ops.kl_div(logits:x, labels:s+, reduction?:kl_reduction)", "ops.huber_loss(x:x, target:s, reduction?:reduction)",
    "ops.binary_cross_entropy(logits:x01, labels:s01, weight?:none, reduction?:reduction)",
    "ops.soft_margin_loss(x:x, target:sign, reduction?:reduction)", "ops.cross_entropy(x:mat2d, target:cls)",
    "ops.nll_loss(x:mat2d, target:cls)", "ops.clip_by_value(x:x, clip_value_min:f, clip_value_max:f_pos)",
    "ops.trapz(y:x, dx?:f_pos, dim?:axis)", "ops.diagonal(x:mat2d, offset?:small_int)", "ops.diag_embed(x:vec)",
    "ops.matrix_band_part(x:mat2d, lower:small_int, upper:small_int)", "ops.nanmean(x:x, axis?:opt_axis, keepdims?:bool)",
    "ops.sgn(x:x)", "ops.rint(x:x)", "ops.lerp(x:x, end:s, weight:s01)", "ops.square(x:x)", "ops.exp2(x:x)",
    "ops.cumsum(x:x, axis:axis, dtype?:float_dtype)", "ops.log_softmax(x:x, axis:axis)", "ops.logaddexp(x:x, other:y)",
    "ops.std(x:x, axis?:axes, ddof?:bool, keepdims?:bool)", "ops.renorm(x:x, p:p_norm, axis:zero, maxnorm:f_pos)",
    "ops.cummin(x:x, axis:axis)", "ops.vander(x:vec, N?:one_two)", "ops.t(x:mat2d)", "ops.fliplr(x:mat2d)",
    "ops.rot90(x:mat2d, k?:small_int)", "ops.unbind(x:x, dim?:axis)", "ops.split(x:x, split_size_or_sections:one, axis?:axis)",
    "ops.chunk(x:x, chunks:one_two, axis?:axis)", "ops.atleast_2d(x:x)", "ops.column_stack(tensors:pair)",
    "ops.hstack(tensors:pair)", "ops.vstack(tensors:pair)", "ops.dstack(tensors:pair)",
    "Tensor.expand_as(other:bigger)", "Tensor.masked_fill(mask:mask, value:f)", "Tensor.argmin(axis?:opt_axis)",
    "Tensor.cumprod(dim:axis)", "Tensor.log_softmax(axis:axis)", "Tensor.round()", "Tensor.clamp(min?:f, max?:f)",
    "Tensor.fmod(other:y)", "Tensor.remainder(other:y)", "Tensor.floor_divide(other:y)", "Tensor.__mod__(other:y)",
    "Tensor.__floordiv__(other:y)", "Tensor.__rpow__(other:f_pos)", "Tensor.__matmul__(x:mat, other:mat_rhs)",
    "Tensor.var(axis?:opt_axis, ddof?:bool)", "Tensor.nansum(axis?:opt_axis)", "Tensor.logit()", "Tensor.erfinv()",
    "Tensor.addcmul(tensor1:s, tensor2:s, value?:f)", "Tensor.lerp(end:s, weight:f01)", "Tensor.xlogy(other:y+)",
    "Tensor.swapaxes(axis0:axis, axis1:axis)", "Tensor.narrow(axis:zero, start:zero, length:one)",
    "Tensor.repeat(repeats:reps)", "Tensor.tile(reps:reps)", "Tensor.diag(x:vec)", "Tensor.trace(x:sq)",
]

# nn layers with their default arguments (the builder fills in the sizes that fit x)
LAYERS = ["Dense", "Conv1d", "Conv2d", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "ReLU", "GELU", "Sigmoid", "Tanh",
          "Softmax", "LogSoftmax", "Flatten", "MaxPool2d", "AvgPool2d", "AvgPool1d", "PReLU", "LeakyReLU", "ELU",
          "Embedding", "SequentialCell", "Dropout", "Identity", "HSwish", "SiLU", "Softplus", "Conv2dTranspose",
          "GroupNorm", "AdaptiveAvgPool2d", "Hardtanh", "Mish", "MSELoss", "L1Loss",
          "SmoothL1Loss", "BCEWithLogitsLoss", "CrossEntropyLoss", "RNN", "GRU", "LSTM", "Bilinear"]
