"""Writes tests/importers/data/zoo23_ort.npz: skl2onnx's exports (zipmap off) of tree ensembles whose
TreeEnsembleClassifier / Regressor carries a post transform, and of classifiers with string labels, with
onnxruntime's outputs; and hand-made tree nodes under each post transform onnxruntime computes, with its outputs.
Needs scikit-learn, skl2onnx and onnxruntime (not in the project's environment; made with scikit-learn 1.9.1,
skl2onnx 1.20.0, onnxruntime 1.32.0): `python -m tests.importers.zoo23_ort_gen` from the repository root."""
import numpy as np

POSTS = ("NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO")
X_TREE = np.array([[-1.0, 0.5], [0.3, -0.2], [1.2, 1.0], [0.0, 0.0], [2.0, -1.5], [-0.4, 0.8]], np.float32)
# two depth-1 trees: tree 0 splits feature 0 at 0.1, tree 1 feature 1 at 0.3; leaves (tree, node) 1 and 2
_TREES = dict(nodes_treeids=[0, 0, 0, 1, 1, 1], nodes_nodeids=[0, 1, 2, 0, 1, 2], nodes_featureids=[0, 0, 0, 1, 0, 0],
              nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"] * 2, nodes_values=[0.1, 0, 0, 0.3, 0, 0],
              nodes_truenodeids=[1, 0, 0, 1, 0, 0], nodes_falsenodeids=[2, 0, 0, 2, 0, 0])
_LEAVES = {  # (tree, node): [(class or target, weight)]
    "three": {(0, 1): [(0, 0.2), (1, -0.7)], (0, 2): [(1, 0.4), (2, 1.1)], (1, 1): [(0, -0.3), (2, 0.5)],
              (1, 2): [(1, 0.0), (0, 0.9)]},
    "zeros": {(0, 1): [(0, 0.0), (1, 0.0)], (0, 2): [(1, 0.4), (2, 1.1)], (1, 1): [(0, 0.0), (2, 0.0)],
              (1, 2): [(1, 0.0), (0, 0.9)]},  # rows of scores with zeros, one all zero
    "mixed": {(0, 1): [(0, -0.6)], (0, 2): [(0, 0.4)], (1, 1): [(0, 0.3)], (1, 2): [(0, -0.2)]},
    "positive": {(0, 1): [(0, 0.1)], (0, 2): [(0, 0.3)], (1, 1): [(0, 0.2)], (1, 2): [(0, 0.25)]},
}
# name: (op, leaves, classes or targets, base values)
TREE_NODES = {"c3": ("TreeEnsembleClassifier", "three", 3, None),
              "c3base": ("TreeEnsembleClassifier", "three", 3, [0.1, -0.2, 0.3]),
              "c3zeros": ("TreeEnsembleClassifier", "zeros", 3, None),
              "c2mixed": ("TreeEnsembleClassifier", "mixed", 2, None),
              "c2positive": ("TreeEnsembleClassifier", "positive", 2, None),
              "c2base": ("TreeEnsembleClassifier", "mixed", 2, [0.2]),
              "r3": ("TreeEnsembleRegressor", "three", 3, None),
              "r3zeros": ("TreeEnsembleRegressor", "zeros", 3, None),
              "r1": ("TreeEnsembleRegressor", "mixed", 1, None)}
SKL = ("gbc2", "gbc3", "rfc3", "gbr", "dt_str", "gbc_str", "svc_str", "lr_str", "lr_str2")


def tree_node(name: str, post: str):
    """The ONNX model of one hand-made tree node (TREE_NODES[name]) under post transform `post`."""
    from onnx import TensorProto as T

    from .checks import ml_model

    op, leaves, n, base = TREE_NODES[name]
    prefix = "class" if op == "TreeEnsembleClassifier" else "target"
    ids, tid, nid, ws = [], [], [], []
    for (t, node), entries in _LEAVES[leaves].items():
        for k, v in entries:
            tid.append(t), nid.append(node), ids.append(k), ws.append(v)
    a = dict(_TREES, post_transform=post, **{f"{prefix}_treeids": tid, f"{prefix}_nodeids": nid,
                                            f"{prefix}_ids": ids, f"{prefix}_weights": ws})
    if base:
        a["base_values"] = base
    if prefix == "class":
        a["classlabels_int64s"] = list(range(n))
        return ml_model(op, a, X_TREE, [("L", T.INT64, [6]), ("S", T.FLOAT, [6, n])])
    return ml_model(op, dict(a, n_targets=n), X_TREE, [("Y", T.FLOAT, [6, n])])


def _skl_models():
    from skl2onnx import to_onnx
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(23)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y2, y3 = (x[:, 0] + x[:, 1] > 0).astype(int), np.digitize(x[:, 0] - x[:, 2], [-0.5, 0.5])
    yr, ys = (x[:, 0] * 2 + np.sin(x[:, 1])).astype(np.float32), np.array(["cat", "dog", "emu"])[y3]
    gb = dict(n_estimators=5, max_depth=2, random_state=0)
    models = {"gbc2": GradientBoostingClassifier(**gb).fit(x, y2), "gbc3": GradientBoostingClassifier(**gb).fit(x, y3),
              "rfc3": RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(x, y3),
              "gbr": GradientBoostingRegressor(**gb).fit(x, yr),
              "dt_str": DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, ys),
              "gbc_str": GradientBoostingClassifier(**gb).fit(x, ys),
              "svc_str": SVC(probability=True, random_state=0).fit(x, ys), "lr_str": LogisticRegression().fit(x, ys),
              "lr_str2": LogisticRegression().fit(x, np.array(["no", "yes"])[y2])}
    for name in SKL:
        opts = {"zipmap": False} if hasattr(models[name], "classes_") else None
        yield name, to_onnx(models[name], x[:1], target_opset={"": 17, "ai.onnx.ml": 3}, options=opts), x[:8]


def main():
    import onnxruntime as ort

    out = {}
    for name, onx, x in _skl_models():
        got = ort.InferenceSession(onx.SerializeToString()).run(None, {"X": x})
        out.update({f"{name}/onnx": np.frombuffer(onx.SerializeToString(), np.uint8), f"{name}/x": x})
        out.update({f"{name}/ort{i}": g.astype(str) if g.dtype == object else g for i, g in enumerate(got)})
    for name in TREE_NODES:
        for post in POSTS:
            got = ort.InferenceSession(tree_node(name, post).SerializeToString()).run(None, {"X": X_TREE})
            out.update({f"{name}/{post}/ort{i}": g for i, g in enumerate(got)})
    np.savez_compressed("tests/importers/data/zoo23_ort.npz", **out)


if __name__ == "__main__":
    main()
