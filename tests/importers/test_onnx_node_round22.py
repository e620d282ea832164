"""ONNX node tests imported in round 22 (onnx_node_suite.py): their gradients against central differences (the
node tests check values only), the optimizer steps' first step (T = 0) against onnx.reference, and the refusals
that stay (named op, node and why)."""
import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from . import onnx_node_suite as S
from .test_onnx_helper_graphs import _convert, check_vjp_against_central_difference
from .test_onnx_node_suite import _cases

# (case, input to differentiate): FlexAttention's expansion (only default-domain ops under an ai.onnx.preview
# import), AffineGrid's expansion (its size bound), the training domain's optimizer steps (R, X, G and state)
GRAD = [("node/test_flexattention_expanded_ver26", 0), ("node/test_flexattention_expanded_ver26", 2),
        ("node/test_flexattention_soft_cap_expanded_ver26", 1), ("node/test_affine_grid_2d_expanded", 0),
        ("node/test_affine_grid_3d_align_corners_expanded", 0), ("node/test_adagrad", 0), ("node/test_adagrad", 2),
        ("node/test_adagrad", 3), ("node/test_momentum", 2), ("node/test_nesterov_momentum", 3),
        ("node/test_adam", 0), ("node/test_adam", 2), ("node/test_adam", 3), ("node/test_adam", 5)]


@pytest.mark.parametrize("name,arg", GRAD)
def test_vjp_against_finite_difference(name, arg):
    from engine import evaluate

    case = _cases()[name]
    ins = [np.asarray(v) for v in case.data_sets[0][0]]
    if S.run_case(case)[1] == "bound":
        g, ins = S.bound_graph(case, ins)
    else:  # the optimizers' step count T, an integer, bound (the vjp differentiates every input)
        names = [vi.name for vi in case.model.graph.input]
        m, ins = S.bind_inputs(case.model, names, ins, {n for n, v in zip(names, ins) if v.dtype.kind == "i"})
        g = S.convert(m)
        arg -= int(arg > names.index("T")) if "T" in names else 0  # T's place is gone from the inputs
    assert ins[arg].dtype == np.float32
    got = evaluate(g, *ins)
    got = list(got) if isinstance(got, tuple) else [got]
    check_vjp_against_central_difference(g, ins, got, eps=1e-3 * max(1.0, float(np.abs(ins[arg]).max())), arg=arg)


def _optimizer(op, n_state, **attrs):
    names = ["R", "T", "X", "G"] + [f"S{i}" for i in range(n_state)]
    outs = ["X_new"] + [f"S{i}_new" for i in range(n_state)]
    vi = [helper.make_tensor_value_info(k, TensorProto.INT64 if k == "T" else TensorProto.FLOAT,
                                        [] if k in "RT" else [3]) for k in names]
    node = helper.make_node(op, names, outs, domain="ai.onnx.preview.training", **attrs)
    g = helper.make_graph([node], "opt", vi, [helper.make_tensor_value_info(o, TensorProto.FLOAT, [3]) for o in outs])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                               helper.make_opsetid("ai.onnx.preview.training", 1)])


OPTIMIZERS = [("Adam", 2, dict(alpha=0.8, beta=0.95, epsilon=1e-3, norm_coefficient=0.1, norm_coefficient_post=0.05)),
              ("Momentum", 1, dict(alpha=0.9, beta=0.5, mode="standard", norm_coefficient=0.01)),
              ("Momentum", 1, dict(alpha=0.9, beta=0.5, mode="nesterov", norm_coefficient=0.01)),
              ("Adagrad", 1, dict(decay_factor=0.1, epsilon=1e-5, norm_coefficient=0.01))]


@pytest.mark.parametrize("op,n,attrs", OPTIMIZERS)
@pytest.mark.parametrize("t", [0, 3])
def test_optimizer_step_is_onnx_reference_s_at_the_first_and_a_later_step(op, n, attrs, t):
    """T = 0 is the step without bias correction (Adam) or damping (Momentum): onnx.reference gives both."""
    from engine import evaluate

    rng = np.random.default_rng(t)
    m = _optimizer(op, n, **attrs)
    feeds = [np.float32(0.1), np.int64(t), rng.standard_normal(3).astype(np.float32),
             rng.standard_normal(3).astype(np.float32)] + [rng.random(3).astype(np.float32) for _ in range(n)]
    want = ReferenceEvaluator(m).run(None, dict(zip(["R", "T", "X", "G"] + [f"S{i}" for i in range(n)], feeds)))
    g = _convert(m)
    got = evaluate(g, *feeds)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
    # the learning rate's gradient at T = 0 stays finite (the untaken bias correction divides by 1 - alpha**0)
    names = ["R", "T", "X", "G"] + [f"S{i}" for i in range(n)]
    bound, rest = S.bind_inputs(m, names, feeds, {"T"})
    g = S.convert(bound)
    check_vjp_against_central_difference(g, rest, list(evaluate(g, *rest)), eps=1e-3, arg=0)


def test_a_custom_domain_is_refused_where_a_node_uses_it_not_at_its_import():
    from engine.importers import UnsupportedModel

    vi = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    for node, ok in ((helper.make_node("Neg", ["x"], ["y"]), True),
                     (helper.make_node("Evil", ["x"], ["y"], domain="com.evil", name="e0"), False)):
        m = helper.make_model(helper.make_graph([node], "g", [vi], [out]),
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.evil", 1)])
        if ok:
            from engine import evaluate

            np.testing.assert_array_equal(evaluate(_convert(m), np.float32([1, -2])), [-1, 2])
        else:
            with pytest.raises(UnsupportedModel, match=r"op com\.evil\.Evil \(node 'e0'\) is in a custom domain"):
                _convert(m)


@pytest.mark.parametrize("name,why", [
    ("node/test_nonzero_example", r"op NonZero \(node '', opset 13\).*shape depends on the input's values"),
    ("node/test_bernoulli", r"op Bernoulli \(node '', opset 22\).*random"),
    ("node/test_if_opt", r"op Optional \(node '', opset 16\).*optional-typed values are not modelled"),
    ("node/test_identity_sequence", r"input 'x' is a sequence, not a tensor"),
    ("node/test_lstm_with_peepholes", r"op LSTM \(node '', opset 22\): input 'sequence_lens' must be a constant"),
    ("simple/test_gradient_of_add", r"ai\.onnx\.preview\.training\.Gradient .*known: Adagrad, Adam, Momentum")])
def test_refusals_name_the_op_the_node_and_why(name, why):
    from engine.importers import UnsupportedModel

    with pytest.raises(UnsupportedModel, match=why):
        S.convert(_cases()[name].model)


def test_optional_get_element_of_a_constant_shape_stays_a_constant():
    """A shape passed through OptionalGetElement still reads as a static Reshape target (NumPy's reshape)."""
    from engine import evaluate

    nodes = [helper.make_node("Constant", [], ["s"], value=helper.make_tensor("v", TensorProto.INT64, [2], [3, 2])),
             helper.make_node("OptionalGetElement", ["s"], ["s2"]), helper.make_node("Reshape", ["x", "s2"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    x = np.arange(6, dtype=np.float32)
    np.testing.assert_array_equal(evaluate(_convert(m), x), x.reshape(3, 2))
