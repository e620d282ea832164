"""ai.onnx.ml's tree ensembles: TreeEnsembleRegressor, TreeEnsembleClassifier (ml opset 1-3) and TreeEnsemble (ml
opset 5). Both encodings are read into one form (interior nodes; leaves with their path and (target, weight)
contributions) and composed from engine ops: every interior node's decision at once, a leaf is reached where all
the decisions on its path match, and the scores are the reached leaves' weights aggregated (SUM / AVERAGE as a
matmul, MIN / MAX by a masked reduction). Decisions are comparisons, so gradients w.r.t. the input are zero, the
derivative of a piecewise-constant function almost everywhere. Semantics follow onnxruntime (the runtime skl2onnx
files run with): NaN follows nodes_missing_value_tracks_true, base values are added after aggregation."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .onnx_ml import _float_rows, _refuse
from .onnx_ml_classify import _int_labels, _post, probit_and_zeros

MODES = ("BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "BRANCH_MEMBER")
_CMP = {"BRANCH_LEQ": "less_equal", "BRANCH_LT": "less", "BRANCH_GTE": "greater_equal", "BRANCH_GT": "greater",
        "BRANCH_EQ": "equal", "BRANCH_NEQ": "not_equal"}
AGGREGATES = ("AVERAGE", "SUM", "MIN", "MAX")
MAX_DEPTH = 256


@dataclass
class Forest:
    """Interior nodes (feature, threshold, mode, NaN goes true, member set) and leaves (path of (interior index,
    branch taken), contributions (target, weight)); n_trees for AVERAGE."""
    feature: list = field(default_factory=list)
    threshold: list = field(default_factory=list)
    mode: list = field(default_factory=list)
    nan_true: list = field(default_factory=list)
    members: dict = field(default_factory=dict)
    paths: list = field(default_factory=list)
    leaf_out: list = field(default_factory=list)
    n_trees: int = 0


def _walk(node, forest: Forest, root, children, leaf_of, interior_of):
    """Depth-first from `root`: children(n) -> (true child, false child); leaf_of(n) -> contributions or None;
    interior_of(n) -> appends n's decision to forest and returns its index."""
    stack = [(root, [])]
    while stack:
        n, path = stack.pop()
        if len(path) > MAX_DEPTH:
            _refuse(node, f"a tree deeper than {MAX_DEPTH} (or a cycle in its node ids)")
        contrib = leaf_of(n)
        if contrib is not None:
            forest.paths.append(path)
            forest.leaf_out.append(contrib)
            continue
        i = interior_of(n)
        t, f = children(n)
        stack += [(f, path + [(i, False)]), (t, path + [(i, True)])]


def forest_v3(node, attrs, prefix: str) -> Forest:
    """TreeEnsembleRegressor's / Classifier's per-node lists; contributions from {prefix}_treeids/nodeids/ids/weights
    (prefix: target or class)."""
    tree, nid = attrs.get("nodes_treeids", []), attrs.get("nodes_nodeids", [])
    modes = attrs.get("nodes_modes", [])
    thr = attrs.get("nodes_values_as_tensor")
    thr = list(attrs.get("nodes_values", [])) if thr is None else list(np.asarray(thr).reshape(-1))
    n = len(tree)
    if not n or any(len(v) != n for v in (nid, modes, thr, attrs.get("nodes_featureids", []))):
        _refuse(node, "nodes_treeids, nodes_nodeids, nodes_modes, nodes_values and nodes_featureids differ in length")
    at = {(t, i): k for k, (t, i) in enumerate(zip(tree, nid))}
    true_ids, false_ids = attrs.get("nodes_truenodeids", [0] * n), attrs.get("nodes_falsenodeids", [0] * n)
    nan_true = attrs.get("nodes_missing_value_tracks_true") or [0] * n
    w = attrs.get(f"{prefix}_weights_as_tensor")
    w = list(attrs.get(f"{prefix}_weights", [])) if w is None else list(np.asarray(w).reshape(-1))
    contrib: dict = {}
    for t, i, c, wt in zip(attrs.get(f"{prefix}_treeids", []), attrs.get(f"{prefix}_nodeids", []),
                           attrs.get(f"{prefix}_ids", []), w):
        if (t, i) not in at:
            _refuse(node, f"{prefix}_nodeids names node {i} of tree {t}, which nodes_* do not define")
        contrib.setdefault(at[(t, i)], []).append((int(c), float(wt)))
    forest = Forest()

    def child(k, ids):
        if (tree[k], ids[k]) not in at:
            _refuse(node, f"node {nid[k]} of tree {tree[k]} branches to node {ids[k]}, which is not defined")
        return at[(tree[k], ids[k])]

    def interior(k):
        if modes[k] not in _CMP:
            _refuse(node, f"nodes_modes {modes[k]!r} (LEAF or BRANCH_LEQ/LT/GTE/GT/EQ/NEQ)")
        forest.feature.append(int(attrs["nodes_featureids"][k]))
        forest.threshold.append(thr[k])
        forest.mode.append(modes[k])
        forest.nan_true.append(bool(nan_true[k]))
        return len(forest.feature) - 1

    roots = [k for k in range(n) if k == 0 or tree[k] != tree[k - 1]]  # onnxruntime: a tree's first node
    if len(roots) != len(set(tree)):
        _refuse(node, "the nodes of one tree are not contiguous in nodes_treeids")
    for r in roots:
        _walk(node, forest, r, lambda k: (child(k, true_ids), child(k, false_ids)),
              lambda k: contrib.get(k, []) if modes[k] == "LEAF" else None, interior)
    forest.n_trees = len(roots)
    return forest


