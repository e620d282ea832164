"""maximum / minimum derivatives with NaN operands, ties, a broadcast operand and infinite cotangents / tangents:
the loser gets exactly 0 (an infinite derivative too), the winner the whole, 0.5 each at ties, each the whole
where an operand is NaN. Expected values: PyTorch's autograd (torch.maximum / torch.minimum, float64), the
jvp PyTorch's forward-mode AD (torch.func.jvp) at finite tangents."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine import Engine, GraphBuilder, grad, jvp  # noqa: E402
from engine.ir import tree_flatten  # noqa: E402

NAN, INF = float("nan"), float("inf")
A = [NAN, 1.0, 2.0, 5.0, 3.0, 0.0]
B = [1.0, NAN, 2.0, 4.0, -INF, 7.0]
CT = [1.0, 2.0, 3.0, INF, -INF, INF]  # (inf where the operands differ: only the winner's share is inf)
TA = [0.5, -3.0, 1.0, -2.0, 1.5, 4.0]  # (finite: PyTorch's forward mode multiplies by the share, inf * 0 = NaN)
TB = [2.0, 0.25, -1.0, 8.0, 3.0, -6.0]


def _graph(op, shape_b):
    gb = GraphBuilder(op)
    a, b = gb.input((6,), "float64", name="a"), gb.input(shape_b, "float64", name="b")
    (out,) = gb.emit(op, [a, b])
    return gb.build(out)


def _run(g, *xs):
    return [np.asarray(v) for v in tree_flatten(Engine().run(g, [np.asarray(x, np.float64) for x in xs]))]


def _t(x):
    return torch.tensor(x, dtype=torch.float64)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_vjp_matches_pytorch(op):
    a, b = _t(A).requires_grad_(), _t(B).requires_grad_()
    getattr(torch, op)(a, b).backward(_t(CT))
    ga, gb_ = _run(grad(_graph(op, (6,)), grad_position=(0, 1), sens_param=True), A, B, CT)
    np.testing.assert_array_equal(ga, a.grad.numpy())
    np.testing.assert_array_equal(gb_, b.grad.numpy())


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_vjp_with_a_broadcast_operand_matches_pytorch(op):
    a, b = _t(A).requires_grad_(), _t([2.0]).requires_grad_()
    getattr(torch, op)(a, b).backward(_t([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    ga, gb_ = _run(grad(_graph(op, (1,)), grad_position=(0, 1), sens_param=True), A, [2.0],
                   [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    np.testing.assert_array_equal(ga, a.grad.numpy())
    np.testing.assert_array_equal(gb_, b.grad.numpy())


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_jvp_matches_pytorch_forward_mode(op):
    _, want = torch.func.jvp(getattr(torch, op), (_t(A), _t(B)), (_t(TA), _t(TB)))
    _, got = _run(jvp(_graph(op, (6,))), A, B, TA, TB)
    finite = ~(np.isnan(A) | np.isnan(B))
    np.testing.assert_array_equal(got[finite], want.numpy()[finite])
    # at a NaN operand PyTorch's forward mode takes one tangent, its reverse mode gives each operand the whole:
    # the jvp here is the transpose of that vjp (the tangents' sum)
    np.testing.assert_array_equal(got[~finite], (np.array(TA) + np.array(TB))[~finite])
