"""MindIR files: `load` of files MindSpore 2.10 exported, run by `nn.GraphCell` (values and gradients equal to
MindSpore's own, stored in tests/clients/data/mindir_ms210.npz: see data/mindir_sources/), gradserve's own `export`
read back by `load`, and the refusals."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

DATA = Path(__file__).resolve().parent / "data" / "mindir_ms210.npz"
SWEEP2 = DATA.parent / "mindir_ms210_sweep2.npz"  # (data/mindir_sources/ops_sweep2.py: keyword arguments, layers)


def _unpack(data, d):
    z = np.load(data)
    expected = json.loads(z["expected_json"].tobytes())
    out = {}
    for name, e in expected.items():
        p = d / f"{name}.mindir"
        p.write_bytes(z[name].tobytes())
        out[name] = (str(p), e)
    return out


@pytest.fixture(scope="module")
def ms_files(tmp_path_factory):
    """{case: (path of MindSpore's .mindir file, MindSpore's values)}"""
    return _unpack(DATA, tmp_path_factory.mktemp("mindir"))


@pytest.fixture(scope="module")
def sweep2_files(tmp_path_factory):
    return _unpack(SWEEP2, tmp_path_factory.mktemp("mindir_sweep2"))


_SELU_SCALE, _SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717  # (MindSpore's docs)


def _slice_grad(x, index):
    g = np.zeros_like(x)
    g[index] = 2.0
    return g


# MindSpore 2.10's gradients that are wrong math (CPU, both modes): ours are checked against NumPy's instead.
# SeLU's: not scale * alpha * exp(x) for x < 0 (0.228 at x = -0.59, where the derivative is 0.975); StridedSlice's
# with a negative stride: all zeros.
_MS_WRONG_GX = {
    "selu": lambda x: np.where(x > 0, _SELU_SCALE, _SELU_SCALE * _SELU_ALPHA * np.exp(x)),
    "strided_slice": lambda x: _slice_grad(x, (slice(0, 3, 2), slice(3, 0, -1))),
    "getitem_bool": lambda x: _slice_grad(x, (slice(1, 2), slice(None, None, -2))),
}


def _check(path, e, gx_want=None):
    gc = nn.GraphCell(ms.load(path))
    xs = [Tensor(np.asarray(v, dtype=dt)) for v, dt in e["inputs"]]
    y = gc(*xs)
    want = np.asarray(e["y"])
    assert y.shape == want.shape
    scale = 1 + np.abs(want).max()
    np.testing.assert_allclose(y.asnumpy(), want, rtol=0, atol=2e-5 * scale)
    g = ms.grad(lambda *a: (gc(*a) * 1.0).sum(), grad_position=tuple(e["grad_positions"]) or None,
                weights=gc.trainable_params())(*xs)
    gx, gw = (g if e["grad_positions"] else (None, g))
    for a, b in zip(gx if isinstance(gx, tuple) else (gx,), gx_want or e["gx"]):
        b = np.asarray(b)
        np.testing.assert_allclose(a.asnumpy(), b, rtol=0, atol=2e-5 * (1 + np.abs(b).max()))
    checked = 0
    for p, a in zip(gc.trainable_params(), gw):
        if p.name in e["gw"]:  # (MindSpore's moving statistics are not trainable in the net that wrote the file)
            b = np.asarray(e["gw"][p.name])
            np.testing.assert_allclose(a.asnumpy(), b, rtol=0, atol=2e-5 * (1 + np.abs(b).max()))
            checked += 1
    assert checked == len(e["gw"])
    assert str(y.asnumpy().dtype) == e.get("dtype", str(y.asnumpy().dtype))


def _check_sweep2(name, path, e):
    wrong = _MS_WRONG_GX.get(name)
    _check(path, e, [wrong(np.asarray(e["inputs"][0][0], np.float32))] if wrong else None)


def test_every_mindspore_file_matches_mindspore_pynative(fake, pynative, ms_files):
    assert len(ms_files) == 82
    for name, (path, e) in ms_files.items():
        try:
            _check(path, e)
        except AssertionError as err:
            raise AssertionError(f"case {name}: {err}") from None


@pytest.mark.parametrize("name", ["net_mlp", "net_lenet", "net_bn", "net_attn", "net_misc", "groupnorm",
                                  "conv2dT", "bn1d_eval", "argmax_gather", "cast_f16", "slice", "smoothl1"])
def test_mindspore_files_in_graph_mode(fake, graph_mode, ms_files, name):
    _check(*ms_files[name])


def test_every_sweep2_file_matches_mindspore_pynative(fake, pynative, sweep2_files):
    """One Cell per op / layer, mostly with non-default keyword arguments (axes, keepdims, modes, reductions,
    dtypes, enum numbers): the split of a PRIMITIVE_FUNCTION node's inputs, the enum tables, `_internal`."""
    assert len(sweep2_files) == 381
    for name, (path, e) in sweep2_files.items():
        try:
            _check_sweep2(name, path, e)
        except AssertionError as err:
            raise AssertionError(f"case {name}: {err}") from None


