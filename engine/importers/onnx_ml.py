"""ONNX's ai.onnx.ml ops that scikit-learn exports (skl2onnx) are made of and that act on numbers: Binarizer, Scaler,
Normalizer, Imputer, LinearRegressor, LinearClassifier, OneHotEncoder (integer categories), ArrayFeatureExtractor.
Each is composed from engine ops by ONNX's Operators-ml.md (onnxruntime's kernels where the text is loose: a 1-D
input is one row; outputs are float32), so gradients reach the inputs where the op is differentiable. String
labels / categories and the post transforms whose runtimes' answers are not the op's are refused naming the attribute;
the rest of the domain (trees, SVMs, label encoders, vectorizers) is refused by onnx_graph as not implemented."""
from __future__ import annotations

import numpy as np

from .graph_writer import UnsupportedModel

DOMAIN = "ai.onnx.ml"
ML: dict = {}  # (onnx_graph adds onnx_ml_classify.CLASSIFY)


def _refuse(node, what: str):
    raise UnsupportedModel(f"{DOMAIN}.{node.op_type} node {node.name!r}: {what}", op=node.op_type, node=node.name)


def _float_rows(ctx, node) -> str:
    """Input 0 as float32 (onnxruntime computes these ops in float; double stays double), a 1-D input as [1, C]."""
    w = ctx.w
    x = ctx.val(node.input[0])
    if w.dtype(x) not in ("float32", "float64"):
        x = w.cast(x, "float32")
    if len(w.shape(x)) == 1:
        x = w.reshape(x, (1,) + w.shape(x))
    if len(w.shape(x)) != 2:
        _refuse(node, f"input of shape {list(w.shape(x))}: [N, C] or [C] expected")
    return x


def _per_column(w, x: str, values, name: str, node) -> str:
    """A per-feature attribute (one value, or one per column of x) as a constant broadcasting against x."""
    v = np.asarray(values, np.dtype(w.dtype(x)))
    if v.size not in (1, w.shape(x)[-1]):
        _refuse(node, f"{name} has {v.size} values for {w.shape(x)[-1]} features (1 or one per feature)")
    return w.const(v.reshape(-1) if v.size > 1 else v.reshape(()))


def _binarizer(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    return [w.cast(w.binary("greater", x, w.scalar_like(attrs.get("threshold", 0.0), x)), w.dtype(x))]


def _scaler(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    x = x if w.dtype(x) == "float32" else w.cast(x, "float32")  # Y is tensor(float) for every input type
    off = _per_column(w, x, attrs.get("offset", [0.0]), "offset", node)
    return [w.mul(w.sub(x, off), _per_column(w, x, attrs.get("scale", [1.0]), "scale", node))]


def _normalizer(ctx, node, attrs):
    """Each row over its max (Operators-ml.md's X / max(X), onnxruntime 1.32's: onnx.reference and scikit-learn's
    Normalizer('max'), which skl2onnx writes as this op, take max |x|), its L1 or its L2 norm; a zero divisor leaves
    the row (onnxruntime)."""
    w = ctx.w
    x0 = ctx.val(node.input[0])
    x = _float_rows(ctx, node)
    norm = attrs.get("norm", "MAX")
    if norm == "MAX":
        d = w.reduce("max", x, [1], keepdims=True)
    elif norm == "L1":
        d = w.reduce("sum", w.unary("abs", x), [1], keepdims=True)
    elif norm == "L2":
        d = w.unary("sqrt", w.reduce("sum", w.mul(x, x), [1], keepdims=True))
    else:
        _refuse(node, f"norm {norm!r} (MAX, L1 or L2)")
    zero = w.binary("equal", d, w.scalar_like(0.0, d))  # a zero divisor leaves the row as it is (onnxruntime)
    y = w.where(zero, x, w.div(x, w.where(zero, w.scalar_like(1.0, d), d)))
    return [w.reshape(y, w.shape(x0))]


def _imputer(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    if attrs.get("imputed_value_int64s") or w.dtype(x) not in ("float32", "float64"):
        _refuse(node, "integer imputation (imputed_value_int64s): only float inputs are imported")
    if len(w.shape(x)) != 2:
        _refuse(node, f"input of shape {list(w.shape(x))}: a matrix [N, C] expected")
    rep = float(attrs.get("replaced_value_float", 0.0))
    missing = w.binary("not_equal", x, x) if np.isnan(rep) else w.binary("equal", x, w.scalar_like(rep, x))
    return [w.where(missing, _per_column(w, x, attrs.get("imputed_value_floats", [0.0]), "imputed_value_floats",
                                         node), x)]


def _linear_regressor(ctx, node, attrs):
    w = ctx.w
    x = _float_rows(ctx, node)
    if attrs.get("post_transform", "NONE") != "NONE":
        _refuse(node, f"post_transform {attrs['post_transform']!r} (only NONE is defined for a regressor here)")
    k = int(attrs.get("targets", 1))
    coef = np.asarray(attrs.get("coefficients", []), np.dtype(w.dtype(x))).reshape(k, -1)
    if coef.shape[1] != w.shape(x)[1]:
        _refuse(node, f"{coef.size} coefficients for {k} target(s) and {w.shape(x)[1]} features")
    y = w.matmul(x, w.const(coef.T))
    icp = attrs.get("intercepts")
    return [w.add(y, w.const(np.asarray(icp, coef.dtype).reshape(-1))) if icp else y]


ML.update(Binarizer=_binarizer, Scaler=_scaler, Normalizer=_normalizer, Imputer=_imputer,
          LinearRegressor=_linear_regressor)
