"""BatchNorm's moving statistics: nn.BatchNorm1d/2d in training update moving_mean / moving_variance after each
call (moving = momentum * moving + (1 - momentum) * batch, the batch variance unbiased), also when the call is
a derivative of a net holding one; eval mode normalises by them; ops.BatchNorm(is_training=True) and
ops.batch_norm(training=True) update Parameters given as mean / variance ((1 - momentum) * running +
momentum * batch). Expected numbers: printed by MindSpore 2.10 (CPU) running the same code, and the NumPy
formula above."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3, 2, 2)).astype(np.float32) * 2 + 1
X3 = RNG.standard_normal((2, 3, 5)).astype(np.float32)
X2 = RNG.standard_normal((5, 3)).astype(np.float32)


def close(got, want, rtol=2e-6, atol=1e-7):
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=atol)


def moving(old, x, momentum):
    axes = (0,) + tuple(range(2, x.ndim))
    return momentum * old[0] + (1 - momentum) * x.mean(axes), momentum * old[1] + (1 - momentum) * x.var(axes, ddof=1)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_training_updates_and_eval_uses_the_moving_statistics(on_real_server, mode):
    ms.set_context(mode=mode)
    bn = nn.BatchNorm2d(3, momentum=0.8)
    assert [p.name for p in bn.get_parameters()] == ["mean", "variance", "gamma", "beta"]  # MindSpore's order
    bn.set_train()
    bn(Tensor(X))
    bn(Tensor(X * 0.5))
    # MindSpore 2.10
    close(bn.moving_mean.asnumpy(), [0.16390299797058105, 0.3768801689147949, 0.3475421071052551])
    close(bn.moving_variance.asnumpy(), [1.366142988204956, 1.2828458547592163, 1.262170672416687])
    m, v = moving(moving((np.zeros(3), np.ones(3)), X.astype(np.float64), 0.8), X * 0.5, 0.8)
    close(bn.moving_mean.asnumpy(), m, rtol=1e-5)
    close(bn.moving_variance.asnumpy(), v, rtol=1e-5)
    bn.set_train(False)
    y = bn(Tensor(X)).asnumpy()
    close(y.reshape(-1)[:4], [0.93047034740448, 0.4892836809158325, 1.8111704587936401, 0.8948275446891785])
    close(bn.moving_mean.asnumpy(), m, rtol=1e-5)  # eval mode leaves them


def test_batchnorm1d_with_use_batch_statistics_on_rank_3(on_real_server):
    b1 = nn.BatchNorm1d(3, use_batch_statistics=True)  # batch statistics (and updates) while not training
    y = b1(Tensor(X3)).asnumpy()
    close(b1.moving_mean.asnumpy(), [0.047396667301654816, 0.010586614720523357, -0.015554944984614849])
    close(b1.moving_variance.asnumpy(), [0.9998717904090881, 1.0059866905212402, 1.0437705516815186])
    close(y.reshape(-1)[:3], [1.4003751277923584, 0.8872001767158508, -0.1229708343744278])


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(3)
        self.w = Parameter(Tensor(np.array([1.0, -2.0, 0.5], np.float32)), name="w")

    def construct(self, x):
        return (self.bn(x) * self.w * x).sum()


def test_a_gradient_of_a_training_net_updates_the_statistics_once(on_real_server):
    net = Net()
    net.set_train()
    gx, gw = ops.grad(net, 0, net.trainable_params())(Tensor(X2))
    close(gx.asnumpy().reshape(-1)[:4], [0.25753751397132874, -2.597324848175049, 0.0008218758157454431,
                                          -0.5411769151687622], rtol=1e-5, atol=1e-6)
    # the net's own Parameter first, then the sub-cell's (MindSpore's trainable_params order)
    close(gw[0].asnumpy(), [4.2709174156188965, 5.341588020324707, 4.706079483032227], rtol=1e-5)
    close(gw[1].asnumpy(), [4.2709174156188965, -10.683175086975098, 2.3530399799346924], rtol=1e-5)
    close(gw[2].asnumpy(), [-0.8546485900878906, -6.150085926055908, 0.4674301743507385], rtol=1e-5)
    close(net.bn.moving_mean.asnumpy(), [-0.01709297113120556, 0.06150085851550102, 0.018697207793593407])
    close(net.bn.moving_variance.asnumpy(), [0.9912049174308777, 1.0426640510559082, 1.0107371807098389])


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_the_primitive_and_the_function_update_parameters(on_real_server, mode):
    ms.set_context(mode=mode)
    mean = Parameter(Tensor(np.zeros(3, np.float32)), name="m")
    var = Parameter(Tensor(np.ones(3, np.float32)), name="v")
    one, zero = Tensor(np.ones(3, np.float32)), Tensor(np.zeros(3, np.float32))
    ops.BatchNorm(is_training=True, momentum=0.3)(Tensor(X), one, zero, mean, var)
    close(mean.asnumpy(), [0.18911885, 0.43486175, 0.40101016])  # MindSpore 2.10
    close(var.asnumpy(), [1.7373471, 1.6183512, 1.5888152])
    ops.batch_norm(Tensor(X), mean, var, one, zero, training=True, momentum=0.5)
    close(mean.asnumpy(), [0.4097575, 0.9422004, 0.8688553])
    close(var.asnumpy(), [2.5975852, 2.3397608, 2.2757661])
    ops.BatchNorm(is_training=False)(Tensor(X), one, zero, mean, var)  # inference: no update
    close(mean.asnumpy(), [0.4097575, 0.9422004, 0.8688553])


def test_momentum_out_of_range_is_refused():
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(3, momentum=1.5)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_vjp_fn_is_the_backward_only_the_moving_statistics_move_once(on_real_server, mode):
    """ops.vjp runs the forward once; each vjp_fn(v) is its backward, which must not update the moving
    statistics again (it used to: three vjp_fn calls moved them four times, where MindSpore 2.10 moves them
    once). Expected: the NumPy formula of one training call (moving() above), and the same gradient each time."""
    ms.set_context(mode=mode)
    bn = nn.BatchNorm2d(3, momentum=0.8)
    bn.set_train()
    out, vjp_fn = ops.vjp(bn, Tensor(X))
    grads = [vjp_fn(ops.ones_like(out))[0].asnumpy() for _ in range(3)]
    m, v = moving((np.zeros(3), np.ones(3)), X.astype(np.float64), 0.8)
    close(bn.moving_mean.asnumpy(), m, rtol=1e-5)
    close(bn.moving_variance.asnumpy(), v, rtol=1e-5)
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], grads[2])
    # the gradient of sum(bn(x)) in training mode w.r.t. x is ~0 (each channel's output sums to beta * n)
    close(grads[0], np.zeros_like(X), atol=1e-5)
