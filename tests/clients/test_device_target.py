"""set_context(device_target=...) as MindSpore: a target the install (here: the server) does not have
raises RuntimeError at once and leaves the old target, so later jobs still run (MindSpore's CPU-only
wheel raises the same way for GPU/Ascend)."""
import numpy as np
import pytest

import gradserve as gs


def test_an_unserved_device_target_raises_and_keeps_the_old_one(on_real_server, monkeypatch):
    monkeypatch.delenv("GRADSERVE_DEVICE")  # no operator override: the program's target counts
    for target in ("GPU", "Ascend"):
        with pytest.raises(RuntimeError, match="Unsupported device target"):
            gs.set_context(device_target=target)
        assert gs.get_context("device_target") == "CPU"
    x = gs.Tensor(np.array([1.0, 2.0], np.float32))
    g = gs.grad(lambda v: (v * v * v).sum())(x)  # d/dx sum x^3 = 3x^2
    np.testing.assert_allclose(g.asnumpy(), [3.0, 12.0])


def test_a_served_device_target_is_kept(on_real_server, monkeypatch):
    monkeypatch.delenv("GRADSERVE_DEVICE")
    gs.set_context(device_target="CPU", device_id=0)
    assert gs.get_context("device_target") == "CPU" and gs.get_context("device_id") == 0


def test_no_server_yet_defers_the_check_to_the_job(monkeypatch):
    # nothing listens on port 1: the target is taken as given; the first job would get the server's 503
    monkeypatch.delenv("GRADSERVE_DEVICE", raising=False)
    monkeypatch.setenv("GRADSERVE_SERVER", "http://127.0.0.1:1")
    gs.reset_context()
    try:
        gs.set_context(device_target="GPU")
        assert gs.get_context("device_target") == "GPU"
    finally:
        gs.reset_context()


def test_the_operator_override_is_read_on_every_job(monkeypatch):
    """context.device() reads GRADSERVE_DEVICE's current value each time (set, changed, emptied, unset)."""
    from gradserve import context
    monkeypatch.delenv("GRADSERVE_DEVICE", raising=False)
    gs.set_context(device_target="CPU")
    assert context.device() == "cpu"
    for value, want in (("gpu:1", "gpu:1"), ("GPU", "gpu"), ("cpu", "cpu"), ("", "cpu")):
        monkeypatch.setenv("GRADSERVE_DEVICE", value)
        assert context.device() == want, value
    monkeypatch.setenv("GRADSERVE_DEVICE", "gpu")
    monkeypatch.delenv("GRADSERVE_DEVICE")
    assert context.device() == "cpu"
