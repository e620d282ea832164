"""Round 6's known ONNX gaps, on hand-built graphs: Pow of an integer base, MaxPool's storage_order=1 indices,
QuantizeLinear to float8 / float4 with a zero point computed at run time, a symmetric window of one point.
Expected values from torch and onnx.reference (onnx's own NumPy evaluator), never from our importer."""
import numpy as np
import pytest
import torch
from onnx import TensorProto as T, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import gradserve as gs
from gradserve import Tensor

pytestmark = pytest.mark.usefixtures("fake")
N = helper.make_node
R = np.random.default_rng(6)


def _model(nodes, inputs, outputs, inits=(), opset=21):
    """inputs: {name: array}; outputs: {name: ONNX element type}."""
    ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
           for n, a in inputs.items()]
    outs = [helper.make_tensor_value_info(n, t, None) for n, t in outputs.items()]
    g = helper.make_graph(nodes, "g", ins, outs, [numpy_helper.from_array(a, n) for n, a in inits])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _ours(model, inputs):
    outs = gs.from_onnx(model.SerializeToString())(*[Tensor(a) for a in inputs.values()])
    return [o.asnumpy() for o in (outs if isinstance(outs, (tuple, list)) else [outs])]


@pytest.mark.parametrize("base,exp", [(np.int32, np.int32), (np.int64, np.int64), (np.int64, np.float32),
                                      (np.int32, np.float32), (np.uint8, np.int64)])
def test_pow_of_a_run_time_integer_base_matches_torch_and_onnx_reference(base, exp):
    """Both operands graph inputs (nothing to fold): the result in the base's type. Integer exponents against
    torch's exact integer pow; float exponents (truncated toward zero) against onnx.reference."""
    a = np.array([[0, 1, 2, 3, 7], [5, 9, 11, 2, 13]], base)
    if np.issubdtype(base, np.signedinteger) and exp != np.float32:  # (a negative base's fractional power: nan)
        a[1, :2] = [-3, -2]
    b = np.array([[3, 0, 10, 5, 2], [3, 4, 2, 30, 3]], exp)
    if exp == np.float32:
        b = (b + np.float32(0.5)).astype(exp)
    model = _model([N("Pow", ["a", "b"], ["y"])], {"a": a, "b": b},
                   {"y": helper.np_dtype_to_tensor_dtype(np.dtype(base))})
    (got,) = _ours(model, {"a": a, "b": b})
    assert got.dtype == base
    np.testing.assert_array_equal(got, ReferenceEvaluator(model).run(None, {"a": a, "b": b})[0])
    if exp != np.float32:
        want = torch.pow(torch.from_numpy(a.astype(np.int64)), torch.from_numpy(b.astype(np.int64))).numpy()
        np.testing.assert_array_equal(got, want.astype(base))


