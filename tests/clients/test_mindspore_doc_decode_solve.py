"""ctc_greedy_decoder / CTCGreedyDecoder, MatrixSolveLs, nn.TripletMarginWithDistanceLoss. Expected values: the
output MindSpore's docs print ("docs"), NumPy, or torch."""
import numpy as np
import torch
import torch.nn.functional as F

from gradserve import Tensor, nn, ops

RNG = np.random.default_rng(21)


def test_ctc_greedy_decoder():
    logits = np.array([[[0.6, 0.4, 0.2], [0.8, 0.6, 0.3]], [[0.0, 0.6, 0.0], [0.5, 0.4, 0.5]]], np.float32)
    idx, values, shape, log_prob = ops.CTCGreedyDecoder()(Tensor(logits), Tensor(np.array([2, 2], np.int32)))
    assert idx.asnumpy().tolist() == [[0, 0], [0, 1], [1, 0]] and values.asnumpy().tolist() == [0, 1, 0]  # docs
    assert shape.asnumpy().tolist() == [2, 2]
    np.testing.assert_allclose(log_prob.asnumpy(), [[-1.2], [-1.3]], rtol=1e-6)
    # blanks (class C - 1) dropped, repeats merged only without a blank between them (NumPy by hand)
    steps = np.eye(4, dtype=np.float32)[[0, 0, 3, 0, 1, 1, 3]][:, None, :]
    idx, values, shape, _ = ops.ctc_greedy_decoder(Tensor(steps), Tensor(np.array([7], np.int32)))
    assert values.asnumpy().tolist() == [0, 0, 1] and shape.asnumpy().tolist() == [1, 3]
    _, values, _, _ = ops.ctc_greedy_decoder(Tensor(steps), Tensor(np.array([7], np.int32)), merge_repeated=False)
    assert values.asnumpy().tolist() == [0, 0, 0, 1, 1]


def test_matrix_solve_ls(fake):
    a, b = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2))
    np.testing.assert_allclose(ops.MatrixSolveLs()(Tensor(a), Tensor(b), Tensor(0.0)).asnumpy(),
                               np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-9)  # NumPy
    got = ops.MatrixSolveLs()(Tensor(a), Tensor(b), 0.5).asnumpy()
    np.testing.assert_allclose(got, np.linalg.solve(a.T @ a + 0.5 * np.eye(3), a.T @ b), rtol=1e-9)  # NumPy


def test_triplet_margin_with_distance_loss(fake):
    x, p, n = (RNG.standard_normal((4, 3)).astype(np.float32) for _ in range(3))
    for swap in (False, True):
        want = F.triplet_margin_with_distance_loss(
            torch.from_numpy(x), torch.from_numpy(p), torch.from_numpy(n),
            distance_function=lambda a, b: torch.linalg.vector_norm(a - b, dim=1), swap=swap, margin=0.5).item()
        got = nn.TripletMarginWithDistanceLoss(swap=swap, margin=0.5)(Tensor(x), Tensor(p), Tensor(n))
        np.testing.assert_allclose(float(got), want, rtol=1e-6)  # torch
    got = nn.TripletMarginWithDistanceLoss()(Tensor([[0.3, 0.7], [0.5, 0.5]]), Tensor([[0.4, 0.6], [0.4, 0.6]]),
                                             Tensor([[0.2, 0.9], [0.3, 0.7]]))
    np.testing.assert_allclose(float(got), 0.8881968, rtol=1e-6)  # docs
