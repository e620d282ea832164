"""`gradserve.ops`: op classes and functions (one per engine op, MindSpore names on top) and
the derivative interfaces (GradOperation, grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian,
jet, derivative, linearize)."""
from __future__ import annotations

import sys as _sys

from . import _primitives
from ._autodiff import GradOperation, get_grad, grad, jvp, value_and_grad, vjp
from ._primitives import Primitive
from .primitive import PrimitiveWithCheck, PrimitiveWithInfer, constexpr, prim_attr_register  # (mindspore.ops's)
from . import _extra, _hypermap, _assign, _math_more, _reduce_ms, _activations, _tensor_sig, _conv, _movement_ms, _linalg_ms
from . import _scatter_ms, _ms_more, _ms_prims, _ms_misc
from . import _bitwise, _index_ms, _norms, _elementwise_ms, _losses_ms, _products, _unique, _split
from . import _dropout_channels, _lp_pool, _boxes, _lgamma, _fft, _eigen
from . import _ms_names, _ms_apply
from . import _inplace  # noqa: F401  (Tensor's in-place methods and item assignment)
from . import _tensor_forms  # logaddexp, sgn, cov, masked_select... (Tensor-method ops)
from . import _ms_linalg_solve  # cholesky, inverse, matrix_solve, slogdet, det, cholesky_solve...
from .._vmap import vmap  # noqa: E402  (loops)
from .._hooks import HookBackward  # noqa: E402  (PyNative gradient hooks)
from .._jacobian import hessian, jacfwd, jacrev  # noqa: E402  (compact: one vmap over a basis)
from .._taylor import derivative, jet, linearize  # noqa: E402  (Taylor mode: nested jvp)

globals().update(_primitives.CLASSES)
globals().update(_primitives.FUNCTIONS)
globals().update(_primitives._OVERRIDES)
globals().update({k: getattr(_extra, k) for k in _extra.__all__})
globals().update({k: getattr(_math_more, k) for k in _math_more.__all__})  # full, clamp, xlogy, atan2...
globals().update({k: getattr(_reduce_ms, k) for k in _reduce_ms.__all__})  # max/min: (values, indices)
globals().update({k: getattr(_activations, k) for k in _activations.__all__})  # hardswish, silu, softplus(beta)...
globals().update({k: getattr(_conv, k) for k in _conv.__all__})  # Conv2D, conv2d, MaxPool, avg_pool2d...
globals().update({k: getattr(_movement_ms, k) for k in _movement_ms.__all__})  # unstack, diagonal, tril, roll...
from ._einsum import Einsum, einsum  # noqa: E402
globals().update({k: getattr(_linalg_ms, k) for k in _linalg_ms.__all__})  # outer, tensor_dot, addmm, kron...
globals().update({k: getattr(_scatter_ms, k) for k in _scatter_ms.__all__})  # gather_nd, scatter_nd, segment sums...
globals().update({k: getattr(_ms_more, k) for k in _ms_more.__all__})  # CumSum, Mod, erfc, elu, BiasAdd, range...
globals().update({k: getattr(_hypermap, k) for k in _hypermap.__all__})
globals().update({k: getattr(_ms_prims, k) for k in _ms_prims.__all__})  # LayerNorm, Pad, pad, Argmax...
globals().update({k: getattr(_ms_misc, k) for k in _ms_misc.__all__})  # matrix_band_part, Slice, PReLU...
globals().update({k: getattr(_ms_linalg_solve, k) for k in _ms_linalg_solve.__all__})
_TOPICS = (_bitwise, _index_ms, _norms, _elementwise_ms, _losses_ms, _products, _unique, _split, _dropout_channels,
           _lp_pool, _boxes, _lgamma, _fft, _eigen)  # Invert, IndexAdd, Renorm, FastGeLU, smooth_l1_loss, Ger, Unique, tensor_split, IOU...
