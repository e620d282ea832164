"""Tensor methods in MindSpore 2.10's calling forms (NumPy-style and PyTorch-style overloads).

Expected values and shapes are MindSpore 2.10's (CPU, PyNative), run for this task, except where a line
says the form is only documented (MindSpore's CPU build has no kernel for it) -- those use NumPy.
"""
import numpy as np
import pytest

from gradserve import Tensor, dtype as mstype, ops

XN = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]], np.float32)
Y3 = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
I = np.array([[0, 0], [1, 0]], np.int64)
J = np.array([2, 0], np.int32)


def x():
    return Tensor(XN)


CASES = [
    ("std()", lambda: x().std(), 2.582),
    ("std(1)", lambda: x().std(1), [1.2472, 2.4944]),
    ("std(axis=1)", lambda: x().std(axis=1), [1.2472, 2.4944]),
    ("std(dim=1)", lambda: x().std(dim=1), [1.2472, 2.4944]),   # ddof 0 here too in MindSpore 2.10
    ("std(1, 1)", lambda: x().std(1, 1), [1.5275, 3.0551]),
    ("std(1, ddof=1)", lambda: x().std(1, ddof=1), [1.5275, 3.0551]),
    ("std(1, correction=0)", lambda: x().std(1, correction=0), [1.2472, 2.4944]),
    ("std(1, unbiased=True)", lambda: x().std(1, unbiased=True), [1.5275, 3.0551]),  # PyTorch's spelling
    ("var(1)", lambda: x().var(1), [1.5556, 6.2222]),
    ("var(1, 0, True)", lambda: x().var(1, 0, True), [[1.5556], [6.2222]]),
    ("squeeze()", lambda: Tensor(XN[None]).squeeze(), XN),
    ("squeeze(0)", lambda: Tensor(XN[None]).squeeze(0), XN),
    ("squeeze((0,))", lambda: Tensor(XN[None]).squeeze((0,)), XN),
    ("squeeze(axis=0)", lambda: Tensor(XN[None]).squeeze(axis=0), XN),
    ("transpose(1, 0)", lambda: x().transpose(1, 0), XN.T),
    ("transpose()", lambda: x().transpose(), XN.T),
    ("transpose((1, 0))", lambda: x().transpose((1, 0)), XN.T),
    ("3-d transpose(0, 2)", lambda: Tensor(Y3).transpose(0, 2), np.swapaxes(Y3, 0, 2)),
    ("3-d transpose(0, 1)", lambda: Tensor(Y3).transpose(0, 1), np.swapaxes(Y3, 0, 1)),  # shape (3, 2, 4)
    ("3-d transpose(2, 0, 1)", lambda: Tensor(Y3).transpose(2, 0, 1), np.transpose(Y3, (2, 0, 1))),
    ("view(3, 2)", lambda: x().view(3, 2), XN.reshape(3, 2)),
    ("view((3, -1))", lambda: x().view((3, -1)), XN.reshape(3, 2)),
    ("view(-1)", lambda: x().view(-1), XN.reshape(-1)),
    ("reshape((3, -1))", lambda: x().reshape((3, -1)), XN.reshape(3, 2)),
    ("reshape([6])", lambda: x().reshape([6]), XN.reshape(-1)),
    ("argmax()", lambda: x().argmax(), 5),
    ("argmax(1)", lambda: x().argmax(1), [2, 2]),
    ("argmax(dim=1, keepdim=True)", lambda: x().argmax(dim=1, keepdim=True), [[2], [2]]),
    ("argmax(axis=0, keepdims=True)", lambda: x().argmax(axis=0, keepdims=True), [[1, 1, 1]]),
    ("argmax(None, True)", lambda: x().argmax(None, True), 5),
    ("argmin()", lambda: x().argmin(), 0),
    ("cumsum(1)", lambda: x().cumsum(1), [[1, 3, 7], [3, 8, 17]]),
    ("cumsum()", lambda: x().cumsum(), [1, 3, 7, 10, 15, 24]),
    ("cumsum(axis=0)", lambda: x().cumsum(axis=0), [[1, 2, 4], [4, 7, 13]]),
    ("cumsum(dim=0)", lambda: x().cumsum(dim=0), [[1, 2, 4], [4, 7, 13]]),
    ("flip((0, 1))", lambda: x().flip((0, 1)), XN[::-1, ::-1]),
    ("flip([1])", lambda: x().flip([1]), XN[:, ::-1]),
    ("flip(dims=(1,))", lambda: x().flip(dims=(1,)), XN[:, ::-1]),
    ("gather(1, i)", lambda: x().gather(1, Tensor(I)), [[1, 1], [5, 3]]),
    ("gather(j, 1)", lambda: x().gather(Tensor(J), 1), [[4, 1], [9, 3]]),
    ("gather(dim=1, index=i)", lambda: x().gather(dim=1, index=Tensor(I)), [[1, 1], [5, 3]]),
    ("index_select(1, j)", lambda: x().index_select(1, Tensor(J)), [[4, 1], [9, 3]]),
    ("index_select(dim=1, index=j)", lambda: x().index_select(dim=1, index=Tensor(J)), [[4, 1], [9, 3]]),
    ("index_select(axis=1, index=j)", lambda: x().index_select(axis=1, index=Tensor(J)), [[4, 1], [9, 3]]),
    ("sort(0, True)[0]", lambda: x().sort(0, True)[0], [[3, 5, 9], [1, 2, 4]]),
    ("sort(0, True)[1]", lambda: x().sort(0, True)[1], [[1, 1, 1], [0, 0, 0]]),
    ("sort(dim=0)[1]", lambda: x().sort(dim=0)[1], [[0, 0, 0], [1, 1, 1]]),
    ("sort(axis=0)[1]", lambda: x().sort(axis=0)[1], [[0, 0, 0], [1, 1, 1]]),
    ("topk(2)[1]", lambda: x().topk(2)[1], [[2, 1], [2, 1]]),
    ("topk(1, 0)[0]", lambda: x().topk(1, 0)[0], [[3, 5, 9]]),
    ("topk(2, largest=False)[1]", lambda: x().topk(2, largest=False)[1], [[0, 1], [0, 1]]),
    ("topk(1, dim=0)[1]", lambda: x().topk(1, dim=0)[1], [[1, 1, 1]]),
    ("sum(1, True)", lambda: x().sum(1, True), [[7], [17]]),
    ("sum(axis=1, keepdims=True)", lambda: x().sum(axis=1, keepdims=True), [[7], [17]]),
    ("sum(dim=1)", lambda: x().sum(dim=1), [7, 17]),
    ("sum((0, 1))", lambda: x().sum((0, 1)), 24),
    ("sum(1, float64)", lambda: x().sum(1, mstype.float64), [7, 17]),
    ("mean(1, True)", lambda: x().mean(1, True), [[2.3333], [5.6667]]),
    ("mean(axis=1, keep_dims=True)", lambda: x().mean(axis=1, keep_dims=True), [[2.3333], [5.6667]]),
    ("mean(dim=1, keepdim=True)", lambda: x().mean(dim=1, keepdim=True), [[2.3333], [5.6667]]),
    ("max(1, True)[0]", lambda: x().max(1, True)[0], [[4], [9]]),
    ("max(axis=1, return_indices=True)[1]", lambda: x().max(axis=1, return_indices=True)[1], [2, 2]),
    ("max(axis=1, keepdims=True)", lambda: x().max(axis=1, keepdims=True), [[4], [9]]),
    ("min(0)[1]", lambda: x().min(0)[1], [0, 0, 0]),
    ("expand_dims(axis=-1)", lambda: x().expand_dims(axis=-1), XN[..., None]),
    ("unsqueeze(0)", lambda: x().unsqueeze(0), XN[None]),
    # documented only (MindSpore 2.10's CPU build: "'repeat' is not supported on this device"): PyTorch's repeat
    ("repeat(2, 1)", lambda: x().repeat(2, 1), np.tile(XN, (2, 1))),
    ("repeat((1, 2, 1))", lambda: x().repeat((1, 2, 1)), np.tile(XN, (1, 2, 1))),
]


