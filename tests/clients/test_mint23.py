"""mint names MindSpore 2.10 has and gradserve lacked (h-mint23): torch-like wrappers of existing ops and the
random draws.

Expected values: torch 2.13 float64 (values and gradients of sum(out * out)) where MindSpore 2.10's CPU has no
kernel ("The kernel AddcdivExt / DiagExt / Dot / Exp2 / HistcExt / LinSpaceExt / Take / TriangularSolve /
Unique2 / RandpermExt / ... unregistered.", "Create kernelmod for op InplaceUniform failed"); MindSpore 2.10.0 CPU
(PyNative, /work/ms_suite_mint23/probe1.py, probe2.py) for what its CPU answers (dstack, hstack, float_power,
gcd, polar, ravel, select, item, empty) and for its refusal texts.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, mint

from ._torch_float64 import assert_matches_torch

torch = pytest.importorskip("torch")
RNG = np.random.RandomState(23)
M, V, W = RNG.randn(3, 4), RNG.randn(4), RNG.randn(4)
B1, B2, C = RNG.randn(2, 3, 5), RNG.randn(2, 5, 4), RNG.randn(3, 4)
A_UP = np.triu(RNG.randn(3, 3)) + 3 * np.eye(3)
RHS = RNG.randn(3, 2)

# (name, gradserve's call, torch's call, inputs): both on float64 copies
CASES = [
    ("addbmm", lambda c, a, b: mint.addbmm(c, a, b, beta=0.5, alpha=2),
     lambda c, a, b: torch.addbmm(c, a, b, beta=0.5, alpha=2), [C, B1, B2]),
    ("addcdiv", lambda x, y, z: mint.addcdiv(x, y, z * z + 1, value=0.5),
     lambda x, y, z: torch.addcdiv(x, y, z * z + 1, value=0.5), [M, M * 2, M + 1]),
    ("addcmul", lambda x, y, z: mint.addcmul(x, y, z, value=-2), lambda x, y, z: torch.addcmul(x, y, z, value=-2),
     [M, M * 2, M + 1]),
    ("arctanh", lambda x: mint.arctanh(x * 0.3), lambda x: torch.arctanh(x * 0.3), [np.tanh(M)]),
    ("diag_vec", lambda v: mint.diag(v, 1), lambda v: torch.diag(v, 1), [V]),
    ("diag_vec_neg", lambda v: mint.diag(v, -2), lambda v: torch.diag(v, -2), [V]),
    ("diag_mat", lambda x: mint.diag(x, 1), lambda x: torch.diag(x, 1), [M]),
    ("diag_mat_neg", lambda x: mint.diag(x, -1), lambda x: torch.diag(x, -1), [M]),
    ("dot", mint.dot, torch.dot, [V, W]),
    ("vdot", mint.vdot, torch.vdot, [V, W]),
    ("dstack", lambda x, y: mint.dstack([x, y]), lambda x, y: torch.dstack([x, y]), [M, M + 1]),
    ("hstack", lambda x, y: mint.hstack([x, y]), lambda x, y: torch.hstack([x, y]), [V, W]),
    ("exp2", mint.exp2, torch.exp2, [M]),
    ("float_power", lambda x: mint.float_power(x, 3), lambda x: torch.float_power(x, 3), [M]),
    ("kthvalue", lambda x: mint.kthvalue(x, 2)[0], lambda x: torch.kthvalue(x, 2)[0], [M]),
    ("kthvalue_dim0", lambda x: mint.kthvalue(x, 3, 0, True)[0], lambda x: torch.kthvalue(x, 3, 0, True)[0], [M]),
    ("ravel", mint.ravel, torch.ravel, [M]),
    ("repeat_interleave", lambda x: mint.repeat_interleave(x, 2, 1), lambda x: torch.repeat_interleave(x, 2, 1),
     [M]),
    ("select", lambda x: mint.select(x, 1, -2), lambda x: torch.select(x, 1, -2), [M]),
    ("take", lambda x: mint.take(x, Tensor(np.array([[0, 11], [-1, 5]]))),
     lambda x: torch.take(x, torch.tensor([[0, 11], [-1, 5]])), [M]),
    ("triangular_solve", lambda b, a: mint.triangular_solve(b, a)[0],
     lambda b, a: torch.linalg.solve_triangular(a, b, upper=True), [RHS, A_UP]),
    ("triangular_solve_lower_t", lambda b, a: mint.triangular_solve(b, a.T, upper=False, transpose=True)[0],
     lambda b, a: torch.linalg.solve_triangular(a.T.tril().T, b, upper=True), [RHS, A_UP]),
    ("triangular_solve_unit", lambda b, a: mint.triangular_solve(b, a, unitriangular=True)[0],
     lambda b, a: torch.linalg.solve_triangular(a, b, upper=True, unitriangular=True), [RHS, A_UP]),
]


@pytest.mark.parametrize("name,ours,ref,arrays", CASES, ids=[c[0] for c in CASES])
def test_mint_names_match_torch_float64(on_real_server, name, ours, ref, arrays):
    assert_matches_torch(torch, ours, ref, arrays)


def test_integer_results_match_torch(on_real_server):
    x = np.array([[1, 0, 3], [0, 5, 6]], np.int32)
    got = mint.count_nonzero(Tensor(x), dim=1)
    assert got.dtype == ms.int64 and got.asnumpy().tolist() == [2, 2]  # torch.count_nonzero: int64 [2, 2]
    assert mint.count_nonzero(Tensor(x)).asnumpy() == 4
    _, idx = mint.kthvalue(Tensor(M), 2)
    assert idx.dtype == ms.int64
    assert idx.asnumpy().tolist() == torch.kthvalue(torch.tensor(M), 2)[1].tolist()
    assert mint.gcd(Tensor(np.array([12, 18], np.int32)),
                    Tensor(np.array([8, 27], np.int32))).asnumpy().tolist() == [4, 9]  # MindSpore 2.10: [4, 9]
    counts = mint.bincount(Tensor(np.array([1, 1, 3])), Tensor(np.array([0.5, 1.0, 2.0])), 6)
    assert counts.asnumpy().tolist() == [0.0, 1.5, 0.0, 2.0, 0.0, 0.0]  # torch.bincount
    h = mint.histc(Tensor(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], np.float32)), bins=4, min=0, max=6)
    assert h.asnumpy().tolist() == [1.0, 1.0, 2.0, 2.0]  # torch.histc(bins=4, min=0, max=6)


def test_unique_matches_torch(on_real_server):
    u = np.array([3, 1, 2, 3, 1])
    values, inverse, counts = mint.unique(Tensor(u), True, True, True)
    # torch.unique(u, sorted=True, return_inverse=True, return_counts=True)
    assert values.asnumpy().tolist() == [1, 2, 3] and inverse.asnumpy().tolist() == [2, 0, 1, 2, 0]
    assert counts.asnumpy().tolist() == [2, 1, 2] and inverse.dtype == ms.int64 and counts.dtype == ms.int64
    rows = np.array([[1, 2], [1, 2], [0, 3]])
    values, inverse = mint.unique(Tensor(rows), return_inverse=True, dim=0)
    assert values.asnumpy().tolist() == [[0, 3], [1, 2]] and inverse.asnumpy().tolist() == [1, 1, 0]
    assert mint.unique(Tensor(np.array([2.0, 1.0, 2.0], np.float32))).asnumpy().tolist() == [1.0, 2.0]


def test_linspace_item_empty(on_real_server):
    got = mint.linspace(0, 10, 4, dtype=ms.int32)
    assert got.dtype == ms.int32 and got.asnumpy().tolist() == [0, 3, 6, 10]  # torch.linspace(..., dtype=int32)
    got = mint.linspace(0, 1, 5)
    assert got.dtype == ms.float32 and got.asnumpy().tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    value = mint.item(Tensor(np.array([2.5], np.float32)))
    assert value == 2.5 and isinstance(value, float)  # MindSpore 2.10: 2.5, a float
    value = mint.item(Tensor(np.array(3, np.int32)))
    assert value == 3 and isinstance(value, int)
    # MindSpore 2.10: empty(2, 3) / empty((2, 3)): (2, 3) float32; dtype=int32; empty_like keeps the dtype
    assert mint.empty(2, 3).shape == (2, 3) and mint.empty((2, 3)).dtype == ms.float32
    assert mint.empty([2], dtype=ms.int32).dtype == ms.int32
    xi = Tensor(np.ones((2, 3), np.int32))
    assert mint.empty_like(xi).shape == (2, 3) and mint.empty_like(xi).dtype == ms.int32
    assert mint.empty_like(xi, dtype=ms.float16).dtype == ms.float16
    assert mint.float_power(xi, xi).dtype == ms.float64  # MindSpore 2.10: Float64
    polar = mint.polar(Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([0.0, 1.0], np.float32)))
    np.testing.assert_allclose(polar.asnumpy(), [1 + 0j, 1.0806045532226562 + 1.6829419136047363j], rtol=1e-6)


X = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32))


# MindSpore 2.10's refusals (its texts)
@pytest.mark.parametrize("call,exc,text", [
    (lambda: mint.addcdiv(X, X, X, 2), TypeError, "takes 3 positional arguments but 4 were given"),
    (lambda: mint.addcmul(X, X, X, 2), TypeError, "takes 3 positional arguments but 4 were given"),
    (lambda: mint.diag(X, 5), RuntimeError, "For diag, when the input is 2-D, the diagonal must in [-2, 3], but got 5."),
    (lambda: mint.diag(Tensor(np.ones((2, 2, 2), np.float32))), RuntimeError,
     "For diag, the shape of input must 1 or 2, but got 3."),
    (lambda: mint.select(X, 0, 2), ValueError,
     "For Primitive [SelectExtView] start exceed range. start: 2, start should be in [-2, 2)."),
    (lambda: mint.item(X), RuntimeError, "a Tensor with 6 elements cannot be converted to Scalar"),
    (lambda: mint.empty(), TypeError, "missing 1 required positional argument: size"),
    (lambda: mint.rand(-1), ValueError, "For primitive[Empty], the 0th dimension of input shape must be greater than or "
     "equal to 0, but got -1."),
    (lambda: mint.rand_like(Tensor(np.ones(2, np.int32))), TypeError,
     "For 'rand_like_ext', the 'dtype' must be a float type, but got Int32."),
    (lambda: mint.randn_like(Tensor(np.ones(2, np.int32))), TypeError,
     "For 'randn_like_ext', the 'dtype' must be a float type, but got Int32."),
    (lambda: mint.randint(low=0, high=5, size=(2,)), TypeError, "unexpected keyword argument 'low'"),
    (lambda: mint.randperm(-1), ValueError, "For 'RandpermExt', the input 'n' must be >= 0, but got data: -1."),
    (lambda: mint.normal(0.0, -1.0, (2,)), ValueError,
     "For primitive[NormalFloatFloat], the std must be greater than or equal to 0, but got -1.0"),
    (lambda: mint.bernoulli(X, 0.5), TypeError, "takes 1 positional argument but 2 were given"),
])
def test_refusals_as_mindspore(call, exc, text):
    with pytest.raises(exc) as info:
        call()
    assert text in str(info.value)


# torch's refusals where MindSpore's CPU has no kernel to check
@pytest.mark.parametrize("call,exc,text", [
    (lambda: mint.dot(X, X), RuntimeError, "1D tensors expected, but got 2D and 2D tensors"),
    (lambda: mint.take(X, Tensor(np.array([6]))), IndexError, "out of range: tried to access index 6 on a tensor of 6"),
    (lambda: mint.kthvalue(X, 4), ValueError, "'k' must be an int in [1, 3]"),
    (lambda: mint.randint(5, 3, (2,)), ValueError, "'low' must be less than 'high'"),
    (lambda: mint.multinomial(Tensor(np.array([1.0, 1.0], np.float32)), 3), ValueError, "num_samples"),
])
def test_refusals_as_torch(call, exc, text):
    with pytest.raises(exc) as info:
        call()
    assert text in str(info.value)


def test_random_draws_shapes_dtypes_and_bounds(on_real_server):
    u = mint.rand(200, 3)
    assert u.shape == (200, 3) and u.dtype == ms.float32 and 0 <= u.asnumpy().min() and u.asnumpy().max() < 1
    assert mint.rand((2, 3), dtype=ms.float64).dtype == ms.float64 and mint.randn([4]).shape == (4,)
    assert mint.rand_like(X).shape == (2, 3) and mint.randn_like(X, dtype=ms.float64).dtype == ms.float64
    r = mint.randint(5, (300,))
    assert r.dtype == ms.int64 and 0 <= r.asnumpy().min() and r.asnumpy().max() < 5
    r = mint.randint(3, 5, (300,), dtype=ms.int32)
    assert r.dtype == ms.int32 and set(r.asnumpy().tolist()) <= {3, 4}
    r = mint.randint_like(X, 3, 10)
    assert r.dtype == ms.float32 and r.shape == (2, 3) and r.asnumpy().min() >= 3 and r.asnumpy().max() < 10
    p = mint.randperm(7)
    assert p.dtype == ms.int64 and sorted(p.asnumpy().tolist()) == list(range(7))
    assert mint.randperm(5, dtype=ms.float32).dtype == ms.float32
    n = mint.normal(Tensor(np.zeros((2, 1))), Tensor(np.ones(3)))
    assert n.shape == (2, 3) and n.dtype == ms.float64
    assert mint.normal(0.0, 1.0, (2, 3)).dtype == ms.float32
    assert mint.normal(Tensor(np.zeros(4, np.float32)), 0.0).asnumpy().tolist() == [0.0] * 4  # std 0: the mean
    b = mint.bernoulli(Tensor(np.array([0.0, 1.0, 0.0, 1.0])))
    assert b.dtype == ms.float64 and b.asnumpy().tolist() == [0.0, 1.0, 0.0, 1.0]  # p 0 / 1: certain
    w = Tensor(np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 0.0]], np.float32))
    s = mint.multinomial(w, 2)
    assert s.dtype == ms.int64 and s.shape == (2, 2)
    assert sorted(s.asnumpy()[0].tolist()) == [1, 2] and sorted(s.asnumpy()[1].tolist()) == [0, 1]  # no repeats
    assert set(mint.multinomial(w, 20, True).asnumpy()[0].tolist()) <= {1, 2}  # weight 0: never drawn


def test_functional_flatten_and_broadcast_to(on_real_server):
    from gradserve.mint.nn import functional as F
    x = Tensor(np.ones((2, 3, 4), np.float32))
    assert F.flatten(x).shape == (24,) and F.flatten(x, 1).shape == (2, 12)  # MindSpore 2.10: start_dim=0
    assert F.broadcast_to(Tensor(np.ones(3, np.float32)), (2, 3)).shape == (2, 3)


def test_dtypes_as_torch(on_real_server):
    xi = Tensor(np.array([1, 3], np.int32))
    # torch.dot / torch.diag of int32: int32 (ops.sum / ops.diag_embed alone would give int64)
    assert mint.dot(xi, xi).dtype == ms.int32 and mint.dot(xi, xi).asnumpy() == 10
    assert mint.diag(xi).dtype == ms.int32 and mint.diag(xi).asnumpy().tolist() == [[1, 0], [0, 3]]
    assert mint.exp2(xi).dtype == ms.float32 and mint.exp2(xi).asnumpy().tolist() == [2.0, 8.0]  # torch: float32
    # torch: "Integer division with addcdiv is no longer supported"; '"addcmul_cpu_out" not implemented for 'Bool''
    with pytest.raises(RuntimeError, match="integer division"):
        mint.addcdiv(xi, xi, xi)
    with pytest.raises(TypeError, match="bool"):
        mint.addcmul(xi, Tensor(np.array([True, False])), xi)
    assert mint.addcmul(xi, xi, xi).dtype == ms.int32  # torch: int32 [2, 12]


def test_hstack_of_zero_d_tensors(on_real_server):
    got = mint.hstack([Tensor(np.array(1.0)), Tensor(np.array(2.0))])
    assert got.shape == (2,) and got.asnumpy().tolist() == [1.0, 2.0]  # MindSpore 2.10: Float64 (2,) [1.0, 2.0]
    got = mint.dstack([Tensor(np.array(1.0)), Tensor(np.array(2.0))])
    assert got.shape == (1, 1, 2)  # MindSpore 2.10: (1, 1, 2) [[[1.0, 2.0]]]


def test_bernoulli_dtypes_as_torch(on_real_server):
    # torch.bernoulli: float16 in, float16 out; Long / Bool: '"bernoulli_tensor_cpu_p_" not implemented'
    got = mint.bernoulli(Tensor(np.array([0.0, 1.0], np.float16)))
    assert got.dtype == ms.float16 and got.asnumpy().tolist() == [0.0, 1.0]
    with pytest.raises(TypeError, match="float type"):
        mint.bernoulli(Tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match=r"p should be in \[0, 1\]"):  # torch: 'Expected p_in >= 0 && p_in <= 1'
        mint.bernoulli(Tensor(np.array([1.5], np.float32)))


def test_values_from_mindspores_own_tests(on_real_server):
    # tests/st/ops/test_ops_unique.py (test_ops_unique_forward_with_dim) and test_ops_histc_ext.py (int32 input)
    x = Tensor(np.array([[1, 3, 2, 3, 4, 5, 3, 2], [2, 4, 3, 2, 2, 5, 2, 5], [1, 3, 2, 3, 4, 5, 3, 2]]))
    out, inverse, counts = mint.unique(x, True, True, True, 1)
    assert out.asnumpy().tolist() == [[1, 2, 2, 3, 3, 4, 5], [2, 3, 5, 2, 4, 2, 5], [1, 2, 2, 3, 3, 4, 5]]
    assert inverse.asnumpy().tolist() == [0, 4, 1, 3, 5, 6, 3, 2] and counts.asnumpy().tolist() == [1, 1, 1, 2, 1, 1, 1]
    out, inverse, counts = mint.unique(x, True, True, True, 0)
    assert out.asnumpy().tolist() == [[1, 3, 2, 3, 4, 5, 3, 2], [2, 4, 3, 2, 2, 5, 2, 5]]
    assert inverse.asnumpy().tolist() == [0, 1, 0] and counts.asnumpy().tolist() == [2, 1]
    got = mint.histc(Tensor(np.array([1, 2, 1], np.int32)), 4, 0.0, 3.0)
    assert got.asnumpy().tolist() == [0, 2, 1, 0]