globals().update({k: getattr(m, k) for m in _TOPICS for k in m.__all__})
globals().update({k: getattr(_assign, k) for k in _assign.__all__})  # Parameter updates
globals().update({k: getattr(_tensor_forms, k) for k in _tensor_forms.__all__ if k != "div_rounding"})
globals().update({k: getattr(_ms_names, k) for k in _ms_names.__all__ if k not in globals()})  # gt, isnan, mse_loss...
globals().update({alias: globals()[op] for alias, op in _ms_names.ALIASES.items()})  # gt is greater, mm matmul...
globals()["div"] = _ms_names.div  # rounding_mode (the primitive div takes two operands)
globals()["sqrt"], globals()["reciprocal"] = _ms_names.sqrt, _ms_names.reciprocal  # integers as float32
globals().update({k: getattr(_ms_apply, k) for k in _ms_apply.__all__})  # ApplyMomentum, Adam...
globals()["print"] = _extra.print_  # MindSpore's ops.print

__all__ = sorted({*_primitives.CLASSES, *_primitives.FUNCTIONS, *_primitives._OVERRIDES, *_extra.__all__, "einsum", "Einsum", *_math_more.__all__, *_reduce_ms.__all__, *_activations.__all__, *_conv.__all__, *_movement_ms.__all__, *_linalg_ms.__all__, *_scatter_ms.__all__, *_ms_more.__all__, *_ms_prims.__all__, *_ms_misc.__all__, *_ms_linalg_solve.__all__, *_bitwise.__all__, *_index_ms.__all__, *_norms.__all__, *_elementwise_ms.__all__, *_losses_ms.__all__, *_products.__all__, *_unique.__all__, *_split.__all__, *_dropout_channels.__all__, *_lp_pool.__all__, *_boxes.__all__, *_lgamma.__all__, *_fft.__all__, *_eigen.__all__, *_ms_names.__all__, *_ms_names.ALIASES, *_ms_apply.__all__,
                  *(k for k in _tensor_forms.__all__ if k != "div_rounding"),
                  *_hypermap.__all__, *_assign.__all__, "print", "Primitive", "constexpr",
                  "PrimitiveWithInfer", "PrimitiveWithCheck", "prim_attr_register",
                  "GradOperation", "get_grad", "grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian", "vmap",
                  "jet", "derivative", "linearize", "HookBackward"})

from ._dropout import Dropout, dropout  # noqa: E402  (masks are per-run data: _dropout's docstring)

__all__ += ["Dropout", "dropout"]

# h-msfid8's topic modules (one block, so that merges with renames above stay apart)
from . import _apply_proximal  # noqa: E402  ApplyProximalGradientDescent, ApplyAdagradDA, SparseApplyRMSProp
from . import _dropout_nd  # noqa: E402  Dropout2D / Dropout3D, dropout2d / dropout3d
from . import _fft_shift, _loss_gaussian_nll  # noqa: E402  fftshift / ifftshift, gaussian_nll_loss
from . import _candidate_sampler, _searchsorted  # noqa: E402  UniformCandidateSampler, SearchSorted
from . import _batch_dot, _adaptive_pool1d  # noqa: E402  batch_dot, adaptive_max_pool1d / adaptive_avg_pool1d
from . import _fill_diagonal_prim  # noqa: E402  FillDiagonal
from . import _median, _float_power  # noqa: E402  median / nanmedian / nansum / aminmax, float_power / positive
from . import _loss_nll  # noqa: E402  nll_loss (on the primitive NLLLoss)

for _topic in (_apply_proximal, _dropout_nd, _fft_shift, _loss_gaussian_nll, _candidate_sampler, _searchsorted,
               _batch_dot, _adaptive_pool1d, _fill_diagonal_prim, _median, _float_power, _inplace, _loss_nll):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += list(_topic.__all__)

# h-msfid9's topic modules
from . import _scatter_write  # noqa: E402  ScatterNdAdd / scatter_nd_add ..., ScatterSub / scatter_sub ... (in place)
from . import _random_draws  # noqa: E402  random_poisson / RandomPoisson, standard_normal / StandardNormal
from . import _bilinear, _pixel_shuffle  # noqa: E402  bidense, pixel_shuffle / pixel_unshuffle
from . import _space_batch  # noqa: E402  space_to_batch_nd / SpaceToBatchND, batch_to_space_nd / BatchToSpaceND
from . import _max_unpool, _crop_resize  # noqa: E402  max_unpool1d / 2d / 3d, crop_and_resize
from . import _sparse_add  # noqa: E402  SparseTensorDenseAdd

