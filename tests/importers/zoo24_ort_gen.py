"""Writes tests/importers/data/zoo24_ort.npz: onnxruntime's answers for hand-made ai.onnx.ml nodes under the PROBIT
post transform (TreeEnsembleClassifier / Regressor, LinearClassifier, SVMClassifier in its forms). Needs onnxruntime
(not in the project's environment; made with onnxruntime 1.32.0 in a venv beside it):
`python -m tests.importers.zoo24_ort_gen` from the repository root."""
import numpy as np

# scores that reach PROBIT's domain edges: 0 and 1 (+-inf), 0.5 (0), outside [0, 1] (NaN), inside
X_LIN = np.array([[0.5, -1.0], [2.0, 0.3], [-1.5, 0.2], [0.0, 0.0], [0.3, 0.9], [0.1, -0.1], [0.25, 0.0]], np.float32)


def probit_cases():
    """name -> ONNX model, each a node under post_transform PROBIT (the input: X_LIN for the linear and SVM nodes,
    zoo23's X_TREE for the trees)."""
    from onnx import TensorProto as T

    from .checks import ml_model
    from .zoo21_ort_gen import X_SVM
    from .zoo23_ort_gen import TREE_NODES, tree_node

    cases = {f"tree_{name}": tree_node(name, "PROBIT") for name in TREE_NODES}
    lin = dict(coefficients=[0.4, 0.1, -0.2, 0.3, 0.1, -0.4], intercepts=[0.5, 0.25, 0.0], classlabels_ints=[0, 1, 2],
               post_transform="PROBIT")
    cases["linear3"] = ml_model("LinearClassifier", lin, X_LIN, [("L", T.INT64, [7]), ("S", T.FLOAT, [7, 3])])
    cases["linear2"] = ml_model("LinearClassifier", dict(lin, coefficients=[0.4, 0.1], intercepts=[0.5],
                                                         classlabels_ints=[3, 7]),
                                X_LIN, [("L", T.INT64, [7]), ("S", T.FLOAT, [7, 2])])
    svc3 = dict(vectors_per_class=[1, 1, 1], support_vectors=[0.0, 1, 1, 0, 1, 1], kernel_type="RBF",
                kernel_params=[0.5, 0.0, 3.0], coefficients=[1.0, -1, 0.5, 0.3, -0.2, 0.7], rho=[0.1, 0.2, 0.3],
                classlabels_ints=[0, 1, 2], post_transform="PROBIT")
    two = dict(vectors_per_class=[1, 2], support_vectors=[0.0, 1, 1, 0, 1, 1], kernel_type="RBF",
               kernel_params=[0.5, 0.0, 3.0], coefficients=[1.0, -0.6, -0.4], rho=[0.1], classlabels_ints=[0, 1],
               post_transform="PROBIT")
    lin_svm = dict(kernel_type="LINEAR", kernel_params=[0.0, 0.0, 0.0], classlabels_ints=[0, 1, 2],
                   coefficients=[0.4, -0.3, -0.2, 0.3, 0.1, 0.2], rho=[0.3, 0.2, -0.3], post_transform="PROBIT")
    for name, a in {"svm3": svc3, "svm3prob": dict(svc3, prob_a=[-1.5, -0.8, -2.0], prob_b=[0.1, -0.2, 0.05]),
                    "svm2": two, "svm2prob": dict(two, prob_a=[-1.5], prob_b=[0.1]), "svm_linear3": lin_svm,
                    "svm_linear2": dict(lin_svm, classlabels_ints=[4, 9], coefficients=[0.3, 0.2, 0.1, 0.4],
                                        rho=[0.1])}.items():
        n = len(a["classlabels_ints"])
        cases[name] = ml_model("SVMClassifier", a, X_SVM, [("L", T.INT64, [6]), ("S", T.FLOAT, [6, n])])
    return cases


def case_input(name):
    from .zoo21_ort_gen import X_SVM
    from .zoo23_ort_gen import X_TREE

    return X_TREE if name.startswith("tree_") else X_LIN if name.startswith("linear") else X_SVM


def main():
    import onnxruntime as ort

    out = {}
    for name, model in probit_cases().items():
        try:
            got = ort.InferenceSession(model.SerializeToString()).run(None, {"X": case_input(name)})
        except Exception as e:  # noqa: BLE001  (kept as the answer: onnxruntime refuses the node)
            out[f"{name}/error"] = np.array(f"{type(e).__name__}: {e}"[:300])
            continue
        out.update({f"{name}/ort{i}": g for i, g in enumerate(got)})
    np.savez_compressed("tests/importers/data/zoo24_ort.npz", **out)


if __name__ == "__main__":
    main()
