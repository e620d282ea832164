"""Writes tests/importers/data/zoo25_ort.npz: onnxruntime's answers for round 25's hand-made ONNX models
(benchmarks/IMPORT_ZOO.md, Round 25): graphs written the way tf2onnx writes TensorFlow models (TensorFlow and tf2onnx
are not installed), opset 7-13 legacy forms, and the one-column PROBIT LinearClassifier at several batches. Needs
onnxruntime (not in the project's environment; made with onnxruntime 1.32.0 in a venv beside it):
`python -m tests.importers.zoo25_ort_gen` from the repository root."""
import numpy as np

X_NHWC = np.random.default_rng(25).normal(size=(2, 8, 8, 3))
X_SEQ = np.random.default_rng(26).normal(size=(2, 4, 6))


def tf_weights(seed: int = 0) -> dict:
    """The tf2onnx-style convnet's weights (float64; cast to the model's type)."""
    r = np.random.default_rng(seed)
    return {"conv1/W": r.normal(0, 0.4, (4, 3, 3, 3)), "conv1/B": r.normal(0, 0.1, 4),
            "bn/scale": r.uniform(0.5, 1.5, 4), "bn/B": r.normal(0, 0.1, 4),
            "conv2/W": r.normal(0, 0.3, (6, 4, 3, 3)), "conv2/B": r.normal(0, 0.1, 6),
            "dense/W": r.normal(0, 0.2, (24, 5)), "dense/B": r.normal(0, 0.1, 5),
            "einsum/W": r.normal(0, 0.5, (5, 3))}


TF_FROZEN = {"bn/mean": np.array([0.1, -0.2, 0.05, 0.0]), "bn/var": np.array([0.8, 1.3, 0.5, 1.0])}


def _axes(oh, op, x, y, axes, opset, name):
    """Squeeze / Unsqueeze: axes as an int64 input (opset 13, as tf2onnx writes it there) or an attribute (11)."""
    if opset >= 13:
        return [oh.make_node(op, [x, name], [y])], [(name, np.array(axes, np.int64))]
    return [oh.make_node(op, [x], [y], axes=axes)], []