for _topic in (_scatter_write, _random_draws, _bilinear, _pixel_shuffle, _space_batch, _max_unpool, _crop_resize,
               _sparse_add):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += [k for k in _topic.__all__ if k not in __all__]  # (scatter_add / ScatterAdd: MindSpore's replace the op's)

# sparse tensors' operations (gradserve._sparse's methods reach them through late.sparse)
from . import _sparse_tensor  # noqa: E402  csr_mm / csr_mv / coo_abs ..., SparseTensorDenseMatmul

globals().update({k: getattr(_sparse_tensor, k) for k in _sparse_tensor.__all__})
__all__ += list(_sparse_tensor.__all__)

# special functions, condition numbers, bilinear resize
from . import _bessel, _cond_number, _resize  # noqa: E402  i0, cond, ResizeBilinearV2
from . import _bessel_jyk  # noqa: E402  bessel_j0 / j1 / y0 / y1 / k0(e) / k1(e) and their primitives
from . import _glu_huber, _doc_math  # noqa: E402  glu, huber_loss, threshold; addcdiv, exp2, rot90, trapz, ...

for _topic in (_bessel, _bessel_jyk, _cond_number, _resize, _glu_huber, _doc_math):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += list(_topic.__all__)

# element-wise functions, diagonal scatter, sequence conversions; Tensor methods that are ops
from . import _alpha_arith  # noqa: E402,F401  add_ext / sub_ext (mint.add / sub, Tensor.add / sub(alpha=))
from . import _elementwise_more, _diagonal_scatter, _counting, _erfinv, _grid_sampler  # noqa: E402  sinc / fmax / Eps, eigvals, bincount / histc, erfinv, grid_sample
from . import _tensor_op_methods  # noqa: E402,F401  Tensor.permute / remainder / sinc / argsort / from_numpy ...

for _topic in (_elementwise_more, _diagonal_scatter, _counting, _erfinv, _grid_sampler):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += [k for k in _topic.__all__ if k not in __all__]  # (erfinv, nextafter: engine ops' names, replaced)

# Householder QR: geqrf / orgqr, qr's complete form, pinv (qr / Qr replace the engine op's reduced-only forms)
from . import _householder  # noqa: E402

globals().update({k: getattr(_householder, k) for k in _householder.__all__})
__all__ += [k for k in _householder.__all__ if k not in __all__]

_copied_to_submodules = {k: globals()[k] for k in __all__}  # what `from .. import *` copies below
from . import composite, functional, operations  # noqa: E402,F401  (MindSpore's submodules, after __all__)
from . import auto_generate  # noqa: E402,F401  (`ms.ops.auto_generate.<name>` without importing it, as MindSpore)
from .._late import late as _late  # noqa: E402

_late.bind(ops=_sys.modules[__name__], sparse=_sparse_tensor)  # Tensor's (and sparse tensors') methods run these ops

# interpolate's seven modes, windows, zeta / xdivy; ROIAlign; positions and selections (nonzero, gather_d,
# masked_scatter, diagflat); the CTC loss: after the bind, as they replace names bound above
from . import _interpolate, _windows, _zeta_xdivy, _roi_align, _indexing, _ctc  # noqa: E402
from . import _windows_more  # noqa: E402  bartlett / blackman / kaiser windows, Bartlett/Blackman/HammingWindow
from . import _prim_forms  # noqa: E402  Addcdiv, Cross, GLU, IsClose, LowerBound, ReduceStd, Tril ...: primitive forms
from . import _doc_arith, _doc_build  # noqa: E402  gcd / lcm / polar / matrix_power ...; block_diag / dot / diag_embed ...
from . import _segment_sorted, _doc_nn  # noqa: E402  SegmentMax / Min / Mean / Prod; adaptive 2-D pools, losses
from . import _doc_more  # noqa: E402  clip_by_global_norm, dense, pdist, inplace_add / update, IndexPut ...
from . import _doc_resize_pad  # noqa: E402  mirror_pad, reverse_sequence, MaxUnpool2D / 3D, ResizeNearestNeighbor ...
from . import _doc_linalg_seq, _doc_decode_solve  # noqa: E402  lstsq, lu_unpack, ...; ctc_greedy_decoder, MatrixSolveLs
from . import _doc_image, _doc_conv_diag, _doc_prims  # noqa: E402  RGBToHSV ...; Conv2D/3DTranspose, MatrixDiagV3; small primitives
from . import _doc_loops, _doc_sparse_misc, _doc_update_misc  # noqa: E402  Partial ...; Coalesce ...; SGD, FFTWithSize ...
from . import _doc_nms_pool  # noqa: E402  NoRepeatNGram, ResizeArea, MaxPool3DWithArgmax ...

