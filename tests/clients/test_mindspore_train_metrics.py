"""mindspore.train's metrics (Precision, Recall, Fbeta / F1, TopK, ConfusionMatrix(Metric), BleuScore, Dice,
CosineSimilarity, Perplexity, surface distances, OcclusionSensitivity, names / get_metric_fn, rearrange_inputs).
Expected values: the output MindSpore 2.10's docs print for each class's example ("docs") or MindSpore 2.10's
own run of the same call on CPU ("MindSpore run")."""
import numpy as np
import pytest

from gradserve import Tensor, nn
from gradserve import train as T

X = Tensor(np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]]))
Y = Tensor(np.array([1, 0, 1]))


def _run(metric, *inputs):
    metric.clear()
    metric.update(*inputs)
    return metric.eval()


@pytest.mark.parametrize("metric, want", [
    (T.Precision("classification"), [0.5, 1.0]),  # docs
    (T.Recall("classification"), [1.0, 0.5]),  # docs
    (T.F1(), [0.66666667, 0.66666667]),  # docs
    (T.Fbeta(1), [0.66666667, 0.66666667]),  # docs
])
def test_per_class_metrics_of_the_docs(metric, want):
    np.testing.assert_allclose(_run(metric, X, Y), want, rtol=1e-7)


@pytest.mark.parametrize("cls", [T.Precision, T.Recall])
def test_multilabel_precision_recall(cls):
    yp, y = np.array([[1, 0, 1], [0, 1, 1]]), np.array([[1, 1, 0], [0, 1, 1]])
    metric = cls("multilabel")
    np.testing.assert_allclose(_run(metric, yp, y), [0.5, 1.0])  # MindSpore run
    assert metric.eval(True) == pytest.approx(0.75)  # MindSpore run


def test_one_hot_labels_are_class_indices():
    one_hot = np.eye(2)[[1, 0, 1]]
    np.testing.assert_allclose(_run(T.Precision(), X, one_hot), [0.5, 1.0])  # docs (same labels)


@pytest.mark.parametrize("metric, want", [
    (T.Top1CategoricalAccuracy(), 0.0), (T.Top5CategoricalAccuracy(), 1.0),  # docs
    (T.TopKCategoricalAccuracy(3), 0.6666666666666666)])  # docs
def test_topk_accuracy_of_the_docs(metric, want):
    x = Tensor(np.array([[0.2, 0.5, 0.3, 0.6, 0.2], [0.1, 0.35, 0.5, 0.2, 0.], [0.9, 0.6, 0.2, 0.01, 0.3]]),
               np.float32)
    assert _run(metric, x, Tensor(np.array([2, 0, 1]), np.float32)) == pytest.approx(want)


def test_confusion_matrix():
    got = _run(T.ConfusionMatrix(2, "no_norm", 0.5), Tensor(np.array([1, 0, 1, 0])), Tensor(np.array([1, 0, 0, 1])))
    np.testing.assert_array_equal(got, [[1.0, 1.0], [1.0, 1.0]])  # docs
    scores = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    got = _run(T.ConfusionMatrix(3, normalize="target"), scores, np.array([1, 0, 1, 2]))
    np.testing.assert_allclose(got, [[1, 0, 0], [0, 0.5, 0.5], [0, 1, 0]])  # MindSpore run


def test_confusion_matrix_metric():
    got = _run(T.ConfusionMatrixMetric(True, "tpr", False, "mean"), Tensor(np.array([[[0], [1]], [[1], [0]]])),
               Tensor(np.array([[[0], [1]], [[0], [1]]])))
    np.testing.assert_allclose(got, [0.5])  # docs
    p = np.array([[1, 0, 1, 1], [0, 0, 1, 0]]).reshape(2, 1, 2, 2)
    t = np.array([[1, 1, 0, 1], [0, 1, 1, 0]]).reshape(2, 1, 2, 2)
    for name, per_sample, summed in [("mcc", 0.12200846792814626, 0.2581988897471611),  # MindSpore run
                                     ("f1", 0.6666666666666666, 0.6666666666666666),
                                     ("balanced_accuracy", 0.5416666666666666, 0.6333333333333333)]:
        assert _run(T.ConfusionMatrixMetric(metric_name=name, calculation_method=True), p, t) == pytest.approx(
            per_sample)
        np.testing.assert_allclose(_run(T.ConfusionMatrixMetric(metric_name=name), p, t), [summed])
    with pytest.raises(NotImplementedError, match="no_such"):
        T.ConfusionMatrixMetric(metric_name="no_such")


