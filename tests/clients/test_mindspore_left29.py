"""MindSpore leftovers, round 29 (h-left29; benchmarks/mindspore_suite/README.md, "Leftovers, round 29").

Expected values and texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left29/p*.py: p4.py in GRAPH_MODE (g) and PYNATIVE_MODE (p), p5.py's @jit functions in PyNative);
stated beside each."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

P = ms.ops
_S = np.float32(3.0)
_X = np.array([1.0, 2.0, 3.0], np.float32)


def _float_hook(d):
    return 4.0


def _int_hook(d):
    return 4


def _tensor_hook(d):
    return Tensor(4.0, ms.float32)


def _chain(name, ig):
    """The function differentiated: ig on the value that op `name` computed from t."""
    return {"direct": lambda t: ig(t), "direct_then_mul": lambda t: ig(t) * 1,
            "mul2": lambda t: ig(t * 2), "mulx": lambda t: ig(t * t), "sin": lambda t: ig(P.sin(t)),
            "exp": lambda t: ig(P.exp(t)), "sub": lambda t: ig(t - 1), "div": lambda t: ig(t / 2),
            "neg": lambda t: ig(-t), "square": lambda t: ig(P.square(t)), "two_uses": lambda t: ig(t * 2) + t,
            "sum": lambda t: ig(t.sum()), "sum_then_mul": lambda t: ig(t.sum()) * 1,
            "mean": lambda t: ig(t.mean())}[name]


def _grad_of(hook, chain, x):
    """GradOperation of chain(ig, t) at x, ig the InsertGradientOf of hook."""
    ig = P.InsertGradientOf(hook)

    def fn(t):  # (a named function: GRAPH_MODE traces it as MindSpore compiles one)
        return chain(ig, t)
    return P.GradOperation()(fn)(Tensor(x))


def _grad(hook, name, x):
    return _grad_of(hook, lambda ig, t: _chain(name, ig)(t), x)


# -- 1. a Python number from an InsertGradientOf hook in a compiled graph (p4.py g, p5.py): MindSpore 2.10 passes it
# on as a number, not a Tensor; the bprop of the op that computed the hooked value refuses it (a TypeError naming
# Muls / Mul / Neg / Divs / Cast for these; a RuntimeError 'Bprop "SumExt" ...' / '"ReduceMean" ...' for the
# reductions). gradserve made it a Tensor and answered (8.0 for t * 2, [4, 4, 4] for t.sum(), ...)
_TYPE_ERRORS = ["mul2", "mulx", "sin", "exp", "sub", "div", "neg", "square", "two_uses"]
_RUNTIME_ERRORS = ["sum", "sum_then_mul", "mean"]


@pytest.mark.parametrize("hook,shown", [(_float_hook, r"float 4\.0"), (_int_hook, "int 4")])
@pytest.mark.parametrize("name", _TYPE_ERRORS)
def test_graph_mode_number_from_a_hook_refused_as_a_type_error(on_real_server, graph_mode, hook, shown, name):
    with pytest.raises(TypeError, match=rf"InsertGradientOf: in a compiled graph \(GRAPH_MODE, @jit\) the hook "
                                        rf"returned the Python {shown} as a gradient; MindSpore 2.10 passes it on "
                                        r"as a number.*For Operator\[Mul\], input's type"):
        _grad(hook, name, _S)


@pytest.mark.parametrize("hook", [_float_hook, _int_hook])
@pytest.mark.parametrize("name", _RUNTIME_ERRORS)
def test_graph_mode_number_from_a_hook_through_a_reduction_is_a_runtime_error(on_real_server, graph_mode, hook, name):
    with pytest.raises(RuntimeError, match=r"InsertGradientOf: in a compiled graph .*Bprop \"SumExt\" encounter a "
                                           r"problem"):
        _grad(hook, name, _X)


@pytest.mark.parametrize("name", ["direct", "direct_then_mul"])
def test_graph_mode_number_reaching_the_input_unchanged_answers(on_real_server, graph_mode, name):
    # MindSpore 2.10 GRAPH_MODE: the number itself (Python float 4.0; gradserve a 0-d Tensor of it)
    assert float(_grad(_float_hook, name, _S).asnumpy()) == 4.0


@pytest.mark.parametrize("name,want", [("mul2", 8.0), ("sin", -3.96), ("exp", 80.3422), ("sub", 4.0),
                                       ("two_uses", 9.0), ("square", 24.0)])
def test_graph_mode_tensor_from_a_hook_answers(on_real_server, graph_mode, name, want):
    # MindSpore 2.10 GRAPH_MODE (p4.py g, "t" rows): a 0-d Tensor hook result goes through every chain
    assert np.isclose(float(_grad(_tensor_hook, name, _S).asnumpy()), want, rtol=1e-4)


def test_graph_mode_tensor_from_a_hook_through_a_reduction(on_real_server, graph_mode):
    assert _grad(_tensor_hook, "sum", _X).asnumpy().tolist() == [4.0, 4.0, 4.0]  # MindSpore 2.10 GRAPH_MODE


@pytest.mark.parametrize("name,want", [("mul2", 8.0), ("sin", -3.96), ("neg", -4.0), ("two_uses", 9.0)])
def test_pynative_number_from_a_hook_answers(on_real_server, pynative, name, want):
    # MindSpore 2.10 PyNative (p4.py p): a number is a 0-d Tensor there, every chain answers
    assert np.isclose(float(_grad(_float_hook, name, _S).asnumpy()), want, rtol=1e-4)


def test_pynative_number_from_a_hook_through_a_reduction(on_real_server, pynative):
    assert _grad(_float_hook, "sum", _X).asnumpy().tolist() == [4.0, 4.0, 4.0]  # MindSpore 2.10 PyNative


_IG = P.InsertGradientOf(_float_hook)


@ms.jit
def _jit_mul2(t):
    return _IG(t * 2)


@ms.jit
def _jit_sum(t):
    return _IG(t.sum())


@ms.jit
def _jit_direct(t):
    return _IG(t)


def _outer(t):
    return _jit_mul2(t) * 3


@pytest.mark.parametrize("call", [lambda x: P.GradOperation()(_jit_mul2)(x), lambda x: P.GradOperation()(_outer)(x),
                                  lambda x: ms.grad(_jit_mul2)(x), lambda x: ms.value_and_grad(_jit_mul2)(x)],
                         ids=["GradOperation", "jit_inside", "grad", "value_and_grad"])
def test_jit_number_from_a_hook_refused_in_pynative(on_real_server, pynative, call):
    # MindSpore 2.10 PyNative, a @jit function (p5.py): TypeError "For Operator[Muls], input's type 'Float32' does
    # not match expected type 'Tensor'." (gradserve: 8.0)
    with pytest.raises(TypeError, match=r"InsertGradientOf: in a compiled graph .*\(mul\) refuses it"):
        call(Tensor(_S))


def test_jit_number_from_a_hook_through_a_reduction_refused_in_pynative(on_real_server, pynative):
    with pytest.raises(RuntimeError, match=r"Bprop \"SumExt\" encounter a problem"):  # MindSpore 2.10 (p5.py)
        P.GradOperation()(_jit_sum)(Tensor(_X))


def test_jit_number_from_a_hook_on_the_input_answers_in_pynative(on_real_server, pynative):
    assert float(P.GradOperation()(_jit_direct)(Tensor(_S)).asnumpy()) == 4.0  # MindSpore 2.10: Tensor 4.0


# -- 2. an InsertGradientOf result of another shape that broadcasts to the gradient, on a value that sin / cos / tan
# / exp / log / square / abs / pow / t * t computed (p6.py, both modes): those ops' MindSpore 2.10 bprops multiply (log:
# divide) it by a value of their input's shape, so it comes out broadcast, and so does every gradient after it.
# gradserve refused it (its ValueError naming both shapes). x is (2, 3); values as MindSpore 2.10 printed them
# (rounded to 4 decimals)
_X23 = np.array([[0.5, 1.0, 1.5], [2.0, 2.5, 0.25]], np.float32)
_HOOKS = {"0d": lambda d: Tensor(4.0, ms.float32), "1": lambda d: Tensor(np.array([5.0], np.float32)),
          "3": lambda d: Tensor(np.array([1.0, 2.0, 3.0], np.float32)),
          "13": lambda d: Tensor(np.array([[1.0, 2.0, 3.0]], np.float32)),
          "21": lambda d: Tensor(np.array([[2.0], [3.0]], np.float32)), "num": lambda d: 4.0,
          "123": lambda d: Tensor(np.ones((1, 2, 3), np.float32)),
          "2": lambda d: Tensor(np.array([1.0, 2.0], np.float32))}
_OPS = {"sin": lambda ig, t: ig(P.sin(t)).sum(), "cos": lambda ig, t: ig(P.cos(t)).sum(),
        "tan": lambda ig, t: ig(P.tan(t)).sum(), "exp": lambda ig, t: ig(P.exp(t)).sum(),
        "log": lambda ig, t: ig(P.log(t)).sum(), "square": lambda ig, t: ig(P.square(t)).sum(),
        "abs": lambda ig, t: ig(P.abs(t)).sum(), "tt": lambda ig, t: ig(t * t).sum(),
        "pow2": lambda ig, t: ig(t ** 2).sum(),
        "sin_then": lambda ig, t: (ig(P.sin(t)) * t).sum(), "sin2": lambda ig, t: (ig(P.sin(t)) + P.exp(t)).sum(),
        "sigmoid": lambda ig, t: ig(P.sigmoid(t)).sum(), "sqrt": lambda ig, t: ig(P.sqrt(t)).sum(),
        "mul2": lambda ig, t: ig(t * 2).sum()}
_BROADCAST = [  # (hook, op, MindSpore 2.10's gradient)
    ("0d", "sin", [[3.5103, 2.1612, 0.2829], [-1.6646, -3.2046, 3.8756]]),
    ("0d", "tan", [[5.1938, 13.7021, 799.4002], [23.0976, 6.2322, 4.2608]]),
    ("1", "log", [[10.0, 5.0, 3.3333], [2.5, 2.0, 20.0]]),
    ("1", "abs", [[5.0, 5.0, 5.0], [5.0, 5.0, 5.0]]),
    ("3", "square", [[1.0, 4.0, 9.0], [4.0, 10.0, 1.5]]),
    ("3", "tt", [[1.0, 4.0, 9.0], [4.0, 10.0, 1.5]]),
    ("0d", "pow2", [[4.0, 8.0, 12.0], [16.0, 20.0, 2.0]]),
    ("21", "pow2", [[2.0, 4.0, 6.0], [12.0, 15.0, 1.5]]),
    ("3", "sin_then", [[1.357, 1.9221, 1.2097], [0.4932, -1.0038, 3.1541]]),
    ("13", "cos", [[-0.4794, -1.6829, -2.9925], [-0.9093, -1.1969, -0.7422]]),
    ("13", "exp", [[1.6487, 5.4366, 13.4451], [7.3891, 24.365, 3.8521]]),
    ("21", "tt", [[2.0, 4.0, 6.0], [12.0, 15.0, 1.5]]),
    ("21", "sin2", [[3.4039, 3.7989, 4.6232], [6.1406, 9.7791, 4.1908]]),
]


def _hooked_grad(hook, op):
    return _grad_of(_HOOKS[hook], _OPS[op], _X23)


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("hook,op,want", _BROADCAST, ids=[f"{h}-{o}" for h, o, _ in _BROADCAST])
def test_hook_result_broadcast_through_the_op(on_real_server, request, mode, hook, op, want):
    request.getfixturevalue(mode)
    got = _hooked_grad(hook, op)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-4)


def test_number_from_a_hook_broadcast_through_the_op_in_pynative(on_real_server, pynative):
    np.testing.assert_allclose(_hooked_grad("num", "cos").asnumpy(),  # MindSpore 2.10 PyNative
                               [[-1.9177, -3.3659, -3.99], [-3.6372, -2.3939, -0.9896]], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("hook,op", [("123", "sin"), ("2", "sin"), ("0d", "sigmoid"), ("0d", "sqrt"), ("0d", "mul2"),
                                     ("3", "mul2")])
def test_hook_result_of_another_shape_still_refused_elsewhere(on_real_server, pynative, hook, op):
    # MindSpore 2.10 PyNative: (1, 2, 3) through sin comes out (1, 2, 3) (not x's shape); (2,) is its ValueError
    # "For 'Mul', input1.shape and input2.shape need to broadcast ..."; sigmoid / sqrt read past the short gradient
    # (garbage values; GRAPH_MODE's sqrt: "Rank of x(2) and dout(0) not equal, primitive name: SqrtGrad."); t * 2
    # keeps the hook's shape (a 0-d gradient, a (3,) one for a (2, 3) x): refused, naming both shapes
    with pytest.raises(ValueError, match=r"InsertGradientOf: the hook returned a gradient of shape .* for one of shape "
                                         r"\(2, 3\)"):
        _hooked_grad(hook, op)


# -- 3. one element of any shape for the gradient of a whole sum / mean (p8.py, both modes): MindSpore 2.10's bprop
# reshapes it to the kept dims and broadcasts it (Tensor([5.0]) for `t.sum()`: [5, 5, 5]); two elements are its
# ValueError ("proposed_shape '[const vector]{1}' is invalid for input of size 2"). gradserve refused both
_ONE = {"1": lambda d: Tensor(np.array([5.0], np.float32)), "11": lambda d: Tensor(np.array([[5.0]], np.float32)),
        "2": lambda d: Tensor(np.array([5.0, 1.0], np.float32))}
_WHOLE = {"sum": lambda ig, t: ig(t.sum()), "mean": lambda ig, t: ig(t.mean()), "ops_sum": lambda ig, t: ig(P.sum(t)),
          "ReduceSum": lambda ig, t: ig(P.ReduceSum()(t)), "then_mul": lambda ig, t: ig(t.sum()) * 3,
          "used_again": lambda ig, t: ig(t.sum()) * t.sum()}


def _whole_grad(hook, op, x):
    return _grad_of(_ONE[hook], _WHOLE[op], x)


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("hook", ["1", "11"])
@pytest.mark.parametrize("op,want", [("sum", 5.0), ("mean", 5.0 / 3), ("ops_sum", 5.0), ("ReduceSum", 5.0),
                                     ("then_mul", 5.0), ("used_again", 11.0)])
def test_one_element_hook_result_for_a_whole_reduction(on_real_server, request, mode, hook, op, want):
    request.getfixturevalue(mode)
    got = _whole_grad(hook, op, _X)
    assert got.shape == (3,)
    np.testing.assert_allclose(got.asnumpy(), [want] * 3, rtol=1e-5)


def test_one_element_hook_result_for_a_whole_reduction_of_a_matrix(on_real_server, pynative):
    got = _whole_grad("1", "mean", _X23)  # MindSpore 2.10: 0.8333 everywhere (5 / 6)
    np.testing.assert_allclose(got.asnumpy(), np.full((2, 3), 5.0 / 6), rtol=1e-5)


def test_two_element_hook_result_for_a_whole_reduction_refused(on_real_server, pynative):
    with pytest.raises(ValueError, match=r"InsertGradientOf: the hook returned a gradient of shape \(2,\) for one of "
                                         r"shape \(\)"):
        _whole_grad("2", "sum", _X)


# -- 4. an engine refusal names its node once (round 28's leftover: "... (node f.nodes[24]:bprop_undefined (reverse
# rule of bprop_undefined)) (node f.nodes[24]:bprop_undefined (reverse rule of bprop_undefined))")
def test_error_text_names_its_node_once():
    node = "$.functions.f.nodes[24]:bprop_undefined (reverse rule of bprop_undefined)"
    e = ms.DifferentiationError(f"Illegal primitive Histogram's bprop not defined (node {node})", status=400,
                                detail={"node": node, "path": "$.functions.f.nodes[24]"})
    # (the path is said already too: the node's name starts with it)
    assert str(e) == f"400 differentiation_error: Illegal primitive Histogram's bprop not defined (node {node})"
    assert str(ms.DifferentiationError("no node here", status=400, detail={"node": "g/3:mul"})) == \
        "400 differentiation_error: no node here (node g/3:mul)"


def test_histc_gradient_refusal_names_its_node_once(on_real_server, pynative):
    # MindSpore 2.10 PyNative: RuntimeError "Illegal primitive Histogram's bprop not defined" (round 28)
    with pytest.raises(RuntimeError, match=r"Illegal primitive Histogram's bprop not defined") as info:
        P.GradOperation()(lambda t: P.histc(t, 3, 0.0, 4.0).sum() * t.sum())(Tensor(_X))
    assert str(info.value).count("(node ") == 1


# -- 5. the same through -t, t + c, t - c, c - t, t * c and t / c for a 0-d constant c first (p10.py, p11.py, both
# modes): MindSpore 2.10's bprops there keep the result's own shape (dout * c), and the broadcasting op before them
# (or c / t's: -dout * out / t) broadcasts it. x is (2, 3)
_C0 = Tensor(3.0, ms.float32)
_KEPT = {"sin_times_2": lambda ig, t: ig(P.sin(t) * 2).sum(), "two_times_sin": lambda ig, t: ig(2 * P.sin(t)).sum(),
         "neg_sin": lambda ig, t: ig(-P.sin(t)).sum(), "sin_over_2": lambda ig, t: ig(P.sin(t) / 2).sum(),
         "exp_times_c0": lambda ig, t: ig(P.exp(t) * _C0).sum(), "neg_tt_half": lambda ig, t: ig(-(t * t) * 0.5).sum(),
         "cos_chain": lambda ig, t: ig(-(P.cos(t) / 4) * 2).sum(),
         "sin_plus_c0": lambda ig, t: ig(P.sin(t) + _C0).sum(),
         "c0_minus_sin": lambda ig, t: ig(_C0 - P.sin(t)).sum(), "two_over_sin": lambda ig, t: ig(2 / P.sin(t)).sum(),
         "c0_over_sin": lambda ig, t: ig(_C0 / P.sin(t)).sum()}
_KEPT_CASES = [  # (hook, chain, MindSpore 2.10's gradient)
    ("0d", "sin_times_2", [[7.0207, 4.3224, 0.5659], [-3.3292, -6.4091, 7.7513]]),
    ("3", "two_times_sin", [[1.7552, 2.1612, 0.4244], [-0.8323, -3.2046, 5.8135]]),
    ("1", "neg_sin", [[-4.3879, -2.7015, -0.3537], [2.0807, 4.0057, -4.8446]]),
    ("3", "sin_over_2", [[0.4388, 0.5403, 0.1061], [-0.2081, -0.8011, 1.4534]]),
    ("1", "exp_times_c0", [[24.7308, 40.7742, 67.2254], [110.8359, 182.7374, 19.2604]]),
    ("0d", "neg_tt_half", [[-2.0, -4.0, -6.0], [-8.0, -10.0, -1.0]]),
    ("3", "cos_chain", [[0.2397, 0.8415, 1.4962], [0.4546, 0.5985, 0.3711]]),
    ("0d", "sin_plus_c0", [[3.5103, 2.1612, 0.2829], [-1.6646, -3.2046, 3.8756]]),  # (p11.py)
    ("3", "c0_minus_sin", [[-0.8776, -1.0806, -0.2122], [0.4161, 1.6023, -2.9067]]),
    ("0d", "two_over_sin", [[-30.5447, -6.1045, -0.5687], [4.0265, 17.8942, -126.6372]]),
    ("1", "c0_over_sin", [[-57.2713, -11.4459, -1.0664], [7.5496, 33.5516, -237.4447]]),
]


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("hook,chain,want", _KEPT_CASES, ids=[f"{h}-{c}" for h, c, _ in _KEPT_CASES])
def test_hook_result_through_shape_keeping_ops_then_broadcast(on_real_server, request, mode, hook, chain, want):
    request.getfixturevalue(mode)
    got = _grad_of(_HOOKS[hook], _KEPT[chain], _X23)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-3)
