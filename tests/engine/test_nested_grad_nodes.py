"""Grad-of-grad nodes as the SDK traces them (GradOperation()(GradOperation()(net)), MindSpore's
GradSec(Grad(net))): expanded in the directional form of engine/directional.py, they equal literal
nesting and nth_grad, and are smaller from order 4 on. Nodes outside the identity (sens, weights,
other positions, a body that does more than return the inner grad) are expanded literally."""
import numpy as np
import pytest

from engine import GraphBuilder, lower, nth_grad
from engine.directional import nested_grad_chain
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.serialize import graph_from_json, graph_to_json, tensor_to_json

RNG = np.random.default_rng(7)


# -- nets ------------------------------------------------------------------------------------------
def sin_exp():
    """W6-like elementwise: sin(x) * exp(x)."""
    gb = GraphBuilder("net")
    x = gb.input((4,), "float64", name="x")
    return gb.build(gb.mul(gb.sin(x), gb.exp(x)))


def mlp():
    """tanh(tanh(x @ w1) @ w2), parameters seen by name from the wrapper functions."""
    gb = GraphBuilder("mlp")
    x = gb.input((2, 3), "float64", name="x")
    w1 = gb.param("w1", RNG.normal(size=(3, 4)) * 0.5)
    w2 = gb.param("w2", RNG.normal(size=(4, 2)) * 0.5)
    return gb.build(gb.tanh(gb.matmul(gb.tanh(gb.matmul(x, w1)), w2)))


def two_inputs():
    """Two inputs, two outputs: (sin(x) * exp(y), x * y^2)."""
    gb = GraphBuilder("two")
    x, y = gb.input((3,), "float64", name="x"), gb.input((3,), "float64", name="y")
    return gb.build((gb.mul(gb.sin(x), gb.exp(y)), gb.mul(x, gb.mul(y, y))))


# -- the SDK's node shape ----------------------------------------------------------------------------
def traced(net, levels):
    """The JSON the SDK traces for grad levels over `net` (innermost first; the last is the top
    graph): each function f000k is `inputs -> grad(f000k-1)(inputs) -> outputs`, declaring the net's
    parameters. A level: positions, optional weights, optional sens (top level only)."""
    nj = graph_to_json(net, top=False)
    nj["name"] = prev = "f0000_net"
    functions = {prev: nj}
    ins = [{"name": f"x{i}", "shape": list(v.shape), "dtype": v.dtype} for i, v in enumerate(net.inputs)]
    params = [{"name": p.name, "shape": list(p.shape), "dtype": p.dtype} for p in net.params]
    pav = {p["name"]: p for p in params}
    out_avals = [{"shape": list(v.shape), "dtype": v.dtype} for v in net.flat_outputs]
    for k, lv in enumerate(levels):
        top = k == len(levels) - 1
        assert top or not lv.get("sens")
        sens = [dict(a, name=f"s{j}") for j, a in enumerate(out_avals)] if lv.get("sens") else []
        weights = list(lv.get("weights", ()))
        outs = [f"%{j + 1}" for j in range(len(lv["positions"]) + len(weights))]
        node = {"op": "grad", "inputs": [i["name"] for i in ins + sens], "outputs": outs,
                "attrs": {"fn": prev, "positions": list(lv["positions"]), "weights": weights,
                          "sens": bool(sens), "with_value": False}}
        body = {"name": f"f{k + 1:04d}_GradOperationFn", "inputs": ins + sens, "params": params,
                "nodes": [node], "outputs": outs}
        out_avals = [{k2: ins[p][k2] for k2 in ("shape", "dtype")} for p in lv["positions"]] + \
                    [{k2: pav[w][k2] for k2 in ("shape", "dtype")} for w in weights]
        if top:
            body["params"] = [dict(p, value=tensor_to_json(net.param_values[p["name"]])) for p in params]
            return graph_from_json({"format": "gradserve.graph/1", **body, "functions": functions})
        functions[body["name"]] = body
        prev = body["name"]


def run(g, xs, *, literal=False):
    out = compile_graph(lower(g, literal_nested_grads=literal)).run_host(xs)
    return [np.asarray(o) for o in tree_flatten(out)]


def size(g, *, literal=False) -> int:
    return len(lower(g, literal_nested_grads=literal).eqns)


def top_chain(g):
    """What the expansion sees for the top graph's grad node: (base, order, positions) or None."""
    (e,) = g.eqns
    fn = g.functions[e.attrs["fn"]]
    return nested_grad_chain(g.functions, fn, e.attrs, len(e.inputs), 64)


