"""mindspore.train.ROC / auc (client-side NumPy, no server): the expected values were printed by MindSpore 2.10
(CPU) for the same inputs in its venv."""
import numpy as np
import pytest

from gradserve import Tensor
from gradserve.train import ROC, auc


def test_binary_curve_with_tied_scores_and_a_pos_label():
    m = ROC(pos_label=2)
    m.clear()
    m.update(Tensor(np.array([0.1, 0.4, 0.35, 0.8, 0.4, 0.2])), Tensor(np.array([1, 2, 1, 2, 1, 2])))
    fpr, tpr, th = m.eval()
    np.testing.assert_allclose(fpr, [0, 0, 1 / 3, 2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 2 / 3, 2 / 3, 1, 1])
    np.testing.assert_allclose(th, [1.8, 0.8, 0.4, 0.35, 0.2, 0.1])
    assert auc(fpr, tpr) == pytest.approx(0.7222222222222222)


def test_one_curve_per_class():
    m = ROC(class_num=3)
    m.update(Tensor(np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1]])), Tensor(np.array([0, 2, 1])))
    fpr, tpr, th = m.eval()
    for got, want in zip(fpr, [[0, 0, 0.5, 1], [0, 0, 0.5, 1], [0, 0, 1]]):
        np.testing.assert_allclose(got, want)
    for got, want in zip(tpr, [[0, 1, 1, 1], [0, 1, 1, 1], [0, 1, 1]]):
        np.testing.assert_allclose(got, want)
    for got, want in zip(th, [[1.7, 0.7, 0.3, 0.1], [1.8, 0.8, 0.3, 0.2], [1.4, 0.4, 0.1]]):
        np.testing.assert_allclose(got, want)


def test_auc_directions_and_refusals():
    assert auc(np.array([3., 2, 0]), np.array([1., 0.5, 0])) == pytest.approx(1.25)  # decreasing x
    assert auc(np.array([0, 2., 1]), np.array([0, 1, 0.5]), reorder=True) == pytest.approx(1.0)
    with pytest.raises(TypeError):
        ROC(pos_label=True)
    with pytest.raises(ValueError, match="class_num"):
        ROC(class_num=2).update(Tensor(np.ones((2, 3))), Tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match="update"):
        ROC().eval()