def tf_convnet(opset: int, double: bool = False, weights: dict | None = None):
    """A small Keras-like convnet as tf2onnx writes it: NHWC input with a dynamic batch, Transpose pairs around each
    Conv / BatchNormalization (FusedBatchNorm) / MaxPool, Identity chains, Relu6 as Clip with min / max inputs, the
    flatten's shape computed at run time (Shape, Gather, Unsqueeze, Concat, Reshape), Cast chains, a constant
    column mask through NonZero, Squeeze / Unsqueeze (axes an input at opset 13, an attribute at 11), a
    keepdims ReduceMean, Einsum (MatMul at 11), Where, Range / ConstantOfShape / Expand from the run-time shape."""
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    dt, t = (np.float64, T.DOUBLE) if double else (np.float32, T.FLOAT)
    w = {k: v.astype(dt) for k, v in (weights or tf_weights()).items()}
    consts = {k: v.astype(dt) for k, v in TF_FROZEN.items()}
    consts.update({"zero": np.array(0.0, dt), "six": np.array(6.0, dt), "tenth": np.array(0.1, dt),
                   "idx0": np.array(0, np.int64), "flat": np.array([24], np.int64), "one_i": np.array(1, np.int64),
                   "zero_i": np.array(0, np.int64), "colmask": np.array([1, 0, 1, 1, 0], bool)})
    n = oh.make_node
    nodes = [n("Identity", ["x"], ["x/read"]), n("Identity", ["x/read"], ["x/id"]),
             n("Transpose", ["x/id"], ["c1/in"], perm=[0, 3, 1, 2]),
             n("Conv", ["c1/in", "conv1/W", "conv1/B"], ["c1/out"], auto_pad="SAME_UPPER", kernel_shape=[3, 3]),
             n("Transpose", ["c1/out"], ["c1/nhwc"], perm=[0, 2, 3, 1]),
             n("Transpose", ["c1/nhwc"], ["bn/in"], perm=[0, 3, 1, 2]),
             n("BatchNormalization", ["bn/in", "bn/scale", "bn/B", "bn/mean", "bn/var"], ["bn/out"], epsilon=0.001),
             n("Transpose", ["bn/out"], ["bn/nhwc"], perm=[0, 2, 3, 1]),
             n("Clip", ["bn/nhwc", "zero", "six"], ["relu6"]),
             n("Transpose", ["relu6"], ["p/in"], perm=[0, 3, 1, 2]),
             n("MaxPool", ["p/in"], ["p/out"], kernel_shape=[2, 2], strides=[2, 2]),
             n("Transpose", ["p/out"], ["p/nhwc"], perm=[0, 2, 3, 1]),
             n("Transpose", ["p/nhwc"], ["c2/in"], perm=[0, 3, 1, 2]),
             n("Conv", ["c2/in", "conv2/W", "conv2/B"], ["c2/out"], pads=[0, 0, 1, 1], strides=[2, 2],
               kernel_shape=[3, 3]),
             n("Transpose", ["c2/out"], ["c2/nhwc"], perm=[0, 2, 3, 1]),  # [N, 2, 2, 6]
             n("Elu", ["c2/nhwc"], ["elu"]),
             # flatten: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [24]))
             n("Shape", ["elu"], ["shape"]), n("Gather", ["shape", "idx0"], ["batch"], axis=0)]
    inits = []
    more, i = _axes(oh, "Unsqueeze", "batch", "batch1", [0], opset, "unsq_axes")
    nodes += more
    inits += i
    nodes += [n("Concat", ["batch1", "flat"], ["flat_shape"], axis=0),
              n("Reshape", ["elu", "flat_shape"], ["flat_x"]),
              n("Cast", ["flat_x"], ["flat_d"], to=T.DOUBLE), n("Cast", ["flat_d"], ["flat_c"], to=t),
              n("MatMul", ["flat_c", "dense/W"], ["dense/mm"]), n("Add", ["dense/mm", "dense/B"], ["logits"]),
              n("ReduceMean", ["logits"], ["lmean"], axes=[1], keepdims=1), n("Sub", ["logits", "lmean"], ["cent"]),
              n("Greater", ["cent", "zero"], ["pos"]), n("Mul", ["cent", "tenth"], ["leak"]),
              n("Where", ["pos", "cent", "leak"], ["act"]),
              # Einsum from opset 12 (tf2onnx writes MatMul before)
              n("Einsum", ["act", "einsum/W"], ["proj"], equation="bi,ij->bj") if opset >= 12 else
              n("MatMul", ["act", "einsum/W"], ["proj"]),  # [N, 3]
              # tf.boolean_mask on a constant mask: NonZero of a constant, folded
              n("NonZero", ["colmask"], ["nz"])]
    more, i = _axes(oh, "Squeeze", "nz", "cols", [0], opset, "sq_axes")
    nodes += more
    inits += i
    nodes += [n("Gather", ["act", "cols"], ["picked"], axis=1),  # [N, 3]
              n("Add", ["proj", "picked"], ["sum3"])]
    more, i = _axes(oh, "Unsqueeze", "sum3", "sum3e", [1], opset, "unsq1_axes")
    nodes += more
    inits += i
    # positions 0..2 from the run-time shape: Range(0, Cast(Gather(Shape, -1)), 1), scaled, Expand-ed; a
    # ConstantOfShape(Shape) of 0.5 beside them
    nodes += [n("Shape", ["sum3e"], ["s3"]), n("Gather", ["s3", "two_i"], ["ncols"], axis=0),
              n("Range", ["zero_i", "ncols", "one_i"], ["rng"]), n("Cast", ["rng"], ["rngf"], to=t),
              n("Mul", ["rngf", "tenth"], ["pos_enc"]), n("Expand", ["pos_enc", "s3"], ["pos_b"]),
              n("ConstantOfShape", ["s3"], ["halves"], value=oh.make_tensor("v", t, [1], [0.5])),
              n("Mul", ["sum3e", "halves"], ["scaled"]), n("Add", ["scaled", "pos_b"], ["withpos"]),
              n("Tanh", ["withpos"], ["th"])]
    consts["two_i"] = np.array(2, np.int64)
    more, i = _axes(oh, "Squeeze", "th", "sq", [1], opset, "sq1_axes")
    nodes += more
    inits += i
    nodes += [n("Identity", ["sq"], ["y/id"]), n("Identity", ["y/id"], ["y"])]
    inits = [nh.from_array(v, k) for k, v in list(w.items()) + list(consts.items()) + inits]
    vi = oh.make_tensor_value_info
    g = oh.make_graph(nodes, "tf2onnx_convnet", [vi("x", t, ["unk__0", 8, 8, 3])], [vi("y", t, ["unk__1", 3])],
                      inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)], ir_version=7,
                         producer_name="tf2onnx-style (hand-made)")


