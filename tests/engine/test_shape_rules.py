"""One copy of the ops' shape rules (engine/shape_rules.py), used by the engine and copied into the
SDK (gradserve/_shape_rules.py by clients/python/tools/gen_ops.py). The copy is fresh, the SDK
stays free of the engine, and both sides agree on valid and invalid inputs alike."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradserve
from engine.errors import ShapeError
from engine.ir import AVal
from engine.ops import FUNCTION_OPS, OPS
from gradserve import _catalog, _infer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients/python/tools"))
import gen_ops  # noqa: E402

F = "float32"


def test_generated_sdk_files_are_fresh():
    assert (ROOT / "clients/python/gradserve/_shape_rules.py").read_text() == gen_ops.render_rules(), \
        "run python clients/python/tools/gen_ops.py"
    assert (ROOT / "clients/python/gradserve/_ops.json").read_text() == gen_ops.render()
    assert gen_ops.STUB_TARGET.read_text() == gen_ops.render_stub(), "run python clients/python/tools/gen_ops.py"


def test_the_sdk_imports_no_engine_module():
    code = ("import sys, gradserve, gradserve._shape_rules; "
            "bad = [m for m in sys.modules if m == 'engine' or m.startswith('engine.')]; "
            "assert not bad, bad")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "clients/python")}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/")
    assert r.returncode == 0, r.stderr


def test_every_op_has_a_rule():
    assert sorted(set(OPS) - set(FUNCTION_OPS)) == sorted(gradserve._shape_rules.RULES)


def _both(op, avals, attrs):
    """(engine result or error message, SDK result or error message), attrs with defaults filled."""
    full = {**_catalog.check(op, len(avals), dict(attrs)), **attrs}
    try:
        eng = [(a.shape, a.dtype) for a in OPS[op].infer([AVal(tuple(s), d) for s, d in avals], **full)]
    except ShapeError as e:
        eng = ("error", e.message)
    try:
        sdk = [(tuple(s), d) for s, d in _infer.infer(op, avals, full)]
    except gradserve.ShapeError as e:
        sdk = ("error", e.message)
    return eng, sdk


INVALID = [  # the inputs the hand-written SDK rules once accepted while the engine refused them
    ("reshape", [((2, 3), F)], {"shape": (-2, -3)}),
    ("reshape", [((2, 3), F)], {"shape": (-1, -1)}),
    ("tile", [((2, 3), F)], {"reps": (-1, 2)}),
    ("max", [((2, 3), "bool")], {}),
    ("min", [((0, 3), F)], {"axis": (0,)}),
    ("prod", [((2,), "bool")], {}),
    # and a sweep of other mistakes
    ("transpose", [((2, 3), F)], {"perm": (0, 0)}),
    ("concat", [((2, 3), F), ((2, 4), F)], {"axis": 0}),
    ("concat", [((), F), ((), F)], {"axis": 0}),
    ("stack", [((2, 3), F), ((3, 2), F)], {"axis": 0}),
    ("split", [((5, 2), F)], {"sections": 2, "axis": 0}),
    ("split", [((5, 2), F)], {"indices": (3, 1), "axis": 0}),
    ("gather", [((5, 2), F), ((3,), F)], {"axis": 0}),
    ("gather", [((5, 2), F), ((3,), "int32")], {"axis": 2}),
    ("scatter_add", [((2, 3), F), ((2,), "int32")], {"shape": (5, 2), "axis": 0}),
    ("matmul", [((2, 3), F), ((2, 3), F)], {}),
    ("matmul", [((2, 3), F), ((3, 2), "float64")], {}),
    ("matmul", [((3,), F), ((3, 2), F)], {}),
    ("squeeze", [((2, 3), F)], {"axis": (0,)}),
    ("broadcast_to", [((2, 3), F)], {"shape": (3, 3)}),
    ("reduce_to", [((2, 3), F)], {"shape": (4,)}),
    ("expand_dims", [((2, 3), F)], {"axis": 3}),
    ("softmax", [((2, 3), "int32")], {"axis": -1}),
    ("log_softmax", [((), F)], {"axis": 0}),
    ("logsumexp", [((2, 3), "int64")], {}),
    ("sum", [((2, 3), F)], {"axis": (0, -2)}),
    ("index", [((2, 3), F)], {"index": [0, 0, 0]}),
    ("index", [((2, 3), F)], {"index": [5]}),
    ("index", [((2, 3), F)], {"index": [[0, 2, 0]]}),
    ("index_scatter", [((4,), F)], {"shape": (2, 3), "index": [0]}),
    ("where", [((2, 3), F), ((2, 3), F), ((2, 3), F)], {}),
    ("add", [((2, 3), F), ((4,), F)], {}),
    ("add", [((2, 3), F), ((2, 3), "int32")], {}),
    ("div", [((2,), "int32"), ((2,), "int32")], {}),
    ("exp", [((2,), "int64")], {}),
    ("polygamma", [((2,), F)], {"n": 0}),
    ("polygamma", [((2,), F)], {"n": 10 ** 30}),  # past int64 (PyTorch's backend raised a bare ValueError)
]


@pytest.mark.parametrize("op,avals,attrs", INVALID, ids=[f"{c[0]}-{i}" for i, c in enumerate(INVALID)])
def test_engine_and_sdk_refuse_the_same_invalid_inputs(op, avals, attrs):
    eng, sdk = _both(op, avals, attrs)
    assert eng[0] == "error", f"the engine accepts {op} {avals} {attrs}: {eng}"
    assert sdk == eng  # the same refusal, word for word


def test_engine_and_sdk_agree_on_a_random_sweep():
    """Random shapes and attributes, valid or not: both sides give the same outputs or the same error."""
    rng = np.random.default_rng(11)
    dtypes = ["float32", "float64", "int32", "int64", "bool"]
    n_err = n_ok = 0
    for _ in range(3000):
        op = str(rng.choice(sorted(gradserve._shape_rules.RULES)))
        if op in ("const", "fill", "index", "index_scatter", "split",
                  "einsum", "pad", "arange", "switch_run", "while_run", "check_false", "bprop_undefined", "no_kernel",
                  "custom_vjp"):  # (#14 ops: tests/engine/test_model_ops)
            continue  # attrs of their own kind: covered by the cases above and tests/clients
        arity = OPS[op].arity if OPS[op].arity is not None else int(rng.integers(max(OPS[op].min_arity, 1), 4))
        avals = [(tuple(int(d) for d in rng.integers(0, 4, rng.integers(0, 4))), str(rng.choice(dtypes)))
                 for _ in range(arity)]
        attrs = {}
        for k, a in OPS[op].attrs.items():
            if a.kind in ("int",):
                attrs[k] = int(rng.integers(-3, 4))
            elif a.kind in ("ints", "shape"):
                attrs[k] = tuple(int(v) for v in rng.integers(-2 if a.kind == "ints" else 0, 4, rng.integers(0, 4)))
            elif a.kind == "bool":
                attrs[k] = bool(rng.integers(0, 2))
            elif a.kind == "dtype":
                attrs[k] = str(rng.choice(dtypes))
        eng, sdk = _both(op, avals, attrs)
        assert sdk == eng, (op, avals, attrs)
        n_err += eng[0] == "error"
        n_ok += eng[0] != "error"
    assert n_err > 100 and n_ok > 100  # both kinds were tried


def test_custom_vjp_refuses_a_parameter_named_twice_in_param_grads():
    """The rule returns one gradient per name in param_grads (MindSpore's {Parameter: grad}: one per parameter);
    a name repeated would have its first gradient overwritten by the second, silently."""
    from engine.shape_rules import RULES, RuleError

    avals = [AVal((3,), "float32")] * 3  # x, the raw output, w
    attrs = dict(bprop="rule", n_in=1, n_out=1, params=["w"], site=0)
    assert RULES["custom_vjp"](avals, **attrs, param_grads=["w"]) == [((3,), "float32")]
    with pytest.raises(RuleError, match="param_grads"):
        RULES["custom_vjp"](avals, **attrs, param_grads=["w", "w"])