for _topic in (_interpolate, _windows, _windows_more, _prim_forms, _doc_arith, _doc_build, _segment_sorted, _doc_nn,
               _doc_more, _doc_resize_pad, _doc_linalg_seq, _doc_decode_solve, _zeta_xdivy, _roi_align, _indexing,
               _ctc, _doc_image, _doc_conv_diag, _doc_prims, _doc_loops, _doc_sparse_misc, _doc_update_misc,
               _doc_nms_pool):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += [k for k in _topic.__all__ if k not in __all__]

# fftfreq / rfftfreq, SquareSumAll, FusedSparseLazyAdam, random_gamma, scatter along an axis (torch's), vander, InTopK, NMSWithMask, ListDiff, min_ext / max_ext
from . import _fft_freq, _square_sum_all, _sparse_adam, _random_gamma, _elements_scatter, _vander  # noqa: E402
from . import _in_top_k, _nms, _list_diff, _min_max_ext  # noqa: E402
from . import _ps_roi_pooling, _lrn, _slices_blocks  # noqa: E402  PSROIPooling, LRN, slice_scatter / unfold / fliplr
from . import _fractional_pool  # noqa: E402  fractional_max_pool2d, FractionalMaxPoolWithFixedKsize
from . import _fused_sparse, _sparse_count  # noqa: E402  FusedSparseFtrl, ..., SparseCountSparseOutput
from . import _raw_op_signatures  # noqa: E402  layer_norm / group_norm / top_k / col2im with MindSpore's signatures
from . import _recurrent, _recurrent_gru  # noqa: E402  LSTM, GRUV2 (MindSpore's CPU primitives, flat weights)
from . import _data_format, _sparse_dense_cwise  # noqa: E402  DataFormatDimMap, SparseDenseCwiseAdd / Mul
from . import _bernoulli  # noqa: E402  bernoulli (MindSpore's signature and argument rules)
from . import _loop_prims, _truncated_normal  # noqa: E402  WhileLoop, ForiLoop, Scan, ParameterizedTruncatedNormal
from . import _fractional_pool3d, _combined_nms  # noqa: E402  fractional_max_pool3d, CombinedNonMaxSuppression
from . import _mm  # noqa: E402  mm: MatMul's 2-D, one-dtype checks (was matmul's alias; h-msfid46)

for _topic in (_fft_freq, _square_sum_all, _sparse_adam, _random_gamma, _elements_scatter, _vander, _in_top_k, _nms,
               _list_diff, _min_max_ext, _ps_roi_pooling, _lrn, _slices_blocks, _fractional_pool, _fused_sparse,
               _sparse_count, _raw_op_signatures, _recurrent, _recurrent_gru, _data_format, _sparse_dense_cwise,
               _bernoulli, _loop_prims, _truncated_normal, _fractional_pool3d, _combined_nms, _mm):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += [k for k in _topic.__all__ if k not in __all__]  # (scatter: its MindSpore form replaces the op's)
# functional (F) copied the engine form of scatter when imported above: MindSpore's replaces it there (and so in
# ops.function, which copies functional)
functional.scatter = _elements_scatter.scatter
# likewise the MindSpore signatures of _raw_op_signatures over the engine forms copied there (F.relu(x, inplace))
for _name in _raw_op_signatures.__all__:
    setattr(functional, _name, getattr(_raw_op_signatures, _name))
# MindSpore's "Failed calling Exp ..." for a Python number given to a tensor-only unary primitive's public form
from . import _tensor_only  # noqa: E402

_tensor_only.bind(globals())
# and everywhere else the submodules copied a name that a later topic module replaced (operations.Sort was the
# engine form taking `name` first: P.Sort(0) set no axis)
for _module in [m for n, m in list(_sys.modules.items()) if n.startswith(f"{__name__}.") and
                n[len(__name__) + 1:].split(".")[0] in ("operations", "composite", "functional", "function",
                                                         "auto_generate")]:
    for _name, _old in _copied_to_submodules.items():
        if vars(_module).get(_name) is _old and globals()[_name] is not _old:
            setattr(_module, _name, globals()[_name])