def forest_v5(node, attrs) -> Forest:
    """TreeEnsemble (ml opset 5): interior nodes only, children flagged as leaves index leaf_targetids/weights."""
    splits = np.asarray(attrs.get("nodes_splits", np.zeros(0))).reshape(-1)
    modes = np.asarray(attrs.get("nodes_modes", np.zeros(0, np.uint8))).reshape(-1).astype(int)
    n = len(splits)
    nan_true = attrs.get("nodes_missing_value_tracks_true") or [0] * n
    members = [float(v) for v in np.asarray(attrs.get("membership_values", np.zeros(0))).reshape(-1)]
    sets, cur = [], []
    for v in members + [float("nan")]:
        if np.isnan(v):
            sets, cur = sets + [cur], []
        else:
            cur.append(v)
    leaf_t = attrs.get("leaf_targetids", [])
    leaf_w = np.asarray(attrs.get("leaf_weights", np.zeros(0))).reshape(-1)
    if len(modes) != n or len(leaf_t) != len(leaf_w) or (modes > 6).any():
        _refuse(node, "nodes_modes / nodes_splits or leaf_targetids / leaf_weights differ in length, or a mode > 6")
    forest, ids = Forest(), {}

    def interior(k):
        if k not in ids:
            forest.feature.append(int(attrs["nodes_featureids"][k]))
            forest.threshold.append(float(splits[k]))
            forest.mode.append(MODES[modes[k]])
            forest.nan_true.append(bool(nan_true[k]))
            if modes[k] == 6:
                forest.members[len(forest.feature) - 1] = sets[int((modes[:k] == 6).sum())]
            ids[k] = len(forest.feature) - 1
        return ids[k]

    def children(k):
        side = [(attrs[f"nodes_{s}nodeids"][k], attrs.get(f"nodes_{s}leafs", [0] * n)[k]) for s in ("true", "false")]
        return tuple(("leaf", j) if leaf else j for j, leaf in side)

    def leaf_of(k):
        return [(int(leaf_t[k[1]]), float(leaf_w[k[1]]))] if isinstance(k, tuple) else None

    if len(sets) < int((modes == 6).sum()):
        _refuse(node, "fewer membership_values sets than BRANCH_MEMBER nodes")
    for r in attrs.get("tree_roots", []):
        _walk(node, forest, int(r), children, leaf_of, interior)
    forest.n_trees = len(attrs.get("tree_roots", []))
    return forest


