"""nn.Embedding, nn.SoftmaxCrossEntropyWithLogits, nn.ELU, nn.CellDict: values and gradients against
MindSpore 2.10 (CPU, PyNative; the numbers below were printed by the same programs run there) and,
where a formula is simple, NumPy."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops

TABLE = np.arange(15, dtype=np.float32).reshape(5, 3) / 10
IDS = np.array([[1, 2], [4, 1]], np.int32)
W = np.arange(12, dtype=np.float32).reshape(2, 2, 3)   # loss = sum(embedding(ids) * W)
# MindSpore 2.10: ops.grad(loss, None, emb.trainable_params())(ids), padding_idx=1 (its row still takes a gradient)
EMB_GRAD = np.array([[0, 0, 0], [9, 11, 13], [3, 4, 5], [0, 0, 0], [6, 7, 8]], np.float32)


def _table_grad(emb):
    def loss(i):
        return ops.sum(emb(i) * Tensor(W))
    return ops.grad(loss, None, emb.trainable_params())(Tensor(IDS))[0].asnumpy()


def test_embedding_padding_idx_row_zeroed_and_still_trained(on_real_server):
    emb = nn.Embedding(5, 3, padding_idx=1, embedding_table=Tensor(TABLE))
    want_table = TABLE.copy()
    want_table[1] = 0   # MindSpore 2.10 zeroes the padding row at construction
    np.testing.assert_array_equal(emb.embedding_table.asnumpy(), want_table)
    np.testing.assert_allclose(emb(Tensor(IDS)).asnumpy(), want_table[IDS], rtol=1e-7)
    np.testing.assert_array_equal(_table_grad(emb), EMB_GRAD)


def test_embedding_one_hot_gives_the_same_values_and_gradient(on_real_server):
    emb = nn.Embedding(5, 3, use_one_hot=True, embedding_table=Tensor(TABLE))
    np.testing.assert_allclose(emb(Tensor(IDS)).asnumpy(), TABLE[IDS], rtol=1e-7)
    np.testing.assert_array_equal(_table_grad(emb), EMB_GRAD)


def test_embedding_default_init_and_bad_arguments():
    emb = nn.Embedding(7, 4)
    t = emb.embedding_table.asnumpy()
    assert t.shape == (7, 4) and t.dtype == np.float32 and 0 < t.std() < 0.05   # Normal(sigma=0.01)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 3, padding_idx=5)
    with pytest.raises(ValueError, match="vocab_size"):
        nn.Embedding(0, 3)
    with pytest.raises(TypeError, match="int32 or int64"):
        nn.Embedding(5, 3)(Tensor(np.zeros(2, np.float32)))


LOGITS = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], np.float32)
SPARSE = np.array([1, 2], np.int32)
DENSE = np.array([[0.2, 0.7, 0.1], [0.0, 0.0, 1.0]], np.float32)
# MindSpore 2.10 nn.SoftmaxCrossEntropyWithLogits, gradient of loss(...).sum() in the logits
SCE_NONE = np.array([0.4643688, 0.07077423])
SCE_GRAD = np.array([[0.2312239, -0.3714683, 0.14024438], [0.0512636, 0.017064173, -0.068327785]])
SCE_DENSE = np.array([0.81436884, 0.07077423])
SCE_DENSE_GRAD = np.array([[0.031223893, -0.07146829, 0.04024438], [0.0512636, 0.017064173, -0.068327785]])


def _sce(loss, labels):
    def f(x):
        return ops.sum(loss(x, Tensor(labels)))
    return loss(Tensor(LOGITS), Tensor(labels)).asnumpy(), ops.grad(f)(Tensor(LOGITS)).asnumpy()


@pytest.mark.parametrize("reduction,scale", [("none", 1.0), ("sum", 1.0), ("mean", 0.5)])
def test_softmax_cross_entropy_sparse(on_real_server, reduction, scale):
    value, grad = _sce(nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction=reduction), SPARSE)
    want = SCE_NONE if reduction == "none" else SCE_NONE.sum() * scale
    np.testing.assert_allclose(value, want, rtol=1e-6)
    np.testing.assert_allclose(grad, SCE_GRAD * scale, rtol=1e-5, atol=1e-7)


def test_softmax_cross_entropy_dense_default_is_per_sample(on_real_server):
    value, grad = _sce(nn.SoftmaxCrossEntropyWithLogits(), DENSE)
    np.testing.assert_allclose(value, SCE_DENSE, rtol=1e-6)
    np.testing.assert_allclose(grad, SCE_DENSE_GRAD, rtol=1e-5, atol=1e-7)


def test_softmax_cross_entropy_bad_labels():
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True)
    with pytest.raises(TypeError, match="sparse labels"):
        loss(Tensor(LOGITS), Tensor(DENSE))
    with pytest.raises(ValueError, match=r"labels of shape \[2, 2\]"):
        nn.SoftmaxCrossEntropyWithLogits()(Tensor(LOGITS), Tensor(DENSE[:, :2]))


def test_elu_values_and_derivative_at_zero(on_real_server):
    x = np.array([-2.0, -0.5, 0.0, 1.5, 100.0], np.float32)
    elu = nn.ELU()

    def f(t):
        return ops.sum(elu(t))
    np.testing.assert_allclose(elu(Tensor(x)).asnumpy(), np.where(x > 0, x, np.expm1(np.minimum(x, 0))), rtol=1e-6)
    # MindSpore 2.10: [0.1353352, 0.6065305, 1., 1.] at the first four; 100 stays finite (no overflow in the dropped branch)
    np.testing.assert_allclose(ops.grad(f)(Tensor(x)).asnumpy(), [0.1353352, 0.6065305, 1.0, 1.0, 1.0], rtol=1e-6)
    with pytest.raises(ValueError, match="'alpha' must be 1.0"):
        nn.ELU(0.5)   # MindSpore 2.10: "In Elu, alpha must be 1.0f"


def test_cell_dict_names_parameters_and_trains_them(on_real_server):
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.layers = nn.CellDict({"a": nn.Dense(2, 3, weight_init=np.ones((3, 2)), bias_init=np.zeros(3)),
                                       "b": nn.Dense(3, 1, weight_init=np.ones((1, 3)), bias_init=np.zeros(1))})

        def construct(self, x):
            return self.layers["b"](self.layers["a"](x))

    net = Net()
    assert list(net.layers.keys()) == ["a", "b"] and len(net.layers) == 2 and "a" in net.layers
    # named by their paths (MindSpore 2.10's names, its venv)
    assert [p.name for p in net.trainable_params()] == ["layers.a.weight", "layers.a.bias", "layers.b.weight",
                                                        "layers.b.bias"]
    x = Tensor(np.array([[1.0, 2.0]], np.float32))
    np.testing.assert_allclose(net(x).asnumpy(), [[9.0]])
    grads = ops.grad(net, None, net.trainable_params())(x)
    np.testing.assert_allclose(grads[0].asnumpy(), np.tile([[1.0, 2.0]], (3, 1)))   # d/dW_a = w_b^T x
    net.layers.pop("b")
    assert list(net.layers) == ["a"] and len(net.trainable_params()) == 2
    with pytest.raises(TypeError, match="must be a Cell"):
        net.layers["c"] = 3
    with pytest.raises(TypeError, match="not callable"):
        net.layers(x)
