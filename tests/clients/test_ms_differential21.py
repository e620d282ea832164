"""Round 21 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 21 (every program in PyNative AND
GRAPH_MODE: nn layers with Parameters under GradOperation(get_by_list) / grad(weights=) / value_and_grad(weights=),
BatchNorm in train and eval and its statistics after the gradient, assign / assign_add / set_data inside the
differentiated function, if / while / for over tensors and Python ints with break / continue / early return under
grad and jvp, tuple / list / dict outputs with a sens of their structure, int / bool inputs in grad_position,
float16 / float64 promotion, depend / stop_gradient mid-chain, a Tensor held in a tuple argument and passed beside it),
run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK. The harness's own check and a regression test
per wrong answer found. Each test says where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import in_mode as _in_mode, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen21 as gen21  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round21_programs_are_reproducible_compile_and_draw_every_form_in_both_modes():
    progs = _ms_rounds.checked_programs(
        gen21.programs21, 21, forms={"cell21", "state21", "flow21", "struct21", "mix21", "chain21", "pack21"},
        modes={"value"},
        spellings=("nn.Conv2d(", "nn.BatchNorm2d(", "nn.LSTM(", "nn.GRU(", "nn.Embedding(", "nn.Dropout(p=0.0)",
                   "nn.LayerNorm(", "get_by_list=True", "weights=net.trainable_params()", "ops.assign_add(",
                   "set_data(x * 2)", "ops.depend(", "ops.stop_gradient(", "while ops.abs(z).sum()", "break",
                   "continue", "sens_param=True", "{'a': s0, 'b': s1}", "ms.jit(", "has_aux=True", "ops.jvp(",
                   "untrainable_params()", "(a0, a1), a1"))
    assert {p["context"] for p in progs} == {"pynative", "graph"}
    assert [p["name"].rsplit("@", 1)[0] for p in progs[::2]] == [p["name"].rsplit("@", 1)[0] for p in progs[1::2]]


# ----------------------------------------------------------------------------------------- wrong answers fixed
_X = np.array([1.0, -2.0, 3.0], np.float32)
_Y = np.array([0.5, 1.5, -1.0], np.float32)


def _held(t, z):
    return (t[0] * t[1] * z).sum()


def _held_nested(t, z):
    return (t[0][0] * t[1] * z).sum()


def _calls():
    from mindspore import Tensor, nn, ops
    x, y = Tensor(_X), Tensor(_Y)

    class Net(nn.Cell):
        def construct(self, t, z):
            return _held(t, z)

    def outer(a, b):
        return ops.grad(_held, 1)((a, b), b).sum() * a.sum()
    return {
        "tuple": lambda: ops.grad(_held, 1)((x, y), y),
        "tuple_z_is_first": lambda: ops.grad(_held, 1)((x, y), x),
        "list": lambda: ops.grad(_held, 1)([x, y], y),
        "nested": lambda: ops.grad(_held_nested, 1)(((x,), y), x),
        "value_and_grad": lambda: ops.value_and_grad(_held, 1)((x, y), y)[1],
        "cell_get_all": lambda: ops.GradOperation(get_all=True)(Net())((x, y), y)[0],
        "distinct_then_same": lambda: (ops.grad(_held, 1)((x, y), y * 1), ops.grad(_held, 1)((x, y), y))[1],
        "grad_of_grad": lambda: ops.grad(outer, (0, 1))(x, y),
    }


# MindSpore 2.10.0 CPU (/work/ms_suite_fuzz21/p3.py, p4.py, p5.py): PyNative differentiates the Tensor object, so the
# tuple's y (or x) adds its part, 2 x y; GRAPH_MODE the argument only, x y
_PYNATIVE = {"grad_of_grad": ([-9., -5., -15.], [4., -8., 12.])}
_GRAPH = {"grad_of_grad": ([-4.5, -2.5, -7.5], [2., -4., 6.])}


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
@pytest.mark.parametrize("call", ["tuple", "tuple_z_is_first", "list", "nested", "value_and_grad", "cell_get_all",
                                  "distinct_then_same", "grad_of_grad"])
def test_a_tensor_held_in_a_tuple_and_passed_beside_it(mindspore_is_gradserve, graph, call):
    """grad of sum(t[0] * t[1] * z) w.r.t. z at t = (x, y), z = y: MindSpore 2.10 PyNative gives 2 x y = [1, -6, -6]
    (the Tensor object's gradient, the tuple's use too; as ours did already for a dict or a Tensor passed twice), ours
    was x y = [0.5, -3, -3] there (silently; round 21's r21:221 pack21 programs); GRAPH_MODE gives x y in both."""
    got = _in_mode(graph, _calls()[call])
    want = (_GRAPH if graph else _PYNATIVE).get(call, ([0.5, -3., -3.],) if graph else ([1., -6., -6.],))
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-6)


