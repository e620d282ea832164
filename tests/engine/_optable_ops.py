"""Op-table cases for the ops of issue #14 (conv, pooling, norms, ...): `_optable.CASES` takes
these, so test_ops_numeric (orders 1-3, both modes, FD, <v, J u> = <J^T v, u>) and
test_backends (array-api-strict, PyTorch) run them like every other op. Forward values
are checked against PyTorch / JAX in tests/engine/test_model_ops.py."""
from __future__ import annotations

import numpy as np

from _optable import Case, K, X

EXEMPT = {
    "max_pool_mask": "one-hot of the arg-max of each window: piecewise constant, nondiff",
    "lu_pivots_to_permutation": "integer row order from lu's integer pivots: nondiff",
    "eig": "complex outputs, no derivative (MindSpore defines none): refused by name, tests/engine/test_linalg_eig.py",
    "linear_sum_assignment": "integer matching (piecewise constant in the cost): nondiff",
    "igamma_da": "d/da of igamma, refused by name for both inputs: its values, and igamma's first derivative "
                 "w.r.t. a, are checked in tests/engine/test_igamma_grad_a.py",
    "betainc_da": "d/da of betainc, refused by name for every input: its values, and betainc's first derivatives "
                  "w.r.t. a and b, are checked in tests/engine/test_betainc_grad_ab.py",
    "betainc_db": "d/db of betainc: as betainc_da",
    "bprop_undefined": "y as it is, its reverse rule a refusal by design (MindSpore's primitives with no bprop): "
                       "tests/engine/test_bprop_undefined.py",
}
EXEMPT["no_kernel"] = "a stand-in that refuses to run, nondiff: tests/engine/test_bprop_undefined.py"
# ops whose reverse rule refuses wherever a gradient reaches them (no derivative to check numerically)
REFUSES = {"bprop_undefined"}


def _sep(shape, gap=0.05):
    """Distinct values (a random permutation of a spaced grid): no ties, so max / sort are smooth."""
    def sample(rng):
        n = int(np.prod(shape))
        return [rng.permutation(np.arange(n) * gap - n * gap / 2).reshape(shape) + rng.uniform(0, gap / 10, shape)]
    return sample


CASES: list[Case] = [
    Case("conv", [X((2, 2, 5)), X((4, 1, 3))], {"strides": (2,), "padding": ((1, 2),), "groups": 2}, name="1d"),
    Case("conv", [X((1, 3, 5, 4)), X((2, 3, 2, 3))], {"padding": ((1, 0), (1, 1)), "dilation": (2, 1)}, name="2d"),
    Case("conv", [X((1, 2, 3, 4, 3)), X((2, 1, 2, 2, 2))], {"strides": (1, 2, 1), "groups": 2}, name="3d"),
    Case("conv_transpose", [X((2, 2, 3)), X((2, 2, 3))], {"strides": (2,), "padding": ((1, 1),),
                                                           "output_padding": (1,)}, name="1d"),
    Case("conv_transpose", [X((1, 4, 3, 2)), X((4, 1, 2, 3))],
         {"strides": (2, 1), "dilation": (1, 2), "groups": 2, "padding": ((0, 1), (1, 0))}, name="2d"),
    Case("im2col", [X((1, 2, 4, 3))], {"window": (2, 2), "strides": (2, 1), "padding": ((1, 0), (0, 1))}),
    Case("col2im", [X((1, 2, 4, 2, 3))], {"shape": (4, 3), "window": (2, 2), "strides": (2, 1),
                                          "padding": ((1, 0), (0, 1))}),
    Case("avg_pool", [X((2, 2, 5, 4))], {"window": (2, 3), "strides": (2, 1), "padding": ((1, 0), (1, 1))},
         name="2d-pad"),
    Case("avg_pool", [X((1, 2, 5))], {"window": (3,), "strides": (2,), "padding": ((1, 1),),
                                      "count_include_pad": False}, name="1d-exclude-pad"),
    Case("max_pool", [X((2, 2, 5, 4))], {"window": (2, 2), "strides": (2, 1), "padding": ((1, 0), (0, 1))},
         name="2d", sample=_sep((2, 2, 5, 4))),
    Case("max_pool", [X((1, 2, 7))], {"window": (3,), "strides": (2,), "dilation": (2,)}, name="1d-dilated",
         sample=_sep((1, 2, 7))),
]

