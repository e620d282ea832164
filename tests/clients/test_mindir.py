"""MindIR files: `load` of files MindSpore 2.10 exported, run by `nn.GraphCell` (values and gradients equal to
MindSpore's own, stored in tests/clients/data/mindir_ms210.npz: see data/mindir_sources/), gradserve's own `export`
read back by `load`, and the refusals."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops

DATA = Path(__file__).resolve().parent / "data" / "mindir_ms210.npz"
SWEEP2 = DATA.parent / "mindir_ms210_sweep2.npz"  # (data/mindir_sources/ops_sweep2.py: keyword arguments, layers)
CONTROL = DATA.parent / "mindir_ms210_control.npz"  # (data/mindir_sources/control.py: sub-graphs, loops)


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


@pytest.fixture(scope="module")
def control_files(tmp_path_factory):
    return _unpack(CONTROL, tmp_path_factory.mktemp("mindir_control"))


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


def _check_outputs(path, e):
    """A file whose graph gives a tuple: each output MindSpore's, the gradient of the sum of all outputs' sums."""
    gc = nn.GraphCell(ms.load(path))
    xs = [Tensor(np.asarray(v, dtype=dt)) for v, dt in e["inputs"]]
    for a, b in zip(gc(*xs), e["y"]):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=0, atol=2e-5 * (1 + np.abs(b).max()))
    gx = ms.grad(lambda *a: sum(o.sum() for o in gc(*a)), grad_position=tuple(e["grad_positions"]))(*xs)
    for a, b in zip(gx if isinstance(gx, tuple) else (gx,), e["gx"]):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=0, atol=2e-5 * (1 + np.abs(b).max()))


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


def _while_tensor_numpy(e, w):
    """while_tensor (x = tanh(x @ w) n times) differentiated by hand in float64 NumPy: MindSpore 2.10's own gradient
    of it is 1.3e-4 off (its float32 Tanh on CPU; ours is 1.6e-7 off), so the gradients are checked against this."""
    xs = [np.asarray(e["inputs"][0][0], np.float64)]
    w = w.astype(np.float64)
    for _ in range(int(e["inputs"][1][0])):
        xs.append(np.tanh(xs[-1] @ w))
    g, gw = np.ones_like(xs[-1]), np.zeros_like(w)
    for k in range(len(xs) - 1, 0, -1):
        d = g * (1 - xs[k] ** 2)
        gw += xs[k - 1].T @ d
        g = d @ w.T
    return [g], {"w": gw.tolist()}


def _check_control(name, path, e):
    if e.get("tuple"):
        return _check_outputs(path, e)
    if name == "while_tensor":
        ws = next(iter(ms.load(path).params.values()))[1]
        gx, gw = _while_tensor_numpy(e, ws)
        return _check(path, dict(e, gw=gw), gx)
    return _check(path, e)


_CONTROL_RUN_BY_MS = 20  # (and 7 files of primitives MindSpore 2.10 CPU has no kernel for: checked against PyTorch)


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_control_flow_files_match_mindspore(fake, request, control_files, mode):
    """MindSpore's sub-graphs: if / else on Tensors (Switch of Partials, calls), while loops (a sub-graph calling
    itself: the SDK's while), for over a range with a break (unrolled sub-graphs), nested Cells, in both modes."""
    request.getfixturevalue("graph_mode" if mode == "graph" else "pynative")
    ran = {n: v for n, v in control_files.items() if v[1].get("ms_runs", True)}
    assert len(ran) == _CONTROL_RUN_BY_MS
    for name, (path, e) in ran.items():
        try:
            _check_control(name, path, e)
        except AssertionError as err:
            raise AssertionError(f"case {name}: {err}") from None