def tf_control_weights(seed: int = 1) -> dict:
    r = np.random.default_rng(seed)
    return {"rnn/W": r.normal(0, 0.4, (6, 6)), "rnn/U": r.normal(0, 0.4, (6, 6)), "rnn/b": r.normal(0, 0.1, 6)}


def tf_control(double: bool = False, weights: dict | None = None):
    """tf.while_loop and tf.cond as tf2onnx writes them (opset 13): a Loop over the time axis whose trip count is
    the run-time length (Shape / Gather / Cast) and whose body re-computes its condition (Less of the counter + 1,
    with Cast chains) and Gathers step i of the outer input; then an If on a run-time condition (ReduceSum > 0)
    whose branches read outer-scope values."""
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    dt, t = (np.float64, T.DOUBLE) if double else (np.float32, T.FLOAT)
    w = {k: v.astype(dt) for k, v in (weights or tf_control_weights()).items()}
    n, vi = oh.make_node, oh.make_tensor_value_info
    body = oh.make_graph(
        [n("Identity", ["cond_in"], ["cond_id"]),
         n("Gather", ["x", "i"], ["x_t"], axis=1),  # [N, 6], the outer scope's x
         n("MatMul", ["x_t", "rnn/W"], ["xw"]), n("MatMul", ["h_in", "rnn/U"], ["hu"]),
         n("Add", ["xw", "hu"], ["pre0"]), n("Add", ["pre0", "rnn/b"], ["pre"]), n("Tanh", ["pre"], ["h_out"]),
         n("Add", ["i", "one_i"], ["i1"]), n("Cast", ["i1"], ["i1_32"], to=T.INT32),
         n("Cast", ["steps"], ["steps32"], to=T.INT32), n("Less", ["i1_32", "steps32"], ["cond_out"]),
         n("Identity", ["h_out"], ["h_scan"])],
        "while_body", [vi("i", T.INT64, []), vi("cond_in", T.BOOL, []), vi("h_in", t, None)],
        [vi("cond_out", T.BOOL, []), vi("h_out", t, None), vi("h_scan", t, None)])
    then_g = oh.make_graph([n("Mul", ["h_last", "two"], ["then_y"])], "then", [], [vi("then_y", t, None)])
    else_g = oh.make_graph([n("Sin", ["h_last"], ["s"]), n("Sub", ["s", "h_mean"], ["else_y"])], "else", [],
                           [vi("else_y", t, None)])
    nodes = [n("Shape", ["x"], ["xs"]), n("Gather", ["xs", "one_i"], ["steps"], axis=0),
             n("Cast", ["steps"], ["steps_f"], to=T.FLOAT), n("Cast", ["steps_f"], ["trip"], to=T.INT64),
             n("Shape", ["x"], ["xs2"]), n("Gather", ["xs2", "zero_i"], ["nb"], axis=0),
             n("Unsqueeze", ["nb", "axes0"], ["nb1"]), n("Concat", ["nb1", "hid"], ["h0_shape"], axis=0),
             n("ConstantOfShape", ["h0_shape"], ["h0"], value=oh.make_tensor("v", t, [1], [0.0])),
             n("Greater", ["trip", "zero_i"], ["cond0"]),
             n("Loop", ["trip", "cond0", "h0"], ["h_last", "h_all"], body=body),  # h_all: [T, N, 6]
             n("ReduceMean", ["h_all"], ["h_mean"], axes=[0], keepdims=0),
             n("ReduceSum", ["h_last"], ["tot"], keepdims=0), n("Greater", ["tot", "zero"], ["c"]),
             n("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)]
    consts = {"zero_i": np.array(0, np.int64), "one_i": np.array(1, np.int64), "axes0": np.array([0], np.int64),
              "hid": np.array([6], np.int64), "two": np.array(2.0, dt), "zero": np.array(0.0, dt)}
    inits = [nh.from_array(v, k) for k, v in list(w.items()) + list(consts.items())]
    g = oh.make_graph(nodes, "tf2onnx_while_cond", [vi("x", t, ["unk__0", "unk__1", 6])], [vi("y", t, None)], inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)], ir_version=7)