@pytest.mark.parametrize("form, fn, expected", CASES, ids=[c[0] for c in CASES])
def test_tensor_method_forms_match_mindspore(fake, form, fn, expected):
    got = fn().asnumpy()
    want = np.asarray(expected)
    assert got.shape == want.shape, form
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)  # the MindSpore figures are printed to 4 places


def test_index_and_result_dtypes_match_mindspore(fake):
    assert x().sort()[1].dtype == mstype.int32 and ops.sort(x())[1].dtype == mstype.int32
    assert ops.topk(x(), 1)[1].dtype == mstype.int32
    assert x().argmax().dtype == mstype.int64 and ops.max(x(), 1)[1].dtype == mstype.int64
    assert x().sum(1, mstype.float64).dtype == mstype.float64
    assert x().cumsum(1, dtype=mstype.float64).dtype == mstype.float64


def test_std_var_gradients_match_mindspore(fake):
    g = ops.grad(lambda a: a.std(1).sum())(x()).asnumpy()
    np.testing.assert_allclose(g, [[-0.35634834, -0.08908708, 0.44543537]] * 2, rtol=1e-5)
    g = ops.grad(lambda a: a.var(1, 1).sum())(x()).asnumpy()
    np.testing.assert_allclose(g, [[-1.3333334, -0.33333334, 1.6666666], [-2.6666667, -0.6666667, 3.3333333]],
                               rtol=1e-5)


@pytest.mark.parametrize("call, err", [
    (lambda: x().view(mstype.float16), NotImplementedError),
    (lambda: x().repeat(2), ValueError),
    (lambda: x().sum(1, keepdims=True, bogus=1), TypeError),
    (lambda: x().std(1, ddof=1, unbiased=True), TypeError),
    (lambda: x().argmax(1, axis=1), TypeError),
])
def test_bad_calls_raise_clear_errors(fake, call, err):
    with pytest.raises(err, match="Tensor"):
        call()


def test_var_and_std_divide_by_n_minus_ddof_whatever_it_is(fake):
    """MindSpore 2.10 CPU on [[1, 2, 5], [2, 4, 10]] (run at stop 39): x.var(1, 3), ops.var(x, 1, 3), x.std(1, 3),
    ops.std(x, 1, 3) all [inf inf]; x.var(1, 4) and ops.var(x, 1, 4) [-8.666667 -34.666668]; x.std(1, 4) and
    ops.std(x, 1, 4) [nan nan] (a ValueError here before, then NaN for both)."""
    a = Tensor(np.array([[1, 2, 5], [2, 4, 10]], np.float32))
    for var, std in ((a.var, a.std), (lambda *s: ops.var(a, *s), lambda *s: ops.std(a, *s))):
        assert np.isposinf(var(1, 3).asnumpy()).all() and np.isposinf(std(1, 3).asnumpy()).all()
        np.testing.assert_allclose(var(1, 4).asnumpy(), [-8.666667, -34.666668], rtol=1e-6)
        assert np.isnan(std(1, 4).asnumpy()).all()
