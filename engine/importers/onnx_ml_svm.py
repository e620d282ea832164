"""ai.onnx.ml's SVMRegressor, SVMClassifier and LabelEncoder (numeric keys and values), composed from engine ops by onnxruntime's
kernels: an SVM's score is sum_j coef_j K(x, sv_j) + rho (LINEAR x.sv, POLY (gamma x.sv + coef0)^degree, RBF
exp(-gamma |x - sv|^2), SIGMOID tanh(gamma x.sv + coef0)), or coef.x + rho without support vectors; gradients reach
the input through the kernel. A LabelEncoder is a lookup: its output does not depend smoothly on the input."""
from __future__ import annotations

import numpy as np

from .onnx_ml import _float_rows, _refuse
from .onnx_ml_classify import _int_labels, _post, probit_and_zeros
from .onnx_ml_svm_prob import svm_probabilities

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


def _pairwise(coef: np.ndarray, per_class, n_sv: int) -> np.ndarray:
    """[S, pairs]: libsvm's one-vs-one layout, the decision for classes i < j being class i's vectors times
    coef[j - 1] plus class j's vectors times coef[i]."""
    start = np.concatenate([[0], np.cumsum(per_class)[:-1]]).astype(int)
    c = len(per_class)
    a = np.zeros((n_sv, c * (c - 1) // 2), coef.dtype)
    k = 0
    for i in range(c):
        for j in range(i + 1, c):
            si, sj = slice(start[i], start[i] + per_class[i]), slice(start[j], start[j] + per_class[j])
            a[si, k], a[sj, k] = coef[j - 1, si], coef[i, sj]
            k += 1
    return a


def _svm_linear_classifier(w, node, x: str, attrs, labels) -> list[str]:
    """onnxruntime's linear mode (no support vectors): a score per class x.coef_c + rho[0], post-transformed; the
    label the first largest raw score's, except with two labels (onnxruntime's binary rule): labels[1] where the
    largest raw score is > 0 (mixed-sign coefficients) or >= 0.5 (all >= 0). onnxruntime computes the plain dot
    whatever kernel_type says: other kernels are refused rather than given either meaning."""
    feats = w.shape(x)[1]
    coef = np.asarray(attrs.get("coefficients", []), np.float32)
    if attrs.get("kernel_type", "LINEAR") != "LINEAR":
        _refuse(node, f"kernel_type {attrs['kernel_type']!r} without support vectors (onnxruntime computes a plain "
                      "dot product there): not imported")
    if coef.size != len(labels) * feats or not attrs.get("rho"):
        _refuse(node, f"{coef.size} coefficients and {len(attrs.get('rho') or [])} rho for {len(labels)} classes of "
                      f"{feats} features (the linear mode)")
    raw = w.add(w.matmul(x, w.const(coef.reshape(len(labels), feats).T)),
                w.const(np.float32(attrs["rho"][0])))
    first = w.emit1("argmax", [raw], {"axis": 1, "keepdims": False}, (w.shape(raw)[0],), "int64")
    label = w.gather(w.const(labels), first, 0)
    if len(labels) == 2:
        top = w.reduce("max", raw, [1])
        cut = w.binary("greater_equal", top, w.scalar_like(0.5, top)) if (coef >= 0).all() else w.binary(
            "greater", top, w.scalar_like(0.0, top))
        label = w.where(cut, w.const(labels[1]), label)
    return [label, _post(w, node, raw, attrs.get("post_transform", "NONE"))]


def _classifier_gap(attrs, per_class: list, labels) -> str | None:
    """What of an SVMClassifier is not imported, or None."""
    c, n_prob, post = len(per_class), len(attrs.get("prob_a") or []), attrs.get("post_transform", "NONE")
    if (n_prob or attrs.get("prob_b")) and not c:
        return "no support vectors (the linear mode) with probabilities"
    if (n_prob or attrs.get("prob_b")) and not n_prob == len(attrs.get("prob_b") or []) == c * (c - 1) // 2:
        return f"{n_prob} prob_a / {len(attrs.get('prob_b') or [])} prob_b for {c * (c - 1) // 2} class pairs"
    if c and post not in ("NONE", "SOFTMAX", "LOGISTIC", "PROBIT") and (c == 2 or n_prob):  # onnxruntime's own forms
        return f"post_transform {post!r} with two classes or probabilities"
    if c and len(labels) != c:
        return f"{len(labels)} labels for {c} classes"
    return None


def _svm_classifier(ctx, node, attrs):
    """onnxruntime's SVMClassifier with support vectors: the pairwise decisions d (one per pair i < j, libsvm's
    order) are the scores (post-transformed; with prob_a / prob_b the probabilities of onnx_ml_svm_prob), the label
    is the first class with the most votes (d > 0 votes i). Two classes: scores [-d, d] (onnxruntime's)."""
    w = ctx.w
    x = _float_rows(ctx, node)
    x = x if w.dtype(x) == "float32" else w.cast(x, "float32")
    per_class = [int(v) for v in attrs.get("vectors_per_class") or []]
    labels = _int_labels(node, attrs, 0, ctx)  # (string labels: only with the label output unread)
    why = _classifier_gap(attrs, per_class, labels)
    if why:
        _refuse(node, f"{why}: not imported")
    if not per_class:
        return _svm_linear_classifier(w, node, x, attrs, labels)
    n_sv, feats, c = sum(per_class), w.shape(x)[1], len(per_class)
    sv = np.asarray(attrs.get("support_vectors", []), np.float32)
    coef = np.asarray(attrs.get("coefficients", []), np.float32)
    rho = np.asarray(attrs.get("rho", []), np.float32)
    if sv.size != n_sv * feats or coef.size != (c - 1) * n_sv or rho.size != c * (c - 1) // 2:
        _refuse(node, f"{sv.size} support vector values, {coef.size} coefficients, {rho.size} rho for {c} classes of "
                      f"{per_class} vectors and {feats} features")
    k = kernel(w, node, x, sv.reshape(n_sv, feats), attrs)
    d = w.add(w.matmul(k, w.const(_pairwise(coef.reshape(c - 1, n_sv), per_class, n_sv))), w.const(rho))
    pairs = [(i, j) for i in range(c) for j in range(i + 1, c)]
    vi, vj = np.zeros((len(pairs), c), np.float32), np.zeros((len(pairs), c), np.float32)
    for p, (i, j) in enumerate(pairs):
        vi[p, i], vj[p, j] = 1, 1
    win = w.cast(w.binary("greater", d, w.scalar_like(0.0, d)), "float32")
    votes = w.add(w.matmul(win, w.const(vi)), w.matmul(w.sub(w.scalar_like(1.0, win), win), w.const(vj)))
    idx = w.emit1("argmax", [votes], {"axis": 1, "keepdims": False}, (w.shape(d)[0],), "int64")
    post = attrs.get("post_transform", "NONE")
    if attrs.get("prob_a"):  # the scores are the probabilities (then post-transformed); the label stays the votes'
        return [w.gather(w.const(labels), idx, 0),
                _post(w, node, svm_probabilities(w, node, d, c, attrs["prob_a"], attrs["prob_b"]), post)]
    scores = _two_class_scores(w, d, post) if c == 2 else _post(w, node, d, post)
    return [w.gather(w.const(labels), idx, 0), scores]


def _two_class_scores(w, d: str, post: str) -> str:
    """onnxruntime 1.32's two-class scores without probabilities (its answers; the op's text is silent): [-d, d],
    LOGISTIC each through a sigmoid, SOFTMAX [1 - d, d] (d itself, not a softmax), PROBIT [probit(d), 0]."""
    if post == "PROBIT":
        return probit_and_zeros(w, d)
    if post == "SOFTMAX":
        return w.concat([w.sub(w.scalar_like(1.0, d), d), d], 1)
    scores = w.concat([w.unary("neg", d), d], 1)
    return w.unary("sigmoid", scores) if post == "LOGISTIC" else scores


SVM = {"SVMRegressor": _svm_regressor, "SVMClassifier": _svm_classifier, "LabelEncoder": _label_encoder}