def tf_boolean_mask():
    """tf.boolean_mask(x, x > 0) as tf2onnx writes it (NonZero of a run-time mask, Transpose, GatherND): the result's
    length depends on the data: refused naming NonZero."""
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    n, vi = oh.make_node, oh.make_tensor_value_info
    nodes = [n("Greater", ["x", "zero"], ["m"]), n("NonZero", ["m"], ["nz"], name="boolean_mask/Where"),
             n("Transpose", ["nz"], ["idx"], perm=[1, 0]), n("GatherND", ["x", "idx"], ["y"])]
    g = oh.make_graph(nodes, "tf2onnx_boolean_mask", [vi("x", T.FLOAT, [2, 3])], [vi("y", T.FLOAT, None)],
                      [nh.from_array(np.array(0.0, np.float32), "zero")])
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)], ir_version=7)


TF_RESIZE = [(11, "nearest"), (13, "nearest"), (13, "linear")]


def tf_resize(opset: int, mode: str, double: bool = False):
    """tf.image.resize (TF2: half_pixel_centers) to [7, 9] as tf2onnx writes it: Transposes around a Resize by
    sizes with coordinate_transformation_mode tf_half_pixel_for_nn (opsets 11-18; round_prefer_ceil for nearest),
    then x * sin(x) (a gradient that depends on the values)."""
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    t = T.DOUBLE if double else T.FLOAT
    n, vi = oh.make_node, oh.make_tensor_value_info
    nodes = [n("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
             n("Resize", ["t", "roi", "scales", "sizes"], ["r"], mode=mode, nearest_mode="round_prefer_ceil",
               coordinate_transformation_mode="tf_half_pixel_for_nn"),
             n("Transpose", ["r"], ["nhwc"], perm=[0, 2, 3, 1]), n("Sin", ["nhwc"], ["s"]),
             n("Mul", ["nhwc", "s"], ["y"])]
    inits = [nh.from_array(np.zeros(0, np.float32), "roi"), nh.from_array(np.zeros(0, np.float32), "scales"),
             nh.from_array(np.array([2, 3, 7, 9], np.int64), "sizes")]
    g = oh.make_graph(nodes, "tf2onnx_resize", [vi("x", t, [2, 4, 5, 3])], [vi("y", t, None)], inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)], ir_version=7)


X_RESIZE = np.random.default_rng(28).normal(size=(2, 4, 5, 3))
X_BN = np.random.default_rng(27).normal(size=(2, 3, 4, 5))


