"""Issue #13's plan rules that remove kernel steps: sign motion once more after contract (a negation
behind a reshape folds into a constant factor; a product with a constant +-1 is a signed operand),
engine/factor.py (A @ C - B @ C = (A - B) @ C, C a finite constant), engine/reuse.py ((s * a) * b
is s * (a * b) where a * b is made anyway) and engine/doubling.py's scale sinking (K * f(c * x) is
f(x) * (K * c), f linear). Each rule on a small graph against
the unoptimised plan of the same graph (lower(..., opt=False)): values (bit for bit where the rule is
exact, to float rounding where it reassociates), dtypes, shapes, and NaN / inf inputs; then the step
count of a second-order graph (L1's shape and sizes), which the base tree (8ca7a5d4) plans in 61 kernel
steps, two of them negations."""
import numpy as np
import pytest

from engine import GraphBuilder, transforms
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.lower import lower
from test_plan_passes import deep_potential_step

RNG = np.random.default_rng(1313)
VIEWS = ("reshape", "expand_dims", "squeeze")


def plans(build, *arrays, dtype="float32"):
    """(optimised plan, unoptimised plan) of build(gb, *inputs)."""
    gb = GraphBuilder("s")
    xs = [gb.input(a.shape, dtype=dtype) for a in arrays]
    g = gb.build(build(gb, *xs))
    return compile_graph(lower(g)), compile_graph(lower(g, opt=False))


def outputs(plan, *arrays, dtype="float32"):
    return [np.asarray(o) for o in tree_flatten(plan.run_host([a.astype(dtype) for a in arrays]))]


def kernels(plan) -> list[str]:
    return [e.op for e in plan.step_eqns if e.op not in VIEWS]


def same(got, ref, exact: bool):
    for a, b in zip(got, ref):
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a) * np.sign(a), np.isinf(b) * np.sign(b))
        if exact:  # bit for bit (a NaN's sign bit aside: negation flips it, IEEE gives it no meaning)
            keep = ~np.isnan(b)
            assert a[keep].tobytes() == b[keep].tobytes()
        else:  # reassociated: a few roundings of the operands' scale
            fin = np.isfinite(b)
            scale = float(np.max(np.abs(b[fin]), initial=1.0))
            np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=8 * np.finfo(a.dtype).eps * scale)


def with_specials(x):
    x = x.copy()
    x.flat[0], x.flat[1], x.flat[2] = np.nan, np.inf, -np.inf
    return x