def _decisions(w, x: str, forest: Forest, dtype: str) -> str:
    """[N, interior + 1] bool: each interior node's branch (true / false), then a column of trues (path padding)."""
    cols = w.gather(x, w.const(np.asarray(forest.feature, np.int64)), 1)
    plain = [i for i in range(len(forest.feature)) if i not in forest.members]
    out = w.const(np.ones((1, len(forest.feature) + 1), bool))
    out = w.broadcast_to(out, (w.shape(x)[0], len(forest.feature) + 1))
    for mode in sorted(set(forest.mode)):
        sel = [i for i in plain if forest.mode[i] == mode]
        if not sel:
            continue
        thr = w.const(np.asarray([forest.threshold[i] for i in sel], np.dtype(dtype)))
        d = w.binary(_CMP[mode], w.gather(cols, w.const(np.asarray(sel, np.int64)), 1), thr)
        out = _put(w, out, sel, d)
    for i, vals in forest.members.items():
        c = w.gather(cols, w.const(np.asarray([i], np.int64)), 1)
        hit = w.binary("equal", c, w.const(np.asarray(vals, np.dtype(dtype))))
        out = _put(w, out, [i], w.cast(w.reduce("max", w.cast(hit, "int32"), [1], keepdims=True), "bool"))
    nan_true = [i for i, t in enumerate(forest.nan_true) if t]
    if nan_true:
        c = w.gather(cols, w.const(np.asarray(nan_true, np.int64)), 1)
        out = _put(w, out, nan_true, w.binary("logical_or", w.gather(out, w.const(np.asarray(nan_true, np.int64)),
                                                                      1), w.binary("not_equal", c, c)))
    return out


def _put(w, out: str, cols: list, val: str) -> str:
    """out with columns `cols` replaced by val ([N, len(cols)] bool): a select by a constant column mask."""
    n = w.shape(out)[1]
    where_from = np.zeros(n, np.int64)
    where_from[cols] = np.arange(len(cols))
    spread = w.gather(val, w.const(where_from), 1)
    mask = np.zeros((1, n), bool)
    mask[0, cols] = True
    return w.where(w.const(mask), spread, out)


def reached(w, x: str, forest: Forest, dtype: str, out: str) -> str:
    """[N, leaves] of float type `out`: 1 where the row reaches the leaf."""
    d = w.cast(_decisions(w, x, forest, dtype), "int32")
    pad = len(forest.feature)
    depth = max([len(p) for p in forest.paths] + [1])
    idx = np.full((len(forest.paths), depth), pad, np.int64)
    want = np.ones((len(forest.paths), depth), np.int32)
    for j, p in enumerate(forest.paths):
        for k, (i, branch) in enumerate(p):
            idx[j, k], want[j, k] = i, int(branch)
    got = w.reshape(w.gather(d, w.const(idx.reshape(-1)), 1), (w.shape(x)[0],) + idx.shape)
    ok = w.cast(w.binary("equal", got, w.const(want)), out)
    return w.reduce("min", ok, [2])


def scores(w, node, x: str, forest: Forest, n_targets: int, how: str, base) -> str:
    """[N, n_targets] float32: the reached leaves' weights aggregated per target (`how`), plus base values."""
    ft = "float64" if w.dtype(x) == "float64" else "float32"  # (onnxruntime sums double thresholds' in double)
    hit = reached(w, x, forest, w.dtype(x), ft)
    entries = [(j, t, v) for j, c in enumerate(forest.leaf_out) for t, v in c]
    if any(not 0 <= t < n_targets for _, t, _ in entries):
        _refuse(node, f"a leaf's target / class id outside [0, {n_targets})")
    if how in ("SUM", "AVERAGE"):
        wm = np.zeros((len(forest.paths), n_targets), np.dtype(ft))
        for j, t, v in entries:
            wm[j, t] += v
        if how == "AVERAGE":
            wm /= max(forest.n_trees, 1)
        y = w.matmul(hit, w.const(wm))
    else:
        y = _min_max(w, hit, entries, n_targets, how)
    if base is not None and len(base):
        b = np.asarray(base, np.dtype(ft)).reshape(-1)
        if b.size != n_targets:
            _refuse(node, f"{b.size} base values for {n_targets} targets")
        y = w.add(y, w.const(b))
    return y