_C4 = (2, 4, 3)
CASES += [
    Case("gelu", [X((2, 3), -3, 3)], {"approximate": "none"}, name="erf"),
    Case("gelu", [X((2, 3), -3, 3)], {"approximate": "tanh"}, name="tanh"),
    Case("layer_norm", [X((2, 3, 4))], {"axis": -1}, name="last"),
    Case("layer_norm", [X((2, 3, 4)), X((3, 4)), X((3, 4))], {"axis": 1, "epsilon": 1e-3}, name="affine"),
    Case("group_norm", [X(_C4), X((4,)), X((4,))], {"num_groups": 2}, name="affine"),
    Case("group_norm", [X((2, 4, 2, 2))], {"num_groups": 4}, name="instance"),
    Case("batch_norm", [X(_C4), X((4,)), X((4,)), X((4,)), X((4,), 0.5, 2.0)], {"training": True}, name="train"),
    Case("batch_norm", [X((3, 4)), X((4,)), X((4,)), X((4,)), X((4,), 0.5, 2.0)], {"epsilon": 1e-3}, name="infer"),
    Case("einsum", [X((2, 3, 4)), X((2, 4, 3))], {"equation": "bij,bjk->bik"}, name="bmm"),
    Case("einsum", [X((2, 3)), X((3, 4)), X((4,))], {"equation": "ij,jk,k->i"}, name="chain3"),
    Case("einsum", [X((2, 3, 4))], {"equation": "abc->ca"}, name="sum-transpose"),
    Case("einsum", [X((2, 2, 3)), X((3, 2))], {"equation": "...ij,jk"}, name="ellipsis-implicit"),
    Case("dot_general", [X((2, 3, 4)), X((4, 2, 5))],
         {"lhs_contracting": (2,), "rhs_contracting": (0,), "lhs_batch": (0,), "rhs_batch": (1,)}, name="batch"),
]

EXEMPT.update({
    "arange": "a constant (no inputs), nondiff",
    "iota": "a constant (no inputs), nondiff",
    "argmax": "int64 output, nondiff",
    "argmin": "int64 output, nondiff",
})


def _first(op, **attrs):
    """The op's first output only (sort / top_k: the differentiable values, not the int64 indices)."""
    return lambda gb, ins, dtype: [gb.emit(op, ins, attrs)[0]]


def _i(v):
    return K(np.asarray(v, np.int64))