# -- sign motion ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_negation_behind_a_reshape_folds_into_the_constant_factor(dtype):
    """-(reshape(x * c)) with two uses: x * (-c), reshaped (the plan folds -c); no neg step."""
    c = np.linspace(0.5, 2.0, 4)

    def build(gb, x, w):
        n = gb.neg(gb.reshape(gb.mul(gb.tanh(x), gb.const(c.astype(dtype))), shape=(3, 4)))
        return gb.matmul(n, w), gb.exp(n)

    x, w = RNG.standard_normal((3, 1, 4)), RNG.standard_normal((4, 2))
    opt, raw = plans(build, x, w, dtype=dtype)
    assert "neg" not in kernels(opt) and "neg" in kernels(raw), (kernels(opt), kernels(raw))
    for xs in ((x, w), (with_specials(x), w)):
        same(outputs(opt, *xs, dtype=dtype), outputs(raw, *xs, dtype=dtype), exact=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_product_with_a_constant_minus_one_is_a_subtraction(dtype):
    """grad(sum(tanh(x)) - 0.5 * sum(x * x)): fold_doubling leaves x * (c + c), c = -0.5, after the
    builder's rules ran; the last sign motion reads it as -x, so (1 - tanh^2) - x: no mul step (L2, L3)."""
    gb = GraphBuilder("logp")
    x = gb.input((10,), dtype, "x")
    logp = gb.sub(gb.sum(gb.tanh(x)), gb.mul(gb.scalar(0.5, dtype), gb.sum(gb.mul(x, x))))
    g = transforms.grad(gb.build(logp))
    opt, raw = compile_graph(lower(g)), compile_graph(lower(g, opt=False))
    assert kernels(opt) == ["tanh", "square", "sub", "sub"], kernels(opt)  # base tree: a mul and an add
    xs = RNG.standard_normal(10)
    for v in (xs, with_specials(xs)):
        same(outputs(opt, v, dtype=dtype), outputs(raw, v, dtype=dtype), exact=True)


def test_a_product_with_a_constant_plus_one_is_its_operand_and_other_constants_stay():
    def build(gb, x):
        one, half = gb.scalar(0.5, "float32"), gb.scalar(0.25, "float32")
        return gb.mul(gb.exp(x), gb.add(half, half)), gb.mul(gb.exp(x), gb.add(one, one))

    x = RNG.standard_normal((4,))
    opt, raw = plans(build, x)
    assert kernels(opt) == ["exp", "mul"], kernels(opt)  # * 0.5 stays; * 1.0 is gone
    same(outputs(opt, with_specials(x)), outputs(raw, with_specials(x)), exact=True)


# -- shared factors --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_difference_of_column_sums_is_one_product_with_ones(dtype):
    """sum(M, 0) - sum(N, 0) + b: contract makes each sum ones @ x; factored, ones @ (M - N)."""
    def build(gb, m, n, b):
        return gb.add(gb.sub(gb.sum(gb.tanh(m), axis=(0,)), gb.sum(gb.exp(n), axis=(0,))), b)

    m, n, b = RNG.standard_normal((32, 16)), RNG.standard_normal((32, 16)), RNG.standard_normal((16,))
    opt, raw = plans(build, m, n, b, dtype=dtype)
    assert kernels(opt).count("matmul") == 1 and len(kernels(opt)) == 5, kernels(opt)  # tanh exp sub matmul add
    m2 = m.copy()
    m2[3, 2] = np.nan
    n2 = n.copy()
    n2[1, 1], n2[4, 5], n2[2, 7] = np.inf, 1e3, np.inf  # inf in a column, exp(1000) = inf, inf - inf = NaN
    m2[7, 7] = 1e3  # tanh(1000) = 1: finite
    for xs in ((m, n, b), (m2, n2, b)):
        same(outputs(opt, *xs, dtype=dtype), outputs(raw, *xs, dtype=dtype), exact=False)


def test_shared_finite_constant_factor_of_a_broadcast_product():
    """x * c + y * c (c a (1, 8) constant, x and y (6, 8)): (x + y) * c, shape and dtype kept."""
    c = np.linspace(-1.0, 1.0, 8).reshape(1, 8).astype(np.float32)

    def build(gb, x, y):
        k = gb.const(c)
        return gb.add(gb.mul(gb.tanh(x), k), gb.mul(k, gb.exp(y)))

    x, y = RNG.standard_normal((6, 8)), RNG.standard_normal((6, 8))
    opt, raw = plans(build, x, y)
    assert kernels(opt) == ["tanh", "exp", "add", "mul"], kernels(opt)
    for xs in ((x, y), (x, with_specials(y))):
        same(outputs(opt, *xs), outputs(raw, *xs), exact=False)


def test_a_factor_computed_at_run_time_is_not_shared():
    """x * z - y * z with z an input: z may be inf, where x * inf - y * inf is NaN for x, y of one sign
    but (x - y) * inf an inf. Left as built."""
    def build(gb, x, y, z):
        return gb.sub(gb.mul(gb.exp(x), z), gb.mul(gb.exp(y), z))

    x, y, z = RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4))
    opt, raw = plans(build, x, y, z)
    assert kernels(opt) == ["exp", "mul", "exp", "mul", "sub"], kernels(opt)
    z[0, 0] = np.inf
    got = outputs(opt, x, y, z)
    assert np.isnan(got[0][0, 0])
    same(got, outputs(raw, x, y, z), exact=True)


# -- products the graph has ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_product_chain_reuses_a_product_the_graph_has(dtype):
    """w * d is an output; (s * w) * d and ((w * x) * 2) * d are s * (w * d) and ((w * d) * x) * 2:
    two muls less (engine/reuse.py)."""
    def build(gb, w, d, s, x):
        wd = gb.mul(w, gb.exp(d))
        return wd, gb.mul(gb.mul(s, w), gb.exp(d)), gb.mul(gb.mul(gb.mul(w, x), gb.scalar(2.0, dtype)), gb.exp(d))

    w, d, s, x = (RNG.standard_normal(sh) for sh in ((1, 8), (6, 8), (1, 1), (6, 8)))
    opt, raw = plans(build, w, d, s, x, dtype=dtype)
    assert kernels(opt).count("mul") == 4 and kernels(raw).count("mul") == 6, (kernels(opt), kernels(raw))
    for xs in ((w, d, s, x), (with_specials(w), with_specials(d), s, with_specials(x))):
        same(outputs(opt, *xs, dtype=dtype), outputs(raw, *xs, dtype=dtype), exact=False)


