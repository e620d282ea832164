"""engine/factor.py's factor_products on sum trees that read each other (zoo round 11: a continuous normalising
flow's RK4 step through from_torch failed with a 500, KeyError in the plan). A tree whose root was factored is
replaced by a new value; a later tree reaching that root through one of its own inner nodes must read the new
value, not the root's dropped output."""
import numpy as np

from engine import GraphBuilder
from engine.executor import compile_graph, run_numpy
from engine.factor import factor_products
from engine.lower import lower
from engine.optimize import dce


def _chained_trees():
    """r1 = 3x + 3y (factored to (x + y) * 3), used twice; the second tree (r1 + 5x) + 5y reads r1 from its
    inner node."""
    gb = GraphBuilder("t", simplify=False, cse=False)
    x, y = gb.input((4,), dtype="float32"), gb.input((4,), dtype="float32")
    c, k = gb.full((4,), 3.0, "float32"), gb.full((4,), 5.0, "float32")
    r1 = gb.add(gb.mul(x, c), gb.mul(y, c))
    inner = gb.add(r1, gb.mul(x, k))
    return gb.build(gb.mul(gb.add(inner, gb.mul(y, k)), r1))


def _defined_before_use(g) -> list:
    have = {v.id for v in list(g.inputs) + list(g.params)}
    missing = []
    for e in g.eqns:
        missing += [(e.op, x.id) for x in e.inputs if x.id not in have]
        have.update(o.id for o in e.outputs)
    return missing


def test_a_tree_reading_a_factored_root_reads_its_new_value():
    g = _chained_trees()
    out = factor_products(g)
    assert _defined_before_use(out) == []
    # both trees were factored: (x + y) * 3, (x + y) * 5 and the final product, where the graph had five
    assert [e.op for e in dce(out).eqns].count("mul") == 3 and [e.op for e in g.eqns].count("mul") == 5
    x, y = np.arange(4, dtype=np.float32), np.full(4, 0.5, np.float32)
    want = (3 * x + 3 * y + 5 * x + 5 * y) * (3 * x + 3 * y)
    np.testing.assert_allclose(run_numpy(compile_graph(lower(g)), [x, y]), want, rtol=1e-6)
