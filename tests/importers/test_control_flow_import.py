"""Control flow imported: ONNX If / Loop (onnx.helper built) and jax.lax cond / switch / fori_loop /
while_loop through StableHLO map to the engine's cond / switch / scan / while. Values, gradients
(input and weights) and a second-order derivative against JAX autodiff of the same function."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from engine import Engine, grad, grad_operation, jvp
from engine.importers import ModelLimitExceeded, UnsupportedModel, onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

jax = pytest.importorskip("jax")
jnp, lax = jax.numpy, jax.lax
ENC = lambda a: tensor_to_json(a, b64=True)  # noqa: E731
D = TensorProto.DOUBLE
W0 = np.array([0.7, -0.4, 1.3])


@pytest.fixture(autouse=True)
def x64():
    """float64 here, for JAX too (references to 1e-10), without changing other test modules."""
    with jax.enable_x64(True):
        yield


def _vi(name, shape, t=D):
    return helper.make_tensor_value_info(name, t, shape)


def _const(name, value):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value)))


def _model(nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "cf", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _loss_tail(y, out="loss"):
    """loss = sum(y * y): a scalar, so gradients are plain."""
    return [helper.make_node("Mul", [y, y], [y + "_sq"]),
            helper.make_node("ReduceSum", [y + "_sq"], [out], keepdims=0)]


def _weights():
    return [numpy_helper.from_array(W0, "W")]


def check(g, ref, x, rtol=1e-10):
    """value, d/dx, d/dW and the second derivative sum(d/dx (sum d/dx)) of graph g against JAX."""
    eng = Engine()
    np.testing.assert_allclose(eng.run(g, [x]), ref(x, W0), rtol=rtol)
    dx, dw = eng.run(grad(g, grad_position=0, weights=["W"]), [x])
    np.testing.assert_allclose(dx, jax.grad(ref)(x, W0), rtol=rtol)
    np.testing.assert_allclose(dw[0], jax.grad(ref, argnums=1)(x, W0), rtol=rtol)
    h = eng.run(grad_operation(grad_operation(g)), [x])
    np.testing.assert_allclose(h, jax.grad(lambda a: jnp.sum(jax.grad(ref)(a, W0)))(x), rtol=rtol)
    t = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)  # forward mode too
    np.testing.assert_allclose(eng.run(jvp(g), [x, t])[1], jax.jvp(lambda a: ref(a, W0), (x,), (t,))[1], rtol=rtol)


def if_model():
    """y = sin(x) * W if sum(x) > 0 else x * x + W  (both branches read outer x and W)."""
    then = helper.make_graph([helper.make_node("Sin", ["x"], ["s"]), helper.make_node("Mul", ["s", "W"], ["t"])],
                             "then", [], [_vi("t", [3])])
    els = helper.make_graph([helper.make_node("Mul", ["x", "x"], ["q"]), helper.make_node("Add", ["q", "W"], ["e"])],
                            "else", [], [_vi("e", [3])])
    nodes = [helper.make_node("ReduceSum", ["x"], ["sx"], keepdims=0), _const("zero", 0.0),
             helper.make_node("Greater", ["sx", "zero"], ["c"]),
             helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=els, name="if0")] + _loss_tail("y")
    return _model(nodes, [_vi("x", [3])], [_vi("loss", [])], _weights())


@pytest.mark.parametrize("x0", [[0.3, 0.5, -0.1], [-0.3, 0.2, -0.6]])
def test_onnx_if_maps_to_cond(x0):
    doc = onnx_to_graph(if_model(), encode=ENC)
    assert [n["op"] for n in doc["nodes"]].count("cond") == 1 and len(doc["functions"]) == 2

    def ref(x, w):
        return jnp.sum(lax.cond(jnp.sum(x) > 0, lambda: jnp.sin(x) * w, lambda: x * x + w) ** 2)

    check(graph_from_json(doc), ref, np.array(x0))


def loop_model():
    """for i in range(3): v = sin(v) * W + i; ys[i] = v * v.  loss = sum(v^2) + sum(ys^2)."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cin"], ["cout"]), helper.make_node("Sin", ["v"], ["s"]),
         helper.make_node("Mul", ["s", "W"], ["sw"]), helper.make_node("Cast", ["i"], ["fi"], to=D),
         helper.make_node("Add", ["sw", "fi"], ["vo"]), helper.make_node("Mul", ["vo", "vo"], ["yo"])],
        "body", [_vi("i", [], TensorProto.INT64), _vi("cin", [], TensorProto.BOOL), _vi("v", [3])],
        [_vi("cout", [], TensorProto.BOOL), _vi("vo", [3]), _vi("yo", [3])])
    nodes = [_const("M", np.int64(3)),
             helper.make_node("Loop", ["M", "", "x"], ["vf", "ys"], body=body, name="loop0"),
             *_loss_tail("vf", "l1"), *_loss_tail("ys", "l2"), helper.make_node("Add", ["l1", "l2"], ["loss"])]
    return _model(nodes, [_vi("x", [3])], [_vi("loss", [])], _weights())