del _copied_to_submodules

# h-msfid22: gcd, ReverseSequence / reverse_sequence, clip_by_norm, channel_shuffle, random picks,
# EmbeddingLookup
from . import _gcd_reverse_seq, _clip_norm, _channel_shuffle, _random_picks, _embedding_lookup  # noqa: E402
from . import _embedding  # noqa: E402  (h-msleft11: ops.embedding, max_norm's in-place renorm)

for _topic in (_gcd_reverse_seq, _clip_norm, _channel_shuffle, _random_picks, _embedding_lookup, _embedding):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += list(_topic.__all__)

# h-msfid25: SoftShrink, InplaceUpdate, Median (class forms)
from . import _prim_classes_more  # noqa: E402

globals().update({k: getattr(_prim_classes_more, k) for k in _prim_classes_more.__all__})
__all__ += list(_prim_classes_more.__all__)

# h-msleft8: Betainc, deformable_conv2d, multinomial_with_replacement, FractionalAvgPool, ScaleAndTranslate
from . import _betainc, _deform_conv, _multinomial_repl, _fractional_avg_pool, _scale_translate  # noqa: E402

for _topic in (_betainc, _deform_conv, _multinomial_repl, _fractional_avg_pool, _scale_translate):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += [k for k in _topic.__all__ if k not in __all__]  # (Betainc: the engine op's generated name)

from . import _tensor_meta  # noqa: E402,F401  Tensor.nbytes / strides / H / ptp / take / index_put / scatter ...

# h-opsgap: MindSpore 2.10 ops names that run on its CPU (class forms and other names of existing ops)
from . import _opsgap, _resize_bicubic, _apply_sign  # noqa: E402

globals().update({k: getattr(m, k) for m in (_opsgap, _resize_bicubic, _apply_sign) for k in m.__all__})
globals().update({alias: globals()[op] for alias, op in _opsgap.ALIASES.items()})
__all__ += [*_opsgap.__all__, *_opsgap.ALIASES, *_resize_bicubic.__all__, *_apply_sign.__all__]
# h-opsgap2: adaptive 2-D / 3-D pools with MindSpore's indices, primitives and refusals; UpsampleTrilinear3D,
# PadV3, STFT / stft
from . import _adaptive_nd  # noqa: E402
from ._interpolate_ext import UpsampleTrilinear3D  # noqa: E402
from ._pad_v3 import PadV3  # noqa: E402
from ._stft import STFT, stft  # noqa: E402

globals().update({k: getattr(_adaptive_nd, k) for k in _adaptive_nd.__all__})
__all__ += [k for k in [*_adaptive_nd.__all__, "UpsampleTrilinear3D", "PadV3", "STFT", "stft"] if k not in __all__]
# h-opsgap3: EditDistance, ExtractGlimpse, choice_with_mask and random primitives' class forms
from . import _opsgap3  # noqa: E402

globals().update({k: getattr(_opsgap3, k) for k in _opsgap3.__all__})
__all__ += [k for k in _opsgap3.__all__ if k not in __all__]

# last, over the Tensor methods bound above: MindSpore's overload-resolution errors (gradserve/_overload_errors)
from .._overload_errors import bind as _bind_overload_errors  # noqa: E402

# h-msfid28: FusedAdaFactor / FusedAdaFactorWithGlobalNorm (one Adafactor step, in place)
# SparseSegmentSqrtN / SparseSegmentSqrtNWithNumSegments
from . import _fused_ada_factor, _sparse_segment_sqrt_n  # noqa: E402

from . import _assert_op  # noqa: E402  Assert (h-msfid29)
from . import _nn_prims_v1  # noqa: E402  MaxPoolWithArgmax, DepthwiseConv2dNative (h-msfid34)
for _topic in (_fused_ada_factor, _sparse_segment_sqrt_n, _assert_op, _nn_prims_v1):
    globals().update({k: getattr(_topic, k) for k in _topic.__all__})
    __all__ += list(_topic.__all__)

_bind_overload_errors()
# last of all (outermost): a list / tuple operand MindSpore 2.10 refuses (h-left31: _seq_guard)
from . import _seq_guard  # noqa: E402

_seq_guard.bind(globals())