@pytest.mark.parametrize("name", ["scatter_add", "eye", "interp_linear_ac", "max_pool2d_fn", "div_floor", "t_trace",
                                  "addcdiv", "nn_lstm_2l", "nn_ce_ls", "selu", "strided_slice", "prod_f64", "logspace",
                                  "grid_sample", "scatter_fn", "nn_gru_tm", "unsorted_segment_sum"])
def test_sweep2_files_in_graph_mode(fake, graph_mode, sweep2_files, name):
    _check_sweep2(name, *sweep2_files[name])


# The SDK's primitives whose argument list is not MindSpore's: a name only (its enum numbers in replay's _OP_ENUMS),
# or more arguments than gradserve's class takes (the loader refuses the node, naming it)
_ORDER_DIFFERS = {"TensorScatterElements": "renamed", "Arange": "refused", "Index": "refused",
                  "TriangularSolve": "refused"}


def test_every_sdk_primitive_takes_mindspores_argument_order():
    """A PRIMITIVE_FUNCTION node's inputs are split by the SDK class (call inputs, then its constructor's arguments
    in order): wrong silently where MindSpore's order differs. MindSpore 2.10's orders:
    data/mindspore210_prim_arg_orders.json (data/mindir_sources/ms_arg_orders.py, from its gen_ops_prim.py)."""
    from gradserve._mindir import replay

    orders = json.loads((DATA.parent / "mindspore210_prim_arg_orders.json").read_text())
    differ, checked = {}, 0
    for name, (call, init) in orders.items():
        cls = getattr(ops, name, None)
        if replay._internal(name) or replay._framework(name) or not isinstance(cls, type):
            continue
        n_call = replay._n_call_inputs(cls)
        sdk_init = [n for n in replay._positional(cls.__init__)[0] if n != "name"]
        checked += 1
        if n_call != len(call) or sdk_init[:len(init)] != init:
            differ[name] = "refused" if (n_call or 0) + len(sdk_init) < len(call) + len(init) else "renamed"
    assert checked > 150
    assert differ == _ORDER_DIFFERS