def test_mindspore_while_is_the_engines_while(fake, graph_mode, control_files):
    """GRAPH_MODE: a MindSpore while with a Tensor bound is one `while` node (any trip count, one graph), not an
    unrolled or per-value trace; its value is NumPy's for other bounds."""
    path, e = control_files["while_tensor"]
    gc = nn.GraphCell(ms.load(path))
    w = next(iter(ms.load(path).params.values()))[1].astype(np.float64)
    x0 = np.asarray(e["inputs"][0][0], np.float32)
    for n in (0, 5, 60):
        want = x0.astype(np.float64)
        for _ in range(n):
            want = np.tanh(want @ w)
        np.testing.assert_allclose(gc(Tensor(x0), Tensor(np.int32(n))).asnumpy(), want, rtol=0, atol=1e-5)
    docs = [json.dumps(g) for g in fake.graphs.values()]
    assert any('"op": "while"' in d for d in docs)


def test_mindspore_while_with_a_break_is_one_graph(fake, graph_mode, control_files):
    """A while with a `break` on a Tensor (x = 1.3 x - 0.1 until max(x) > 2, at most n trips): one graph (the break's
    value and a flag in the loop state) for every bound and input; values NumPy's, whether it breaks or not."""
    gc = nn.GraphCell(ms.load(control_files["while_break"][0]))
    for x0 in ([0.1, 0.2, 0.3], [0.5, 1.0, 1.5]):  # (the first never breaks, the second at the second trip)
        for n in (0, 2, 6, 20):
            want = np.asarray(x0, np.float64)
            for _ in range(n):
                want = want * 1.3 - 0.1
                if want.max() > 2:
                    break
            got = gc(Tensor(np.asarray(x0, np.float32)), Tensor(np.int32(n))).asnumpy()
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert len(fake.graphs) == 1 and '"op": "while"' in json.dumps(next(iter(fake.graphs.values())))


def test_mindspore_while_in_a_while_is_one_graph(fake, graph_mode, control_files):
    """nested_while (while i < n: while j < i: x = sin(x) * w + x): the outer loop's body runs the inner loop, then
    its exit's path; one graph with two `while` nodes for every bound, values NumPy's."""
    path = control_files["nested_while"][0]
    gc = nn.GraphCell(ms.load(path))
    w = next(iter(ms.load(path).params.values()))[1].astype(np.float64)
    x0 = np.array([0.1, -0.4, 0.3], np.float32)
    for n in (0, 1, 3, 6):
        want = x0.astype(np.float64)
        for i in range(n):
            for _ in range(i):
                want = np.sin(want) * w + want
        np.testing.assert_allclose(gc(Tensor(x0), Tensor(np.int32(n))).asnumpy(), want, rtol=1e-6, atol=1e-6)
    assert len(fake.graphs) == 1 and json.dumps(next(iter(fake.graphs.values()))).count('"op": "while"') == 2


def _torch_reference(name):
    """The primitives' meaning in PyTorch (MindSpore 2.10's CPU cannot run these files: no kernel)."""
    import torch

    return {
        "arange_rt": lambda x, s: x * torch.arange(float(s), float(s) + 4, 1.0),
        "index2": lambda x, i, j: x[i, j],
        "index1": lambda x, i: x[i] * 2,
        "trisolve_lower": lambda b, a: torch.linalg.solve_triangular(a, b, upper=False),
        # (upper=True, transpose=True, unitriangular=True: A's strict upper triangle with ones on the diagonal, A^T)
        "trisolve_upper_t_unit": lambda b, a: torch.linalg.solve_triangular((a.triu(1) + torch.eye(3)).T, b,
                                                                            upper=False),
        "scatter_mul": lambda x, i, u: x.scatter_reduce(1, i, u, "prod"),
        "scatter_value_mul": lambda x, i: x.scatter_reduce(1, i, torch.full(i.shape, 2.5), "prod"),
    }[name]


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_primitives_mindspore_cannot_run_on_cpu(fake, request, control_files, mode):
    """Arange (run-time start, via TensorToScalar), Index, TriangularSolve (both triangles, transpose, unit
    diagonal), Scatter / ScatterValue with reduce multiply, in MindSpore-written files: values and gradients
    PyTorch's."""
    import torch

    request.getfixturevalue("graph_mode" if mode == "graph" else "pynative")
    unrun = {n: v for n, v in control_files.items() if not v[1].get("ms_runs", True)}
    assert len(unrun) == 7
    for name, (path, e) in unrun.items():
        gc = nn.GraphCell(ms.load(path))
        xs = [Tensor(np.asarray(v, dt)) for v, dt in e["inputs"]]
        fl = (0,) if name == "arange_rt" else tuple(i for i, (_v, dt) in enumerate(e["inputs"]) if dt == "float32")
        ts = [torch.tensor(np.asarray(v, dt), requires_grad=i in fl) for i, (v, dt) in enumerate(e["inputs"])]
        want = _torch_reference(name)(*ts)
        want.sum().backward()
        np.testing.assert_allclose(gc(*xs).asnumpy(), want.detach().numpy(), rtol=0, atol=1e-5, err_msg=name)
        g = ms.grad(lambda *a: gc(*a).sum(), grad_position=fl)(*xs)
        for a, i in zip(g if isinstance(g, tuple) else (g,), fl):
            np.testing.assert_allclose(a.asnumpy(), ts[i].grad.numpy(), rtol=0, atol=1e-5, err_msg=name)


