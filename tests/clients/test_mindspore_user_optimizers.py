"""User optimizers written as MindSpore writes its own: a `construct(gradients)` that maps primitive updates
(P.AdamWeightDecay, P.ApplyMomentum) over `self.parameters` and moments made by `ParameterTuple.clone`, through
`self.map_reverse` / `self.hyper_map` and `F.partial`, run by TrainOneStepCell in GRAPH_MODE. Expected values:
MindSpore 2.10 on CPU running the same code (its venv)."""
import numpy as np

import gradserve as ms
from gradserve import Parameter, ParameterTuple, Tensor, nn
from gradserve.nn.optim.optimizer import Optimizer
from gradserve.ops import functional as F
from gradserve.ops import operations as P


def _adam_opt(opt, beta1, beta2, eps, lr, weight_decay, param, m, v, gradient):
    opt(param, m, v, lr, beta1, beta2, eps, weight_decay, gradient)
    return True


class AdamWeightDecayOp(Optimizer):
    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        self.beta1 = Tensor(np.array([beta1]).astype(np.float32))
        self.beta2 = Tensor(np.array([beta2]).astype(np.float32))
        self.eps = Tensor(np.array([eps]).astype(np.float32))
        self.moments1 = self.parameters.clone(prefix="adam_m", init="zeros")
        self.moments2 = self.parameters.clone(prefix="adam_v", init="zeros")
        self.opt = P.AdamWeightDecay()
        self.opt.set_device("CPU")

    def construct(self, gradients):
        lr = self.get_lr()
        return self.map_reverse(F.partial(_adam_opt, self.opt, self.beta1, self.beta2, self.eps, lr,
                                          self.weight_decay), self.parameters, self.moments1, self.moments2, gradients)


class MomOpt(Optimizer):
    def __init__(self, params, learning_rate=0.1):
        super().__init__(learning_rate, params)
        self.moments = self.parameters.clone(prefix="mom", init="zeros")
        self.opt = P.ApplyMomentum()
        self.momentum = Tensor(np.float32(0.9))

    def construct(self, gradients):
        lr = self.get_lr()
        return self.hyper_map(F.partial(self.opt), self.parameters, self.moments, (lr, lr), gradients,
                              (self.momentum, self.momentum))


W0 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], np.float32)
X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)
Y = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
# MindSpore 2.10: losses of three steps, then weight, bias and the first moment of the weight
MS = {
    "adam": ([1.5006249, 1.2926462, 1.0589375],
             [[0.22127732634544373, -0.09698544442653656, 0.3187622129917145],
              [0.27525120973587036, 0.6191666722297668, -0.4760471284389496]],
             [-0.07407974451780319, 0.12246490269899368],
             [[-0.08761193603277206, -0.033885277807712555, 0.019841380417346954],
              [0.26660066843032837, -0.20480795204639435, -0.6762166023254395]]),
    "momentum": ([1.5006249, 0.73232514, 0.82403314],
                 [[0.29282814264297485, -0.09625782072544098, 0.31465625762939453],
                  [-0.18243549764156342, 0.5417060256004333, 0.06584765017032623]],
                 [-0.03270312398672104, 0.38282617926597595],
                 [[-0.8407812714576721, -0.3311719298362732, 0.17843738198280334],
                  [2.8727927207946777, 1.1055957078933716, -0.6616015434265137]]),
}


def test_user_optimizers_with_primitive_updates_as_mindspore(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    for name, make, moments in (("adam", lambda ps: AdamWeightDecayOp(ps, learning_rate=0.01, weight_decay=0.1),
                                 lambda o: o.moments1),
                                ("momentum", lambda ps: MomOpt(ps), lambda o: o.moments)):
        net = nn.Dense(3, 2, weight_init=Tensor(W0), bias_init="zeros")
        opt = make(net.trainable_params())
        assert opt.cls_name == type(opt).__name__
        step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)
        losses = [float(step(Tensor(X), Tensor(Y)).asnumpy()) for _ in range(3)]
        want_losses, want_w, want_b, want_m = MS[name]
        np.testing.assert_allclose(losses, want_losses, rtol=1e-5, err_msg=name)
        np.testing.assert_allclose(net.weight.asnumpy(), want_w, rtol=1e-5, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(net.bias.asnumpy(), want_b, rtol=1e-5, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(moments(opt)[0].asnumpy(), want_m, rtol=1e-5, atol=1e-7, err_msg=name)
        assert [p.name for p in moments(opt)] == [f"{'adam_m' if name == 'adam' else 'mom'}.{n}"
                                                  for n in ("weight", "bias")]


def test_parameter_tuple_clone_as_mindspore():
    p = Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="w")
    q = Parameter(Tensor(np.array([[3]], np.int32)), name="b", requires_grad=False)
    t = ParameterTuple([p, q])
    for init, want in (("zeros", ([0.0, 0.0], [[0]])), ("same", ([1.0, 2.0], [[3]])), ("ones", ([1.0, 1.0], [[1]])),
                       (2.0, ([2.0, 2.0], [[2]]))):
        c = t.clone(prefix="m", init=init)
        assert isinstance(c, ParameterTuple) and c[0] is not p
        assert [(x.name, x.asnumpy().tolist(), x.requires_grad) for x in c] == [("m.w", want[0], True),
                                                                               ("m.b", want[1], False)]
        assert c[1].dtype == ms.int32
    t.clone("m")[0].set_data(Tensor(np.array([9.0, 9.0], np.float32)))
    assert p.asnumpy().tolist() == [1.0, 2.0]  # a copy, not a view
