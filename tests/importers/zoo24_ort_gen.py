"""Writes tests/importers/data/zoo24_ort.npz: onnxruntime's answers for hand-made ai.onnx.ml nodes under the PROBIT
post transform (TreeEnsembleClassifier / Regressor, LinearClassifier, SVMClassifier in its forms), and for legacy
opset 7-9 forms (Slice-1, Pad-2, Upsample-7 / 9) that onnx.reference does not run. Needs onnxruntime
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


X_LEGACY = np.random.default_rng(24).normal(size=(2, 3, 5, 4))
LEGACY = [(9, "nearest", "constant"), (9, "linear", "reflect"), (7, "nearest", "edge"), (8, "linear", "edge")]


def legacy_model(opset: int, up: str, pad: str, double: bool = False):
    """Slice-1 (starts / ends / axes attributes, an end past the axis), Pad-2 (pads attribute, `pad` mode),
    Upsample (scales [1, 1, 2, 1.5]: an input at opset 9, the attribute at 7-8; `up` mode), tanh; float32 (onnxruntime
    has no float64 Upsample) or float64."""
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    scales = [1.0, 1.0, 2.0, 1.5]
    nodes = [oh.make_node("Slice", ["x"], ["s"], starts=[0, 1, 1], ends=[2, 4, 100], axes=[1, 2, 3]),
             oh.make_node("Pad", ["s"], ["p"], pads=[0, 0, 1, 2, 0, 0, 2, 1], mode=pad)]
    inits = [nh.from_array(np.array(scales, np.float32), "scales")] if opset >= 9 else []
    nodes.append(oh.make_node("Upsample", ["p", "scales"], ["u"], mode=up) if opset >= 9 else
                 oh.make_node("Upsample", ["p"], ["u"], mode=up, scales=scales))
    nodes.append(oh.make_node("Tanh", ["u"], ["y"]))
    vi = oh.make_tensor_value_info
    t = T.DOUBLE if double else T.FLOAT
    g = oh.make_graph(nodes, "legacy", [vi("x", t, list(X_LEGACY.shape))], [vi("y", t, None)], inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)], ir_version=7)


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
    for opset, up, pad in LEGACY:
        model = legacy_model(opset, up, pad)
        out[f"legacy{opset}_{up}_{pad}/ort0"] = ort.InferenceSession(model.SerializeToString()).run(
            None, {"x": X_LEGACY.astype(np.float32)})[0]
    np.savez_compressed("tests/importers/data/zoo24_ort.npz", **out)


if __name__ == "__main__":
    main()