def test_onnx_loop_with_trip_count_maps_to_scan_with_scan_outputs():
    doc = onnx_to_graph(loop_model(), encode=ENC)
    assert "scan" in [n["op"] for n in doc["nodes"]]

    def ref(x, w):
        def step(v, i):
            v = jnp.sin(v) * w + i
            return v, v * v
        v, ys = lax.scan(step, x, jnp.arange(3.0))
        return jnp.sum(v ** 2) + jnp.sum(ys ** 2)

    check(graph_from_json(doc), ref, np.array([0.3, -0.5, 0.9]))


def while_model(m=10):
    """while sum(v) < 20 (at most M=10 trips): v = v * 1.5 + W."""
    body = helper.make_graph(
        [_const("k", 1.5), helper.make_node("Mul", ["v", "k"], ["vk"]), helper.make_node("Add", ["vk", "W"], ["vo"]),
         helper.make_node("ReduceSum", ["vo"], ["sv"], keepdims=0), _const("lim", 20.0),
         helper.make_node("Less", ["sv", "lim"], ["cout"])],
        "body", [_vi("i", [], TensorProto.INT64), _vi("cin", [], TensorProto.BOOL), _vi("v", [3])],
        [_vi("cout", [], TensorProto.BOOL), _vi("vo", [3])])
    nodes = [_const("M", np.int64(m)), _const("c0", True),
             helper.make_node("Loop", ["M", "c0", "x"], ["vf"], body=body, name="loop0"), *_loss_tail("vf")]
    return _model(nodes, [_vi("x", [3])], [_vi("loss", [])], _weights())


def test_onnx_loop_with_condition_maps_to_while_bounded_by_m():
    doc = onnx_to_graph(while_model(), encode=ENC)
    wh = [n for n in doc["nodes"] if n["op"] == "while"]
    assert len(wh) == 1 and wh[0]["attrs"]["max_trips"] == 10
    x = np.array([0.3, 0.5, 1.0])
    v, trips = x, 0
    while True:  # ONNX semantics: the body runs, then its condition decides the next trip
        v, trips = v * 1.5 + W0, trips + 1
        if not np.sum(v) < 20:
            break

    def ref(x, w):  # the same trips written out (lax.while_loop has no reverse mode)
        for _ in range(trips):
            x = x * 1.5 + w
        return jnp.sum(x ** 2)

    check(graph_from_json(doc), ref, x)
    # M bounds the loop exactly as ONNX does: stopping at M trips is the model's answer, not an error
    short = graph_from_json(onnx_to_graph(while_model(2), encode=ENC))
    v2 = x * 1.5 + W0
    v2 = v2 * 1.5 + W0
    np.testing.assert_allclose(Engine().run(short, [x]), np.sum(v2 ** 2), rtol=1e-12)