def test_sub_graph_refusals_name_the_node(fake, pynative, control_files, tmp_path):
    """An unknown primitive inside a branch's sub-graph, and a call of a name nothing defines, are named."""
    from gradserve._mindir import mindir_pb2 as pb

    m = pb.ModelProto()
    m.ParseFromString(Path(control_files["if_else"][0]).read_bytes())
    for p in m.primitives:
        if p.op_type == "Sin":  # (only in the else branch's sub-graph)
            p.op_type = "NoSuchOp"
    f = tmp_path / "edited.mindir"
    f.write_bytes(m.SerializeToString())
    with pytest.raises(ValueError, match="node '.*IfElse_construct.*': MindSpore primitive 'NoSuchOp' is not supp"):
        nn.GraphCell(ms.load(str(f)))
    m.ParseFromString(Path(control_files["if_else"][0]).read_bytes())
    m.functions[0].node[0].op_type = "REF::nothing_defines_this"
    f.write_bytes(m.SerializeToString())
    with pytest.raises(ValueError, match="names primitive 'nothing_defines_this', which the model does not define"):
        ms.load(str(f))
    m.ParseFromString(Path(control_files["if_else"][0]).read_bytes())
    partial = next(n for n in m.graph.node if "Partial" in n.op_type)
    partial.input[0] = m.graph.input[0].name  # (the graph's input x where a sub-graph's name belongs)
    f.write_bytes(m.SerializeToString())
    with pytest.raises(ValueError, match=f"node {re.escape(repr(partial.name))}: Partial of a Tensor, not a sub-graph"):
        nn.GraphCell(ms.load(str(f)))(Tensor(np.ones((3, 4), np.float32)))
    # for_break's sub-graphs read the main graph's Constant `keepdim` (False); one defining its own True makes the
    # name ambiguous for the others
    m.ParseFromString(Path(control_files["for_break"][0]).read_bytes())
    m.functions[0].node.insert(0, pb.NodeProto(op_type="Constant", output=["keepdim"], attribute=[
        pb.AttributeProto(type=pb.AttributeProto.BOOL, i=1)]))
    f.write_bytes(m.SerializeToString())
    with pytest.raises(ValueError, match="reads constant 'keepdim', which sub-graphs define with different values"):
        nn.GraphCell(ms.load(str(f)))(Tensor(np.zeros(3, np.float32)))  # (zeros: no break, every trip's graph runs)


# The SDK's primitives whose argument list is not MindSpore's: a name only (its enum numbers in replay's _OP_ENUMS);
# one with more arguments than gradserve's class takes would be refused by the loader, naming the node
_ORDER_DIFFERS = {"TensorScatterElements": "renamed"}  # (Arange, Index, TriangularSolve: replay's _internal table)


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