def test_text_embedding_and_overlap_metrics():
    cand = [["i", "have", "a", "pen", "on", "my", "desk"]]
    refs = [[["i", "have", "a", "pen", "in", "my", "desk"], ["there", "is", "a", "pen", "on", "the", "desk"]]]
    assert float(_run(T.BleuScore(), cand, refs)) == pytest.approx(0.5946035575013605)  # docs
    smooth = T.BleuScore(n_gram=2, smooth=True)
    got = _run(smooth, [list("abcd"), list("xy")], [[list("abd"), list("ac")], [list("xyz")]])
    assert float(got) == pytest.approx(0.7745966692414833)  # MindSpore run
    got = _run(T.CosineSimilarity(), np.array([[1, 3, 4, 7], [2, 4, 2, 5], [3, 1, 5, 8]]))
    np.testing.assert_allclose(got, [[0, 0.94025615, 0.95162452], [0.94025615, 0, 0.86146098],
                                     [0.95162452, 0.86146098, 0]], rtol=1e-7)  # docs
    dot = T.CosineSimilarity(similarity="dot", reduction="sum", zero_diagonal=False)
    np.testing.assert_allclose(_run(dot, np.array([[1.0, 2.0], [3.0, 4.0]])), [16.0, 36.0])  # MindSpore run
    y = Tensor(np.array([[0, 1], [1, 0], [0, 1]]))
    assert _run(T.Dice(smooth=1e-5), X, y) == pytest.approx(0.20467791371802546)  # docs
    assert _run(T.Perplexity(), X, Y) == pytest.approx(2.231443166940565)  # docs
    ppl = T.Perplexity(ignore_label=0)
    assert _run(ppl, np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]), np.array([1, 0, 0])) == pytest.approx(1.25)


def test_surface_distances():
    x = Tensor(np.array([[3, 0, 1], [1, 3, 0], [1, 0, 2]]))
    y = Tensor(np.array([[0, 2, 1], [1, 2, 1], [0, 0, 1]]))
    assert _run(T.HausdorffDistance(), x, y, 0) == pytest.approx(1.4142135623730951)  # docs
    assert _run(T.MeanSurfaceDistance(), x, y, 0) == pytest.approx(0.8047378541243649)  # docs
    assert _run(T.RootMeanSquareDistance(), x, y, 0) == pytest.approx(1.0000000000000002)  # docs
    a = np.array([[0, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 0], [0, 0, 0, 0, 0]])
    b = np.array([[1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 1]])
    assert _run(T.HausdorffDistance("chessboard"), a, b, 1) == 1  # MindSpore run
    assert _run(T.HausdorffDistance(percentile=50.0, directed=True), a, b, 1) == pytest.approx(1.0)
    got = _run(T.MeanSurfaceDistance(symmetric=True, distance_metric="taxicab"), a, b, 1)
    assert got == pytest.approx(0.9285714285714286)  # MindSpore run
    assert _run(T.RootMeanSquareDistance(symmetric=True), a, b, 1) == pytest.approx(0.9636241116594315)
    with pytest.raises(ValueError, match="label index"):
        T.HausdorffDistance().update(a, b, 7)


def test_occlusion_sensitivity(fake):
    class DenseNet(nn.Cell):
        def __init__(self):
            super().__init__()
            w = np.array([[0.1, 0.8, 0.1, 0.1], [1, 1, 1, 1]], np.float32)
            self.dense = nn.Dense(4, 2, weight_init=Tensor(w), bias_init=Tensor(np.array([0.3, 0.6], np.float32)))

        def construct(self, x):
            return self.dense(x)

    got = _run(T.OcclusionSensitivity(), DenseNet(), np.array([[0.1, 0.2, 0.3, 0.4]], np.float32),
               np.array(1, np.int32))
    np.testing.assert_allclose(got, [0.29999995, 0.6, 1.0, 0.9], rtol=1e-6)  # docs


def test_names_get_metric_fn_and_indexes():
    assert T.names() == ['F1', 'acc', 'accuracy', 'auc', 'bleu_score', 'confusion_matrix', 'confusion_matrix_metric',
                         'cosine_similarity', 'dice', 'hausdorff_distance', 'loss', 'mae', 'mean_surface_distance',
                         'mse', 'occlusion_sensitivity', 'perplexity', 'precision', 'recall', 'roc',
                         'root_mean_square_distance', 'top_1_accuracy', 'top_5_accuracy', 'topk']  # docs
    assert isinstance(T.get_metric_fn("precision", eval_type="classification"), T.Precision)
    assert T.get_metric_fn("topk", 2).k == 2
    with pytest.raises(KeyError, match="nope"):
        T.get_metric_fn("nope")
    mae = T.MAE().set_indexes([0, 2])  # update(x, y, y2) reads x and y2
    assert mae.indexes == [0, 2]
    assert _run(mae, np.array([[1.0, 2.0]]), np.array([[9.0, 9.0]]), np.array([[1.5, 2.5]])) == pytest.approx(1.0)

    class Pairs:  # docs, rearrange_inputs
        indexes = [1, 0]

        @T.rearrange_inputs
        def update(self, *inputs):
            return inputs
    assert Pairs().update(5, 9) == (9, 5)
    with pytest.raises(ValueError, match="indexes"):
        T.MAE().set_indexes((0, 1))
