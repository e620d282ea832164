"""Round 17 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 17 (mint.nn.functional, empty
tensors and int / bool mixed into float math, keepdims with tuple axes, negative indices into gather / scatter, kinks
(clamp at its bound, norms at 0), ties (max / min / sort / topk), broadcast where, in-place methods under jvp, jit
closures over Parameters), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK. The harness's
own check and a regression test per wrong answer found. Each test says where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen17 as gen17  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round17_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(gen17.programs17, 17,
                                forms={"mintf17", "edge17", "reduce17", "negidx17", "kink17", "tie17", "where17",
                                       "inplace17", "closure17"},
                                modes={"value", "jvp", "vjp", "jit_grad", "sens", "grad_grad", "grad3", "hessian"},
                                spellings=("F.gelu(", "keepdim=True", "ops.stop_gradient(", "Tensor([-", ".mul_(",
                                           "@ms.jit", "ops.where(", "ops.topk(", "(0, ", "w.set_data(", "'ones'",
                                           "F.normalize(", ".sub_("))


# ----------------------------------------------------------------------------------------- wrong answers fixed
_X = np.array([[1., 2., 3.], [4., 5., 6.]], np.float32)
_W = np.array([[1., 10., 100.], [1000., 10000., 100000.]], np.float32)


@pytest.mark.parametrize("spelling", ["ops.scatter", "tensor_scatter_elements", "TensorScatterElements", "mint.scatter",
                                      "Tensor.scatter"])
def test_scatter_gives_every_repeated_src_value_its_gradient(mindspore_is_gradserve, spelling):
    """A repeated target (index rows [0, 2, 0], also spelled [-3, 2, 0]) keeps the last src value written, but src's
    gradient is the output's gathered at index: each duplicate gets it. Ours gave the overwritten ones 0 (silently:
    [0, 100, 1, 0, 100000, 1000]). Expected: MindSpore 2.10.0 CPU, run by hand (/work/ms_suite_fuzz17/p_scat2.py,
    all five spellings the same; torch 2.13's scatter agrees)."""
    import mindspore as ms
    from mindspore import Tensor, mint, ops
    x, w = Tensor(_X), Tensor(_W)
    for rows in ([[0, 2, 0], [0, 2, 0]], [[-3, 2, 0], [0, -1, -3]]):
        index = Tensor(np.array(rows), ms.int64)
        fn = {"ops.scatter": lambda a, s: ops.scatter(a, 1, index, s),
              "tensor_scatter_elements": lambda a, s: ops.tensor_scatter_elements(a, index, s, 1),
              "TensorScatterElements": lambda a, s: ops.TensorScatterElements(1)(a, index, s),
              "mint.scatter": lambda a, s: mint.scatter(a, 1, index, s),
              "Tensor.scatter": lambda a, s: a.scatter(1, index, s)}[spelling]
        np.testing.assert_array_equal(fn(x, x * 2).asnumpy(), [[6, 2, 4], [12, 5, 10]])
        gx, gs = ops.grad(lambda a, s: (fn(a, s) * w).sum(), (0, 1))(x, x * 2)
        np.testing.assert_array_equal(gx.asnumpy(), [[0, 10, 0], [0, 10000, 0]])
        np.testing.assert_array_equal(gs.asnumpy(), [[1, 100, 1], [1000, 100000, 1000]])


def test_scatter_repeated_targets_forward_and_second_order(mindspore_is_gradserve):
    """jvp and grad of grad through a scatter with repeated targets, and an int32 scatter (no gradient): MindSpore
    2.10.0 CPU's numbers (/work/ms_suite_fuzz17/p_scat3.py, p_scat4.py). A src value that is not finite gets no gradient here (MindSpore: 1)."""
    import mindspore as ms
    from mindspore import Tensor, ops
    x, index = Tensor(_X), Tensor(np.array([[0, 2, 0], [0, 2, 0]]), ms.int64)
    out, tan = ops.jvp(lambda a, s: ops.scatter(a, 1, index, s * s), (x, x * 2), (x * 0 + 1, x * 0 + 1))
    np.testing.assert_array_equal(out.asnumpy().ravel(), [36, 2, 16, 144, 5, 100])
    np.testing.assert_array_equal(tan.asnumpy().ravel(), [16, 1, 8, 40, 1, 20])
    inner = ops.grad(lambda t: (ops.scatter(x, 1, index, t * t) * x).sum())
    np.testing.assert_array_equal(ops.grad(lambda s: (inner(s) * x).sum())(x).asnumpy().ravel(), [35, 44, 30, 236, 200, 219])
    ints = ops.scatter(Tensor(np.arange(6).reshape(2, 3).astype(np.int32)), 1, index, Tensor(np.full((2, 3), 7, np.int32)))
    np.testing.assert_array_equal(ints.asnumpy().ravel(), [7, 1, 7, 7, 4, 7])
    from mindspore.ops import GradOperation  # integers too: every repeated write's gradient (p_scat4.py)
    grads = GradOperation(get_all=True)(lambda a, i, s: ops.scatter(a, 1, i, s))(
        Tensor(np.arange(6, dtype=np.int32).reshape(2, 3)), Tensor(np.array([[0, 0], [1, 0]], np.int32)),
        Tensor(np.array([[5, 6], [7, 8]], np.int32)))
    assert [g.asnumpy().tolist() for g in grads] == [[[0, 1, 1], [0, 0, 1]], [[0, 0], [0, 0]], [[1, 1], [1, 1]]]


_TIED = np.array([[1., 3., -3.], [2., -2., 2.]], np.float32)  # |x|'s largest tied in both rows, the smallest in row 2


@pytest.mark.parametrize("spelling, want", [
    ("vector_norm(x, inf, 1)", [[0, 1, 0], [2, 0, 0]]), ("vector_norm(x, -inf, 1)", [[1, 0, 0], [2, 0, 0]]),
    ("vector_norm(x, inf, 0)", [[0, 1, -1], [1, 0, 0]]), ("vector_norm(x, inf)", [[0, 1, 0], [0, 0, 0]]),
    ("vector_norm(x, -inf)", [[1, 0, 0], [0, 0, 0]]), ("norm(x, inf, 1)", [[0, 1, 0], [2, 0, 0]]),
    ("norm(x, -inf, 1)", [[1, 0, 0], [2, 0, 0]]), ("x.norm(inf, 1)", [[0, 1, 0], [2, 0, 0]]),
    ("matrix_norm(x, 1)", [[0, 1, 0], [0, -1, 0]]), ("matrix_norm(x, inf)", [[1, 1, -1], [0, 0, 0]])])
def test_inf_and_one_norms_give_a_tie_to_the_first_extreme(mindspore_is_gradserve, spelling, want):
    """ops.norm / vector_norm / matrix_norm / Tensor.norm with ord inf / -inf (and a matrix's 1-norm): at tied
    magnitudes the gradient goes to the first one (MindSpore 2.10's ArgMaxWithValue rule); ours split it among the
    ties (silently: [0, 0.5, -0.5] for row [1, 3, -3]). Expected: MindSpore 2.10.0 CPU, run by hand
    (/work/ms_suite_fuzz17/p_norminf.py; the loss weights each output by [1, 2], a scalar by 1)."""
    from mindspore import Tensor, ops
    inf = float("inf")
    fn = {"vector_norm(x, inf, 1)": lambda x: ops.vector_norm(x, inf, 1),
          "vector_norm(x, -inf, 1)": lambda x: ops.vector_norm(x, -inf, 1),
          "vector_norm(x, inf, 0)": lambda x: ops.vector_norm(x, inf, 0), "vector_norm(x, inf)": lambda x: ops.vector_norm(x, inf),
          "vector_norm(x, -inf)": lambda x: ops.vector_norm(x, -inf), "norm(x, inf, 1)": lambda x: ops.norm(x, inf, 1),
          "norm(x, -inf, 1)": lambda x: ops.norm(x, -inf, 1), "x.norm(inf, 1)": lambda x: x.norm(inf, 1),
          "matrix_norm(x, 1)": lambda x: ops.matrix_norm(x, 1), "matrix_norm(x, inf)": lambda x: ops.matrix_norm(x, inf)}[spelling]
    x = Tensor(_TIED)
    out = fn(x)
    w = Tensor(np.array([1., 2.], np.float32)) if out.shape == (2,) else ops.ones_like(out)
    np.testing.assert_array_equal(ops.grad(lambda a: (fn(a) * w).sum())(x).asnumpy(), want)


def test_mint_inf_norm_keeps_the_split_and_lp_norm_takes_int_p_only(mindspore_is_gradserve):
    """mint.linalg.vector_norm / mint.norm at ties keep torch 2.13's split (MindSpore 2.10's CPU has no kernel for
    them; [0, 0.5, -0.5] for row [1, 3, -3]). ops.LpNorm with a float or bool p: MindSpore 2.10.0 CPU's TypeError at
    construction (p=inf gave NaN gradients here); p < 0 its ValueError (p_norminf.py, by hand)."""
    from mindspore import Tensor, mint, ops
    x = Tensor(_TIED)
    for fn in (lambda a: mint.linalg.vector_norm(a, float("inf"), 1), lambda a: mint.norm(a, float("inf"), 1)):
        np.testing.assert_allclose(ops.grad(lambda a: fn(a).sum())(x).asnumpy(),
                                   [[0, 0.5, -0.5], [1 / 3, -1 / 3, 1 / 3]], rtol=1e-6)
    for p, kind in ((2.0, "float"), (float("inf"), "float"), (True, "bool")):
        with pytest.raises(TypeError, match=rf"^For 'LpNorm', the type of 'p' should be 'int', but got type '{kind}'\.$"):
            ops.LpNorm(axis=1, p=p)
    with pytest.raises(ValueError, match=r"^For 'LpNorm', the 'p' must be int and must >= 0, but got '-1' with type 'int'\.$"):
        ops.LpNorm(axis=1, p=-1)


def test_mint_functional_clamp(mindspore_is_gradserve):
    """mint.nn.functional.clamp(input, min=None, max=None): ours had no such name (AttributeError in 5 of round 17's
    programs). MindSpore 2.10.0 CPU (by hand): [[-0.5, 0.5, 1.0]], and d/dx of 3 * clamp(x, 0.5, 2.0) is [[0, 3, 3]]
    (the gradient passes at the bound)."""
    from mindspore import Tensor, ops
    from mindspore.mint.nn import functional as F
    x = Tensor(np.array([[-1., 0.5, 2.]], np.float32))
    np.testing.assert_array_equal(F.clamp(x, -0.5, 1.0).asnumpy(), [[-0.5, 0.5, 1.0]])
    np.testing.assert_array_equal(ops.grad(lambda a: (F.clamp(a, 0.5, 2.0) * 3).sum())(x).asnumpy(), [[0, 3, 3]])
    np.testing.assert_array_equal(F.clamp(x, max=0.0).asnumpy(), [[-1.0, 0.0, 0.0]])
