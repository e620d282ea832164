"""The SDK's training step shortcuts (issue #13, L1) keep MindSpore's semantics: an optimizer step gives each
Parameter a fresh array (an array a user took with np.asarray stays as it was), 0-d Parameters included;
a small binary response is copied once and its outputs are writable views on that copy (the response's
bytes untouched, misaligned entries decoded apart), a large one array by array; a program sends the
values of exactly the Parameters that have changed, following first changes made after it was traced."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from gradserve import _wire


def _params(*arrays):
    return [gs.Parameter(gs.Tensor(a), name=f"p{i}") for i, a in enumerate(arrays)]


def test_sgd_step_gives_fresh_arrays_and_keeps_held_ones():
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    p, s = _params(w, np.array(2.0, np.float32))  # s: a 0-d Parameter
    held, held_s = np.asarray(p), np.asarray(s)  # the live arrays, as a user may keep them
    g, gs_ = np.full((2, 3), 4.0, np.float32), np.array(8.0, np.float32)
    opt = gs.nn.SGD([p, s], learning_rate=0.25)
    assert opt((gs.Tensor(g), gs.Tensor(gs_))) is True
    np.testing.assert_array_equal(held, w)  # not updated in place
    assert float(held_s) == 2.0
    np.testing.assert_array_equal(p.asnumpy(), w - 0.25 * g)
    assert type(s._data) is np.ndarray and s.shape == () and float(s.asnumpy()) == 0.0
    assert p.asnumpy().dtype == np.float32 and opt.global_step == 1 and p._version == 1
    opt([g, gs_])  # plain arrays as gradients too
    np.testing.assert_array_equal(p.asnumpy(), w - 0.5 * g)
    assert opt.global_step == 2 and p._version == 2


@pytest.mark.parametrize("kw", [dict(weight_decay=0.1), dict(loss_scale=4.0), dict(momentum=0.9)])
def test_sgd_step_variants_against_numpy(kw):
    w0 = np.linspace(-1, 1, 4).astype(np.float32)
    g = np.array([0.5, -1.0, 2.0, 0.25], np.float32)
    (p,) = _params(w0)
    opt = gs.nn.SGD([p], learning_rate=0.1, **kw)
    w, v = w0.astype(np.float64), None
    for _ in range(3):
        opt((gs.Tensor(g),))
        gg = g / kw.get("loss_scale", 1.0) + kw.get("weight_decay", 0.0) * w
        if "momentum" in kw:  # MindSpore's SGD: v = g on the first step, then momentum * v + g
            v = gg if v is None else kw["momentum"] * v + gg
            gg = v
        w = w - 0.1 * gg
    np.testing.assert_allclose(p.asnumpy(), w, rtol=1e-5)


def _response(entries, tail: bytes) -> tuple[bytes, str]:
    import json

    head = json.dumps({"outputs": entries}).encode()
    return head + tail, str(len(head))


def _binary(shape, dt, n):
    return {"shape": list(shape), "datatype": dt, "parameters": {"binary_data_size": n}}


def _owner(a):
    while isinstance(a, np.ndarray):
        a = a.base
    return a.obj if isinstance(a, memoryview) else a


def test_small_binary_response_is_one_copy_of_views():
    f4 = np.array([1.5, -2.0, 3.0], "<f4")
    f8 = np.array([0.25, 4.0], "<f8")
    raw = np.float32(7.0).tobytes() + f4.tobytes() + f8.tobytes()  # the FP64 entry starts at byte 16
    body, hl = _response([_binary((), "FP32", 4), _binary((3,), "FP32", 12), _binary((2,), "FP64", 16)], raw)
    frozen = bytes(body)
    outs = [t["array"] for t in _wire.decode_response(body, hl)["outputs"]]
    assert outs[0].shape == () and float(outs[0]) == 7.0
    assert outs[1].tolist() == f4.tolist() and outs[2].tolist() == f8.tolist()
    assert all(a.flags.writeable and a.flags.aligned for a in outs)
    owners = [_owner(a) for a in outs]
    assert type(owners[0]) is bytearray and owners[0] is owners[1] is owners[2]  # views on one copy
    outs[1][0] = 99.0
    assert body == frozen and outs[2].tolist() == f8.tolist()


def test_misaligned_binary_entry_is_decoded_apart():
    f8 = np.array([0.25, 4.0], "<f8")
    raw = np.float32(7.0).tobytes() + f8.tobytes()  # FP64 at byte 4: not a view (misaligned)
    body, hl = _response([_binary((), "FP32", 4), _binary((2,), "FP64", 16)], raw)
    a, b = (t["array"] for t in _wire.decode_response(body, hl)["outputs"])
    assert float(a) == 7.0 and b.tolist() == [0.25, 4.0] and b.flags.aligned and b.flags.writeable


def test_large_binary_response_is_copied_array_by_array():
    big = np.arange(20000, dtype="<f4")  # 80 KB: past the one-copy size
    small = np.array([1.0], "<f4")
    body, hl = _response([_binary((20000,), "FP32", big.nbytes), _binary((1,), "FP32", 4)],
                         big.tobytes() + small.tobytes())
    x, y = (t["array"] for t in _wire.decode_response(body, hl)["outputs"])
    assert x.flags.owndata and y.flags.owndata and np.array_equal(x, big) and y.tolist() == [1.0]


def test_short_binary_tail_is_an_error():
    body, hl = _response([_binary((4,), "FP32", 16)], np.zeros(2, "<f4").tobytes())
    with pytest.raises(ValueError):
        _wire.decode_response(body, hl)


def _sent_params(fake) -> list:
    return sorted((fake.requests[-1][1].get("params") or {}).keys())


def test_program_sends_the_parameters_changed_since_it_was_traced(fake):
    a, b = _params(np.array([2.0], np.float32), np.array([3.0], np.float32))

    def f(x):
        return gs.ops.sum(x * a * b)

    vg = gs.ops.value_and_grad(f, None, (a, b))
    x = gs.Tensor(np.array([5.0], np.float32))
    loss, (da, db) = vg(x)
    assert float(loss.asnumpy()) == 30.0 and _sent_params(fake) == []  # both frozen: in the graph
    b.set_data(np.array([4.0], np.float32))  # b's first change, after the program was traced
    loss, (da, db) = vg(x)
    assert _sent_params(fake) == ["p1"] and float(loss.asnumpy()) == 40.0 and da.asnumpy().item() == 20.0
    gs.nn.SGD([a], learning_rate=0.5)((da,))  # a changes too: 2 - 0.5 * 20 = -8
    loss, (da, db) = vg(x)
    assert _sent_params(fake) == ["p0", "p1"] and float(loss.asnumpy()) == -160.0
    assert db.asnumpy().item() == -40.0


def test_a_learning_rate_schedule_is_asked_once_a_step():
    steps = []

    def lr(step):  # MindSpore's LearningRateSchedule form: the global step (a Tensor) -> the rate
        steps.append(int(step.asnumpy()))
        return gs.Tensor(np.array(0.5 / (1 + int(step.asnumpy())), np.float32))

    ps = _params(np.ones(2, np.float32), np.ones(3, np.float32), np.ones((), np.float32))
    opt = gs.nn.SGD(ps, learning_rate=lr)
    for _ in range(2):
        opt([np.ones(2, np.float32), np.ones(3, np.float32), np.ones((), np.float32)])
    assert steps == [0, 1]  # one schedule call per step, not one per parameter
    for p in ps:
        np.testing.assert_allclose(p.asnumpy(), np.full(p.shape, 1 - 0.5 - 0.25, np.float32))
