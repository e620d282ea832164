"""Writes tests/importers/data/zoo20_sklearn.npz: scikit-learn tree ensembles and SVMs exported by skl2onnx (the ONNX
bytes as uint8), their inputs (a NaN row for the trees' missing-value branches) and onnxruntime's outputs on them.
Needs scikit-learn, skl2onnx and onnxruntime (not in the project's environment; made with scikit-learn 1.9.1,
skl2onnx 1.20.0, onnxruntime 1.32.0): `python -m tests.importers.zoo20_sklearn_gen` from the repository root."""
import numpy as np


def _models():
    from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, SVR

    return {"rf_reg": RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0),
            "rf_cls2": RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0),
            "rf_cls3": RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0),
            "gb_reg": GradientBoostingRegressor(n_estimators=8, max_depth=3, random_state=0),
            "gb_cls2": GradientBoostingClassifier(n_estimators=6, max_depth=2, random_state=0),
            "gb_cls3": GradientBoostingClassifier(n_estimators=4, max_depth=2, random_state=0),
            "svr_rbf": make_pipeline(StandardScaler(), SVR(C=3.0, gamma=0.4)),
            "svr_poly": SVR(kernel="poly", degree=3, gamma=0.3, coef0=1.0),
            "svc_rbf2": SVC(gamma=0.5), "svc_rbf3": SVC(gamma=0.5), "svc_lin3": SVC(kernel="linear")}


def main():
    import onnxruntime as ort
    from skl2onnx import to_onnx

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    targets = {"reg": x @ np.array([1.0, -2, 0.5, 3]) + 0.1, "cls2": (x[:, 0] + x[:, 1] > 0).astype(int),
               "cls3": rng.integers(0, 3, 60)}
    xt = np.concatenate([x[:7], rng.normal(size=(5, 4)).astype(np.float32)])
    xt[8, 1] = np.nan  # a missing value (the trees' nodes_missing_value_tracks_true)
    out = {}
    for name, model in _models().items():
        kind = "reg" if name.endswith(("reg", "rbf", "poly")) else name[-4:] if "cls" in name else f"cls{name[-1]}"
        model.fit(x, targets[kind])
        est = model.steps[-1][1] if hasattr(model, "steps") else model
        opts = {id(est): {"zipmap": False}} if kind != "reg" else None
        onx = to_onnx(model, x[:1], target_opset={"": 17, "ai.onnx.ml": 3}, options=opts)
        xs = xt if name[:2] in ("rf", "gb") else xt[np.isfinite(xt).all(1)]
        sess = ort.InferenceSession(onx.SerializeToString())
        got = sess.run(None, {sess.get_inputs()[0].name: xs})
        out.update({f"{name}/onnx": np.frombuffer(onx.SerializeToString(), np.uint8), f"{name}/x": xs})
        out.update({f"{name}/ort{i}": g for i, g in enumerate(got)})
    np.savez_compressed("tests/importers/data/zoo20_sklearn.npz", **out)


if __name__ == "__main__":
    main()
