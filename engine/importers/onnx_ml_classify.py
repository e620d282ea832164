"""ai.onnx.ml's LinearClassifier, OneHotEncoder and ArrayFeatureExtractor (CLASSIFY, beside onnx_ml's ML): integer labels and
categories only (string tensors are not carried); a value ONNX runtimes reject at run time (a category outside
cats_int64s with zeros=0, an index outside the features) is a run-time error here too (check_false), never a row of
zeros or a wrapped index."""
from __future__ import annotations

import numpy as np

from .composites import checked
from .onnx_ml import _float_rows, _refuse


def _int_labels(node, attrs, n: int, ctx=None) -> np.ndarray:
    """The class labels; string labels only where nothing reads the label output (the scores imported by name, the
    labels left out): there the classes' indices stand in for them, never seen."""
    strings = attrs.get("classlabels_strings")
    if strings and ctx is not None and not ctx.is_read(node.output[0]):
        return np.arange(len(strings), dtype=np.int64)
    if strings:
        _refuse(node, f"string class labels (classlabels_strings) on its output {node.output[0]!r}: gradserve graphs "
                      "carry no string tensors; import the numeric outputs alone by name (from_onnx(..., outputs="
                      "[...]), over REST output=NAME) or export integer labels (classlabels_ints)")
    labels = attrs.get("classlabels_ints")
    return np.asarray(labels if labels else range(n), np.int64)


def _post(w, node, scores: str, how: str) -> str:
    if how == "NONE":
        return scores
    if how == "LOGISTIC":
        return w.unary("sigmoid", scores)
    if how == "SOFTMAX":
        return w.softmax("softmax", scores, 1)
    if how == "PROBIT":
        return probit(w, scores)
    _refuse(node, f"post_transform {how!r} (NONE, LOGISTIC, SOFTMAX or PROBIT are imported)")


def probit(w, s: str) -> str:
    """The normal quantile sqrt(2) erfinv(2 s - 1), exactly (the engine's erfinv): -inf / +inf at 0 / 1, NaN outside
    [0, 1], as onnxruntime; its values are Winitzki's approximation of erfinv (up to ~3e-4 from these)."""
    two = w.scalar_like(2.0, s)
    return w.mul(w.unary("erfinv", w.sub(w.mul(s, two), w.scalar_like(1.0, s))), w.scalar_like(np.sqrt(2.0), s))


def _linear_classifier(ctx, node, attrs):
    w = ctx.w
    x = _float_rows(ctx, node)
    coef = np.asarray(attrs.get("coefficients", []), np.dtype(w.dtype(x)))
    feats = w.shape(x)[1]
    if coef.size == 0 or coef.size % feats:
        _refuse(node, f"{coef.size} coefficients for {feats} features")
    coef = coef.reshape(-1, feats)
    n_labels = max(len(attrs.get("classlabels_ints") or []), len(attrs.get("classlabels_strings") or []))
    labels = _int_labels(node, attrs, coef.shape[0], ctx)
    scores = w.matmul(x, w.const(coef.T))
    if attrs.get("intercepts"):
        scores = w.add(scores, w.const(np.asarray(attrs["intercepts"], coef.dtype).reshape(-1)))
    how = attrs.get("post_transform", "NONE")
    if coef.shape[0] == 1 and n_labels == 2:
        return _binary(w, node, scores, how, labels)
    if coef.shape[0] != len(labels):
        _refuse(node, f"{coef.shape[0]} score column(s) for {len(labels)} class label(s)")
    # the label is the raw scores' (onnxruntime's): PROBIT's NaN outside [0, 1] would win an argmax after it
    idx = w.emit1("argmax", [scores], {"axis": 1, "keepdims": False}, (w.shape(scores)[0],), "int64")
    return [w.gather(w.const(labels), idx, 0), _post(w, node, scores, how)]


