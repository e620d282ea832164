"""ops.topk / ops.TopK on rows with equal values pick the smaller indices first, as MindSpore's documentation
says ("if two compared elements are the same, the one with the smaller index is returned first": ops.topk,
ops.TopK, 2.x). MindSpore 2.10's CPU kernel does not (a heap's order: [3] * 8 with k=3 gives [6, 5, 4], and
[1, 2, 2, 1, 2, 0] with k=2 gives [2, 4]): that is not followed. Expected: NumPy's stable argsort."""
import numpy as np
import pytest

from gradserve import Tensor, ops

ROWS = [np.array([1.0, 2.0, 2.0, 1.0, 2.0, 0.0], np.float32), np.full(8, 3.0, np.float32),
        np.array([5.0, 1.0, 5.0, 1.0, 5.0, 1.0, 1.0, 5.0, 1.0], np.float32),
        np.tile(np.array([0.0, 1.0, 1.0, 0.0], np.float32), 10)]


def _stable_pick(row, k, largest):
    return np.argsort(-row if largest else row, kind="stable")[:k]


@pytest.mark.parametrize("row", ROWS, ids=[f"n{len(r)}" for r in ROWS])
@pytest.mark.parametrize("largest", [True, False])
def test_ties_give_the_smaller_indices_first(fake, row, largest):
    for k in (1, 2, 3):
        want = _stable_pick(row, k, largest)
        values, idx = ops.topk(Tensor(row), k, dim=-1, largest=largest, sorted=True)
        assert idx.asnumpy().tolist() == want.tolist(), (k, largest)
        np.testing.assert_array_equal(values.asnumpy(), row[want])
        # sorted=False: the same elements (MindSpore documents no order for them)
        _, unsorted = ops.topk(Tensor(row), k, dim=-1, largest=largest, sorted=False)
        assert sorted(unsorted.asnumpy().tolist()) == sorted(want.tolist())


def test_ties_along_either_dimension_and_the_primitive(fake):
    x = np.array([[1.0, 2.0, 2.0, 1.0], [4.0, 4.0, 0.0, 4.0]], np.float32)
    _, rows = ops.topk(Tensor(x), 2, dim=1)
    assert rows.asnumpy().tolist() == [_stable_pick(r, 2, True).tolist() for r in x]  # [[1, 2], [0, 1]]
    _, cols = ops.topk(Tensor(x), 2, dim=0)
    assert cols.asnumpy().tolist() == np.argsort(-x, axis=0, kind="stable")[:2].tolist()
    _, prim = ops.TopK(sorted=True)(Tensor(ROWS[1]), 2)
    assert prim.asnumpy().tolist() == [0, 1]
