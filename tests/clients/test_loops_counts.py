"""Held-out loops measured by counting, not by wall time (the shared box's load makes step times lie): per step,
the requests the server answered, the eager ops the SDK ran on NumPy, and how many of those ran their shape rule
again (`gradserve._eager._inferred` remembers a rule's answer per op signature: a loop's eager ops repeat the same
few). Also what that memo must not change: refusals raised every time, attributes keyed by value and type, results
shaped as before (a 0-d result, an input returned as it is)."""
from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

import gradserve as gs
from gradserve import _eager
from gradserve._infer import infer

pytest.importorskip("jax")
pytest.importorskip("torch")

from benchmarks import loops_zoo as LZ  # noqa: E402

STEPS = 3
# loop -> requests a step: one job, but newton_cg's gradient and its 4 CG Hessian-vector products (as its twin)
REQUESTS = {"bn_train_one_step": 1, "langevin64": 1, "newton_cg": 5, "dpsgd_vmap": 1, "lr_tensor_eager_clip": 1}
EAGER = {"dpsgd_vmap", "lr_tensor_eager_clip"}  # per-example clipping / clip_by_global_norm on the client


def _requests(url: str) -> float:
    text = httpx.get(url + "/metrics", timeout=30).text
    return sum(float(v) for v in re.findall(r"^gradserve_requests_total\{[^}]*\} (\S+)$", text, re.M))


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_loop_step_counts(on_real_server, monkeypatch, name):
    loop = LZ.LOOPS[name](gs, small=True)
    gs.set_context(mode=gs.GRAPH_MODE if loop.mode == "graph" else gs.PYNATIVE_MODE)
    counts = {"eager": 0, "rules": 0}
    compute, rule = _eager.compute, _eager.infer

    def counted_compute(*a, **k):
        counts["eager"] += 1
        return compute(*a, **k)

    def counted_rule(*a, **k):
        counts["rules"] += 1
        return rule(*a, **k)

    monkeypatch.setattr(_eager, "compute", counted_compute)
    monkeypatch.setattr(_eager, "infer", counted_rule)
    warm = LZ.warm_steps(loop)
    for i in range(warm):
        loop.sdk(i)
    counts.update(eager=0, rules=0)
    before = _requests(on_real_server.url)
    for i in range(warm, warm + STEPS):
        loop.sdk(i)
    assert (_requests(on_real_server.url) - before) / STEPS == REQUESTS[name]
    assert (counts["eager"] > 0) == (name in EAGER), counts  # (the eager loops do run eager ops here)
    assert counts["rules"] == 0, counts  # every eager op's signature seen in the warm-up: no rule runs again


def test_a_refused_eager_op_is_refused_every_time():
    a, b = gs.Tensor(np.ones((2, 3), np.float32)), gs.Tensor(np.ones((4,), np.float32))
    for _ in range(2):
        with pytest.raises(ValueError, match="shape"):
            gs.ops.add(a, b)


@pytest.mark.parametrize("attrs", [
    [{"axis": 1, "keepdims": False}, {"axis": True, "keepdims": False}, {"axis": 1.0, "keepdims": False}],
    [{"axis": [1], "keepdims": False}, {"axis": (1,), "keepdims": False}, {"axis": [True], "keepdims": False}],
])
def test_remembered_rules_key_attributes_by_value_and_type(attrs):
    avals = [((2, 3), "float32")]
    for a in attrs + attrs:  # (the second round from the memo)
        try:
            want = ("ok", infer("sum", avals, a))
        except Exception as e:  # noqa: BLE001 - the rule's own answer, refusal included, is what must come back
            want = (type(e), str(e))
        try:
            got = ("ok", _eager._inferred("sum", avals, a))
        except Exception as e:  # noqa: BLE001
            got = (type(e), str(e))
        assert got == want, a


def test_results_keep_their_shapes_and_never_are_an_input_itself():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    (s,) = _eager.compute("sum", [x], {"axis": None, "keepdims": False})
    assert s.shape == () and s.dtype == np.float32 and s == 15
    (same,) = _eager.compute("identity", [x], {})
    assert same is not x and np.shares_memory(same, x) and same.shape == x.shape
    t = gs.Tensor(x)
    y = gs.ops.mul(t, t)
    assert y.shape == (2, 3) and np.array_equal(y.asnumpy(), x * x)
