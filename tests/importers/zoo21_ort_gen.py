"""Writes tests/importers/data/zoo21_ort.npz: scikit-learn classifiers exported by skl2onnx that round 20 left (SVC with
probability=True, 2 and 3 classes; binary decision tree, extra trees and AdaBoost) and a small CNN quantised by
onnxruntime's quantize_static in the QDQ format (per tensor uint8, per channel int8): the ONNX bytes (uint8), the
inputs and onnxruntime's outputs on them (graph optimisations off for the QDQ models: the op's own semantics). Needs
scikit-learn, skl2onnx and onnxruntime (not in the project's environment; made with scikit-learn 1.9.1, skl2onnx
1.20.0, onnxruntime 1.32.0, torch 2.13): `python -m tests.importers.zoo21_ort_gen` from the repository root."""
import io

import numpy as np


def _models():
    from sklearn.ensemble import AdaBoostClassifier, ExtraTreesClassifier
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    return {"svc_prob2": SVC(gamma=0.5, probability=True, random_state=0),
            "svc_prob3": SVC(gamma=0.5, probability=True, random_state=0),
            "dt_cls2": DecisionTreeClassifier(max_depth=3, random_state=0),
            "et_cls2": ExtraTreesClassifier(n_estimators=4, max_depth=3, random_state=0),
            "ada_cls2": AdaBoostClassifier(n_estimators=4, random_state=0)}


def main():
    import onnxruntime as ort
    from skl2onnx import to_onnx

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    targets = {2: (x[:, 0] + x[:, 1] > 0).astype(int), 3: rng.integers(0, 3, 60)}
    xt = np.concatenate([x[:7], rng.normal(size=(5, 4)).astype(np.float32)])
    out = {}
    for name, model in _models().items():
        model.fit(x, targets[int(name[-1])])
        onx = to_onnx(model, x[:1], target_opset={"": 17, "ai.onnx.ml": 3}, options={id(model): {"zipmap": False}})
        sess = ort.InferenceSession(onx.SerializeToString())
        got = sess.run(None, {sess.get_inputs()[0].name: xt})
        out.update({f"{name}/onnx": np.frombuffer(onx.SerializeToString(), np.uint8), f"{name}/x": xt})
        out.update({f"{name}/ort{i}": g for i, g in enumerate(got)})
    out.update(_qdq_models())
    out.update(_svm_nodes())
    np.savez_compressed("tests/importers/data/zoo21_ort.npz", **out)


X_SVM = np.array([[0.5, -1.0], [2.0, 0.3], [-1.5, 0.2], [0.0, 0.0], [0.3, 0.9], [-0.2, -0.1]], np.float32)


def svm_node_cases():
    """Hand-made SVMClassifier nodes: the linear mode (no support vectors; 3 classes, and 2 with all-positive and
    mixed-sign coefficients, rho on either side of the binary rule's cuts) and a 3-class RBF SVC, each post
    transform."""
    from onnx import TensorProto as T

    from .checks import ml_model

    lin3 = [1.0, -0.5, -0.3, 0.8, 0.2, 0.1]
    svc = dict(vectors_per_class=[1, 1, 1], support_vectors=[0.0, 1, 1, 0, 1, 1], kernel_type="RBF",
               coefficients=[1.0, -1, 0.5, 0.3, -0.2, 0.7], rho=[0.1, 0.2, 0.3], kernel_params=[0.5, 0, 3])
    cases = []
    for post in ("NONE", "SOFTMAX", "LOGISTIC"):
        cases.append(dict(classlabels_ints=[0, 1, 2], coefficients=lin3, rho=[0.1, 0.2, -0.3], post_transform=post))
        for co in ([0.3, 0.2, 0.1, 0.4], [1.0, -0.5, -0.3, 0.8], [0.0, 0.2, 0.1, 0.4]):
            cases += [dict(classlabels_ints=[4, 9], coefficients=co, rho=[r], post_transform=post) for r in (-0.6, 0.1)]
        cases.append(dict(svc, classlabels_ints=[0, 1, 2], post_transform=post))
    models = []
    for a in cases:
        a = dict({"kernel_type": "LINEAR", "kernel_params": [0.0, 0.0, 0.0]}, **a)
        n = len(a["classlabels_ints"])
        models.append(ml_model("SVMClassifier", a, X_SVM, [("L", T.INT64, [6]), ("S", T.FLOAT, [6, n])]))
    return models


def _svm_nodes():
    import onnxruntime as ort

    out = {}
    for i, model in enumerate(svm_node_cases()):
        got = ort.InferenceSession(model.SerializeToString()).run(None, {"X": X_SVM})
        out.update({f"svm_node{i}/ort0": got[0], f"svm_node{i}/ort1": got[1]})
    return out


def _qdq_models():
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    torch.manual_seed(21)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 5 * 5, 3)).eval()
    x = torch.randn(4, 2, 5, 5)
    buf = io.BytesIO()
    torch.onnx.export(net, (x,), buf, dynamo=False, opset_version=17, input_names=["x"])
    calib = [{"x": torch.randn(4, 2, 5, 5).numpy()} for _ in range(8)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(calib)

        def get_next(self):
            return next(self.it, None)

    out = {}
    for name, per_channel, act in (("qdq_tensor_u8", False, QuantType.QUInt8), ("qdq_channel_s8", True,
                                                                                   QuantType.QInt8)):
        with open("/tmp/zoo21_fp.onnx", "wb") as f:
            f.write(buf.getvalue())
        quantize_static("/tmp/zoo21_fp.onnx", "/tmp/zoo21_qdq.onnx", Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=per_channel, activation_type=act, weight_type=QuantType.QInt8)
        with open("/tmp/zoo21_qdq.onnx", "rb") as f:
            raw = f.read()
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        got = ort.InferenceSession(raw, so).run(None, {"x": x.numpy()})
        out.update({f"{name}/onnx": np.frombuffer(raw, np.uint8), f"{name}/x": x.numpy(), f"{name}/ort0": got[0]})
    return out


if __name__ == "__main__":
    main()