CASES += [
    Case("pad", [X((2, 3))], {"pads": ((1, 2), (0, 1)), "value": 0.5}, name="constant"),
    Case("pad", [X((3, 4))], {"pads": ((2, 1), (1, 3)), "mode": "reflect"}, name="reflect"),
    Case("pad", [X((2, 3))], {"pads": ((1, 0), (2, 2)), "mode": "edge"}, name="edge"),
    Case("pad", [X((3, 4))], {"pads": ((-1, 1), (0, -2))}, name="crop"),
    Case("flip", [X((2, 3, 2))], {"axis": (0, 2)}, name="axes"),
    Case("flip", [X((2, 3))], {"axis": None}, name="all"),
    Case("clip", [X((2, 3), -2, 2)], {"min": -0.5, "max": 0.7}, name="attrs",
         sample=lambda rng: [np.array([[-1.3, -0.2, 0.4], [0.9, 1.7, -0.8]])]),
    Case("clip", [X((2, 3), -2, 2), X((3,), -1, -0.3), X((2, 1), 0.2, 1)], name="tensors",
         sample=lambda rng: [np.array([[-1.3, -0.2, 0.4], [0.9, 1.7, -0.8]]), np.array([-0.5, -0.6, -0.4]),
                             np.array([[0.6], [0.5]])]),
    Case("take_along_axis", [X((2, 3)), _i([[2, 0, 2, -1], [1, 1, 0, 0]])], {"axis": 1}, name="ax1"),
    Case("scatter_add_along", [X((2, 4)), _i([[2, 0, 2, 1], [1, 1, 0, -1]])], {"shape": (2, 3), "axis": 1},
         name="ax1"),
    Case("scatter", [X((3, 2)), _i([[2, 0], [0, 0]]), X((2, 2))], {"axis": 0}, name="replace"),
    Case("scatter", [X((3, 2)), _i([[2, 0], [2, 1]]), X((2, 2))], {"axis": 0, "reduction": "add"}, name="add"),
    Case("dynamic_slice", [X((4, 3)), _i(1), _i(5)], {"sizes": (2, 2)}, name="clamped"),
    Case("dynamic_update_slice", [X((4, 3)), X((2, 2)), _i(3), _i(-1)], name="clamped"),
    Case("cumsum", [X((2, 4))], {"axis": 1}, name="ax1"),
    Case("cumsum", [X((3, 2))], {"axis": 0, "exclusive": True, "reverse": True}, name="excl-rev"),
    Case("cumprod", [X((2, 4), 0.5, 1.5, pm=True)], {"axis": 1}, name="ax1"),
    Case("cumprod", [X((3, 2), 0.5, 1.5, pm=True)], {"axis": 0, "exclusive": True, "reverse": True},
         name="excl-rev"),
    # a zero in the input: derivatives exact (the step as for prod-zero in _optable.py)
    Case("cumprod", [X((2, 3))], {"axis": 1}, name="zeros", fd_eps=1e-3,
         sample=lambda rng: [np.array([[0.0, 0.7, -1.2], [0.9, 0.0, 1.3]])]),
    Case("sort", [X((2, 5))], build=_first("sort", axis=1), sample=_sep((2, 5))),
    Case("sort", [X((3, 2))], name="desc-ax0", build=_first("sort", axis=0, descending=True), sample=_sep((3, 2))),
    Case("sort_stl", [X((2, 5))], build=_first("sort_stl", axis=1), sample=_sep((2, 5))),
    Case("sort_stl", [X((3, 2))], name="desc-ax0", build=_first("sort_stl", axis=0, descending=True),
         sample=_sep((3, 2))),
    Case("top_k", [X((2, 5))], build=_first("top_k", k=3), sample=_sep((2, 5))),
    Case("top_k", [X((4, 2))], name="smallest-ax0", build=_first("top_k", k=2, axis=0, largest=False),
         sample=_sep((4, 2))),
    Case("top_k_stl", [X((2, 5))], build=_first("top_k_stl", k=3), sample=_sep((2, 5))),
    Case("top_k_stl", [X((4, 2))], name="smallest-ax0", build=_first("top_k_stl", k=2, axis=0, largest=False),
         sample=_sep((4, 2))),
    Case("top_k_unsorted", [X((2, 5))], build=_first("top_k_unsorted", k=3), sample=_sep((2, 5))),
    Case("top_k_unsorted", [X((4, 2))], name="smallest-ax0", build=_first("top_k_unsorted", k=2, axis=0,
                                                                          largest=False), sample=_sep((4, 2))),
]



def _svd_parts(which, signs="lapack", full_matrices=False):
    """svd's outputs through functions that do not depend on the singular vectors' signs (LAPACK picks
    them, or Eigen's replay): s; u vh (the polar factor: both cotangents); u^2 (u's alone); vh^2 (vh's alone).
    full_matrices with |m - n| = 1: the one completing column (unique up to its sign) is in u^2 / vh^2."""
    def build(gb, ins, dtype):
        u, s, vh = gb.emit("svd", ins, {"signs": signs, "full_matrices": full_matrices})
        parts = {"s": lambda: [s], "polar": lambda: [s, gb.emit("matmul", [u, vh], {})[0]],
                 "u": lambda: [gb.emit("square", [u], {})[0]], "vh": lambda: [gb.emit("square", [vh], {})[0]]}
        return parts[which]()  # (only the one asked for: u vh needs the reduced factors)
    return build