# -- JAX (jax.export -> StableHLO) -------------------------------------------------------------------
def jax_graph(f, x, **kw):
    from gradserve.importers.jax_import import jax_to_writer

    w, outs = jax_to_writer(f, (x,), {"W": W0}, **kw)
    assert [p["name"] for p in w.params] == ["W"]
    return graph_from_json(w.doc(outs[0], ENC)), w


def _ops(w):
    return [n["op"] for n in w.nodes]


@pytest.mark.parametrize("x0", [[0.3, 0.5, -0.1], [-0.3, 0.2, -0.6], [0.9, 0.8, 0.4]])
def test_jax_cond_and_switch(x0):
    def f(p, x):
        y = lax.cond(jnp.sum(x) > 0, lambda a: jnp.sin(a) * p["W"], lambda a: a * a + p["W"], x)
        k = (jnp.sum(y) > 1).astype(jnp.int32) * 2 - 1  # -1 or 1: a negative index runs the last branch
        y = lax.switch(k, [jnp.cos, lambda a: a * p["W"], jnp.tanh], y)
        return jnp.sum(y ** 2)

    g, w = jax_graph(f, np.array(x0))
    assert _ops(w).count("switch") == 2  # lax.cond exports as a two-branch case
    check(g, lambda x, wv: f({"W": wv}, x), np.array(x0))


def test_jax_fori_loop_and_scan_become_unrolled_scans():
    def f(p, x):
        c = lax.fori_loop(1, 4, lambda i, c: jnp.sin(c) * p["W"] + i, x)
        c, ys = lax.scan(lambda c, a: (c * a + p["W"], jnp.cos(c) * a), c, jnp.stack([x, 2 * x]))
        return jnp.sum(c ** 2) + jnp.sum(ys)

    x = np.array([0.3, -0.5, 0.9])
    g, w = jax_graph(f, x)
    assert _ops(w).count("scan") == 2 and "while" not in _ops(w)
    check(g, lambda x, wv: f({"W": wv}, x), x)


def test_jax_while_loop_needs_a_bound_and_keeps_it():
    from engine.errors import LimitExceeded

    def f(p, x):
        return jnp.sum(lax.while_loop(lambda c: jnp.sum(c) < 20, lambda c: c * 1.5 + p["W"], x) ** 2)

    x = np.array([0.3, 0.5, 1.0])
    from gradserve.importers import UnsupportedModel as SdkUnsupported  # the SDK's copy of the class

    with pytest.raises(SdkUnsupported, match="stablehlo.while with no static trip count.*while_max_trips"):
        jax_graph(f, x)
    g, w = jax_graph(f, x, while_max_trips=12)
    assert [n["attrs"]["max_trips"] for n in w.nodes if n["op"] == "while"] == [12]
    trips = 0
    v = x
    while np.sum(v) < 20:
        v, trips = v * 1.5 + W0, trips + 1

    def ref(x, wv):  # lax.while_loop has no reverse mode: the same trips written out
        for _ in range(trips):
            x = x * 1.5 + wv
        return jnp.sum(x ** 2)

    np.testing.assert_allclose(Engine().run(g, [x]), f({"W": W0}, x), rtol=1e-12)
    check(g, ref, x)
    short, _ = jax_graph(f, x, while_max_trips=trips - 1)
    with pytest.raises(LimitExceeded, match="still running after max_trips"):
        Engine().run(short, [x])


IF_MODULE = """
module @m {
  func.func public @main(%arg0: tensor<3xf64>, %arg1: tensor<3xf64>) -> tensor<f64> {
    %cst = stablehlo.constant dense<0.0> : tensor<f64>
    %0 = stablehlo.reduce(%arg0 init: %cst) applies stablehlo.add across dimensions = [0] : (tensor<3xf64>, tensor<f64>) -> tensor<f64>
    %1 = stablehlo.compare GT, %0, %cst, FLOAT : (tensor<f64>, tensor<f64>) -> tensor<i1>
    %2 = "stablehlo.if"(%1) ({
      %3 = stablehlo.sine %arg0 : tensor<3xf64>
      %4 = stablehlo.multiply %3, %arg1 : tensor<3xf64>
      stablehlo.return %4 : tensor<3xf64>
    }, {
      %3 = stablehlo.multiply %arg0, %arg0 : tensor<3xf64>
      stablehlo.return %3 : tensor<3xf64>
    }) : (tensor<i1>) -> tensor<3xf64>
    %5 = stablehlo.multiply %2, %2 : tensor<3xf64>
    %6 = stablehlo.reduce(%5 init: %cst) applies stablehlo.add across dimensions = [0] : (tensor<3xf64>, tensor<f64>) -> tensor<f64>
    return %6 : tensor<f64>
  }
}
"""