def test_graph_cell_parameters_and_params_init(fake, pynative, ms_files):
    path, e = ms_files["net_mlp"]
    g = ms.load(path)
    gc = nn.GraphCell(g)
    # MindSpore 2.10: GraphCell(load(...)).parameters_dict() keys are the net's own parameter names
    assert list(gc.parameters_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert all(p.requires_grad for p in gc.trainable_params())
    x = Tensor(np.asarray(e["inputs"][0][0], np.float32))
    zeros = {"a.weight": ms.Parameter(Tensor(np.zeros((8, 4), np.float32)), name="a.weight")}
    y0 = nn.GraphCell(g, params_init=zeros)(x).asnumpy()
    # with a zero first layer, the output is b(tanh(a.bias)) for every row
    b_w, b_b = gc.parameters_dict()["b.weight"].asnumpy(), gc.parameters_dict()["b.bias"].asnumpy()
    want = np.tanh(gc.parameters_dict()["a.bias"].asnumpy()) @ b_w.T + b_b
    np.testing.assert_allclose(y0, np.broadcast_to(want, y0.shape), rtol=1e-5, atol=1e-6)
    # MindSpore 2.10 ignores a name the graph lacks; g keeps the zeros the init above wrote into it (as its load
    # result does), so a later GraphCell over g gives y0 again
    np.testing.assert_allclose(nn.GraphCell(g, params_init={"nope": zeros["a.weight"]})(x).asnumpy(), y0)
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        gc(x, x)


def test_load_refusals(tmp_path):
    # MindSpore 2.10's texts (ValueError for a missing file)
    with pytest.raises(ValueError, match="'file_name'\\(MindIR file\\) does not exist"):
        ms.load(str(tmp_path / "none.mindir"))
    with pytest.raises(ValueError, match="should end with '.mindir'"):
        ms.load(str(tmp_path / "x.onnx"))
    bad = tmp_path / "bad.mindir"
    bad.write_bytes(b"garbage123")
    with pytest.raises(ValueError, match="not a MindIR file"):
        ms.load(str(bad))
    with pytest.raises(TypeError, match="must be a graph loaded by load"):
        nn.GraphCell("x")


def test_unknown_primitive_is_named(fake, pynative, ms_files, tmp_path):
    from gradserve._mindir import mindir_pb2 as pb

    m = pb.ModelProto()
    m.ParseFromString(Path(ms_files["net_mlp"][0]).read_bytes())
    for p in m.primitives:
        if p.op_type == "Tanh":
            p.op_type = "NoSuchOp"
    f = tmp_path / "edited.mindir"
    f.write_bytes(m.SerializeToString())
    with pytest.raises(ValueError, match="MindSpore primitive 'NoSuchOp' is not supported"):
        nn.GraphCell(ms.load(str(f)))


class _Branchy(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = ms.Parameter(Tensor(np.array([0.5, -1.0, 2.0], np.float32)), name="w")
        self.d = nn.Dense(3, 2)

    def construct(self, x):
        if x.sum() > 3:
            x = x * self.w
        else:
            x = x - 1
        return self.d(ops.tanh(x)), x.sum()


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_export_then_load_runs_the_same_graph(fake, graph_mode, tmp_path, sign):
    net = _Branchy()
    x = Tensor(sign * np.arange(12, dtype=np.float32).reshape(4, 3) / 4)
    ms.export(net, x, file_name=str(tmp_path / "branchy"), file_format="MINDIR")
    gc = nn.GraphCell(ms.load(str(tmp_path / "branchy.mindir")))
    assert [p.name for p in gc.trainable_params()] == ["w", "d.weight", "d.bias"]
    # expected: NumPy on the net's own weights
    w, dw, db = (p.asnumpy() for p in net.trainable_params())
    xn = x.asnumpy()
    h = xn * w if xn.sum() > 3 else xn - 1
    y, s = gc(x)
    np.testing.assert_allclose(y.asnumpy(), np.tanh(h) @ dw.T + db, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(s.asnumpy(), h.sum(), rtol=1e-6)
    loss = lambda m: (lambda x: m(x)[0].sum() + m(x)[1])  # noqa: E731
    g1 = ms.grad(loss(net), 0, net.trainable_params())(x)
    g2 = ms.grad(loss(gc), 0, gc.trainable_params())(x)
    np.testing.assert_array_equal(g1[0].asnumpy(), g2[0].asnumpy())
    for a, b in zip(g1[1], g2[1]):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


class _Counting(nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = ms.Parameter(Tensor(np.array([1.0, 2.0, 3.0], np.float32)), name="weight")

    def construct(self, x, y):
        ret = x * y * self.weight
        self.weight += 1.0
        return ret


def test_export_keeps_parameter_assignments(fake, graph_mode, tmp_path):
    """MindSpore's exported graph assigns its Parameters on each run (its own test_get_and_init_graph_cell_
    parameters: the loaded net's weight goes up by one a call); export runs nothing (the weight stays)."""
    net = _Counting()
    a, b = Tensor(np.array([1.0, -2.0, 0.5], np.float32)), Tensor(np.array([3.0, 1.0, 2.0], np.float32))
    ms.export(net, a, b, file_name=str(tmp_path / "counting"), file_format="MINDIR")
    np.testing.assert_array_equal(net.weight.asnumpy(), [1.0, 2.0, 3.0])
    gc = nn.GraphCell(ms.load(str(tmp_path / "counting.mindir")))
    np.testing.assert_array_equal(gc(a, b).asnumpy(), [3.0, -4.0, 3.0])
    np.testing.assert_array_equal(gc.trainable_params()[0].asnumpy(), [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(gc(a, b).asnumpy(), [6.0, -6.0, 4.0])


def test_export_refusals(fake, tmp_path):
    net = nn.Dense(3, 2)
    x = Tensor(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="'file_format' must be one of"):
        ms.export(net, x, file_name=str(tmp_path / "n"), file_format="PB")
    with pytest.raises(NotImplementedError, match="writes MINDIR files only"):
        ms.export(net, x, file_name=str(tmp_path / "n"), file_format="ONNX")
    # an optimizer's step writes Cell attributes: refused, and nothing ran (the weights are as they were)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    before = [p.asnumpy().copy() for p in net.trainable_params()]
    with pytest.raises(NotImplementedError, match="assigns Cell attributes"):
        ms.export(step, x, Tensor(np.zeros((1, 2), np.float32)), file_name=str(tmp_path / "s"), file_format="MINDIR")
    for p, b in zip(net.trainable_params(), before):
        np.testing.assert_array_equal(p.asnumpy(), b)
    assert not (tmp_path / "s.mindir").exists()


def test_generated_messages_match_the_proto(tmp_path):
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("gen_mindir_proto", root / "clients/python/tools/gen_mindir_proto.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for f in gen.generate(tmp_path):
        checked_in = gen.TARGET / f.name
        assert gen.normalized(checked_in.read_text()) == gen.normalized(f.read_text()), (
            f"{checked_in} is stale: run python clients/python/tools/gen_mindir_proto.py")
