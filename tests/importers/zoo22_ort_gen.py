"""Writes tests/importers/data/zoo22_ort.npz: skl2onnx's default exports (ZipMap kept) of a binary decision tree, a
3-class SVC(probability=True) and a 3-class logistic regression, with onnxruntime's label output and its sequence of
maps as a [N, k] array (keys in order); and hand-made SVMClassifier nodes with probabilities or two classes under each
post transform, with onnxruntime's outputs. Needs scikit-learn, skl2onnx and onnxruntime (not in the project's
environment; made with scikit-learn 1.9.1, skl2onnx 1.20.0, onnxruntime 1.32.0): `python -m
tests.importers.zoo22_ort_gen` from the repository root."""
import numpy as np

from .zoo21_ort_gen import X_SVM

POSTS = ("NONE", "SOFTMAX", "LOGISTIC")


def _zipmap_models():
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(22)
    x = rng.normal(size=(30, 3)).astype(np.float32)
    y2, y3 = (x[:, 0] > 0).astype(int), rng.integers(0, 3, 30)
    models = {"zip_tree2": DecisionTreeClassifier(max_depth=2, random_state=0).fit(x, y2),
              "zip_svc3": SVC(probability=True, random_state=0).fit(x, y3),
              "zip_logreg3": LogisticRegression().fit(x, y3)}
    out = {}
    for name, model in models.items():
        onx = to_onnx(model, x[:1], target_opset={"": 17, "ai.onnx.ml": 3})  # skl2onnx's default: ZipMap
        label, maps = ort.InferenceSession(onx.SerializeToString()).run(None, {"X": x[:6]})
        out.update({f"{name}/onnx": np.frombuffer(onx.SerializeToString(), np.uint8), f"{name}/x": x[:6],
                    f"{name}/ort0": label,
                    f"{name}/maps": np.asarray([[m[k] for k in sorted(m)] for m in maps], np.float32)})
    return out


def svm_post_cases():
    """SVMClassifier nodes (RBF) with probabilities (3 and 2 classes) and with two classes and no probabilities (two
    coefficient signs), each under NONE / SOFTMAX / LOGISTIC."""
    from onnx import TensorProto as T

    from .checks import ml_model

    svc3 = dict(vectors_per_class=[1, 1, 1], support_vectors=[0.0, 1, 1, 0, 1, 1], coefficients=[1.0, -1, 0.5, 0.3,
                -0.2, 0.7], rho=[0.1, 0.2, 0.3], classlabels_ints=[0, 1, 2], prob_a=[-1.5, -0.8, -2.0],
                prob_b=[0.1, -0.2, 0.05])
    two = dict(vectors_per_class=[1, 2], support_vectors=[0.0, 1, 1, 0, 1, 1], coefficients=[1.0, -0.6, -0.4],
               rho=[0.1], classlabels_ints=[0, 1])
    bases = [svc3, dict(two, prob_a=[-1.5], prob_b=[0.1]), two, dict(two, coefficients=[-1.0, 0.6, 0.4], rho=[-0.4])]
    models = []
    for post in POSTS:
        for b in bases:
            a = dict(b, kernel_type="RBF", kernel_params=[0.5, 0.0, 3.0], post_transform=post)
            n = len(a["classlabels_ints"])
            models.append(ml_model("SVMClassifier", a, X_SVM, [("L", T.INT64, [6]), ("S", T.FLOAT, [6, n])]))
    return models


def main():
    import onnxruntime as ort

    out = _zipmap_models()
    for i, model in enumerate(svm_post_cases()):
        got = ort.InferenceSession(model.SerializeToString()).run(None, {"X": X_SVM})
        out.update({f"svm_post{i}/ort0": got[0], f"svm_post{i}/ort1": got[1]})
    np.savez_compressed("tests/importers/data/zoo22_ort.npz", **out)


if __name__ == "__main__":
    main()