def assert_same(a, b, rtol=1e-10, atol=1e-12):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol)


NETS = {"sin_exp": (sin_exp, False), "mlp": (mlp, False), "two_inputs_get_all": (two_inputs, True)}


@pytest.mark.parametrize("order", [2, 3, 4, 5])
@pytest.mark.parametrize("net_name", sorted(NETS))
def test_traced_nest_equals_literal_and_nth_grad(net_name, order):
    make, get_all = NETS[net_name]
    net = make()
    pos = list(range(len(net.inputs))) if get_all else [0]
    g = traced(net, [{"positions": pos}] * order)
    assert top_chain(g)[1:] == (order, pos)
    xs = [RNG.normal(size=v.shape) * 0.7 for v in net.inputs]
    fast = run(g, xs)
    assert_same(fast, run(g, xs, literal=True))
    assert_same(fast, run(nth_grad(net, order, get_all=get_all), xs))
    n_fast, n_lit, n_nth = size(g), size(g, literal=True), size(nth_grad(net, order, get_all=get_all))
    assert n_fast <= n_lit, (n_fast, n_lit)
    if order >= 4:  # literal nesting grows like c**order, the directional form polynomially
        assert n_fast <= 0.9 * n_lit, (n_fast, n_lit)
        assert n_fast <= 1.5 * n_nth, (n_fast, n_nth)


def test_seed_gradsec_of_sin():
    """The seed's GradSec(Grad(Net)) with Net = sin: d2/dx2 sin(1) = -sin(1) = -0.841471; and on to order 4."""
    gb = GraphBuilder("net")
    x = gb.input((1,), "float32", name="x")
    net = gb.build(gb.sin(x))
    xs = [np.array([1.0], np.float32)]
    expect = {2: -np.sin(1.0), 3: -np.cos(1.0), 4: np.sin(1.0)}
    for order, v in expect.items():
        (out,) = run(traced(net, [{"positions": [0]}] * order), xs)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, [v], rtol=1e-6)


def test_chain_broken_below_still_directional_above():
    """d/dx^3 of d/dy: the bottom level (position 1) is the base, the three levels above it share
    position 0 and go the directional way."""
    net = two_inputs()
    g = traced(net, [{"positions": [1]}] + [{"positions": [0]}] * 3)
    base, order, pos = top_chain(g)
    assert (order, pos) == (3, [0]) and base.eqns[0].op == "grad"
    xs = [RNG.normal(size=3) for _ in range(2)]
    assert_same(run(g, xs), run(g, xs, literal=True))
    assert size(g) <= size(g, literal=True)


FALLBACKS = {
    # the seed's GradSec with sens_param=True over Grad(get_all=True)
    "sens": (two_inputs, [{"positions": [0, 1]}, {"positions": [0, 1], "sens": True}]),
    # get_by_list inside: the inner function's outputs include weight grads
    "weights": (mlp, [{"positions": [0], "weights": ["w1"]}, {"positions": [0]}]),
    # mixed partial d/dy (d/dx): two directions, no sharing between the levels
    "mismatched_positions": (two_inputs, [{"positions": [0]}, {"positions": [1]}]),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_fallback_is_literal_nesting(case):
    make, levels = FALLBACKS[case]
    net = make()
    g = traced(net, levels)
    assert top_chain(g) is None
    xs = [RNG.normal(size=v.shape) for v in g.inputs]
    out = run(g, xs)
    assert_same(out, run(g, xs, literal=True), rtol=0, atol=0)
    assert size(g) == size(g, literal=True)


@pytest.mark.parametrize("keep", ["reordered", "partial", "repeated"])
def test_wrapper_outputs(keep):
    """The identity needs sum(wrapper) = sum of all its inner grads: reordered outputs keep it
    (directional), a left-out or repeated grad does not (literal)."""
    g = traced(two_inputs(), [{"positions": [0, 1]}] * 4)
    f = g.functions["f0003_GradOperationFn"]
    a, b = f.outputs
    f.outputs = {"reordered": [b, a], "partial": [a], "repeated": [a, a, b]}[keep]
    assert (top_chain(g) is None) == (keep != "reordered")
    xs = [RNG.normal(size=3) for _ in range(2)]
    assert_same(run(g, xs), run(g, xs, literal=True))
    if keep == "reordered":
        assert size(g) < size(g, literal=True)
    # (else the chain below the top is directional on its own, then differentiated literally once
    # more: its form is chosen for the chain alone, so the total may be a node or two off either way)