@pytest.mark.parametrize("x0", [[0.3, 0.5, -0.1], [-0.3, 0.2, -0.6]])
def test_stablehlo_if_maps_to_cond(x0):
    """JAX exports lax.cond as `case`; `stablehlo.if` (other producers) is read from a written module."""
    from jax._src.interpreters import mlir as jmlir
    from jaxlib.mlir import ir

    from gradserve.importers._shared.graph_writer import GraphWriter
    from gradserve.importers.jax_import import _Fn

    w = GraphWriter("m")
    args = [w.input("x", (3,), "float64"), w.param("W", W0)]
    with jmlir.make_ir_context() as ctx:
        mod = ir.Module.parse(IF_MODULE, context=ctx)  # held: its operations live as long as it does
        funcs = {ir.StringAttr(op.attributes["sym_name"]).value: op for op in mod.body.operations}
        (out,) = _Fn(w, funcs).run(funcs["main"], args)
    assert "cond" in _ops(w)

    def ref(x, wv):
        return jnp.sum(lax.cond(jnp.sum(x) > 0, lambda: jnp.sin(x) * wv, lambda: x * x) ** 2)

    check(graph_from_json(w.doc(out, ENC)), ref, np.array(x0))


def test_jax_control_flow_through_the_sdk(fake):
    """from_jax -> Cell: the region functions travel with the Cell's graph (hoisted into the trace)."""
    import gradserve as gs
    from gradserve import Tensor, ops

    def f(p, x):
        c = lax.fori_loop(0, 2, lambda i, c: lax.cond(jnp.sum(c) > 0, jnp.sin, jnp.cos, c) * p["W"], x)
        return jnp.sum(c ** 2)

    x = np.array([0.3, -0.5, 0.9])
    net = gs.from_jax(f, x, params={"W": W0})
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), f({"W": W0}, x), rtol=1e-10)
    gx, gw = ops.grad(net, grad_position=0, weights=net.trainable_params())(Tensor(x))
    rw, rx = jax.grad(f, argnums=(0, 1))({"W": W0}, x)
    np.testing.assert_allclose(gx.asnumpy(), rx, rtol=1e-10)
    np.testing.assert_allclose(gw[0].asnumpy(), rw["W"], rtol=1e-10)
    doc = net.to_graph()
    assert len(doc["functions"]) == 3  # the loop body and the two branches


# -- untrusted sub-graphs: the limits count over all of them ----------------------------------------
def _nested_ifs(depth):
    """depth If nodes, each inside the then-branch of the one before."""
    inner = helper.make_graph([helper.make_node("Neg", ["x"], ["r0"])], "leaf", [], [_vi("r0", [3])])
    for k in range(1, depth + 1):
        node = helper.make_node("If", ["c"], [f"r{k}"], then_branch=inner, else_branch=inner, name=f"if{k}")
        inner = helper.make_graph([node], f"g{k}", [], [_vi(f"r{k}", [3])])
    return _model(list(inner.node), [_vi("c", [], TensorProto.BOOL), _vi("x", [3])], [_vi(f"r{depth}", [3])])