CASES += [  # random matrices: distinct, nonzero singular values (u's and vh's derivatives divide by their gaps)
    Case("svd", [X((4, 3))], name="s-tall", build=_svd_parts("s")),
    Case("svd", [X((2, 2, 3))], name="s-wide-batch", build=_svd_parts("s")),
    Case("svd", [X((3, 3))], name="polar-square", build=_svd_parts("polar")),
    Case("svd", [X((4, 2))], name="u-tall", build=_svd_parts("u")),
    Case("svd", [X((2, 4))], name="vh-wide", build=_svd_parts("vh")),
    Case("svd", [X((2, 3))], name="polar-wide", build=_svd_parts("polar")),
    Case("svd", [X((4, 3))], name="polar-tall-eigen-signs", build=_svd_parts("polar", "eigen")),
    Case("svd", [X((2, 3, 3))], name="u-batch-eigen-signs", build=_svd_parts("u", "eigen")),
    Case("svd", [X((3, 2))], name="u-tall-full", build=_svd_parts("u", "eigen", True)),
    Case("svd", [X((2, 4, 3))], name="u-tall-batch-full", build=_svd_parts("u", "lapack", True)),
    Case("svd", [X((2, 3))], name="vh-wide-full", build=_svd_parts("vh", "eigen", True)),
]

def _mats(*shapes, spd=(), shift=3.0, skew=0.0):
    """Well-conditioned matrices: a random one plus shift * I (shapes[i] [..., n, n]); SPD (M M^T + n I, plus
    a skew-symmetric part of size `skew` that cholesky must ignore) for the indices in `spd`; any other
    shape is drawn plain."""
    def sample(rng):
        out = []
        for i, shape in enumerate(shapes):
            m = rng.uniform(-1, 1, shape)
            if i in spd:
                k = rng.uniform(-1, 1, shape)
                m = m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1]) + skew * (k - np.swapaxes(k, -1, -2))
            elif len(shape) >= 2 and shape[-1] == shape[-2]:
                m = m + shift * np.eye(shape[-1]) * rng.choice([-1.0, 1.0], shape[:-1])[..., None]
            out.append(m)
        return out
    return sample


def _out(op, k, **attrs):
    """Output k of op."""
    return lambda gb, ins, dtype: [gb.emit(op, ins, attrs)[k]]


def _det(gb, ins, dtype):
    """sign * exp(logabsdet): the determinant (the sign's derivative is zero; FD agrees away from det = 0)."""
    sign, lad = gb.emit("slogdet", ins, {})
    return [gb.emit("mul", [sign, gb.emit("exp", [lad], {})[0]], {})[0], lad]


CASES += [
    Case("cholesky", [X((3, 3))], name="spd", sample=_mats((3, 3), spd=(0,))),
    Case("cholesky", [X((2, 4, 4))], name="batch-skew-ignored", sample=_mats((2, 4, 4), spd=(0,), skew=0.3)),
    Case("triangular_solve", [X((3, 3)), X((3, 2))], name="lower", sample=_mats((3, 3), (3, 2))),
    Case("triangular_solve", [X((2, 3, 3)), X((2, 3, 1))], {"lower": False, "transpose_a": True},
         name="upper-T-batch", sample=_mats((2, 3, 3), (2, 3, 1))),
    Case("triangular_solve", [X((4, 4)), X((4, 3))], {"transpose_a": True, "unit_diagonal": True},
         name="lower-T-unit", sample=_mats((4, 4), (4, 3), shift=0.0)),
    Case("solve", [X((3, 3)), X((3, 2))], name="mat", sample=_mats((3, 3), (3, 2))),
    Case("solve", [X((2, 4, 4)), X((2, 4, 1))], name="batch", sample=_mats((2, 4, 4), (2, 4, 1))),
    Case("matrix_inverse", [X((3, 3))], sample=_mats((3, 3))),
    Case("matrix_inverse", [X((2, 2, 2))], name="batch", sample=_mats((2, 2, 2))),
    Case("slogdet", [X((3, 3))], name="logabsdet", build=_out("slogdet", 1), sample=_mats((3, 3))),
    Case("slogdet", [X((2, 3, 3))], name="det-batch", build=_det, sample=_mats((2, 3, 3))),
    # det / det_grad: polynomials in a, so any matrix (a singular one too) is a smooth point: orders 1-3 vs FD
    Case("det", [X((3, 3))], name="random"),
    Case("det", [X((2, 4, 4))], name="batch-rank-2", sample=lambda rng: [_low_rank(rng, (2, 4, 4), 2)]),
    Case("det_grad", [X((3, 3))], name="cofactor"),
    Case("det_grad", [X((4, 4)), X((4, 4))], name="one-direction-rank-3",
         sample=lambda rng: [_low_rank(rng, (4, 4), 3), rng.uniform(-1, 1, (4, 4))]),
    Case("det_grad", [X((2, 4, 4)), X((2, 4, 4)), X((2, 4, 4))], name="two-directions-batch"),
    # matrix_exp (engine/ops/linalg_expm.py): no squaring at a small norm; a batch whose matrices need 0-2
    Case("matrix_exp", [X((3, 3))], name="unscaled"),
    Case("matrix_exp", [X((3, 3, 3))], name="batch-squarings",
         sample=lambda rng: [rng.uniform(-1, 1, (3, 3, 3)) * np.array([0.5, 4.0, 8.0])[:, None, None]]),
]


