"""Seed 20 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 20"): names its
files call that gradserve lacked.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv; erfinv's also SciPy's
erfinv and its derivative sqrt(pi)/2 exp(erfinv(x)^2)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, mint, ops


def test_erfinv_values_edges_and_derivative(on_real_server):
    x = Tensor(np.array([0, 0.5, -0.9, 0.999, 1, -1, 1.5], np.float32))
    want = [0.0, 0.47693628, -1.1630871, 2.3267537, np.inf, -np.inf, np.nan]  # SciPy's erfinv
    for got in (ops.erfinv(x), x.erfinv(), mint.erfinv(x)):
        assert got.dtype == ms.float32
        np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-6)
    from scipy.special import erfinv
    v = np.array([0, 0.5, -0.9, 0.3], np.float64)
    g = ops.grad(ops.erfinv)(Tensor(v))
    np.testing.assert_allclose(g.asnumpy(), np.sqrt(np.pi) / 2 * np.exp(erfinv(v) ** 2), rtol=1e-9)
    with pytest.raises(TypeError, match="Erfinv.*floating-point"):  # MindSpore 2.10's CPU kernel refuses ints
        ops.erfinv(Tensor(np.array([0, 1], np.int32)))


def test_gelu_grad_contiguous_shape_and_sequence_ops(on_real_server):
    from gradserve.ops.auto_generate import GeLUGrad, contiguous
    from gradserve.ops.operations import manually_defined
    from gradserve.ops.operations._sequence_ops import ListToTensor, SequenceMul, TupleToTensor
    x = np.array([-3, -1, -0.2, 0.5, 1, 2, 3], np.float32)
    dy = np.array([1.3, 0.7, 1, 2, 1.0829641, 1, -1], np.float32)
    got = GeLUGrad()(Tensor(dy), Tensor(x), Tensor(np.full(7, 5.0, np.float32)))  # y does not count
    np.testing.assert_allclose(got.asnumpy(), [-0.01505951, -0.05807485, 0.34254184, 1.7347398, 1.1728112,
                                               1.0860993, -1.0115843], rtol=3e-5)  # MindSpore 2.10's
    t = ops.transpose(Tensor(np.arange(6.0).reshape(2, 3)), (1, 0))
    np.testing.assert_array_equal(contiguous(t).asnumpy(), np.arange(6.0).reshape(2, 3).T)
    assert contiguous(t).is_contiguous()
    assert manually_defined.shape_(Tensor(np.ones((2, 3)))) == (2, 3)
    assert Tensor(np.array([1.5, 2.0], np.float32)).numpy().tolist() == [1.5, 2.0]  # asnumpy's alias
    assert ops.make_tuple(1, "a") == (1, "a")
    from gradserve.common.api import _pynative_executor
    _pynative_executor.set_async_for_graph(True)  # a switch with nothing to switch (calls are synchronous)
    with pytest.raises(TypeError, match="bool"):
        _pynative_executor.set_async_for_graph(1)
    s = TupleToTensor()((2, 3, 4), ms.int64)
    assert s.dtype == ms.int64 and s.asnumpy().tolist() == [2, 3, 4]
    assert ListToTensor()([1.5, 2], ms.float32).asnumpy().tolist() == [1.5, 2.0]
    assert SequenceMul()([1, 2], 2) == [1, 2, 1, 2] and SequenceMul()((3,), 3) == (3, 3, 3)
    with pytest.raises(TypeError, match="TupleToTensor.*tuple"):
        TupleToTensor()([1, 2])


def _sched_net(step, *args):
    from gradserve import nn

    class SchedNet(nn.Cell):  # MindSpore's tests step their schedulers inside a Cell
        def construct(self, *a):
            step(*a)
            return self._sched.get_last_lr()
    net = SchedNet()
    net._sched = step.__self__
    return net


def test_lr_schedulers_stepped_inside_a_graph_mode_cell(on_real_server):
    # each call of the (GRAPH_MODE) Cell steps again: its trace is never cached (a cached one would replay
    # the first step's rates). Expected rates: MindSpore 2.10's (its test_lr_scheduler's lists and a run)
    from gradserve.experimental import optim
    w = ms.Parameter(Tensor(np.ones(2, np.float32)), name="w")

    def rates(sched, calls):
        net = _sched_net(sched.step)
        return [[float(v.asnumpy()) for v in net(*a)] for a in calls]
    sgd = optim.SGD([w], lr=0.1, momentum=0.9)
    got = rates(optim.lr_scheduler.CosineAnnealingWarmRestarts(sgd, 2), [(e + i / 3,) for e in range(2) for i in range(3)])
    np.testing.assert_allclose(got, [[0.1], [0.0933012702], [0.075], [0.05], [0.025], [0.0066987298]], rtol=1e-6)
    adam = optim.Adam([w], 0.1)
    got = rates(optim.lr_scheduler.ReduceLROnPlateau(adam, "min", patience=0), [(m,) for m in (1, 1.5, 1.8, 0.4, 0.5)])
    np.testing.assert_allclose(got, [[0.1], [0.01], [0.001], [0.001], [0.0001]], rtol=1e-6)
    adam = optim.Adam([w], 0.1)
    got = rates(optim.lr_scheduler.CyclicLR(adam, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"),
                [()] * 7)
    np.testing.assert_allclose(got, [[0.055], [0.1], [0.055], [0.01], [0.0325], [0.055], [0.0325]], rtol=1e-6)
    adam = optim.Adam([w], 0.1)
    s1 = optim.lr_scheduler.ConstantLR(adam, factor=0.1, total_iters=2)
    s2 = optim.lr_scheduler.ExponentialLR(adam, gamma=0.9)
    got = rates(optim.lr_scheduler.SequentialLR(adam, schedulers=[s1, s2], milestones=[2]), [()] * 6)
    np.testing.assert_allclose(got, [[0.01], [0.1], [0.09], [0.081], [0.0729], [0.06561]], rtol=1e-6)
    d, nd = ms.Parameter(Tensor(np.ones(1, np.float32)), name="dense.w"), ms.Parameter(Tensor(np.ones(1, np.float32)), name="b")
    adam = optim.Adam([{"params": [d]}, {"params": [nd], "lr": 1.0}], 0.1)
    got = rates(optim.lr_scheduler.LambdaLR(adam, lr_lambda=[lambda e: e // 3, lambda e: 0.9 ** e]), [()] * 4)
    np.testing.assert_allclose(got, [[0.0, 0.9], [0.0, 0.81], [0.1, 0.729], [0.1, 0.6561]], rtol=1e-6)
    assert adam.param_groups[1]["lr"].name == "learning_rate_group_1"
    with pytest.raises(TypeError, match="StepLR.*Optimizer"):
        optim.lr_scheduler.StepLR(object(), step_size=1)


def test_experimental_optimizers_follow_mindspore(on_real_server):
    # three steps of g = 0.5 k w0 in a GRAPH_MODE train-step Cell (values: MindSpore 2.10's experimental.optim)
    from gradserve import nn
    from gradserve.experimental import optim
    w0 = np.random.RandomState(0).randn(2, 3).astype(np.float32)
    want = {"adam": [1.4715147, 0.10757986, 0.68619102, 1.94835794, 1.57502091, -0.68473077],
            "adamw": [1.46674359, 0.10693608, 0.68378294, 1.9421556, 1.56993914, -0.68232709],
            "sgd": [0.46728063, 0.10599782, 0.25925836, 0.59359127, 0.49469829, -0.25887156]}
    make = {"adam": lambda p: optim.Adam(p, 0.1, weight_decay=0.01), "adamw": lambda p: optim.AdamW(p, 0.1),
            "sgd": lambda p: optim.SGD(p, 0.1, momentum=0.9, weight_decay=0.01, nesterov=True)}
    for name, mk in make.items():
        w = ms.Parameter(Tensor(w0), name="w")
        opt = mk([w])

        class TrainStep(nn.Cell):
            def construct(self, g):
                return opt((g,))
        step = TrainStep()
        for k in range(3):
            step(Tensor(np.float32(0.5 * (k + 1)) * w0))
        # atol: MindSpore's float32 rounding (its Adam's 0.10757986 is 3e-7 from the float64 value 0.10757956,
        # which ours is within 1e-8 of)
        np.testing.assert_allclose(w.asnumpy().ravel(), want[name], rtol=1e-6, atol=5e-7, err_msg=name)
    # a scheduler between cached train steps: each step reads its group's lr Parameter
    w = ms.Parameter(Tensor(np.array([1.0, -2.0], np.float32)), name="w")
    opt = optim.SGD([w], 0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    class SGDStep(nn.Cell):
        def construct(self, g):
            return opt((g,))
    step = SGDStep()
    for _ in range(3):
        step(Tensor(np.array([1.0, 2.0], np.float32)))
        sched.step()
    np.testing.assert_allclose(w.asnumpy(), [0.825, -2.35], rtol=1e-6)
    assert [float(v.asnumpy()) for v in sched.get_last_lr()] == [np.float32(0.0125)]


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_a_parameter_argument_returned_gives_its_value_after_the_call(on_real_server, mode):
    # MindSpore 2.10 (both modes): a Parameter passed to construct and returned as it is, while construct
    # assigns that Parameter (through an attribute), comes back with the assigned value (the output is the
    # Parameter's buffer); an output computed from it before the assignment keeps the old value
    from gradserve import Parameter, nn

    class Doubles(nn.Cell):
        def __init__(self, p):
            super().__init__()
            self.p = p

        def construct(self, x):
            y = x + 1
            self.p = self.p * 2
            return x, y

    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    try:
        p = Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="p")
        x, y = Doubles(p)(p)
        assert x.asnumpy().tolist() == [2.0, 4.0] and y.asnumpy().tolist() == [2.0, 3.0]
        assert p.asnumpy().tolist() == [2.0, 4.0]
        q = Parameter(Tensor(np.array([5.0, 6.0], np.float32)), name="q")
        x, y = Doubles(q)(Tensor(np.array([1.0, 2.0], np.float32)))  # another Tensor: its own value
        assert x.asnumpy().tolist() == [1.0, 2.0] and q.asnumpy().tolist() == [10.0, 12.0]
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)


def test_flip_truth_value_and_hsigmoid_grad_checks(on_real_server):
    from gradserve import nn
    from gradserve.ops.operations import _grad_ops as G
    x = Tensor(np.arange(6).reshape(2, 3).astype(np.int32))
    # ops.flip(input, dims), MindSpore's form (ops.flip was the engine's flip(x, axis=...): a TypeError)
    np.testing.assert_array_equal(ops.flip(x, (0,)).asnumpy(), [[3, 4, 5], [0, 1, 2]])
    np.testing.assert_array_equal(ops.flip(x, dims=[0, 1]).asnumpy(), [[5, 4, 3], [2, 1, 0]])
    np.testing.assert_array_equal(x.fliplr().asnumpy(), [[2, 1, 0], [5, 4, 3]])
    assert ops.flip(Tensor(np.zeros((2, 0), np.int32)), (0,)).shape == (2, 0)

    class Truth(nn.Cell):
        def construct(self, t):
            return 1 if t else 0
    assert Truth()(Tensor([1], ms.int32)) == 1
    for bad in (Tensor(np.zeros(0, np.float32)), Tensor([0, 1], ms.int32)):
        with pytest.raises(ValueError, match="ambiguous"):  # MindSpore 2.10: ValueError
            Truth()(bad)
    with pytest.raises(ValueError, match=r"The 0th dim of x\(4\) and dout\(3\) not equal, primitive name: HSigmoidGrad"):
        G.HSigmoidGrad()(Tensor(np.ones(3, np.float32)), Tensor(np.ones(4, np.float32)))
    with pytest.raises(ValueError, match=r"Rank of x\(2\) and dout\(1\) not equal"):
        G.HSigmoidGrad()(Tensor(np.ones(3, np.float32)), Tensor(np.ones((1, 3), np.float32)))


def test_cell_list_refuses_a_cell_dict_as_mindspore(on_real_server):
    from gradserve import nn
    d = nn.CellDict({"relu": nn.ReLU()})
    with pytest.raises(TypeError, match="the type of cell can not be CellDict"):
        nn.CellList([d])
    with pytest.raises(TypeError, match="should be instance of list, but got CellDict"):
        nn.CellList([nn.ReLU()]).extend(d)
    cl = nn.CellList([nn.ReLU()])
    cl.append(d)  # MindSpore 2.10 takes one appended or inserted
    cl.insert(0, d)
    assert len(cl) == 3


GLOBAL_LIST = [1, 2, 3, 4]


def test_python_lists_keep_their_identity_through_a_graph(on_real_server):
    # MindSpore 2.10: a list the function reaches (global, attribute, argument) comes back as the very object,
    # and changes the function makes to it are the caller's (each call: such traces are not cached)
    from gradserve import jit, nn

    @jit
    def glob():
        return GLOBAL_LIST
    assert glob() is GLOBAL_LIST

    @jit
    def rev(x):
        x.reverse()

    lst = [1, 2, 3, 4]
    rev(lst)
    assert lst == [4, 3, 2, 1]
    rev(lst)  # again: a cached trace would not reverse it back
    assert lst == [1, 2, 3, 4]

    @jit
    def first_reversed(t):
        y = t[0]
        y.reverse()
        return y

    tup = ([1, 2, 3], 2)
    assert first_reversed(tup) is tup[0] and tup == ([3, 2, 1], 2)  # a list inside a tuple argument too

    class Pops(nn.Cell):
        def __init__(self, obj):
            super().__init__()
            self.obj = obj

        def construct(self):
            y = self.obj.pop()
            return self.obj, y

    obj = [1, Tensor([3]), "x", (3, 4)]
    out, y = Pops(obj)()
    assert out is obj and y == (3, 4) and len(obj) == 3

    @jit
    def local(a):
        return [1, 2], [a, GLOBAL_LIST]
    first, mixed = local(Tensor([1.0]))
    second, _ = local(Tensor([1.0]))
    assert first == [1, 2] and first is not second  # a list made in the function: a new one each call
    assert mixed[1] is GLOBAL_LIST and mixed[0].asnumpy().tolist() == [1.0]


def test_grid_sampler_2d_and_its_grad_follow_mindspore(on_real_server):
    # sums and sums of squares of MindSpore 2.10's outputs on the same inputs (PyNative, CPU)
    from gradserve.ops.auto_generate import GridSampler2DGrad
    r = np.random.RandomState(3)
    x = r.randn(2, 3, 4, 5).astype(np.float32)
    g = (r.rand(2, 3, 2, 2) * 2.4 - 1.2).astype(np.float32)  # some points outside [-1, 1]
    dy = r.randn(2, 3, 3, 2).astype(np.float32)
    want = {("bilinear", "zeros", False): (-0.85100782, 15.400476, -0.16842604, 9.6479979, -4.1938686, 224.23817),
            ("bilinear", "border", True): (-1.3782899, 19.086708, -1.6698081, 10.715011, -18.009421, 338.50198),
            ("nearest", "zeros", True): (-0.65937495, 43.130856, -1.6698079, 18.443012, 0.0, 0.0)}
    for (mode, pad, ac), sums in want.items():
        y = ops.GridSampler2D(mode, pad, ac)(Tensor(x), Tensor(g)).asnumpy()
        dx, dg = GridSampler2DGrad(mode, pad, ac)(Tensor(dy), Tensor(x), Tensor(g))
        got = [f(a) for a in (y, dx.asnumpy(), dg.asnumpy()) for f in (np.sum, lambda v: np.sum(v * v))]
        np.testing.assert_allclose(got, sums, rtol=2e-6, atol=1e-6, err_msg=f"{mode} {pad} {ac}")
    np.testing.assert_allclose(ops.grid_sample(Tensor(x), Tensor(g)).asnumpy().sum(), -0.85100782, rtol=2e-6)
    for ac, sums in ((False, (0.2758711, 29.432915)), (True, (-2.0730383, 19.136341))):  # MindSpore 2.10, reflection
        y = ops.grid_sample(Tensor(x), Tensor(g), padding_mode="reflection", align_corners=ac).asnumpy()
        np.testing.assert_allclose([y.sum(), (y * y).sum()], sums, rtol=2e-6, atol=1e-6)


def test_grad_of_keyword_only_and_kwargs_tensors(on_real_server):
    # MindSpore 2.10: Tensors given by keyword to a construct's keyword-only parameters or **kwargs are inputs
    # after the positional ones; other keywords (c=3) stay constants
    from gradserve import nn

    class KwOnly(nn.Cell):
        def construct(self, *, a, b):
            return a * b

    class VarKw(nn.Cell):
        def construct(self, **kwargs):
            return kwargs["a"] * kwargs["c"] + kwargs["b"]

    a, b = np.array([1.0, -2.0], np.float32), np.array([3.0, 0.5], np.float32)
    got = ops.GradOperation()(KwOnly())(a=Tensor(a), b=Tensor(b))
    np.testing.assert_array_equal(got.asnumpy(), b)
    ga, gb = ops.GradOperation(get_all=True)(VarKw())(a=Tensor(a), b=Tensor(b), c=3)
    np.testing.assert_array_equal(ga.asnumpy(), [3.0, 3.0])
    np.testing.assert_array_equal(gb.asnumpy(), [1.0, 1.0])


def test_unnamed_parameters_of_a_parameter_tuple_attribute(on_real_server):
    # MindSpore 2.10: "Parameter$<k>", k counted per cell from 1 over its ParameterTuple attributes
    from gradserve import Parameter, ParameterTuple, nn

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.a = Parameter(Tensor([1.0]), name="na")
            self.t = ParameterTuple((Parameter(Tensor([2.0])), self.a, Parameter(Tensor([3.0]))))
            self.u = ParameterTuple((Parameter(Tensor([2.0])),))
            self.v = Parameter(Tensor([5.0]))

    net = Net()
    assert [p.name for p in net.t] == ["Parameter$1", "na", "Parameter$2"] and net.u[0].name == "Parameter$3"
    assert [p.name for p in net.get_parameters()] == ["na", "Parameter$1", "Parameter$2", "Parameter$3", "v"]
