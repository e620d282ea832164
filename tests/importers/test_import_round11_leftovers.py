"""Round 11's leftovers: float8 / float4 / int4 tensors as graph *inputs* (given in their carrier, as a cast to
the type makes them), QuantizeLinear to float4 e2m1 and its `precision` attribute (opset 23+), each against
onnx.reference; the dynamo exporter's folding report reads the exported program's graph signature: it names a
parameter folded away without a trace in the remaining nodes (the Instant-NGP hash grid's `tables`) and no
longer lists buffer constants (a sliced sinusoidal position table) when every parameter is in the file."""
import numpy as np
import pytest
import torch
from onnx import TensorProto as T, helper
from onnx.reference import ReferenceEvaluator

import gradserve as gs
from gradserve import Tensor, ops

from .sweep import check_imported, match_by_value
from .test_import_round10_leftovers import _dynamo
from .zoo import CASES

N = helper.make_node


def _model(nodes, inputs, opset, inits=(), out_type=T.FLOAT):
    g = helper.make_graph(nodes, "q", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                          [helper.make_tensor_value_info("y", out_type, None)], initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _reference(m, feeds):
    return np.asarray(ReferenceEvaluator(m).run(None, feeds)[0]).astype(np.float32)


# values of each type's grid (exact in the carrier) and off it (a saturating cast makes them: ties to even)
_GRID = np.array([0, 0.5, 1.5, -3, 6, -6, 0.25, 1.25, 1.75, 2.5, 5, 7, -100, 1e-3], np.float32)


@pytest.mark.parametrize("dt,carrier", [(T.FLOAT8E4M3FN, np.float32), (T.FLOAT8E5M2, np.float32),
                                        (T.FLOAT4E2M1, np.float32), (T.INT4, np.int8), (T.UINT4, np.uint8)])
def test_narrow_graph_input_dequantized(fake, dt, carrier):
    """DequantizeLinear of a float8 / float4 / int4 graph input (before: refused, 'element type ...')."""
    n = len(_GRID)
    m = _model([N("DequantizeLinear", ["q", "s"], ["y"])], [("q", dt, [n])], 23,
               [helper.make_tensor("s", T.FLOAT, [], [0.5])])
    net = gs.from_onnx(m.SerializeToString())
    import ml_dtypes  # onnx.reference's types: the carrier's values as the narrow type (a cast, saturating)

    np_type = {T.FLOAT8E4M3FN: ml_dtypes.float8_e4m3fn, T.FLOAT8E5M2: ml_dtypes.float8_e5m2,
               T.FLOAT4E2M1: ml_dtypes.float4_e2m1fn, T.INT4: ml_dtypes.int4, T.UINT4: ml_dtypes.uint4}[dt]
    if carrier is np.float32:
        q, sent = _GRID.astype(np_type), _GRID  # float8 e4m3fn saturates by ml_dtypes' cast only when told: clip
        if dt == T.FLOAT8E4M3FN:
            q = np.clip(_GRID, -448, 448).astype(np_type)
    else:
        info = ml_dtypes.iinfo(np_type)
        sent = np.array([0, 1, -1, 7, -8, 15, 3, 100, -100, 5, 2, 0, 9, 4]).astype(carrier)
        q = np.clip(sent.astype(np.int64), info.min, info.max).astype(np_type)
    want = _reference(m, {"q": q})
    np.testing.assert_array_equal(net(Tensor(sent)).asnumpy(), want)


def test_narrow_graph_input_into_a_model_with_a_float_input_and_gradient(fake):
    """An int4 weight fed at run time (weight-only quantisation with the codes as an input) times a float x: the
    value as onnx.reference's, the gradient w.r.t. x as the dequantised weight's (x @ W: dL/dx = c W^T)."""
    import ml_dtypes

    rng = np.random.default_rng(0)
    codes = rng.integers(-8, 8, (4, 3)).astype(np.int8)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    m = _model([N("DequantizeLinear", ["q", "s"], ["w"], axis=1), N("MatMul", ["x", "w"], ["y"])],
               [("x", T.FLOAT, [2, 4]), ("q", T.INT4, [4, 3])], 21,
               [helper.make_tensor("s", T.FLOAT, [3], [0.1, 0.2, 0.05])])
    net = gs.from_onnx(m.SerializeToString())
    want = _reference(m, {"x": x, "q": codes.astype(ml_dtypes.int4)})
    np.testing.assert_allclose(net(Tensor(x), Tensor(codes)).asnumpy(), want, rtol=1e-6)
    c = rng.standard_normal((2, 3)).astype(np.float32)
    gx = ops.grad(lambda a, b: (net(a, b) * Tensor(c)).sum(), grad_position=0)(Tensor(x), Tensor(codes))
    w = codes.astype(np.float32) * np.array([0.1, 0.2, 0.05], np.float32)
    np.testing.assert_allclose(gx.asnumpy(), c @ w.T, rtol=1e-5, atol=1e-6)


# float4 e2m1's grid, its midpoints (ties to even) and past its top (saturated), per tensor and per axis
_X4 = np.array([[0.0, 0.24, 0.25, 0.26, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 7.0, 100.0],
                [-0.1, -0.25, -0.75, -1.1, -2.6, -4.9, -5.0, -6.0, -7.0, -1e4, 0.5, 1.0]], np.float32)


@pytest.mark.parametrize("per_axis", [False, True])
def test_quantize_to_float4_e2m1(fake, per_axis):
    """QuantizeLinear -> float4e2m1 -> DequantizeLinear (before: refused, 'quantization to float4_e2m1fn');
    the value bit for bit as onnx.reference's, the straight-through gradient 1 inside the range, 0 saturated."""
    s = [0.5, 2.0] if per_axis else [1.0]
    scale = helper.make_tensor("s", T.FLOAT, [2] if per_axis else [], s)
    zp = helper.make_tensor("zp", T.FLOAT4E2M1, [2] if per_axis else [], [0.0] * len(s))
    nodes = [N("QuantizeLinear", ["x", "s", "zp"], ["q"], axis=0), N("DequantizeLinear", ["q", "s", "zp"], ["y"],
                                                                    axis=0)]
    m = _model(nodes, [("x", T.FLOAT, list(_X4.shape))], 23, [scale, zp])
    net = gs.from_onnx(m.SerializeToString())
    want = _reference(m, {"x": _X4})
    np.testing.assert_array_equal(net(Tensor(_X4)).asnumpy(), want)
    g = ops.grad(lambda t: net(t).sum())(Tensor(_X4)).asnumpy()
    top = 6.0 * np.array(s if per_axis else s * 2, np.float32)[:, None]
    # inside: x / s rounds to at most 6 (|x / s| < 7; 7 ties to 8, past the top), the integer types' rule
    np.testing.assert_array_equal(g, np.abs(_X4) < top * 7 / 6, "the STE mask")


def test_quantize_precision_float16(fake):
    """QuantizeLinear's `precision` (opset 23+): x / scale in float16 before rounding; values where float16's
    quotient rounds to another integer than float32's (before: refused, 'precision attribute')."""
    x = np.array([1000.5, 1001.49, 2049.0, 2051.0, 0.3, 20.49, 511.5, 513.49], np.float32)
    nodes = [N("QuantizeLinear", ["x", "s", "zp"], ["y"], precision=T.FLOAT16)]
    inits = [helper.make_tensor("s", T.FLOAT, [], [1.0]), helper.make_tensor("zp", T.UINT16, [], [0])]
    m = _model(nodes, [("x", T.FLOAT, [8])], 23, inits, T.UINT16)
    want = np.asarray(ReferenceEvaluator(m).run(None, {"x": x})[0])
    f32 = np.clip(np.rint(x), 0, 65535).astype(np.uint16)
    assert not np.array_equal(want, f32)  # the attribute matters on these values
    got = gs.from_onnx(m.SerializeToString())(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(got, want)
    with pytest.raises(gs.importers.UnsupportedModel, match=r"precision bfloat16"):
        m.graph.node[0].attribute[0].i = T.BFLOAT16
        gs.from_onnx(m.SerializeToString())


def test_folding_report_names_a_parameter_folded_without_trace(fake):
    """The Instant-NGP hash grid's pattern (the sweep's `instant_ngp_hash_grid_encoding`, smaller): a level's rows
    `tables[1]` gathered by computed indices; the exporter folds `tables[1]` into a `val_N` initializer no remaining
    node traces back (round 10 reported nothing: UNREPORTED_FOLDS); the graph signature still lists `tables`."""
    class Level(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tables = torch.nn.Parameter(torch.randn(2, 16, 2))
            self.lin = torch.nn.Linear(2, 1)

        def forward(self, x):  # x [6, 2] in [0, 1)
            h = (x[:, 0] * 7).long() % 16
            return self.lin(self.tables[1][h] * x[:, 1:])

    torch.manual_seed(0)
    model, inputs = Level().eval(), (torch.rand(6, 2, generator=torch.Generator().manual_seed(1)),)
    with pytest.warns(gs.importers.FoldedWeightsWarning, match=r"\(parameter tables\)"):
        net = gs.from_onnx(_dynamo(model, inputs))
    assert net.folded_weights == ("(parameter tables)",)
    assert check_imported(net, model, inputs, match_by_value(net, model)) == 2  # lin's, by name


def test_folding_report_leaves_buffers_out(fake):
    """A sinusoidal table buffer sliced by the sequence length is folded into `slice_N` (round 10 listed it);
    every parameter is in the file, so nothing is reported and every weight's gradient is torch's."""
    import warnings

    class PosTable(torch.nn.Module):
        def __init__(self):
            super().__init__()
            t = torch.arange(16.0)[:, None] / (100 ** (torch.arange(0, 4) / 4))
            self.register_buffer("pe", torch.cat([t.sin(), t.cos()], -1))
            self.register_buffer("position_ids", torch.arange(16)[None])
            self.lin = torch.nn.Linear(8, 3)

        def forward(self, x):  # x [5, 8]
            n = x.shape[0]
            return self.lin(x + self.pe[:n] * (self.position_ids[0, :n, None] < 4))

    torch.manual_seed(0)
    model, inputs = PosTable().eval(), (torch.randn(5, 8),)
    with warnings.catch_warnings():
        warnings.simplefilter("error", gs.importers.FoldedWeightsWarning)
        net = gs.from_onnx(_dynamo(model, inputs))
    assert net.folded_weights == ()
    assert check_imported(net, model, inputs) == 2


@pytest.mark.parametrize("dt,saturate", [(T.FLOAT8E4M3FN, 1), (T.FLOAT8E5M2, 1), (T.FLOAT8E5M2, 0),
                                         (T.FLOAT4E2M1, 1)])
def test_cast_to_float8_and_back(fake, dt, saturate):
    """fp8 emulation: Cast to float8 / float4 and back (before: refused, 'element type float8_e4m3fn'); the value
    bit for bit as onnx.reference's (an overflow to inf read by IsInf: the test transport's JSON has no inf), the
    gradient a cast's as torch's autograd gives it: the cotangent cast to the type and back."""
    x = np.array([0.0, 0.3, -1.7, 2.5, 3.5, 100.0, -300.0, 448.0, 500.0, 6e4, 1e5, -1e-3, 1.0625, 7.0], np.float32)
    attrs = {"saturate": saturate} if dt != T.FLOAT4E2M1 else {}
    nodes = [N("Cast", ["x"], ["q"], to=dt, **attrs), N("Cast", ["q"], ["y"], to=T.FLOAT), N("IsInf", ["y"], ["inf"]),
             N("Where", ["inf", "zero", "y"], ["yf"])]
    g = helper.make_graph(nodes, "c", [helper.make_tensor_value_info("x", T.FLOAT, [len(x)])],
                          [helper.make_tensor_value_info(n, t, None) for n, t in (("yf", T.FLOAT), ("inf", T.BOOL))],
                          initializer=[helper.make_tensor("zero", T.FLOAT, [], [0.0])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)])
    want = ReferenceEvaluator(m).run(None, {"x": x})
    assert want[1].any() == (saturate == 0)
    net = gs.from_onnx(m.SerializeToString())
    for got, w in zip(net(Tensor(x)), want):
        np.testing.assert_array_equal(got.asnumpy(), w)
    ct = np.arange(len(x), dtype=np.float32) + 0.5
    g = ops.grad(lambda t: (net(t)[0] * Tensor(ct)).sum())(Tensor(x)).asnumpy()
    tdt = {T.FLOAT8E4M3FN: torch.float8_e4m3fn, T.FLOAT8E5M2: torch.float8_e5m2}.get(dt)
    if tdt is None:  # torch has no float4 cast: its rule by hand (the cotangent on float4's grid, saturated)
        want_g = np.clip(ct, -6, 6).astype(__import__("ml_dtypes").float4_e2m1fn).astype(np.float32)
    else:
        y = torch.tensor(x, requires_grad=True)
        (y.to(tdt).to(torch.float32) * torch.from_numpy(ct)).sum().backward()
        want_g = y.grad.numpy()
    want_g = np.where(want[1], 0, want_g)  # (where the value overflowed, Where passes no gradient)
    assert not np.array_equal(want_g, np.where(want[1], 0, ct))  # the rule matters on these numbers
    np.testing.assert_array_equal(g, want_g)
