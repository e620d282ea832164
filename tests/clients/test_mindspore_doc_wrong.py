"""Results that differed silently from MindSpore's documented examples (benchmarks/mindspore_suite, "Documented
examples"): P.CTCLoss with labels equal to the blank, ops.scatter_* on a Parameter, ops.svd(full_matrices=True)."""
import itertools

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops


def _log_softmax(x):
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _ctc_brute_force(log_probs, target, blank):
    """-log of the summed probability of every path that collapses to target (NumPy, by enumeration)."""
    steps, classes = log_probs.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != blank] == list(target):
            total += np.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
    return -np.log(total)


def _ctc_primitive(x, rows, seq):
    indices = [[b, i] for b, row in enumerate(rows) for i in range(len(row))]
    values = [v for row in rows for v in row]
    return ops.CTCLoss()(Tensor(np.asarray(x, np.float32)), Tensor(np.array(indices), ms.int64),
                         Tensor(np.array(values), ms.int32), Tensor(np.array(seq), ms.int32))


def test_ctc_primitive_documented_example_with_labels_equal_to_the_blank(on_real_server):
    # MindSpore 2.10's P.CTCLoss docstring (labels_values [2, 2] with 3 classes: the blank C - 1), the same
    # numbers printed by MindSpore 2.10 in /work/msvenv
    x = [[[0.3, 0.6, 0.6], [0.4, 0.3, 0.9]], [[0.9, 0.4, 0.2], [0.9, 0.9, 0.1]]]
    loss, grad = _ctc_primitive(x, [[2], [2]], [2, 2])
    np.testing.assert_allclose(loss.asnumpy(), [0.79628, 0.5995158], rtol=1e-5)
    np.testing.assert_allclose(grad.asnumpy(), [[[0.27029088, 0.36485454, -0.6351454], [0.28140804, 0.25462854, -0.5360366]],
                                                [[0.47548494, 0.2883962, 0.04510255], [0.4082751, 0.4082751, 0.02843709]]],
                               rtol=1e-5, atol=1e-6)


def test_ctc_primitive_drops_trailing_blank_labels_as_padding(on_real_server):
    # MindSpore's kernel (TensorFlow's rule) reads a label >= C - 1 as the end of the sequence: [0, 2] is [0]
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 2, 3)).astype(np.float32)
    loss, _ = _ctc_primitive(x, [[0, 2, 2], [1, 0]], [3, 3])
    lp = _log_softmax(x.astype(np.float64))
    expected = [_ctc_brute_force(lp[:, 0], [0], 2), _ctc_brute_force(lp[:, 1], [1, 0], 2)]
    np.testing.assert_allclose(loss.asnumpy(), expected, rtol=1e-5)


def test_ctc_primitive_all_blank_labels_and_a_shorter_sequence(on_real_server):
    # printed by MindSpore 2.10 (/work/msvenv, CPU): example 0 all blank over 3 steps, example 1 label [1] over 2
    x = [[[0.1, -0.5, 0.3], [0.7, 0.2, -0.4]], [[-0.2, 0.4, 0.6], [0.0, 0.5, 0.1]],
         [[0.3, 0.3, -0.1], [0.9, -0.3, 0.2]]]
    loss, grad = _ctc_primitive(x, [[2, 2], [1]], [3, 2])
    np.testing.assert_allclose(loss.asnumpy(), [1.4138854, 1.1880567], rtol=1e-5)
    lp = _log_softmax(np.asarray(x, np.float64))
    np.testing.assert_allclose(loss.asnumpy()[1], _ctc_brute_force(lp[:2, 1], [1], 2), rtol=1e-5)
    np.testing.assert_allclose(grad.asnumpy(), [[[0.36098287, 0.19811161, -0.55909455], [0.5156229, -0.43994966, -0.07567324]],
                                                [[0.19811161, 0.36098287, -0.55909455], [0.26639017, -0.25873274, -0.00765738]],
                                                [[0.37448695, 0.37448695, 0.0503699], [0.0, 0.0, 0.0]]], rtol=1e-5, atol=1e-6)


def test_ctc_primitive_refuses_a_blank_label_before_a_real_one(on_real_server):
    x = np.zeros((3, 1, 3), np.float32)
    with pytest.raises(ValueError, match=r"example 0's labels \[2, 0\].*blank \(2\)"):
        _ctc_primitive(x, [[2, 0]], [3])
    with pytest.raises(ValueError, match=r"labels_values\[1\] must be in \[0, 3\)"):
        _ctc_primitive(x, [[0, 3]], [3])
    with pytest.raises(ValueError, match="example 0 has only blank labels and a sequence length under 2"):
        _ctc_primitive(x[:1], [[2]], [1])  # (MindSpore 2.10: RuntimeError from its kernel)