def _min_max(w, hit: str, entries, n_targets: int, how: str) -> str:
    """Per target, the min / max over the reached leaves' weights for it; 0 where none is reached (onnxruntime)."""
    if not entries:
        return w.const(np.zeros((w.shape(hit)[0], n_targets), np.dtype(w.dtype(hit))))
    leaf = w.gather(hit, w.const(np.asarray([j for j, _, _ in entries], np.int64)), 1)  # [N, E]
    member = np.zeros((len(entries), n_targets), bool)
    member[np.arange(len(entries)), [t for _, t, _ in entries]] = True
    on = w.binary("logical_and", w.binary("greater", w.reshape(leaf, w.shape(leaf) + (1,)),
                                          w.const(np.asarray(0.5, np.dtype(w.dtype(hit))))), w.const(member))  # [N, E, T]
    ft = np.dtype(w.dtype(hit))
    fill = np.asarray(np.inf if how == "MIN" else -np.inf, ft)
    val = w.where(on, w.const(np.asarray([v for _, _, v in entries], ft).reshape(-1, 1)), w.const(fill))
    red = w.reduce("min" if how == "MIN" else "max", val, [1])
    anyhit = w.cast(w.reduce("max", w.cast(on, "int32"), [1]), "bool")
    return w.where(anyhit, red, w.const(np.zeros((1, n_targets), ft)))


def _rows(ctx, node, thr_dtype: str) -> str:
    """The input as rows, compared in double where it or the thresholds are double (onnxruntime): a double rounded
    to float32 can land on a threshold and flip a strict comparison."""
    x = _float_rows(ctx, node)
    thr_dtype = "float64" if ctx.w.dtype(x) == "float64" else thr_dtype
    return x if ctx.w.dtype(x) == thr_dtype else ctx.w.cast(x, thr_dtype)


def _regressor(ctx, node, attrs):
    w = ctx.w
    how = attrs.get("aggregate_function", "SUM")
    post = attrs.get("post_transform", "NONE")
    if how not in AGGREGATES or post not in ("NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"):
        _refuse(node, f"aggregate_function {how!r} / post_transform {post!r} (AVERAGE, SUM, MIN, MAX; NONE, "
                      "LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT)")
    if post not in ("NONE", "PROBIT") and int(attrs.get("n_targets", 1)) == 1:  # (PROBIT: onnxruntime applies it)
        _refuse(node, f"post_transform {post} of a single target: onnxruntime 1.32 applies none (its answer is the "
                      "raw sum; PROBIT it applies), onnx.reference refuses it, ONNX's text applies it; NONE and "
                      "PROBIT are imported there")
    as_double = attrs.get("nodes_values_as_tensor") is not None and \
        np.asarray(attrs["nodes_values_as_tensor"]).dtype == np.float64
    x = _rows(ctx, node, "float64" if as_double else "float32")
    base = attrs.get("base_values_as_tensor", attrs.get("base_values"))
    y = scores(w, node, x, forest_v3(node, attrs, "target"), int(attrs.get("n_targets", 1)), how, base)
    y = y if w.dtype(y) == "float32" else w.cast(y, "float32")
    return [_tree_post(w, node, y, post)]


def _tree_post(w, node, y: str, post: str) -> str:
    """_post, and SOFTMAX_ZERO as onnxruntime 1.32 computes it: a softmax over each row's scores outside
    [-1e-7, 1e-7]; one inside is v exp(-max) over that sum (a zero stays 0; a row of zeros is NaN, 0 / 0)."""
    if post != "SOFTMAX_ZERO":
        return _post(w, node, y, post)
    top = w.reduce("max", y, [1], keepdims=True)
    near = w.binary("less_equal", w.unary("abs", y), w.scalar_like(1e-7, y))
    e = w.unary("exp", w.sub(y, top))
    total = w.reduce("sum", w.where(near, w.scalar_like(0.0, y), e), [1], keepdims=True)
    return w.div(w.where(near, w.mul(y, w.unary("exp", w.unary("neg", top))), e), total)


def _tree_ensemble(ctx, node, attrs):
    """ml opset 5's TreeEnsemble: enum attributes, output in the input's float type."""
    w = ctx.w
    how, post = AGGREGATES[int(attrs.get("aggregate_function", 1))], int(attrs.get("post_transform", 0))
    if post:  # the runtimes disagree with ONNX's text (1 SOFTMAX, 2 LOGISTIC) and with each other
        _refuse(node, f"post_transform {post}: onnx.reference applies none, onnxruntime 1.32 reads 1 as LOGISTIC and 2 "
                      "as SOFTMAX, ONNX's text the reverse; only 0 (NONE) is imported")
    x = ctx.val(node.input[0])
    if len(w.shape(x)) != 2:
        _refuse(node, f"input of shape {list(w.shape(x))}: [N, C] expected")
    dt = w.dtype(x)
    y = scores(w, node, x, forest_v5(node, attrs), int(attrs.get("n_targets", 1)), how, None)
    y = y if w.dtype(y) == dt else w.cast(y, dt)
    return [y]