def test_subgraph_nesting_and_node_limits():
    doc = onnx_to_graph(_nested_ifs(3), encode=ENC)  # 3 levels: fine, and correct
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(Engine().run(graph_from_json(doc), [np.bool_(True), x]), -x)
    with pytest.raises(ModelLimitExceeded, match="nested 3 deep, above the limit max_subgraph_depth=2"):
        onnx_to_graph(_nested_ifs(3), encode=ENC, limits={"max_subgraph_depth": 2})
    # every branch counted: 1 + 2 * (1 + 2 * (1 + 2 * 1)) = 15 nodes, though the top graph has one
    with pytest.raises(ModelLimitExceeded, match=r"has 15 nodes \(sub-graphs included\).*max_nodes=5"):
        onnx_to_graph(_nested_ifs(3), encode=ENC, limits={"max_nodes": 5})
    # (round 24: the model's count takes a Loop's body once a trip of its constant M, 1 + 3 x 6 for it, 25 in all:
    # refused before the conversion, which refused it too: "unrolls to 3 (trip count M) x 6 nodes")
    with pytest.raises(ModelLimitExceeded, match=r"has 25 nodes \(sub-graphs included\), a Loop / Scan body once a "
                       r"trip.*max_nodes=17"):
        onnx_to_graph(loop_model(), encode=ENC, limits={"max_nodes": 17})
    # exporters write M = INT64_MAX for "unbounded": refused even without a caller's limit
    with pytest.raises(ModelLimitExceeded, match="unrolls to 9223372036854775807"):
        onnx_to_graph(while_model(np.iinfo(np.int64).max), encode=ENC)


def test_subgraph_refusals_name_the_node():
    bad = helper.make_graph([helper.make_node("Evil", ["x"], ["t"], domain="com.evil", name="e0")], "t", [],
                            [_vi("t", [3])])
    m = _model([helper.make_node("If", ["c"], ["y"], then_branch=bad, else_branch=bad, name="if0")],
               [_vi("c", [], TensorProto.BOOL), _vi("x", [3])], [_vi("y", [3])])
    with pytest.raises(UnsupportedModel, match="com.evil.Evil.*custom domain"):
        onnx_to_graph(m, encode=ENC)
    # a Loop with a computed condition and no constant trip count has no bound: refused, node named
    body = helper.make_graph([helper.make_node("Identity", ["v"], ["vo"]), helper.make_node("Not", ["cin"], ["co"])],
                             "b", [_vi("i", [], TensorProto.INT64), _vi("cin", [], TensorProto.BOOL), _vi("v", [3])],
                             [_vi("co", [], TensorProto.BOOL), _vi("vo", [3])])
    m = _model([helper.make_node("Loop", ["", "c", "x"], ["y"], body=body, name="loop7")],
               [_vi("c", [], TensorProto.BOOL), _vi("x", [3])], [_vi("y", [3])])
    with pytest.raises(UnsupportedModel,
                       match=r"op Loop \(node 'loop7'.*no trip count M and the condition is not a constant-step"):
        onnx_to_graph(m, encode=ENC)
    # branches giving different shapes cannot be one cond
    t = helper.make_graph([helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0)], "t", [], [_vi("s", [])])
    e = helper.make_graph([helper.make_node("Neg", ["x"], ["n"])], "e", [], [_vi("n", [3])])
    m = _model([helper.make_node("If", ["c"], ["y"], then_branch=t, else_branch=e, name="if3")],
               [_vi("c", [], TensorProto.BOOL), _vi("x", [3])], [_vi("y", [3])])
    with pytest.raises(UnsupportedModel, match=r"op If \(node 'if3'.*branches of a gradserve cond"):
        onnx_to_graph(m, encode=ENC)