def _binary(w, node, s: str, how: str, labels) -> list[str]:
    """One decision function s for two classes, as onnxruntime: label labels[1] where s > 0, scores [1 - p, p] with
    p = s (NONE) or sigmoid(s) (LOGISTIC). (onnx.reference gives [-s, s] for NONE; onnxruntime leaves SOFTMAX's
    scores untransformed: refused, the runtimes' answers are not the op's.)"""
    if how not in ("NONE", "LOGISTIC"):
        _refuse(node, f"post_transform {how!r} with one score column for two classes (NONE or LOGISTIC are imported: "
                      "onnxruntime applies no softmax there, and its PROBIT scores there are no function of the "
                      "row: a row's entries change with the other rows of its batch, 1.32 filling the [N, 2] output's "
                      "first entries with several rows' probits and leaving others unwritten)")
    p = w.unary("sigmoid", s) if how == "LOGISTIC" else s
    pos = w.reshape(w.binary("greater", s, w.scalar_like(0.0, s)), (w.shape(s)[0],))
    label = w.where(pos, w.const(labels[1]), w.const(labels[0]))
    return [label, w.concat([w.sub(w.scalar_like(1.0, p), p), p], 1)]


def probit_and_zeros(w, s: str) -> str:
    """onnxruntime 1.32's two-label PROBIT of one decision column s (trees, SVMs without probabilities): the scores
    [probit(s), 0], a column of zeros beside it (its answers; the op's text is silent)."""
    p = probit(w, s)
    return w.concat([p, w.emit1("zeros_like", [s], {}, w.shape(s), w.dtype(s))], 1)


def _one_hot_encoder(ctx, node, attrs):
    w = ctx.w
    if attrs.get("cats_strings"):
        _refuse(node, "string categories (cats_strings): gradserve graphs carry no string tensors")
    cats = np.asarray(attrs.get("cats_int64s") or [], np.int64)
    if cats.size == 0:
        _refuse(node, "no categories (cats_int64s)")
    x = ctx.val(node.input[0])
    if len(w.shape(x)) not in (1, 2):
        _refuse(node, f"input of shape {list(w.shape(x))} (1-D or 2-D, as onnxruntime)")
    xi = w.cast(x, "int64")  # onnxruntime compares a float input's integer part
    hit = w.binary("equal", w.reshape(xi, w.shape(xi) + (1,)), w.const(cats))
    y = w.cast(hit, "float32")
    if not attrs.get("zeros", 1):  # an unknown category is an error then (onnxruntime's and onnx.reference's)
        unknown = w.binary("equal", w.reduce("sum", y, [-1]), w.const(np.asarray(0, np.float32)))
        y = checked(w, unknown, y, f"{node.op_type} node {node.name!r}: a value is not among cats_int64s "
                                    f"{cats.tolist()[:8]} and zeros=0")
    return [y]


def _array_feature_extractor(ctx, node, attrs):
    w = ctx.w
    x = ctx.val(node.input[0])
    n = w.shape(x)[-1]
    if ctx.is_const(node.input[1]):
        idx = np.asarray(ctx.cval(node.input[1], node), np.int64).reshape(-1)
        if idx.size == 0 or (idx < 0).any() or (idx >= n).any():
            _refuse(node, f"indices {idx.tolist()[:8]} outside the {n} features (onnxruntime refuses them)")
        pick = w.const(idx)
    else:
        raw = ctx.val(node.input[1])
        pick = w.reshape(w.cast(raw, "int64"), (-1,))
        bad = w.binary("logical_or", w.binary("less", pick, w.const(np.asarray(0, np.int64))),
                       w.binary("greater_equal", pick, w.const(np.asarray(n, np.int64))))
        pick = checked(w, bad, pick, f"{node.op_type} node {node.name!r}: an index outside the {n} features")
    y = w.gather(x, pick, -1)
    return [w.reshape(y, (1, w.shape(pick)[0]) if len(w.shape(x)) == 1 else w.shape(y))]


def _zip_map(ctx, node, attrs):
    others = [o.name for o in ctx.current_graph.output if o.name not in node.output]
    _refuse(node, f"its output {node.output[0]!r} is a sequence of maps, which gradserve graphs do not carry: "
                  f"import the model's other outputs by name (outputs={others}; over REST output=NAME), or export "
                  "the classifier with skl2onnx's options={id(classifier): {'zipmap': False}} (the probabilities as a tensor)")


CLASSIFY = {"LinearClassifier": _linear_classifier, "OneHotEncoder": _one_hot_encoder,
            "ArrayFeatureExtractor": _array_feature_extractor, "ZipMap": _zip_map}
