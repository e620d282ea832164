"""A Tensor's own copy of its array (gradserve._private_arrays) is not compared again by the shared memory path
when it is the very array last placed in its slot; a write into it through NumPy (np.asarray(t), which shares
memory as MindSpore's asnumpy() does on CPU) is still seen, whenever the reference was taken and through any
view. Every answer equals JAX's float64 gradients of the values the Tensor holds then."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from gradserve import _private_arrays, _shm

from .test_client_shm import w2_front_end_grads, w2_inputs  # noqa: F401 - (a fixture)

F32 = np.float32


@pytest.fixture
def compares(monkeypatch) -> list:
    """compares[0]: how many byte compares the shared memory path has made (_shm._same) since."""
    n = [0]
    same = _shm._same

    def counted(a, address):
        n[0] += 1
        return same(a, address)
    monkeypatch.setattr(_shm, "_same", counted)
    return n


@pytest.fixture
def w2_front_end(real_server, w2_inputs, compares):
    """(check, xt, compares): check() runs ops.grad of the W2 MLP w.r.t. its weights at xt and compares with
    JAX at xt's values then (w2_front_end_grads); compares[0] counts byte compares."""
    pytest.importorskip("jax")
    ws = [a.copy() for a in w2_inputs[1:]]
    with w2_front_end_grads(real_server.url, w2_inputs[0].copy(), ws) as (check, xt, _):
        yield check, xt, compares


def _written() -> int:
    return gs.context.client()._transport._shm.input_bytes[0]


def test_an_unchanged_tensor_is_neither_compared_nor_written_and_a_numpy_write_is_seen(w2_front_end):
    check, xt, compares = w2_front_end
    check()
    check()
    before, n = _written(), compares[0]
    check()
    assert (_written(), compares[0]) == (before, n)  # x in place already, not compared: sealed
    np.asarray(xt)[:, :7] *= F32(-0.5)  # (the array itself: MindSpore's CPU asnumpy() shares it too)
    check()
    assert _written() == before + np.array(xt).nbytes and compares[0] > n
    n = compares[0]
    check()
    assert _written() == before + np.array(xt).nbytes and compares[0] == n + 1  # released: compared from now on


def test_a_reference_taken_before_the_calls_and_written_later_is_seen(w2_front_end):
    check, xt, _ = w2_front_end
    held = np.asarray(xt)
    for k in range(3):
        check()
    held[3] = F32(2.5)
    check()


def test_a_write_through_a_view_tensor_is_seen(w2_front_end):
    check, xt, _ = w2_front_end
    check()
    check()
    flat = xt.reshape((-1,))  # (eager: may view xt's memory)
    np.asarray(flat)[:1000] = F32(0.25)
    check()  # (want: xt's values now, whether or not flat shared its memory)


def test_seal_release_through_views_memoryviews_and_stride_tricks():
    a = np.arange(1 << 15, dtype=np.float32)  # 128 KiB
    _private_arrays.seal(a)
    assert _private_arrays.sealed(a)
    for view in (lambda: a[1:].reshape(-1), lambda: np.asarray(memoryview(a)),
                 lambda: np.lib.stride_tricks.as_strided(a, (8, 4), (16, 4)),
                 lambda: np.lib.stride_tricks.sliding_window_view(a, 3)):
        _private_arrays.seal(a)
        v = view()
        assert _private_arrays.sealed(a)
        _private_arrays.release(v)
        assert not _private_arrays.sealed(a), view
    small, viewing = np.zeros(16, np.float32), a[2:]
    _private_arrays.seal(small)
    _private_arrays.seal(viewing)
    assert not _private_arrays.sealed(small) and not _private_arrays.sealed(viewing)  # too small; not its own


def test_a_tensor_made_from_an_array_seals_its_copy_np_array_copies_and_np_asarray_releases_it():
    x = np.ones((256, 256), np.float32)
    t = gs.Tensor(x)
    assert _private_arrays.sealed(t._data) and t._data is not x
    assert not _private_arrays.sealed(x)
    np.asarray(t, dtype=np.float64)  # a converted copy: the Tensor's array stays its own
    assert _private_arrays.sealed(t._data)
    got = np.array(t)  # (copy=True: NumPy 2 asks __array__ for a copy and trusts it)
    got[0, 0] = 5.0
    assert not np.shares_memory(got, t._data) and np.array(t)[0, 0] == 1.0 and _private_arrays.sealed(t._data)
    np.asarray(t)
    assert not _private_arrays.sealed(t._data)


def test_weights_set_once_are_not_compared_again_and_a_numpy_write_into_one_is_seen(real_server, w2_inputs,
                                                                                      compares):
    """A loaded checkpoint's weights (set_data once: data with every job, in the shared region) are the
    Parameters' own copies: not compared on later calls; one written through np.asarray(param) is."""
    pytest.importorskip("jax")
    ws = [a.copy() for a in w2_inputs[1:]]
    with w2_front_end_grads(real_server.url, w2_inputs[0], ws, loaded=True) as (check, _, params):
        check()
        check()
        n = compares[0]
        check()
        assert compares[0] == n  # x and the six weights: sealed, in place already
        np.asarray(params[2])[...] *= F32(-1.5)
        check()
        assert compares[0] == n + 1  # only the released weight compared (and found changed: written)