def test_onnx_unused_scan_outputs_of_a_while_loop_leave_its_answer():
    """A Loop with a computed condition and scan outputs (refused before h-import18, which built them with a static
    length: tests/importers/test_zoo18.py checks the rows and the early-stop error). Here the scan output is no model
    output. With the cond input empty ("") ONNX's spec reads the Loop as a for loop of M = 4 trips (the body's
    condition ignored); the body passes v through, so y is x on any trip count (onnx.reference 1.x fails on this
    model: its Loop ends with no trip run), and the unused rows' check goes with them."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["v"], ["vo"]), helper.make_node("Identity", ["v"], ["yo"]),
         helper.make_node("Not", ["cin"], ["co"])],
        "b", [_vi("i", [], TensorProto.INT64), _vi("cin", [], TensorProto.BOOL), _vi("v", [3])],
        [_vi("co", [], TensorProto.BOOL), _vi("vo", [3]), _vi("yo", [3])])
    m = _model([_const("M", np.int64(4)), helper.make_node("Loop", ["M", "", "x"], ["y", "ys"], body=body, name="l2")],
               [_vi("x", [3])], [_vi("y", [3])])
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_array_equal(Engine().run(graph_from_json(onnx_to_graph(m, encode=ENC)), [x]), x)


# -- torch.cond (torch.export emits torch.ops.higher_order.cond) ----------------------------------
def cond_net(torch):
    class CondNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float32))

        def forward(self, x):
            y = torch.cond(x.sum() > 0, lambda a: torch.sin(a) * self.w, lambda a: a * a + self.w, (x,))
            return (y * y).sum()

    return CondNet()


def test_torch_cond_exported_to_onnx_if():
    """torch.onnx.export(dynamo=True) writes torch.cond as an ONNX If: imported, it gives torch's numbers."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxscript")
    m = cond_net(torch)
    proto = torch.onnx.export(m, (torch.tensor([0.3, 0.5, -0.1]),), dynamo=True, verbose=False).model_proto
    assert "If" in [n.op_type for n in proto.graph.node]
    g = graph_from_json(onnx_to_graph(proto, encode=ENC))
    w_name = [p.name for p in g.params]
    assert len(w_name) == 1  # the weight, read inside both branches
    for x in (np.array([0.3, 0.5, -0.1], np.float32), np.array([-0.3, 0.2, -0.6], np.float32)):
        xt = torch.tensor(x, requires_grad=True)
        loss = m(xt)
        tx, tw = torch.autograd.grad(loss, [xt, m.w])
        np.testing.assert_allclose(Engine().run(g, [x]), loss.item(), rtol=1e-6)
        dx, dw = Engine().run(grad(g, grad_position=0, weights=w_name), [x])
        np.testing.assert_allclose(dx, tx.numpy(), rtol=1e-5)
        np.testing.assert_allclose(dw[0], tw.numpy(), rtol=1e-5)


@pytest.mark.parametrize("x0", [[0.3, 0.5, -0.1], [-0.3, 0.2, -0.6]])
def test_torch_cond(fake, x0):
    torch = pytest.importorskip("torch")
    import gradserve as gs
    from gradserve import Tensor, ops

    m, x = cond_net(torch).double(), np.array(x0)
    net = gs.from_torch(m, (torch.tensor(x),))
    assert "cond" in [n["op"] for n in net.to_graph()["nodes"]]
    xt = torch.tensor(x, requires_grad=True)
    loss = m(xt)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), loss.item(), rtol=1e-12)
    gx, gw = ops.grad(net, grad_position=0, weights=net.trainable_params())(Tensor(x))
    tx, tw = torch.autograd.grad(loss, [xt, m.w])
    np.testing.assert_allclose(gx.asnumpy(), tx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw[0].asnumpy(), tw.numpy(), rtol=1e-12)

    # second order, d/dx sum(d loss/dx): torch.cond has no double backward, so central differences
    # of torch's own first derivative (float64, step 1e-5: error ~1e-10)
    def tgrad_sum(v):
        vt = torch.tensor(v, requires_grad=True)
        return torch.autograd.grad(m(vt), [vt])[0].sum().item()

    eye = np.eye(3) * 1e-5
    fd = np.array([(tgrad_sum(x + e) - tgrad_sum(x - e)) / 2e-5 for e in eye])
    g2 = ops.grad(lambda v: ops.grad(net, grad_position=0)(v).sum(), grad_position=0)(Tensor(x))
    np.testing.assert_allclose(g2.asnumpy(), fd, rtol=1e-6)