@pytest.mark.parametrize("pads,strides", [([0, 0, 0, 0], [1, 1]), ([1, 0, 1, 1], [2, 1])])
def test_max_pool_storage_order_1_indices_are_column_major_as_torch_positions(pads, strides):
    """torch's max_pool2d indices are row-major within each plane (h * W + w); ONNX storage_order=1 stores
    h + w * H plus the plane's start (n * C + c) * H * W. Values drawn distinct (no ties)."""
    n, c, h, w = 2, 3, 5, 4
    x = R.permutation(n * c * h * w).reshape(n, c, h, w).astype(np.float32)
    node = N("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 2], pads=pads, strides=strides, storage_order=1)
    model = _model([node], {"x": x}, {"y": T.FLOAT, "i": T.INT64})
    y, idx = _ours(model, {"x": x})
    padded = torch.nn.functional.pad(torch.from_numpy(x), (pads[1], pads[3], pads[0], pads[2]), value=-1.0)
    ty, ti = torch.nn.functional.max_pool2d(padded, (3, 2), strides, return_indices=True)
    rows, cols = np.divmod(ti.numpy(), w + pads[1] + pads[3])
    rows, cols = rows - pads[0], cols - pads[1]  # back to the unpadded plane (padding never wins: values >= 0)
    planes = np.arange(n * c).reshape(n, c, 1, 1) * h * w
    np.testing.assert_array_equal(y, ty.numpy())
    np.testing.assert_array_equal(idx, rows + cols * h + planes)
    if strides != [1, 1]:  # (onnx.reference's unit-stride MaxPool takes another path, which ignores storage_order)
        np.testing.assert_array_equal(idx, ReferenceEvaluator(model).run(None, {"x": x})[1])


@pytest.mark.parametrize("to,zero", [(T.FLOAT8E4M3FN, 0.0), (T.FLOAT8E5M2, 0.0), (T.FLOAT4E2M1, 0.0),
                                     (T.FLOAT4E2M1, 1.5)])
def test_narrow_float_quantize_with_a_run_time_zero_point_matches_onnx_reference(to, zero):
    """The zero point is a graph input cast to the narrow type in the graph (not a constant). onnx.reference adds
    it for float4 and drops it for float8, so float8 is checked at 0 (what exporters write)."""
    x = np.array([0.0, 1.0, -2.5, 3.1, 100000.0, -200.0, 0.013, 7.7], np.float32)
    z = np.array([zero], np.float32)
    nodes = [N("Cast", ["z"], ["zp"], to=to), N("QuantizeLinear", ["x", "scale", "zp"], ["q"]),
             N("Cast", ["q"], ["y"], to=T.FLOAT)]
    model = _model(nodes, {"x": x, "z": z}, {"y": T.FLOAT}, [("scale", np.array(0.5, np.float32))])
    (got,) = _ours(model, {"x": x, "z": z})
    want = ReferenceEvaluator(model).run(None, {"x": x, "z": z})[0]
    np.testing.assert_array_equal(got, want)


def _onnx_hamming(size, periodic, dtype):  # ONNX's Hamming coefficients are 25/46 and 21/46, not 0.54 / 0.46
    return torch.hamming_window(size, periodic=periodic, alpha=25 / 46, beta=21 / 46, dtype=dtype)


@pytest.mark.parametrize("op,fn", [("HannWindow", torch.hann_window), ("HammingWindow", _onnx_hamming),
                                   ("BlackmanWindow", torch.blackman_window)])
@pytest.mark.parametrize("size", [1, 2, 7])
def test_symmetric_and_periodic_windows_match_torch_including_one_point(op, fn, size):
    """A symmetric window of one point divides by size - 1 = 0 in ONNX's formula; torch gives [1.]. A periodic
    one of one point is ONNX's formula at n = 0 (onnx.reference's; torch special-cases it to [1.] too)."""
    x = np.zeros(size, np.float32)  # a graph input the windows are added to (a model needs one)
    for periodic in (0, 1):
        nodes = [N(op, ["n"], ["win"], periodic=periodic), N("Add", ["x", "win"], ["y"])]
        model = _model(nodes, {"x": x}, {"y": T.FLOAT}, [("n", np.array(size, np.int64))], opset=17)
        (got,) = _ours(model, {"x": x})
        if periodic and size == 1:
            want = ReferenceEvaluator(model).run(None, {"x": x})[0]
        else:
            want = fn(size, periodic=bool(periodic), dtype=torch.float64).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode,min_gram,max_gram,skip", [("TF", 1, 2, 0), ("TF", 2, 3, 2), ("IDF", 1, 3, 1),
                                                         ("TFIDF", 1, 2, 3), ("TFIDF", 3, 3, 1)])