def _low_rank(rng, shape, rank):
    """Matrices [..., n, n] of the given rank (a product of [n, rank] and [rank, n] factors)."""
    left = rng.uniform(-1, 1, shape[:-1] + (rank,))
    return left @ rng.uniform(-1, 1, shape[:-2] + (rank, shape[-1]))

def _permuted(shape, perm):
    """_mats' well-conditioned matrices with their rows in the order `perm`: partial pivoting undoes it, and
    its choice is stable under finite-difference steps (each pivot wins by a wide margin)."""
    def sample(rng):
        return [_mats(shape)(rng)[0][..., list(perm), :]]
    return sample


CASES += [  # lu: the packed factor (pivots / info are integers, nondiff)
    Case("lu", [X((3, 3))], name="no-swaps", build=_out("lu", 0), sample=_mats((3, 3))),
    Case("lu", [X((4, 4))], name="swaps", build=_out("lu", 0), sample=_permuted((4, 4), (2, 0, 3, 1))),
    Case("lu", [X((2, 3, 3))], name="batch-swaps", build=_out("lu", 0), sample=_permuted((2, 3, 3), (1, 2, 0))),
]



def _sym_parts(which, lower=True):
    """eigh's outputs through functions that do not depend on the eigenvectors' signs (LAPACK picks them):
    w; v diag(w^3) v^T (both cotangents); v^2 (v's alone)."""
    def build(gb, ins, dtype):
        w, v = gb.emit("eigh", ins, {"lower": lower})
        if which == "w":
            return [w]
        if which == "v2":
            return [gb.emit("square", [v], {})[0]]
        w3 = gb.emit("mul", [gb.emit("square", [w], {})[0], w], {})[0]
        vw = gb.emit("mul", [v, gb.emit("expand_dims", [w3], {"axis": 0})[0]], {})[0]
        return [w, gb.emit("matmul", [vw, v], {"transpose_b": True})[0]]
    return build


def _qr_parts(which):
    """qr's outputs through sign-free functions: q r (a itself, both cotangents), r^2, q^2, r^T r."""
    def build(gb, ins, dtype):
        q, r = gb.emit("qr", ins, {})
        sq = lambda x: gb.emit("square", [x], {})[0]  # noqa: E731
        return {"qr": [gb.emit("matmul", [q, r], {})[0], sq(r)], "q2": [sq(q)], "r2": [sq(r)],
                "rtr": [gb.emit("matmul", [r, r], {"transpose_a": True})[0]]}[which]
    return build


CASES += [  # qr / eigh: random matrices (r's diagonal away from 0, eigenvalues distinct)
    Case("qr", [X((4, 3))], name="tall", build=_qr_parts("qr")),
    Case("qr", [X((2, 3, 3))], name="square-batch-q2", build=_qr_parts("q2")),
    Case("qr", [X((3, 3))], name="r2", build=_qr_parts("r2")),
    Case("qr", [X((2, 4))], name="wide", build=_qr_parts("qr")),
    Case("qr", [X((2, 4))], name="wide-q2", build=_qr_parts("q2")),
    Case("qr", [X((3, 5))], name="wide-rtr", build=_qr_parts("rtr")),
    Case("eigh", [X((3, 3))], name="w", build=_sym_parts("w")),
    Case("eigh", [X((3, 3))], name="spectral", build=_sym_parts("spectral")),
    Case("eigh", [X((2, 3, 3))], name="v2-batch", build=_sym_parts("v2")),
    Case("eigh", [X((3, 3))], name="upper-v2", build=_sym_parts("v2", lower=False)),
]