def _has_score(w, hit: str, forest: Forest, n: int) -> str:
    """[N, n] bool: some reached leaf carries an entry for the class (onnxruntime's has_score)."""
    m = np.zeros((len(forest.paths), n), np.dtype(w.dtype(hit)))
    for j, c in enumerate(forest.leaf_out):
        for t, _ in c:
            m[j, t] = 1
    return w.binary("greater", w.matmul(hit, w.const(m)), w.const(np.asarray(0.5, m.dtype)))


def _classifier(ctx, node, attrs):
    """onnxruntime's TreeEnsembleClassifier: summed class weights plus base values; the label is the first largest
    score among the classes a reached leaf names. Two labels with one weighted class (skl2onnx's binary forests and
    boosting): s = class 0's score, label labels[1] where s > 0.5 (all weights >= 0) or s > 0 (mixed); scores
    [sigmoid(-s), sigmoid(s)] (LOGISTIC), else [1 - s, s] (all >= 0) or [-s, s] (mixed)."""
    w = ctx.w
    post = attrs.get("post_transform", "NONE")
    as_double = np.asarray(attrs.get("nodes_values_as_tensor", np.zeros(0, np.float32))).dtype == np.float64
    x = _rows(ctx, node, "float64" if as_double else "float32")
    forest = forest_v3(node, attrs, "class")
    used = sorted({t for c in forest.leaf_out for t, _ in c})
    labels = _int_labels(node, {"classlabels_strings": attrs.get("classlabels_strings"),
                                "classlabels_ints": attrs.get("classlabels_int64s")}, max(used + [0]) + 1, ctx)
    base = attrs.get("base_values_as_tensor", attrs.get("base_values"))
    base = [] if base is None else list(np.asarray(base).reshape(-1))
    if len(labels) == 2:
        if used != [0] or len(base) > 1 or post not in ("NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"):
            _refuse(node, f"two class labels with weights for classes {used}, {len(base)} base value(s), "
                          f"post_transform {post}: only one weighted class (0), at most one base value and NONE, "
                          "LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT are imported (onnxruntime's binary rules differ "
                          "there)")
        s = scores(w, node, x, forest, 1, "SUM", base)
        return _binary_tree(w, s, labels, all(v >= 0 for c in forest.leaf_out for _, v in c), post)
    if post not in ("NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"):
        _refuse(node, f"post_transform {post!r} (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT are imported)")
    y = scores(w, node, x, forest, len(labels), "SUM", base)
    has = _has_score(w, reached(w, x, forest, w.dtype(x), w.dtype(y)), forest, len(labels))
    ranked = w.where(has, y, w.const(np.asarray(-np.inf, np.dtype(w.dtype(y)))))
    idx = w.emit1("argmax", [ranked], {"axis": 1, "keepdims": False}, (w.shape(y)[0],), "int64")
    y = y if w.dtype(y) == "float32" else w.cast(y, "float32")
    return [w.gather(w.const(labels), idx, 0), _tree_post(w, node, y, post)]


def _binary_tree(w, s: str, labels, all_positive: bool, post: str) -> list[str]:
    s = s if w.dtype(s) == "float32" else w.cast(s, "float32")
    cut = 0.5 if all_positive else 0.0
    pos = w.reshape(w.binary("greater", s, w.scalar_like(cut, s)), (w.shape(s)[0],))
    label = w.where(pos, w.const(labels[1]), w.const(labels[0]))
    if post == "PROBIT":  # [probit(s), 0] whatever the weights' signs (onnxruntime 1.32)
        return [label, probit_and_zeros(w, s)]
    if post == "LOGISTIC":  # (whatever the weights' signs: onnxruntime 1.32)
        return [label, w.concat([w.unary("sigmoid", w.unary("neg", s)), w.unary("sigmoid", s)], 1)]
    if all_positive:  # (SOFTMAX and SOFTMAX_ZERO as NONE here: onnxruntime 1.32)
        return [label, w.concat([w.sub(w.scalar_like(1.0, s), s), s], 1)]
    return [label, w.concat([w.unary("neg", s), s], 1)]


TREES = {"TreeEnsembleRegressor": _regressor, "TreeEnsembleClassifier": _classifier, "TreeEnsemble": _tree_ensemble}
