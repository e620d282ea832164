"""MindSpore 2.10's "For primitive[P], the input argument[A] must be a type of {...}, but got T." TypeErrors at the
sites of _calling_errors.input_dtype_error that no other test pinned (h-mend53). Every expected text is MindSpore
2.10.0 CPU's own, from its run of the same call in /work/msvenv (written below by hand)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, mint, ops


def _t(a, dtype):
    return Tensor(np.array(a), dtype=getattr(gs, dtype))


_F16_F32_F64 = "{Tensor[Float16], Tensor[Float32], Tensor[Float64]}"
_BOOL = _t([True, False], "bool")
_C64 = _t([1, 2], "complex64")


def _adagrad(op):
    """op on float64 Parameters var / accum and a float64 grad (MindSpore's kernels take float16 / float32)."""
    var, accum = (gs.Parameter(_t(np.ones((2, 2)), "float64"), name=n) for n in ("var", "accum"))
    return op(var, accum, _t(np.ones((1, 2)), "float64"), _t([0], "int32"))

CASES = {
    "adaptive_avg_pool2d": (lambda: ops.adaptive_avg_pool2d(_t(np.zeros((1, 2, 2)), "int32"), 1),
                            "For primitive[AdaptiveAvgPool2D], the input argument[x] must be a type of "
                            f"{_F16_F32_F64}, but got Tensor[Int32]."),
    "multi_margin_loss": (lambda: ops.multi_margin_loss(_t(np.zeros((2, 2)), "float32"), _t([0, 1], "int32")),
                          "For primitive[MultiMarginLoss], the input argument[target] must be a type of {Tensor[Int64]}, "
                          "but got Tensor[Int32]."),
    "add_bools": (lambda: ops.add(_BOOL, _BOOL),
                  "For primitive[Add], the input argument[x] must be a type of {Tensor[BFloat16], Tensor[Float16], "
                  "Tensor[Float32], Tensor[Float64], Tensor[Int16], Tensor[Int32], Tensor[Int64], Tensor[Int8], "
                  "Tensor[UInt16], Tensor[UInt32], Tensor[UInt64], Tensor[UInt8]}, but got Tensor[Bool]."),
    "isfinite_complex": (lambda: ops.isfinite(_C64),
                         "For primitive[IsFinite], the input argument[x] must be a type of {BFloat16, Bool, Float16, "
                         "Float32, Float64, Int16, Int32, Int64, Int8, UInt16, UInt32, UInt64, UInt8}, but got "
                         "Complex64."),
    "isnan_complex": (lambda: ops.isnan(_C64),
                      "For primitive[IsNan], the input argument[x] must be a type of {Tensor[Bool], Tensor[Float16], "
                      "Tensor[Float32], Tensor[Float64], Tensor[Int16], Tensor[Int32], Tensor[Int64], Tensor[Int8], "
                      "Tensor[UInt16], Tensor[UInt32], Tensor[UInt64], Tensor[UInt8]}, but got Tensor[Complex64]."),
    "isinf_complex": (lambda: ops.isinf(_C64), "Select CPU operator[IsInf] fail! Unsupported data type!"),
    "isneginf_complex": (lambda: ops.isneginf(_C64), "Select CPU operator[IsInf] fail! Unsupported data type!"),
    "isposinf_complex": (lambda: ops.isposinf(_C64), "Select CPU operator[IsInf] fail! Unsupported data type!"),
    "truncated_normal": (lambda: ops.TruncatedNormal()(_t([2, 2], "float32")),
                         "For primitive[TruncatedNormal], the input argument[shape] must be a type of {Tensor[Int32], "
                         "Tensor[Int64]}, but got Tensor[Float32]."),
    "squared_difference": (lambda: ops.SquaredDifference()(_BOOL, _BOOL),
                           "For primitive[SquaredDifference], the input argument[x] must be a type of "
                           "{Tensor[Complex128], Tensor[Complex64], Tensor[Float16], Tensor[Float32], Tensor[Float64], "
                           "Tensor[Int32], Tensor[Int64]}, but got Tensor[Bool]."),
    "nextafter_float16": (lambda: ops.nextafter(_t([1.0, 2.0], "float16"), _t([1.0, 2.0], "float16")),
                          "For primitive[NextAfter], the input argument[x1] must be a type of {Tensor[Float32], "
                          "Tensor[Float64]}, but got Tensor[Float16]."),
    "nextafter_int32": (lambda: ops.nextafter(_t([1, 2], "int32"), _t([1, 2], "int32")),
                        "For primitive[NextAfter], the input argument[x1] must be a type of {Tensor[Float32], "
                        "Tensor[Float64]}, but got Tensor[Int32]."),
    "matrix_logarithm": (lambda: ops.MatrixLogarithm()(_t(np.eye(2), "float32")),
                         "For primitive[MatrixLogarithm], the input argument[x] must be a type of {Tensor[Complex128], "
                         "Tensor[Complex64]}, but got Tensor[Float32]."),
    "index_add_int64": (lambda: mint.index_add(_t(np.zeros(3), "float32"), 0, _t([0], "int64"), _t([1.0], "float32")),
                        "For primitive[IndexAdd], the input argument[indices type] must be a type of {Tensor[Int32]}, "
                        "but got Tensor[Int64]."),
    "index_add_uint8": (lambda: mint.index_add(_t(np.zeros(3), "float32"), 0, _t([0], "uint8"), _t([1.0], "float32")),
                        "For primitive[IndexAdd], the input argument[indices type] must be a type of {Tensor[Int32]}, "
                        "but got Tensor[UInt8]."),
    "concat_offset_v1": (lambda: gs.ops.operations.array_ops.ConcatOffsetV1()(_t(0, "int64"),
                                                                               (_t([1, 2], "int32"),) * 2),
                         "For primitive[ConcatOffsetV1], the input argument[axis] must be a type of {Tensor[Int32]}, "
                         "but got Tensor[Int64]."),
    "scale_and_translate": (lambda: ops.ScaleAndTranslate()(_t(np.zeros((1, 2, 2, 1)), "uint8"), _t([2, 2], "int32"),
                                                            _t([1, 1], "float32"), _t([0, 0], "float32")),
                            "For primitive[ScaleAndTranslate], the input argument[images] must be a type of "
                            "{Tensor[Float16], Tensor[Float32], Tensor[Float64], Tensor[Int16], Tensor[Int32], "
                            "Tensor[Int64], Tensor[Int8]}, but got Tensor[UInt8]."),
    "selu_int16": (lambda: ops.selu(_t([1, 2], "int16")),
                   "For primitive[SeLU], the input argument[input_x] must be a type of {Tensor[Float16], "
                   "Tensor[Float32], Tensor[Float64], Tensor[Int32], Tensor[Int8]}, but got Tensor[Int16]."),
    "sparse_apply_adagrad_float64": (lambda: _adagrad(ops.SparseApplyAdagrad(lr=0.1)),
                                     "For primitive[SparseApplyAdagrad], the input argument[accum] must be a type of "
                                     "{Tensor[Float16], Tensor[Float32]}, but got Ref[Tensor[Float64]]."),
    "sparse_apply_adagrad_v2_float64": (lambda: _adagrad(ops.SparseApplyAdagradV2(lr=0.1, epsilon=1e-6)),
                                        "For primitive[SparseApplyAdagradV2], the input argument[accum] must be a type "
                                        "of {Tensor[Float16], Tensor[Float32]}, but got Ref[Tensor[Float64]]."),
}


@pytest.mark.parametrize("name", CASES)
def test_refusal_text_is_mindspore(name):
    call, text = CASES[name]
    with pytest.raises(TypeError) as err:
        call()
    assert str(err.value) == text
