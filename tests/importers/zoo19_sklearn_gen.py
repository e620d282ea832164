"""Writes tests/importers/data/zoo19_sklearn.npz: scikit-learn pipelines exported by skl2onnx (the ONNX bytes as
uint8), their inputs, scikit-learn's own outputs and the fitted parameters test_zoo19 rebuilds them from in torch.
Needs scikit-learn and skl2onnx (not in the project's environment; made with scikit-learn 1.9.1, skl2onnx 1.20.0):
`python -m tests.importers.zoo19_sklearn_gen` from the repository root."""
import numpy as np


def _pipelines(rng):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Binarizer, MinMaxScaler, Normalizer, OneHotEncoder, StandardScaler

    x = rng.normal(size=(40, 4)).astype(np.float32)
    y3, y2 = rng.integers(0, 3, 40), (x[:, 0] + x[:, 1] > 0).astype(int)
    yr = x @ np.array([1.0, -2, 0.5, 3]) + 0.1
    xc = np.concatenate([rng.integers(0, 3, (40, 1)), x[:, :3]], 1).astype(np.float32)  # column 0: a category
    onehot = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), [0]), ("num", "passthrough", [1, 2, 3])])
    return {"scale_logreg3": (make_pipeline(StandardScaler(), LogisticRegression()), x, y3),
            "minmax_logreg2": (make_pipeline(MinMaxScaler(), LogisticRegression()), x, y2),
            "impute_norm_ridge": (make_pipeline(SimpleImputer(), Normalizer(), Ridge()), x, yr),
            "binarize_linreg": (make_pipeline(Binarizer(threshold=0.1), LinearRegression()), x, yr),
            "onehot_linreg": (make_pipeline(onehot, LinearRegression()), xc, yr)}


def main():
    from skl2onnx import to_onnx

    rng = np.random.default_rng(0)
    out = {}
    for name, (pipe, x, y) in _pipelines(rng).items():
        pipe.fit(x, y)
        opts = {id(pipe.steps[-1][1]): {"zipmap": False}} if "logreg" in name else None
        onx = to_onnx(pipe, x[:1], target_opset={"": 17, "ai.onnx.ml": 3}, options=opts)
        xt = x[:5].copy()
        if name.startswith("impute"):
            xt[1, 2] = xt[3, 0] = np.nan  # imputed with the training means
        out[f"{name}/onnx"] = np.frombuffer(onx.SerializeToString(), np.uint8)
        out[f"{name}/x"] = xt
        if "logreg" in name:
            out[f"{name}/label"], out[f"{name}/proba"] = pipe.predict(xt), pipe.predict_proba(xt).astype(np.float32)
        else:
            out[f"{name}/y"] = pipe.predict(xt).astype(np.float32)
        if name == "scale_logreg3":
            sc, lr = pipe[0], pipe[1]
            out.update({f"{name}/mean": sc.mean_, f"{name}/scale": sc.scale_, f"{name}/coef": lr.coef_,
                        f"{name}/intercept": lr.intercept_})
    np.savez_compressed("tests/importers/data/zoo19_sklearn.npz", **out)


if __name__ == "__main__":
    main()
