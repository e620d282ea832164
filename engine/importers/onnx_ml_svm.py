"""ai.onnx.ml's SVMRegressor and LabelEncoder (numeric keys and values), composed from engine ops by onnxruntime's
kernels: an SVM's score is sum_j coef_j K(x, sv_j) + rho (LINEAR x.sv, POLY (gamma x.sv + coef0)^degree, RBF
exp(-gamma |x - sv|^2), SIGMOID tanh(gamma x.sv + coef0)), or coef.x + rho without support vectors; gradients reach
the input through the kernel. A LabelEncoder is a lookup: its output does not depend smoothly on the input."""
from __future__ import annotations

import numpy as np

from .onnx_ml import _float_rows, _refuse

KERNELS = ("LINEAR", "POLY", "RBF", "SIGMOID")


def kernel(w, node, x: str, sv: np.ndarray, attrs) -> str:
    """[N, S]: the kernel of each row of x against each support vector (sv: [S, F])."""
    how = attrs.get("kernel_type", "LINEAR")
    if how not in KERNELS:
        _refuse(node, f"kernel_type {how!r} (LINEAR, POLY, RBF or SIGMOID)")
    gamma, coef0, degree = (list(attrs.get("kernel_params") or []) + [0.0, 0.0, 0.0])[:3]
    if how == "RBF":  # the squared distance as a sum of squares (no |x|^2 - 2 x.sv + |sv|^2 cancellation)
        n, f = w.shape(x)
        d = w.sub(w.reshape(x, (n, 1, f)), w.const(sv.reshape((1,) + sv.shape)))
        return w.unary("exp", w.mul(w.reduce("sum", w.mul(d, d), [2]), w.scalar_like(-gamma, x)))
    dot = w.matmul(x, w.const(sv.T))
    if how == "LINEAR":
        return dot
    s = w.add(w.mul(dot, w.scalar_like(gamma, dot)), w.scalar_like(coef0, dot))
    if how == "SIGMOID":
        return w.unary("tanh", s)
    if float(degree) == int(degree) and 0 < degree <= 8:  # an integer power as products: exact for s < 0
        out = s
        for _ in range(int(degree) - 1):
            out = w.mul(out, s)
        return out
    return w.binary("pow", s, w.scalar_like(degree, s))


def _svm_regressor(ctx, node, attrs):
    w = ctx.w
    x = _float_rows(ctx, node)
    x = x if w.dtype(x) == "float32" else w.cast(x, "float32")
    if attrs.get("post_transform", "NONE") != "NONE":
        _refuse(node, f"post_transform {attrs['post_transform']!r} (onnxruntime's SVMRegressor applies none)")
    coef = np.asarray(attrs.get("coefficients", []), np.float32)
    rho = np.asarray(attrs.get("rho", [0.0]), np.float32).reshape(-1)[:1]
    feats = w.shape(x)[1]
    n_sv = int(attrs.get("n_supports", 0))
    if n_sv:
        sv = np.asarray(attrs.get("support_vectors", []), np.float32)
        if sv.size != n_sv * feats or coef.size != n_sv:
            _refuse(node, f"{sv.size} support vector values and {coef.size} coefficients for {n_sv} supports of "
                          f"{feats} features")
        y = w.matmul(kernel(w, node, x, sv.reshape(n_sv, feats), attrs), w.const(coef.reshape(-1, 1)))
    else:
        if coef.size != feats:
            _refuse(node, f"{coef.size} coefficients for {feats} features (no support vectors: a linear SVM)")
        y = kernel(w, node, x, coef.reshape(1, feats), attrs)
    y = w.add(y, w.const(rho))
    if attrs.get("one_class", 0):  # +1 inside, -1 outside
        y = w.where(w.binary("greater", y, w.scalar_like(0.0, y)), w.scalar_like(1.0, y), w.scalar_like(-1.0, y))
    return [y]


def _encoder_table(node, attrs):
    """(keys, values, default) as arrays from the opset-2 lists or the opset-4 tensors; strings refused."""
    if any(attrs.get(k) for k in ("keys_strings", "values_strings")) or any(
            np.asarray(attrs.get(k, np.zeros(0))).dtype.kind in "OSU" for k in ("keys_tensor", "values_tensor")):
        _refuse(node, "string keys or values: gradserve graphs carry no string tensors")
    keys = attrs.get("keys_tensor")
    keys = np.asarray(keys if keys is not None else attrs.get("keys_int64s") or attrs.get("keys_floats") or [])
    if keys.dtype == np.float64 and attrs.get("keys_floats"):
        keys = keys.astype(np.float32)
    vals = attrs.get("values_tensor")
    if vals is None:
        ints = attrs.get("values_int64s")
        vals = np.asarray(ints, np.int64) if ints else np.asarray(attrs.get("values_floats") or [], np.float32)
    vals = np.asarray(vals).reshape(-1)
    default = attrs.get("default_tensor")
    if default is None:
        default = attrs.get("default_int64", -1) if vals.dtype.kind == "i" else attrs.get("default_float", -0.0)
    if keys.size == 0 or keys.size != vals.size:
        _refuse(node, f"{keys.size} keys for {vals.size} values")
    return keys.reshape(-1), vals, np.asarray(default, vals.dtype).reshape(())


def _label_encoder(ctx, node, attrs):
    w = ctx.w
    keys, vals, default = _encoder_table(node, attrs)
    x = ctx.val(node.input[0])
    if w.dtype(x) != str(keys.dtype) and not (keys.dtype.kind == "i" and w.dtype(x) in ("int32", "int64")):
        _refuse(node, f"a {w.dtype(x)} input for {keys.dtype} keys")
    kx = w.cast(x, str(keys.dtype)) if w.dtype(x) != str(keys.dtype) else x
    col = w.reshape(kx, w.shape(kx) + (1,))
    hit = w.binary("equal", col, w.const(keys))
    if keys.dtype.kind == "f" and np.isnan(keys).any():  # a NaN key matches a NaN (onnxruntime)
        hit = w.binary("logical_or", hit, w.binary("logical_and", w.binary("not_equal", col, col),
                                                   w.const(np.isnan(keys))))
    nd = len(w.shape(hit)) - 1
    idx = w.emit1("argmax", [w.cast(hit, "int32")], {"axis": nd, "keepdims": False}, w.shape(kx), "int64")
    found = w.cast(w.reduce("max", w.cast(hit, "int32"), [nd]), "bool")
    return [w.where(found, w.gather(w.const(vals), idx, 0), w.const(default))]


SVM = {"SVMRegressor": _svm_regressor, "LabelEncoder": _label_encoder}
