"""ONNX's own backend tests (onnx_node_suite.py) stay as they are: every case in onnx_node_passing.txt
passes (onnx's expected values, onnx's tolerances), no case gives a wrong value or crashes (the others are
refused by name), and the vjp of a subset of differentiable ones matches a central finite difference."""
import functools
import re
from pathlib import Path

import numpy as np
import pytest

from . import onnx_node_suite as S
from .test_onnx_helper_graphs import check_vjp_against_central_difference

PASSING_FILE = Path(__file__).with_name("onnx_node_passing.txt")
_LINES = [ln.split() for ln in PASSING_FILE.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
PASSING = [ln[0] for ln in _LINES]
BOUND = {ln[0] for ln in _LINES if ln[1:] == ["bound"]}  # passing with their shape inputs bound as constants

# Smooth ops whose node-test inputs sit away from kinks and domain edges: their first output's vjp w.r.t. their
# first input against a central difference (the node tests check values only).
DIFFERENTIABLE = re.compile(
    r"^node/test_(sigmoid|tanh|exp|log|softmax|logsoftmax|softplus|softsign|elu|selu|celu|gelu|mish|erf|sin|cos|"
    r"tan|atan|sinh|cosh|asinh|sqrt|reciprocal|div|mul|add|sub|matmul|gemm|conv|convtranspose|averagepool|"
    r"globalaveragepool|layer_normalization|instancenorm|batchnorm|group_normalization|lrn|einsum|hardsigmoid|"
    r"cumsum|reduce_mean|reduce_sum|reduce_log_sum_exp|transpose|reshape|concat|slice|gather|expand|tile|pad|"
    r"resize_.*linear|where|prelu|leakyrelu|thresholdedrelu|rnn|gru|lstm|instancenorm|mvn|depthtospace|"
    r"spacetodepth|flatten|squeeze|unsqueeze|split|softmax_cross_entropy|nllloss|attention|rms_normalization|swish|"
    r"cumprod|shrink|lppool|rotary_embedding|affine_grid|swiglu|linear_attention|causal_conv_with_state|"
    r"tensorscatter|reversesequence|det_)")


@functools.cache
def _cases() -> dict:
    return {f"{c.kind}/{c.name}": c for c in S.all_cases()}


@pytest.mark.parametrize("name", PASSING)
def test_passing_case_still_passes(name):
    outcome, detail = S.run_case(_cases()[name])
    assert outcome == "pass", f"{name}: {outcome}: {detail}"


def test_no_case_gives_a_wrong_value_or_crashes():
    listed = set(PASSING)
    res = S.run_all([c for n, c in _cases().items() if n not in listed])
    bad = res["wrong"] + res["crash"]
    assert not bad, "\n".join(f"{n}: {d[:300]}" for n, d in bad)
    newly = [n for n, _ in res["pass"]]
    assert not newly, f"these now pass: add them to {PASSING_FILE.name} (`--write-passing`): {newly}"


# Where a central difference is not the derivative: the `_example`s of piecewise ops put an input on the kink
# (x = 0), and `large_number` inputs (1e4) leave float32 no digits for a small step.
FD_PREMISE_FAILS = re.compile(r"^node/test_(elu|leakyrelu|selu|thresholdedrelu)_example($|_expanded)|large_number")
GRAD_CASES = [n for n in PASSING if DIFFERENTIABLE.match(n) and not FD_PREMISE_FAILS.search(n)]


def test_gradient_subset_is_broad():
    assert len(GRAD_CASES) >= 150, len(GRAD_CASES)


@pytest.mark.parametrize("name", GRAD_CASES)
def test_vjp_against_finite_difference(name):
    from engine import evaluate

    case = _cases()[name]
    if name in BOUND:
        g, ins = S.bound_graph(case, case.data_sets[0][0])
    else:
        g, ins = S.convert(case.model), [np.asarray(v) for v in case.data_sets[0][0]]
    if not ins or ins[0].dtype != np.float32 or any(v.dtype.kind != "f" for v in ins):
        pytest.skip("the first input is not float32, or an input is not floating-point (not differentiated)")
    if ins[0].size == 0:
        pytest.skip("the first input is empty: nothing to differentiate")
    got = evaluate(g, *ins)
    got = list(got) if isinstance(got, tuple) else [got]
    if np.asarray(got[0]).dtype.kind != "f":
        pytest.skip("the first output is not floating-point")
    # a step relative to the input's size
    check_vjp_against_central_difference(g, ins, got, eps=1e-3 * max(1.0, float(np.abs(ins[0]).max())))