def test_a_product_is_not_rebuilt_around_its_own_factors():
    """(a * b) * c with only its own inner product a * b in the graph: left as built, bit for bit."""
    def build(gb, a, b, c):
        return gb.mul(gb.mul(gb.exp(a), gb.tanh(b)), gb.exp(c))

    a, b, c = (RNG.standard_normal((3, 4)) for _ in range(3))
    opt, raw = plans(build, a, b, c)
    assert kernels(opt) == ["exp", "tanh", "mul", "exp", "mul"], kernels(opt)
    same(outputs(opt, a, b, c), outputs(raw, a, b, c), exact=True)


# -- scales --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_scale_sinks_into_a_constant_further_on(dtype):
    """mask * sum((r(c * t) - r'(c * t)) * e, -1), c = 1/24 (L1's force residual): c goes into the mask,
    which the plan folds; no product with a 0-d constant is left (engine/doubling.py)."""
    mask = (1 - np.eye(5))

    def build(gb, v, w):
        s = gb.mul(gb.tanh(v), gb.scalar(1 / 24, dtype))
        d = gb.sub(gb.reshape(s, shape=(5, 1, 3)), gb.reshape(s, shape=(1, 5, 3)))
        return gb.mul(gb.sum(gb.mul(d, gb.exp(w)), axis=(-1,)), gb.const(mask.astype(dtype)))

    v, w = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 5, 3))
    opt, raw = plans(build, v, w, dtype=dtype)
    scaled = [e for e in opt.step_eqns if e.op == "mul" and any(x.aval.ndim == 0 for x in e.inputs)]
    assert not scaled and len(kernels(opt)) == len(kernels(raw)) - 1, (kernels(opt), kernels(raw))
    for xs in ((v, w), (with_specials(v), with_specials(w))):
        same(outputs(opt, *xs, dtype=dtype), outputs(raw, *xs, dtype=dtype), exact=False)


# -- a second-order graph: L1's -----------------------------------------------------------------
def test_deep_potential_step_at_l1_sizes_takes_six_kernel_steps_less():
    """The base tree: 61 kernel steps with two negations; now 55 and none (one sign folded into the
    scales, one into a sub, the bias gradient's two column sums one, two products of the second layer's
    chain reuse w2 * (1 - tanh^2), the force residual's 1/24 sinks into the mask). Values against the
    unoptimised plan."""
    g, _, _ = deep_potential_step("float32", 32, 16, 32)
    opt, raw = compile_graph(lower(g)), compile_graph(lower(g, opt=False))
    # stop 56: the layout pass (engine/layout.py) computes the pair arrays coordinate-major: three transposes at
    # the group's edges (views, no arithmetic) and one compute step more, for 9.2% fewer instructions a run
    # (benchmarks/LOOPS_REPORT.md, h-l1layout): 56 compute steps + 3 views
    compute = [k for k in kernels(opt) if k != "transpose"]
    assert len(compute) <= 56 and kernels(opt).count("transpose") <= 3 and "neg" not in kernels(opt), kernels(opt)
    R, F = RNG.standard_normal((32, 3)) * 1.5, RNG.standard_normal((32, 3)) * 0.1
    E = np.asarray(RNG.standard_normal())
    got, ref = outputs(opt, R, E, F), outputs(raw, R, E, F)
    for a, b in zip(got, ref):
        assert a.shape == b.shape and a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6 * float(np.max(np.abs(b))))


def test_deep_potential_step_at_l1_sizes_runs_one_numpy_call_a_kernel_step():
    """The NumPy program of L1's plan calls a kernel once per kernel step: its two pair differences
    ((32, 1, 3) - (1, 32, 3), np_broadcast's swapped views) one ufunc call each. Base47: 59 calls a run,
    each pair difference three (one per coordinate). Values against the unoptimised plan above."""
    import re

    g, _, _ = deep_potential_step("float32", 32, 16, 32)
    plan = compile_graph(lower(g))
    run = plan.program.source.split("    def run(")[1]
    calls = [ln.strip() for ln in run.splitlines() if re.search(r"= k\d+\(|^\s*u\d+\(|_matmul_pair\(", ln)]
    # one NumPy call a compute step; a transpose is a view, made once per arena where its operand is an arena value
    n_views = kernels(plan).count("transpose")
    assert len(kernels(plan)) - n_views <= len(calls) <= len(kernels(plan)), calls
    # (the two pair differences were np_broadcast's swapped-view ufunc calls, `u` lines; since stop 56 they are
    # `sub` kernel steps of the coordinate-major layout, engine/layout.py: one call each, counted above)
    assert sum(c.startswith("u") for c in calls) == 0, calls
