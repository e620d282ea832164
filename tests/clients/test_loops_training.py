"""Training idioms: optimizers against torch.optim, losses against torch.nn, TrainOneStepCell, and the
deep-potential loop (benchmarks/loops_workloads.py L1) against JAX step by step on a real server,
with its compile cache hit from the second update on (changed parameter values are data, not graph
identity)."""
from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

import gradserve as gs
from gradserve import nn, ops

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)


def _run_opt(make_ms, make_torch, steps=5, shapes=((3, 2), (4,))):
    p0 = [rng.normal(size=s).astype(np.float32) for s in shapes]
    grads = [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(steps)]
    params = [gs.Parameter(gs.Tensor(p.copy()), name=f"p{i}") for i, p in enumerate(p0)]
    opt = make_ms(params)
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in p0]
    topt = make_torch(tparams)
    for g in grads:
        opt(tuple(gs.Tensor(x) for x in g))
        for tp, x in zip(tparams, g):
            tp.grad = torch.tensor(x)
        topt.step()
    return [p.asnumpy() for p in params], [tp.detach().numpy() for tp in tparams]


OPTIMIZERS = {
    "sgd": (lambda ps: nn.SGD(ps, learning_rate=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_momentum_dampening_wd": (
        lambda ps: nn.SGD(ps, learning_rate=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_nesterov": (lambda ps: nn.SGD(ps, learning_rate=0.05, momentum=0.8, nesterov=True),
                     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True)),
    "momentum": (lambda ps: nn.Momentum(ps, learning_rate=0.05, momentum=0.9),
                 lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    "momentum_nesterov_wd": (
        lambda ps: nn.Momentum(ps, learning_rate=0.05, momentum=0.9, use_nesterov=True, weight_decay=0.02),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02)),
    # eps is where MindSpore's Adam and torch's differ (added to sqrt(v) vs to the bias-corrected root):
    # with a negligible eps the two formulas are the same function
    "adam": (lambda ps: nn.Adam(ps, learning_rate=0.01, eps=1e-12),
             lambda ps: torch.optim.Adam(ps, lr=0.01, eps=1e-12)),
    "groups": (lambda ps: nn.SGD([{"params": ps[:1], "lr": 0.5}, {"params": ps[1:]}], learning_rate=0.1),
               lambda ps: torch.optim.SGD([{"params": ps[:1], "lr": 0.5}, {"params": ps[1:]}], lr=0.1)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_matches_torch(name):
    ours, theirs = _run_opt(*OPTIMIZERS[name])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


def test_dynamic_learning_rate_sequence_and_callable():
    lrs = [0.1, 0.05, 0.01]
    p0 = rng.normal(size=(3,)).astype(np.float32)
    gs_ = [rng.normal(size=(3,)).astype(np.float32) for _ in range(5)]
    for lr in (lrs, gs.Tensor(np.array(lrs, np.float32)), lambda step: lrs[min(int(step.asnumpy()), 2)]):
        p = gs.Parameter(gs.Tensor(p0.copy()), name="p")
        opt = nn.SGD([p], learning_rate=lr)
        tp = torch.tensor(p0.copy(), requires_grad=True)
        topt = torch.optim.SGD([tp], lr=lrs[0])
        for t, g in enumerate(gs_):
            assert opt.get_lr() == pytest.approx(lrs[min(t, 2)])
            opt((gs.Tensor(g),))
            topt.param_groups[0]["lr"] = lrs[min(t, 2)]  # step t uses lr[t], the last one after the end
            tp.grad = torch.tensor(g)
            topt.step()
        np.testing.assert_allclose(p.asnumpy(), tp.detach().numpy(), rtol=1e-6)


def test_plain_sgd_step_is_the_general_update():
    """Plain SGD (no momentum, weight decay or loss scale) takes a shorter loop: torch's values, bit for bit
    the general loop's (a weight decay takes that one), with a set_data between steps, a 0-d parameter and
    a float64 gradient (cast, by the general loop)."""
    shapes = [(3, 2), (4,), ()]
    p0 = [np.asarray(rng.normal(size=s), np.float32) for s in shapes]
    plain = [gs.Parameter(gs.Tensor(p.copy()), name=f"p{i}") for i, p in enumerate(p0)]
    looped = [gs.Parameter(gs.Tensor(p.copy()), name=f"p{i}") for i, p in enumerate(p0)]
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in p0]
    opt, ref = nn.SGD(plain, learning_rate=0.1), nn.SGD(looped, learning_rate=0.1, weight_decay=1e-30)
    topt = torch.optim.SGD(tparams, lr=0.1)
    assert opt._gs_plain is not None and ref._gs_plain is None  # (the premise: one plain, one general)
    held = plain[0]._data  # the array itself: the update makes a new one
    for step in range(6):
        g = [np.asarray(rng.normal(size=s), np.float32) for s in shapes]
        if step == 2:  # a new value from outside: the next step gathers the parameters again
            new = np.asarray(rng.normal(size=(4,)), np.float32)
            for ps in (plain, looped):
                ps[1].set_data(gs.Tensor(new.copy()))
            with torch.no_grad():
                tparams[1].copy_(torch.tensor(new))
        opt(tuple(gs.Tensor(x.astype(np.float64) if step == 4 else x) for x in g))
        ref(tuple(gs.Tensor(x) for x in g))
        for tp, x in zip(tparams, g):
            tp.grad = torch.tensor(x)
        topt.step()
        for a, b, tp in zip(plain, looped, tparams):
            np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
            np.testing.assert_allclose(a.asnumpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-7)
            assert a.asnumpy().shape == tp.shape
    np.testing.assert_array_equal(held, p0[0])  # what a caller held is never written


def test_optimizer_errors_name_the_parameter():
    p = gs.Parameter(gs.Tensor(np.zeros((2, 2), np.float32)), name="w")
    opt = nn.SGD([p], learning_rate=0.1)
    with pytest.raises(ValueError, match="'w'"):
        opt((gs.Tensor(np.zeros(3, np.float32)),))
    with pytest.raises(ValueError, match="1 parameter"):
        opt((gs.Tensor(np.zeros((2, 2), np.float32)),) * 2)
    with pytest.raises(ValueError, match="nesterov"):
        nn.SGD([p], nesterov=True)


def _torch_ce(logits, labels, **kw):
    return torch.nn.CrossEntropyLoss(**kw)(torch.tensor(logits), torch.tensor(labels)).numpy()


def test_losses_match_torch(fake):
    x, y = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    for red in ("mean", "sum", "none"):
        got = nn.MSELoss(reduction=red)(gs.Tensor(x), gs.Tensor(y)).asnumpy()
        np.testing.assert_allclose(got, torch.nn.MSELoss(reduction=red)(torch.tensor(x), torch.tensor(y)).numpy(),
                                   rtol=1e-6)
        got = nn.L1Loss(reduction=red)(gs.Tensor(x), gs.Tensor(y)).asnumpy()
        np.testing.assert_allclose(got, torch.nn.L1Loss(reduction=red)(torch.tensor(x), torch.tensor(y)).numpy(),
                                   rtol=1e-6)
    logits = rng.normal(size=(5, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 1, 2], np.int64)
    w = np.array([1.0, 2.0, 0.5, 1.5], np.float32)
    cases = [({}, {}), ({"weight": w}, {"weight": torch.tensor(w)}),
             ({"ignore_index": 1}, {"ignore_index": 1}), ({"label_smoothing": 0.1}, {"label_smoothing": 0.1}),
             ({"reduction": "sum", "weight": w}, {"reduction": "sum", "weight": torch.tensor(w)}),
             ({"reduction": "none"}, {"reduction": "none"})]
    for ours, theirs in cases:
        got = nn.CrossEntropyLoss(**ours)(gs.Tensor(logits), gs.Tensor(labels)).asnumpy()
        np.testing.assert_allclose(got, _torch_ce(logits, labels, **theirs), rtol=1e-5, err_msg=str(ours))
    probs = np.abs(rng.normal(size=(5, 4))).astype(np.float32)
    probs /= probs.sum(1, keepdims=True)
    got = nn.CrossEntropyLoss()(gs.Tensor(logits), gs.Tensor(probs)).asnumpy()
    np.testing.assert_allclose(got, _torch_ce(logits, probs), rtol=1e-5)


def test_train_one_step_cell_matches_torch(fake):
    w0 = rng.normal(size=(2, 3)).astype(np.float32)
    b0 = rng.normal(size=(2,)).astype(np.float32)
    x, y = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 2)).astype(np.float32)
    net = nn.Dense(3, 2, weight_init=w0, bias_init=b0)
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    topt = torch.optim.SGD([tw, tb], lr=0.1, momentum=0.9)
    for _ in range(4):
        loss = step(gs.Tensor(x), gs.Tensor(y))
        topt.zero_grad()
        tl = torch.mean((torch.tensor(x) @ tw.T + tb - torch.tensor(y)) ** 2)
        tl.backward()
        topt.step()
        np.testing.assert_allclose(loss.asnumpy(), tl.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(net.weight.asnumpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_changed_parameters_are_data_unchanged_ones_stay_in_the_graph(fake):
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = gs.Parameter(gs.Tensor(np.ones(3, np.float32)), name="w")
            self.k = gs.Parameter(gs.Tensor(np.full(3, 2.0, np.float32)), name="k", requires_grad=False)

        def construct(self, x):
            return ops.sum(x * self.w * self.k)

    net, x = Net(), gs.Tensor(np.arange(3, dtype=np.float32))
    grad_fn = ops.grad(net, None, net.trainable_params())
    g0 = grad_fn(x)
    first = [h for p, h in fake.requests if p == "/v1/graphs"][-1]["graph"]
    assert {p["name"]: "value" in p for p in first["params"]} == {"w": True, "k": True}  # sent once, in the graph
    assert "params" not in [h for p, h in fake.requests if p == "/v1/eval"][-1]
    ids = set()
    for v in (5.0, 7.0, 9.0):  # a training loop: w changes each step
        net.w.set_data(np.full(3, v, np.float32))
        g = grad_fn(x)
        np.testing.assert_allclose(g[0].asnumpy(), g0[0].asnumpy())  # d/dw = x * k, whatever w is
        last = [h for p, h in fake.requests if p == "/v1/eval"][-1]
        assert set(last["params"]) == {"w"}  # the changed weight travels as data
        ids.add(last["graph_id"])
    assert len(ids) == 1  # one graph for all new weights
    graphs = [h["graph"] for p, h in fake.requests if p == "/v1/graphs"]
    assert len(graphs) == 2 and {p["name"]: "value" in p for p in graphs[-1]["params"]} == {"w": False, "k": True}


# -- the deep-potential loop on a real server, beside JAX -------------------------------------------------
def _metric(url: str, name: str) -> float:
    text = httpx.get(url + "/metrics", timeout=10).text
    return sum(float(m) for m in re.findall(rf"^{name}\{{[^}}]*\}} ([0-9.e+]+)$", text, re.M))


def test_deep_potential_loop_equals_jax_and_compiles_once(on_real_server):
    pytest.importorskip("jax")
    from benchmarks.loops_workloads import dp_data, dp_jax, dp_sdk

    data = dp_data(n_atoms=8, n_feat=4, hidden=8)
    step, net = dp_sdk(gs, data, lr=1e-3)
    jstep, jparams = dp_jax(data, lr=1e-3)
    R, E, F = gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"])
    url = on_real_server.url
    losses, jlosses = [], []
    for i in range(6):
        if i == 2:  # step 0 compiles the graph with the initial weights in it, step 1 the one without
            misses = _metric(url, "gradserve_compile_cache_misses_total")
        losses.append(float(step(R, E, F).asnumpy()))
        jl, jparams = jstep(jparams, data["R"], data["E"], data["F"])
        jlosses.append(float(jl))
    np.testing.assert_allclose(losses, jlosses, rtol=1e-4)
    assert losses[-1] < losses[0]  # it trains
    np.testing.assert_allclose(net.fit1.weight.asnumpy(), np.asarray(jparams[0]), rtol=1e-4, atol=1e-6)
    assert _metric(url, "gradserve_compile_cache_misses_total") == misses  # new weights, no new plan


def test_a_parameter_without_value_needs_one_in_the_job(real_server):
    graph = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [2], "dtype": "float32"}],
             "params": [{"name": "w", "shape": [2], "dtype": "float32"}],
             "nodes": [{"op": "mul", "inputs": ["x", "w"], "outputs": ["y"]}], "outputs": "y"}
    x = {"shape": [2], "datatype": "FP32", "data": [1.0, 2.0]}
    r = httpx.post(real_server.url + "/v1/eval", json={"graph": graph, "inputs": [x]}, timeout=30)
    assert r.status_code == 400 and "'w'" in r.json()["error"]["message"]
    w = {"shape": [2], "datatype": "FP32", "data": [3.0, 4.0]}
    r = httpx.post(real_server.url + "/v1/eval", json={"graph": graph, "inputs": [x], "params": {"w": w}}, timeout=30)
    assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [3.0, 8.0]