def legacy_bn_dropout(opset: int, spatial: int | None, double: bool = False):
    """BatchNormalization at opset 7 (the `spatial` attribute: 1, or 0 with per-activation [C, H, W] statistics) or
    9 (no attribute), then Dropout: at opset 7 with its `ratio` attribute, at 12+ with ratio (and training_mode
    false) as inputs; then Sigmoid."""
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    dt, t = (np.float64, T.DOUBLE) if double else (np.float32, T.FLOAT)
    r = np.random.default_rng(3)
    stat = (3,) if spatial in (None, 1) else (3, 4, 5)
    p = {"scale": r.uniform(0.5, 1.5, stat), "B": r.normal(0, 0.2, stat), "mean": r.normal(0, 0.3, stat),
         "var": r.uniform(0.5, 1.5, stat)}
    attrs = {"epsilon": 1e-3} if spatial is None else {"epsilon": 1e-3, "spatial": spatial}
    nodes = [oh.make_node("BatchNormalization", ["x", "scale", "B", "mean", "var"], ["bn"], **attrs)]
    inits = [nh.from_array(v.astype(dt), k) for k, v in p.items()]
    if opset >= 12:
        nodes.append(oh.make_node("Dropout", ["bn", "ratio", "training"], ["dr", "mask"]))
        inits += [nh.from_array(np.array(0.3, dt), "ratio"), nh.from_array(np.array(False), "training")]
    else:
        nodes.append(oh.make_node("Dropout", ["bn"], ["dr"], ratio=0.3))
    nodes.append(oh.make_node("Sigmoid", ["dr"], ["y"]))
    vi = oh.make_tensor_value_info
    g = oh.make_graph(nodes, "legacy_bn", [vi("x", t, list(X_BN.shape))], [vi("y", t, None)], inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)], ir_version=7)


LEGACY_BN = [(7, 1), (7, 0), (9, None), (13, None)]
X_LIN1 = np.array([[0.5, -1.0], [2.0, 0.3], [-1.5, 0.2], [0.0, 0.0], [0.3, 0.9], [0.1, -0.1], [0.25, 0.0]],
                  np.float32)
PROBIT_BATCHES = {"all": list(range(7)), "r0": [0], "r4": [4], "r40": [4, 0], "r04": [0, 4], "r456": [4, 5, 6]}


def probit_one_column(rows: int):
    """A one-column LinearClassifier (two labels) under PROBIT, round 24's hand-made node (checks.ml_model's form,
    written here: checks imports torch and gradserve, which the onnxruntime venv lacks)."""
    from onnx import TensorProto as T
    from onnx import helper as oh

    node = oh.make_node("LinearClassifier", ["X"], ["L", "S"], domain="ai.onnx.ml", coefficients=[0.4, 0.1],
                        intercepts=[0.5], classlabels_ints=[3, 7], post_transform="PROBIT")
    vi = oh.make_tensor_value_info
    g = oh.make_graph([node], "g", [vi("X", T.FLOAT, [rows, 2])], [vi("L", T.INT64, [rows]),
                                                                   vi("S", T.FLOAT, [rows, 2])])
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 17), oh.make_opsetid("ai.onnx.ml", 3)], ir_version=9)


def main():
    import onnxruntime as ort

    def run(model, feed):
        return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feed)

    out = {}
    for opset in (11, 13):
        out[f"tf_convnet{opset}/ort0"] = run(tf_convnet(opset), {"x": X_NHWC.astype(np.float32)})[0]
    out["tf_control/ort0"] = run(tf_control(), {"x": X_SEQ.astype(np.float32)})[0]
    out["tf_control_neg/ort0"] = run(tf_control(), {"x": -X_SEQ.astype(np.float32)})[0]  # the other branch
    for opset, mode in TF_RESIZE:
        out[f"tf_resize{opset}_{mode}/ort0"] = run(tf_resize(opset, mode), {"x": X_RESIZE.astype(np.float32)})[0]
    for opset, spatial in LEGACY_BN:
        out[f"bn{opset}_{spatial}/ort0"] = run(legacy_bn_dropout(opset, spatial), {"x": X_BN.astype(np.float32)})[0]
    for name, rows in PROBIT_BATCHES.items():
        out[f"probit1/{name}"] = run(probit_one_column(len(rows)), {"X": X_LIN1[rows]})[1]
    np.savez_compressed("tests/importers/data/zoo25_ort.npz", **out)


if __name__ == "__main__":
    main()