# -- control flow: branches and bodies are functions of the graph ---------------------------------------
def _fn(make, shapes, dtype, name):
    """A function graph; `shapes` items are shapes (of `dtype`) or (shape, dtype) pairs."""
    from engine import GraphBuilder

    g = GraphBuilder(name)
    ins = [g.input(s, dt, name=f"a{i}") for i, (s, dt) in
           enumerate((s, dtype) if not isinstance(s, tuple) or not s or isinstance(s[0], int) else s for s in shapes)]
    return g.build(make(g, *ins))


def _build_cond(gb, ins, dtype):
    # the untaken branch is NaN (sqrt / log of negatives): only the chosen one may run
    x, y = ins
    t = gb.function(_fn(lambda g, a, b: (g.mul(g.sqrt(a), b), g.log(g.sum(a))), [(2, 3), (3,)], dtype, "pos"))
    f = gb.function(_fn(lambda g, a, b: (g.mul(g.sin(a), g.exp(b)), g.sum(g.mul(a, a))), [(2, 3), (3,)], dtype,
                        "neg"))
    pred = gb.greater(gb.min(x), gb.scalar(0.0, dtype))
    return gb.emit("cond", [pred, x, y], {"true_fn": t, "false_fn": f})


def _build_switch(index):
    def build(gb, ins, dtype):
        fs = [gb.function(_fn(m, [(3,)], dtype, f"b{i}")) for i, m in enumerate(
            [lambda g, a: g.tanh(a), lambda g, a: g.mul(a, g.exp(a)), lambda g, a: g.square(g.sin(a))])]
        return gb.emit("switch", [gb.const(np.int32(index)), ins[0]], {"branches": fs})
    return build


def _build_scan(reverse):
    def build(gb, ins, dtype):
        body = gb.function(_fn(lambda g, c, x: (g.add(g.mul(c, g.sin(x)), x), g.mul(c, x)), [(2,), (2,)], dtype,
                               "body"))
        return gb.emit("scan", ins, {"body": body, "length": 3, "n_carry": 1, "reverse": reverse})
    return build


def _build_fori(gb, ins, dtype):
    body = gb.function(_fn(lambda g, i, c: g.add(g.mul(c, g.cos(c)), g.cast(i, dtype=dtype)),
                           [((), "int64"), (2,)], dtype, "body"))
    return gb.emit("fori_loop", ins, {"body": body, "lower": 1, "upper": 4})


def _build_while(gb, ins, dtype):
    # state (x, n): while sum(x) < 4: x = 1.5 x + sin(x), n += 1 (an int counter in the state)
    cond = gb.function(_fn(lambda g, x, n: g.less(g.sum(x), g.scalar(4.0, dtype)), [(3,), ((), "int32")], dtype,
                           "cond"))
    body = gb.function(_fn(lambda g, x, n: (g.add(g.mul(x, g.scalar(1.5, dtype)), g.sin(x)),
                                            g.add(n, g.full((), 1.0, "int32"))), [(3,), ((), "int32")], dtype, "body"))
    x, n = gb.emit("while", [ins[0], gb.full((), 0.0, "int32")], {"cond": cond, "body": body, "max_trips": 8})
    return [x]


CASES += [
    Case("cond", [X((2, 3), 0.5, 1.5), X((3,))], name="true", build=_build_cond),
    Case("cond", [X((2, 3), -1.5, -0.5), X((3,))], name="false", build=_build_cond),
    Case("switch", [X((3,))], name="1", build=_build_switch(1)),
    Case("switch", [X((3,))], name="clamped", build=_build_switch(7)),
    Case("scan", [X((2,)), X((3, 2))], build=_build_scan(False)),
    Case("scan", [X((2,)), X((3, 2))], name="reverse", build=_build_scan(True)),
    Case("fori_loop", [X((2,))], build=_build_fori),
    # 0.3..0.5 each: sums 0.9..1.5, three trips to pass 4 everywhere near the sample
    Case("while", [X((3,), 0.45, 0.5)], build=_build_while),
]
CASES += [  # the lowered forms (cond / switch lower to switch_run, while to while_run)
    Case("switch_run", [X((3,))], name="via-switch-0", build=_build_switch(0)),
    Case("while_run", [X((3,), 0.45, 0.5)], name="via-while", build=_build_while),
    Case("check_false", [X((2, 3))], build=lambda gb, ins, dtype: [
        gb.check_false(gb.less(gb.sum(ins[0]), gb.scalar(-100.0, dtype)), gb.sin(ins[0]), message="never")]),
]