def _cyclic_garbage(call, n: int = 5) -> list:
    """What n calls leave to the cyclic garbage collector (reference cycles), by type and where made."""
    import gc
    from collections import Counter

    call()
    gc.collect()
    # what lived before the calls stays alive (and out of the count) while they run: objects of earlier tests
    # that these calls let go (an entry a bounded cache replaces, a pin moved to the new program) are not
    # garbage the calls made, and holding them keeps their ids from being reused by the calls' objects
    alive_before = gc.get_objects()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(n):
            call()
        gc.collect()
        left = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        del alive_before
    return sorted(Counter(getattr(o, "__qualname__", type(o).__name__) for o in left).items())


def test_loop_calls_leave_no_reference_cycles(on_real_server):
    """A training step and a value_and_grad call in steady state free everything they made as they go:
    garbage only the cyclic collector can free (a recursive closure, say) makes collections run every few
    calls, and a full one in a large process (a training script with JAX or torch loaded) stalls the
    loop for milliseconds, then leaves its caches cold for the next steps."""
    from benchmarks.loops_workloads import dp_data, dp_sdk, graph_mode, logp_sdk, logreg_data

    graph_mode(gs)  # (the loops' mode: a steady state of cached traces)
    data = dp_data(n_atoms=8, n_feat=4, hidden=8)
    step, _ = dp_sdk(gs, data, lr=1e-3)
    R, E, F = gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"])
    step(R, E, F)  # (the first step sends the graph with the initial weights in it)
    assert _cyclic_garbage(lambda: step(R, E, F)) == []
    X, y = logreg_data()
    vg = ops.value_and_grad(logp_sdk(gs, X, y))
    w = gs.Tensor(np.zeros(X.shape[1], np.float32))
    assert _cyclic_garbage(lambda: vg(w)[1].asnumpy()) == []