@pytest.mark.parametrize("batched", [False, True])
def test_tfidf_vectorizer_of_run_time_ids_matches_onnx_reference(mode, min_gram, max_gram, skip, batched):
    """Token ids drawn from a small vocabulary (many n-gram hits), a pool of unigrams, bigrams and trigrams whose
    columns are shuffled; the ids are a graph input (computed in the graph, not folded)."""
    pool = [2, 3, 5, 7,  2, 3,  3, 2,  5, 5,  7, 2,  2, 3, 5,  3, 3, 7]
    counts = [0, 4, 12]
    columns = list(R.permutation(4 + 4 + 2))
    weights = R.uniform(0.5, 2.0, 10).astype(np.float32)
    x = R.integers(1, 9, (3, 17) if batched else (17,)).astype(np.int64)
    node = N("TfIdfVectorizer", ["x"], ["y"], mode=mode, min_gram_length=min_gram, max_gram_length=max_gram,
             max_skip_count=skip, ngram_counts=counts, ngram_indexes=columns, pool_int64s=pool,
             **({"weights": weights.tolist()} if mode != "TF" else {}))
    model = _model([node], {"x": x}, {"y": T.FLOAT}, opset=9)
    (got,) = _ours(model, {"x": x})
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    assert want.any()  # (the vocabulary is small enough that some n-grams occur)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_tfidf_vectorizer_refuses_string_pools_by_name():
    x = np.zeros((2, 4), np.int64)
    node = N("TfIdfVectorizer", ["x"], ["y"], name="words", mode="TF", min_gram_length=1, max_gram_length=1,
             max_skip_count=0, ngram_counts=[0], ngram_indexes=[0, 1], pool_strings=["a", "b"])
    with pytest.raises(gs.importers.UnsupportedModel, match="TfIdfVectorizer node 'words'.*pool_strings"):
        gs.from_onnx(_model([node], {"x": x}, {"y": T.FLOAT}, opset=9).SerializeToString())


@pytest.mark.parametrize("bins,dft,rate,low,high", [(8, 16, 8192, 0.0, 4096.0), (20, 512, 16000, 20.0, 7600.0),
                                                    (40, 400, 16000, 0.0, 8000.0)])
def test_mel_weight_matrix_matches_onnx_reference_and_multiplies_a_spectrum(bins, dft, rate, low, high):
    """The filter bank as a constant (its five inputs are initializers), used as an audio front end does:
    a power spectrum [frames, bins] times it; the spectrum's gradient is the matrix's rows summed."""
    spectrum = R.uniform(0, 1, (3, dft // 2 + 1)).astype(np.float32)
    inits = [("n", np.array(bins, np.int64)), ("d", np.array(dft, np.int64)), ("r", np.array(rate, np.int64)),
             ("lo", np.array(low, np.float32)), ("hi", np.array(high, np.float32))]
    nodes = [N("MelWeightMatrix", ["n", "d", "r", "lo", "hi"], ["m"]), N("MatMul", ["s", "m"], ["y"])]
    model = _model(nodes, {"s": spectrum}, {"y": T.FLOAT}, inits, opset=17)
    (got,) = _ours(model, {"s": spectrum})
    want = ReferenceEvaluator(model).run(None, {"s": spectrum})[0]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    net = gs.from_onnx(model.SerializeToString())
    g = gs.ops.grad(lambda s: net(s).sum(), grad_position=0)(Tensor(spectrum))
    bank_graph = helper.make_graph([nodes[0]], "bank", [], [helper.make_tensor_value_info("m", T.FLOAT, None)],
                                   [numpy_helper.from_array(a, n) for n, a in inits])
    bank_model = helper.make_model(bank_graph, opset_imports=[helper.make_opsetid("", 17)])
    bank = ReferenceEvaluator(bank_model).run(None, {})[0]
    np.testing.assert_allclose(g.asnumpy(), np.broadcast_to(bank.sum(1), spectrum.shape), rtol=1e-6)


def test_mel_weight_matrix_past_the_spectrum_is_refused_by_name():
    inits = [("n", np.array(8, np.int64)), ("d", np.array(16, np.int64)), ("r", np.array(8000, np.int64)),
             ("lo", np.array(0.0, np.float32)), ("hi", np.array(9000.0, np.float32))]
    x = np.zeros((1, 9), np.float32)
    nodes = [N("MelWeightMatrix", ["n", "d", "r", "lo", "hi"], ["m"], name="mel"), N("MatMul", ["x", "m"], ["y"])]
    with pytest.raises(gs.importers.UnsupportedModel, match="MelWeightMatrix node 'mel': upper_edge_hertz 9000"):
        gs.from_onnx(_model(nodes, {"x": x}, {"y": T.FLOAT}, inits, opset=17).SerializeToString())
