"""Every differentiable op: derivatives of order 1, 2, 3 in reverse and forward mode
against central finite differences (float64), and <v, J u> == <J^T v, u>.

Order k is checked against finite differences of the analytic order k-1
derivative (never FD of FD), so each order is held to the same tolerance.
The op list comes from the registry: a new op without a case fails
test_table_covers_registry.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from engine import Engine, GraphBuilder, grad, grad_operation, jvp, nth_grad, vjp
from engine.ir import tree_flatten
from engine.ops import FUNCTION_OPS, OPS

from _optable import CASES, EXEMPT
from _optable_ops import REFUSES

EPS = 1e-6
RTOL = 1e-5


def seed_of(case) -> int:
    return zlib.crc32(case.id.encode())


def scalar_graph(case, dtype="float64"):
    """F(xs) = sum_i sum(out_i * w_i) with fixed random weights w_i (a scalar function of the op)."""
    gb = GraphBuilder("F")
    xs, outs = case.emit(gb, dtype)
    rng = np.random.default_rng(seed_of(case) + 1)
    total = None
    for o in outs:
        w = gb.const(rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape), dtype=dtype)
        t = gb.sum(gb.mul(o, w))
        total = t if total is None else gb.add(total, t)
    return gb.build(total)


def op_graph(case, dtype="float64"):
    gb = GraphBuilder("G")
    xs, outs = case.emit(gb, dtype)
    return gb.build(outs[0] if len(outs) == 1 else tuple(outs))


def fd_grad(phi, xs, eps):
    """Central differences of a scalar function of a list of arrays, per element."""
    out = []
    for i, x in enumerate(xs):
        g = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            xp_, xm = [a.copy() for a in xs], [a.copy() for a in xs]
            xp_[i][j] += eps
            xm[i][j] -= eps
            g[j] = (phi(xp_) - phi(xm)) / (2 * eps)
        out.append(g)
    return out


def assert_close(actual, expected, what, rtol=RTOL):
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    err = float(np.max(np.abs(actual - expected), initial=0.0))
    assert err <= rtol * scale, f"{what}: max abs error {err:.3g} (scale {scale:.3g})\nanalytic={actual}\nfd={expected}"


def rand_like(rng, a):
    return rng.standard_normal(np.shape(a))


def test_table_covers_registry():
    covered = {c.op for c in CASES}
    missing = sorted(set(OPS) - covered - set(EXEMPT))
    assert not missing, f"ops with no numeric test case in tests/engine/_optable.py: {missing}"
    for op in EXEMPT:
        assert op in OPS, f"exempt op {op} is not registered any more"
        # no derivative to check: zero by definition (nondiff), or refused by name for every input (underivable)
        refused_all = set(range(OPS[op].arity)) <= set(OPS[op].underivable) or op in REFUSES
        assert OPS[op].nondiff or refused_all, f"{op} is differentiable: it needs a case, not an exemption"
        assert op not in covered
    stale = sorted(covered - set(OPS))
    assert not stale, f"cases for unknown ops: {stale}"
    assert set(FUNCTION_OPS) <= covered


def reverse_tower(case, backend="numpy"):
    """The reverse-mode tower of scalar_graph(case) at the case's points: (xs, sens, run), where run(k, xs)
    runs order k on `backend` (k=0: F; order k takes sensitivities s_1..s_{k-1} after xs) and lists its outputs."""
    eng = Engine(backend)
    xs = case.draw(seed_of(case))
    rng = np.random.default_rng(seed_of(case) + 2)
    pos = tuple(range(len(xs)))
    d0 = scalar_graph(case)
    d1 = grad(d0, grad_position=pos)                       # (xs) -> grads
    d2 = grad(d1, grad_position=pos, sens_param=True)      # (xs, s1) -> H s1
    d3 = grad(d2, grad_position=pos, sens_param=True)      # (xs, s1, s2) -> d/dx <s2, H s1>
    graphs = [d0, d1, d2, d3]
    sens = [[rand_like(rng, x) for x in xs] for _ in range(2)]

    def run(k, xs_):
        extra = [s for ss in sens[:max(k - 1, 0)] for s in ss]
        return tree_flatten(eng.run(graphs[k], list(xs_) + extra))

    return xs, sens, run


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reverse_orders_1_to_3(case, backend="numpy"):
    xs, sens, run = reverse_tower(case, backend)
    for k in (1, 2, 3):
        analytic = run(k, xs)
        if k == 1:
            def phi(xs_):
                return float(run(0, xs_)[0])
        else:
            def phi(xs_, k=k):  # <s_{k-1}, D_{k-1}(xs, s_1..s_{k-2})>
                return float(sum(np.vdot(s, d) for s, d in zip(sens[k - 2], run(k - 1, xs_))))
        fd = [np.zeros_like(x) for x in xs] if case.zero_derivative else fd_grad(phi, xs, case.fd_eps)
        for i, (a, f) in enumerate(zip(analytic, fd)):
            assert a.dtype == np.float64
            assert_close(a, f, f"{case.id}: reverse order {k}, input {i}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_forward_orders_1_to_3(case, backend="numpy"):
    eng = Engine(backend)
    xs = case.draw(seed_of(case))
    n = len(xs)
    rng = np.random.default_rng(seed_of(case) + 3)
    pos = tuple(range(n))
    t1 = jvp(scalar_graph(case))            # (xs, u1) -> (F, dF[u1])
    t2 = jvp(t1, positions=pos)            # (xs, u1, u2) -> (..., d2F[u1, u2])
    t3 = jvp(t2, positions=pos)            # (xs, u1, u2, u3) -> (..., d3F[u1, u2, u3])
    graphs = [None, t1, t2, t3]
    dirs = [[rand_like(rng, x) for x in xs] for _ in range(3)]
    f0 = scalar_graph(case)

    def top(k, xs_):
        """The highest-order tangent of T_k (k=0: F itself)."""
        if k == 0:
            return float(eng.run(f0, list(xs_)))
        extra = [u for uu in dirs[:k] for u in uu]
        return float(tree_flatten(eng.run(graphs[k], list(xs_) + extra))[-1])

    for k in (1, 2, 3):
        analytic = top(k, xs)
        u = dirs[k - 1]
        h = case.fd_eps
        fd = (top(k - 1, [x + h * d for x, d in zip(xs, u)]) - top(k - 1, [x - h * d for x, d in zip(xs, u)])) / (2 * h)
        if case.zero_derivative:
            fd = 0.0
        assert_close(analytic, fd, f"{case.id}: forward order {k}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_dot_product_identity(case, backend="numpy"):
    """<v, J u> (forward, engine.jvp) == <J^T v, u> (reverse, engine.vjp), and both equal FD."""
    eng = Engine(backend)
    xs = case.draw(seed_of(case))
    rng = np.random.default_rng(seed_of(case) + 4)
    g = op_graph(case)
    us = [rand_like(rng, x) for x in xs]
    outs0 = tree_flatten(eng.run(g, xs))
    vs = [rand_like(rng, o) for o in outs0]
    fwd = jvp(g)
    rev = vjp(g)
    vals, tans = eng.run(fwd, xs + us)
    tans = tree_flatten(tans)
    vals2, cts = eng.run(rev, xs + vs)
    cts = tree_flatten(cts)
    for a, b in zip(tree_flatten(vals), outs0):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(tree_flatten(vals2), outs0):
        np.testing.assert_array_equal(a, b)
    assert len(tans) == len(outs0) and len(cts) == len(xs)
    lhs = sum(float(np.vdot(v, t)) for v, t in zip(vs, tans))
    rhs = sum(float(np.vdot(c, u)) for c, u in zip(cts, us))
    assert_close(lhs, rhs, f"{case.id}: <v, J u> vs <J^T v, u>", rtol=case.dot_rtol)
    if case.zero_derivative:
        assert lhs == 0.0 and rhs == 0.0
        return
    h = case.fd_eps

    def dot_out(xs_):
        return sum(float(np.vdot(v, o)) for v, o in zip(vs, tree_flatten(eng.run(g, xs_))))

    fd = (dot_out([x + h * u for x, u in zip(xs, us)]) - dot_out([x - h * u for x, u in zip(xs, us)])) / (2 * h)
    assert_close(lhs, fd, f"{case.id}: <v, J u> vs FD")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_grad_operation_nested_orders_1_to_3(case, backend="numpy"):
    """GradOperation(get_all=True) applied 1, 2, 3 times (GradSec(Grad(net)) and beyond), both as
    an explicit nest and through nth_grad (which builds it as one reverse pass over a directional
    derivative): order k is the gradient of the sum of order k-1's outputs (MindSpore: no sens
    means ones), checked by FD of that sum, and the two constructions agree."""
    eng = Engine(backend)
    xs = case.draw(seed_of(case))
    nest = [scalar_graph(case)]
    for _ in range(3):
        nest.append(grad_operation(nest[-1], get_all=True))
    direct = [None] + [nth_grad(scalar_graph(case), k, get_all=True) for k in (1, 2, 3)]

    def total(k, xs_):
        return float(sum(np.sum(o) for o in tree_flatten(eng.run(nest[k], list(xs_)))))

    for k in (1, 2, 3):
        analytic = tree_flatten(eng.run(nest[k], xs))
        fd = [np.zeros_like(x) for x in xs] if case.zero_derivative else \
            fd_grad(lambda xs_, k=k: total(k - 1, xs_), xs, case.fd_eps)
        via_nth = tree_flatten(eng.run(direct[k], xs))
        for i, (a, f, d) in enumerate(zip(analytic, fd, via_nth)):
            assert_close(a, f, f"{case.id}: GradOperation nested {k}x, input {i}")
            assert_close(d, a, f"{case.id}: nth_grad({k}) vs nested GradOperation, input {i}", rtol=1e-9)