CASES += [
    Case("linrec", [X((2, 4)), X((2, 4))], {"axis": 1}, name="ax1"),
    Case("linrec", [X((3, 2)), X((3, 2))], {"axis": 0, "reverse": True}, name="reverse"),
    # two zeros in one product: the mixed second derivative is the product of the rest (not 0)
    Case("cumprod", [X((2, 3))], {"axis": 1}, name="two-zeros", fd_eps=1e-4,
         sample=lambda rng: [np.array([[0.0, 0.0, -1.2], [0.9, 0.0, 0.0]])]),
    Case("prod", [X((2, 3))], {"axis": (1,)}, name="two-zeros", fd_eps=1e-4,
         sample=lambda rng: [np.array([[0.0, 0.0, -1.2], [0.0, 0.0, 0.0]])]),
]

# -1 counts from the end (segment 2 of 3, 3 of 4). max / min: 3 segments, none empty (an empty one holds
# the dtype's lowest / highest value, which overflows the finite differences); prod: 4, segment 2 empty.
_SEG_IDS = [1, 0, 1, -1, 1, 0]
CASES += [
    Case("segment_reduce", [X((6, 2)), _i(_SEG_IDS)], {"num_segments": 3, "mode": "max"}, name="max",
         sample=_sep((6, 2))),
    Case("segment_reduce", [X((6,)), _i(_SEG_IDS)], {"num_segments": 3, "mode": "min"}, name="min",
         sample=_sep((6,))),
    Case("segment_reduce", [X((6, 2)), _i(_SEG_IDS)], {"num_segments": 4, "mode": "prod"}, name="prod"),
    # two zeros in segment 1 (column 0) and one in segment 0 (column 1): the mixed second derivative of
    # the two zeros is the product of the rest, not 0
    Case("segment_reduce", [X((6, 2)), _i(_SEG_IDS)], {"num_segments": 4, "mode": "prod"}, name="prod-zeros",
         fd_eps=1e-4, sample=lambda rng: [np.array([[0.0, 0.7], [0.9, 0.0], [0.0, -1.2], [0.5, 0.8],
                                                    [1.1, -0.6], [-0.7, 1.3]])]),
]

# the incomplete gamma family (engine/ops/special_gamma.py): differentiable w.r.t. x only, so a is a
# constant; a on both sides of x + 1 (the series and the continued fraction), broadcast over rows
_GAMMA_A = np.array([[0.6], [2.5], [6.0]])


def _gamma_of_x(op):
    """op(a, x) with the constant a cast to the case's dtype (the ops take one float dtype)."""
    return lambda gb, ins, dtype: gb.emit(op, [gb.emit("cast", [ins[0]], {"dtype": dtype})[0], ins[1]], {})


CASES += [Case(op, [K(_GAMMA_A), X((3, 4), 0.3, 5.0)], name="x", build=_gamma_of_x(op))
          for op in ("igamma", "igammac", "igamma_dx")]

# the regularized incomplete beta function (engine/ops/special_beta.py): differentiable w.r.t. a and b to first
# order only (tests/engine/test_betainc_grad_ab.py), so here a and b are constants; x on both sides of (a + 1) / (a + b + 2) (the fraction of I_x(a, b) and of 1 - I_{1-x}(b, a))
_BETA_A, _BETA_B = np.array([[0.7], [2.5], [6.0]]), np.array([[1.5], [0.8], [3.0]])


def _beta_of_x(op):
    """op(a, b, x) with the constants a and b cast to the case's dtype (the ops take one float dtype)."""
    return lambda gb, ins, dtype: gb.emit(op, [gb.emit("cast", [v], {"dtype": dtype})[0] for v in ins[:2]] + [ins[2]],
                                          {})


CASES += [Case(op, [K(_BETA_A), K(_BETA_B), X((3, 4), 0.1, 0.9)], name="x", build=_beta_of_x(op))
          for op in ("betainc", "betainc_dx")]