def test_ctc_loss_v2_with_targets_equal_to_the_blank_matches_torch(on_real_server):
    # MindSpore 2.10's ops.ctc_loss / nn.CTCLoss (CTCLossV2) treat a target equal to the blank as torch does
    # (checked in /work/msvenv: the same losses and gradients as below)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3, 3))
    lp = _log_softmax(x).astype(np.float32)
    targets, in_len, tg_len = np.array([[0, 1], [1, 0], [0, 0]]), np.array([4, 4, 3]), np.array([1, 2, 2])
    leaf = torch.tensor(lp, requires_grad=True)
    expected = torch.nn.functional.ctc_loss(leaf, torch.tensor(targets), torch.tensor(in_len), torch.tensor(tg_len),
                                            blank=0, reduction="none")
    expected.sum().backward()
    args = (Tensor(targets.astype(np.int32)), Tensor(in_len.astype(np.int32)), Tensor(tg_len.astype(np.int32)))
    loss = lambda a: ops.ctc_loss(a, *args, 0, "none", False)[0]  # noqa: E731
    np.testing.assert_allclose(loss(Tensor(lp)).asnumpy(), expected.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(ms.grad(lambda a: loss(a).sum())(Tensor(lp)).asnumpy(), leaf.grad.numpy(),
                               rtol=1e-4, atol=1e-6)
    layer = ms.nn.CTCLoss(blank=0, reduction="none")
    np.testing.assert_allclose(layer(Tensor(lp), *args).asnumpy(), expected.detach().numpy(), rtol=1e-5)


def test_ctc_loss_documented_example_whose_target_is_the_blank(on_real_server):
    # MindSpore 2.10's ops.ctc_loss docstring: target [0] with blank 0, 'mean', zero_infinity=True -> -2.2986124
    log_probs = Tensor(np.array([[[0.3, 0.6, 0.6]], [[0.9, 0.4, 0.2]]], np.float32))
    loss, _ = ops.ctc_loss(log_probs, Tensor(np.array([[0, 1]], np.int32)), Tensor(np.array([2], np.int32)),
                           Tensor(np.array([1], np.int32)), 0, "mean", True)
    np.testing.assert_allclose(loss.asnumpy(), -2.2986124, rtol=1e-6)


def test_scatter_add_documented_example_updates_the_parameter_in_place(on_real_server):
    # MindSpore 2.10's ops.scatter_add docstring: [[1, 1, 1], [19, 19, 19]]
    x = ms.Parameter(Tensor(np.zeros((2, 3), np.float32)), name="x")
    updates = Tensor(np.array([[[1.0] * 3, [3.0] * 3], [[7.0] * 3, [9.0] * 3]], np.float32))
    out = ops.scatter_add(x, Tensor(np.array([[0, 1], [1, 1]], np.int32)), updates)
    assert out is x
    np.testing.assert_array_equal(x.asnumpy(), [[1, 1, 1], [19, 19, 19]])


_UFUNC_AT = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "max": np.maximum,
             "min": np.minimum}


@pytest.mark.parametrize("kind", [*_UFUNC_AT, "update"])
@pytest.mark.parametrize("as_class", [False, True])
def test_scatter_family_along_axis_0_matches_numpy_ufunc_at(on_real_server, kind, as_class):
    rng = np.random.default_rng(7)
    start = rng.uniform(0.5, 2.0, size=(5, 2, 3)).astype(np.float32)
    indices = np.array([[4, 0, 4], [2, 4, 0]], np.int32) if kind != "update" else np.array([[4, 0], [2, 1]], np.int32)
    updates = rng.uniform(0.5, 2.0, size=indices.shape + (2, 3)).astype(np.float32)
    expected = start.copy()
    if kind == "update":
        expected[indices.ravel()] = updates.reshape(-1, 2, 3)
    else:
        _UFUNC_AT[kind].at(expected, indices, updates)
    x = ms.Parameter(Tensor(start), name="x")
    name = f"scatter_{kind}"
    op = getattr(ops, "Scatter" + kind.capitalize())() if as_class else getattr(ops, name)
    out = op(x, Tensor(indices), Tensor(updates))
    assert out is x
    # (atol: repeated rows are summed before subtracting, np.subtract.at subtracts one by one; near 0 an ulp shows)
    np.testing.assert_allclose(x.asnumpy(), expected, rtol=1e-6, atol=1e-6)