@pytest.mark.parametrize("spelling", ["grad_weights", "grad_weights_only", "by_list"])
def test_a_parameter_held_in_a_tuple_gets_its_weight_gradient(mindspore_is_gradserve, spelling):
    """A weight p passed inside the tuple argument: MindSpore 2.10.0 CPU PyNative gives its gradient through that use,
    x y = [0.5, -3, -3] (/work/ms_suite_fuzz21/p7.py, p8.py), ours gave zeros (silently); its GRAPH_MODE refuses the
    call (RuntimeError "Parameter[1] has no default param"), where ours answered zeros too."""
    import mindspore as ms
    from mindspore import Tensor, ops
    x, y = Tensor(_X), Tensor(_Y)
    p = ms.Parameter(Tensor(np.array([0.5, 2.0, 1.0], np.float32)), name='p')
    call = {"grad_weights": lambda: ops.grad(_held, 1, weights=[p])((p, x), y)[1][0],
            "grad_weights_only": lambda: ops.grad(_held, None, weights=[p])((p, x), y)[0],
            "by_list": lambda: ops.GradOperation(get_by_list=True)(_held, ms.ParameterTuple([p]))((p, x), y)[0]}[spelling]
    np.testing.assert_allclose(_in_mode(False, call).asnumpy(), [0.5, -3., -3.])
    with pytest.raises(RuntimeError, match="holds Parameter 'p' in a tuple.*"
                                           "Parameter\\[1\\] has no default param"):
        _in_mode(True, call)
    # MindSpore 2.10 PyNative, the held Parameter not asked for: the z gradient p x = [0.5, -4, 3]
    np.testing.assert_allclose(_in_mode(False, lambda: ops.grad(_held, 1)((p, x), y)).asnumpy(), [0.5, -4., 3.])


# ----------------------------------------------------------------------------------------- MindSpore's own, ours kept
@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_a_parameter_read_then_assigned_keeps_its_read_value_in_the_gradient(mindspore_is_gradserve, graph):
    """loss = sum(p x); assign(p, x^2); + sum(p x): d/dx = p_old + x^2 = [1.5, 6, 10] (MindSpore 2.10.0 CPU GRAPH_MODE,
    and the math; its PyNative gives [2, 8, 18], the first read's gradient taken with p's new value: p6.py), p = x^2
    after. A Cell's assign_add after its read: value_and_grad's weight gradient s_old x = [1.5, 2, 6] (GRAPH_MODE;
    PyNative [2.5, 6, 15] = s_new x, beside its own value 10.75 and input gradient w s_old, which use s_old)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops
    x = Tensor(_X)

    def run():
        p = ms.Parameter(Tensor(np.array([0.5, 2.0, 1.0], np.float32)), name='p')

        def loss(a):
            y = (p * a).sum()
            ops.assign(p, a * a)
            return y + (p * a).sum()

        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.w = ms.Parameter(Tensor(np.array([0.5, 2.0, 1.0], np.float32)), name='w')
                self.s = ms.Parameter(Tensor(np.array([1.5, -1.0, 2.0], np.float32)), name='s', requires_grad=False)

            def construct(self, a):
                y = (self.w * self.s * a).sum()
                ops.assign_add(self.s, a)
                return y
        net = Net()
        return ops.grad(loss, 0)(x), p.asnumpy(), ops.value_and_grad(net, 0, net.trainable_params())(x), net.s.asnumpy()
    g, p, (value, (gx, (gw,))), s = _in_mode(graph, run)
    np.testing.assert_allclose(g.asnumpy(), [1.5, 6., 10.])
    np.testing.assert_allclose(p, [1., 4., 9.])
    np.testing.assert_allclose(value.asnumpy(), 10.75)
    np.testing.assert_allclose(gx.asnumpy(), [0.75, -2., 2.])
    np.testing.assert_allclose(gw.asnumpy(), [1.5, 2., 6.])
    np.testing.assert_allclose(s, [2.5, -3., 5.])