def test_scatter_add_in_a_cell_updates_its_parameter(on_real_server):
    class Accumulate(ms.nn.Cell):
        def __init__(self):
            super().__init__()
            self.total = ms.Parameter(Tensor(np.zeros((3, 2), np.float32)), name="total")
            self.add = ops.ScatterAdd()

        def construct(self, indices, updates):
            return self.add(self.total, indices, updates)

    net = Accumulate()
    indices, updates = np.array([2, 0, 2], np.int32), np.arange(6, dtype=np.float32).reshape(3, 2)
    expected = np.zeros((3, 2), np.float32)
    for _ in range(2):
        out = net(Tensor(indices), Tensor(updates))
        np.add.at(expected, indices, updates)
        np.testing.assert_allclose(out.asnumpy(), expected)
    np.testing.assert_allclose(net.total.asnumpy(), expected)


def test_scatter_add_has_mindspores_signature_only(on_real_server):
    """MindSpore 2.10 (/work/msvenv): ops.scatter_add(input_x, indices, updates); shape= is
    "TypeError: scatter_add() got an unexpected keyword argument 'shape'" (no engine form beside it)."""
    values, indices = np.arange(6, dtype=np.float32).reshape(3, 2), np.array([1, 3, 1], np.int32)
    with pytest.raises(TypeError, match="unexpected keyword argument 'shape'"):
        ops.scatter_add(Tensor(values), Tensor(indices), shape=(4, 2), axis=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'shape'"):
        ops.ScatterAdd(shape=(4, 2), axis=0)
    with pytest.raises(TypeError):
        ops.scatter_add(Tensor(values), Tensor(indices))


def _check_full_svd(a, s, u, v):
    """u [M, M], v [N, N] orthogonal, s NumPy's singular values, u[:, :P] diag(s) v[:, :P]^T = a (signs free)."""
    m, n = a.shape[-2:]
    p = min(m, n)
    assert u.shape == (*a.shape[:-2], m, m) and v.shape == (*a.shape[:-2], n, n)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(m), u.shape), atol=1e-5)
    np.testing.assert_allclose(np.swapaxes(v, -1, -2) @ v, np.broadcast_to(np.eye(n), v.shape), atol=1e-5)
    rebuilt = (u[..., :, :p] * s[..., None, :]) @ np.swapaxes(v[..., :, :p], -1, -2)
    np.testing.assert_allclose(rebuilt, a, atol=1e-5)


def test_svd_full_matrices_documented_example(on_real_server):
    # MindSpore 2.10's ops.svd docstring: s [7.0652843, 1.040081]; u's last column (the complement of a
    # 3 x 2 input's column space, unique up to sign) [0.81649697, 0.40824813, 0.4082479]
    a = np.array([[1, 2], [-4, -5], [2, 1]], np.float32)
    s, u, v = ops.svd(Tensor(a), full_matrices=True, compute_uv=True)
    s, u, v = s.asnumpy(), u.asnumpy(), v.asnumpy()
    np.testing.assert_allclose(s, [7.0652843, 1.040081], rtol=1e-6)
    np.testing.assert_allclose(np.abs(u[:, 2]), [0.81649697, 0.40824813, 0.4082479], rtol=1e-5)
    _check_full_svd(a, s, u, v)


@pytest.mark.parametrize("shape", [(5, 2), (2, 4), (3, 6, 4), (3, 3)])
def test_svd_full_matrices_of_any_shape_matches_numpy(on_real_server, shape):
    a = np.random.default_rng(11).normal(size=shape).astype(np.float32)
    s, u, v = ops.Svd(full_matrices=True)(Tensor(a))
    _check_full_svd(a, s.asnumpy(), u.asnumpy(), v.asnumpy())


def test_svd_full_matrices_gradient_of_the_defined_part(on_real_server):
    # the singular values and u[:, :P] diag(s) v[:, :P]^T do not depend on the completing columns: their
    # gradients are defined; checked with central differences in float64 NumPy. (A [3, 2] input: MindSpore 2.10
    # refuses any svd gradient with full_matrices=True where |m - n| > 1; tests/clients/test_svd_mindspore2.py)
    a = np.random.default_rng(13).normal(size=(3, 2))
    weights = np.random.default_rng(14).normal(size=(3, 2))

    def loss_np(x):
        return np.sum(np.linalg.svd(x, compute_uv=False) ** 2 * [1.0, 3.0])

    def loss(x):
        s, u, v = ops.svd(x, full_matrices=True)
        rebuilt = ops.matmul(u[:, :2] * s, v[:, :2].T)
        return (s * s * Tensor(np.array([1.0, 3.0]))).sum() + (rebuilt * Tensor(weights)).sum()

    eps = 1e-6
    expected = np.zeros_like(a)
    for i in np.ndindex(*a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        expected[i] = (loss_np(a + d) - loss_np(a - d)) / (2 * eps)
    expected += weights  # d/da of sum(a * weights): the rebuilt matrix is a
    np.testing.assert_allclose(ms.grad(loss)(Tensor(a)).asnumpy(), expected, rtol=1e-5, atol=1e-6)
