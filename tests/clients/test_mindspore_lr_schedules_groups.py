"""nn.learning_rate_schedule (Cells of the global step) and nn.dynamic_lr (per-step lists), with MindSpore's
argument checks; a schedule driving an optimizer; the grouped form's `order_params`.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv (every number below)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn
from gradserve.nn import dynamic_lr, learning_rate_schedule as lrs


def test_dynamic_lr_lists_match_mindspore():
    assert dynamic_lr.piecewise_constant_lr([2, 5], [0.1, 0.05]) == [0.1, 0.1, 0.05, 0.05, 0.05]
    np.testing.assert_allclose(dynamic_lr.exponential_decay_lr(0.1, 0.9, 6, 2, 2, True),
                               [0.1, 0.1, 0.1, 0.1, 0.09, 0.09], rtol=1e-15)
    np.testing.assert_allclose(dynamic_lr.cosine_decay_lr(0.01, 0.1, 6, 2, 2),
                               [0.1, 0.1, 0.055, 0.055, 0.01, 0.01], rtol=1e-15)
    np.testing.assert_allclose(dynamic_lr.polynomial_decay_lr(0.1, 0.01, 6, 1, 2, 0.5, True),
                               [0.1, 0.07363961030678928, 0.01, 0.055, 0.01, 0.04674234614174767], rtol=1e-15)
    assert dynamic_lr.warmup_lr(0.1, 6, 2, 2) == [0.0, 0.0, 0.05, 0.05, 0.1, 0.1]


def test_schedule_checks_use_mindspores_error_classes():
    with pytest.raises(TypeError):
        lrs.ExponentialDecayLR(True, 0.9, 4)  # a bool is no learning rate
    with pytest.raises(ValueError):
        lrs.PolynomialDecayLR(-1.0, 0.01, 4, 0.5)
    with pytest.raises(TypeError):
        lrs.CosineDecayLR(0.01, 0.1, "m")
    with pytest.raises(ValueError):
        lrs.CosineDecayLR(0.1, 0.01, 4)  # max_lr must exceed min_lr
    with pytest.raises(ValueError):
        dynamic_lr.piecewise_constant_lr([2, 5], [0.1])


def test_schedule_cells_match_mindspore_and_drive_an_optimizer(on_real_server):
    step = Tensor(5, ms.int32)
    expect = {lrs.ExponentialDecayLR(0.1, 0.9, 4, True): 0.08999999612569809,
              lrs.NaturalExpDecayLR(0.1, 0.9, 4, True): 0.0027323728427290916,
              lrs.InverseDecayLR(0.1, 0.9, 4): 0.0470588244497776,
              lrs.CosineDecayLR(0.01, 0.1, 4): 0.009999999776482582,
              lrs.PolynomialDecayLR(0.1, 0.01, 4, 0.5, True): 0.06511352211236954,
              lrs.WarmUpLR(0.1, 3): 0.10000000149011612}
    for cell, value in expect.items():
        np.testing.assert_allclose(float(cell(step).asnumpy()), value, rtol=1e-6, err_msg=type(cell).__name__)
    w = Parameter(Tensor(np.zeros(1, np.float32)), name="w")
    opt = nn.SGD([w], learning_rate=lrs.WarmUpLR(0.1, 2))  # steps 0, 1, 2 use 0, 0.05, 0.1
    for _ in range(3):
        opt((Tensor(np.ones(1, np.float32)),))
    np.testing.assert_allclose(w.asnumpy(), [-0.15], rtol=1e-6)


def test_order_params_sets_the_parameter_and_gradient_order(on_real_server):
    a = Parameter(Tensor(np.zeros(2, np.float32)), name="a")
    b = Parameter(Tensor(np.zeros(2, np.float32)), name="b")
    opt = nn.SGD([{"params": [a], "lr": 0.1}, {"params": [b]}, {"order_params": [b, a]}], learning_rate=0.5)
    assert [p.name for p in opt.parameters] == ["b", "a"]
    assert (opt.is_group, opt.is_group_lr, opt.dynamic_lr, opt.is_group_params_ordered) == (True, True, False, True)
    opt((Tensor(np.array([1., 2.], np.float32)), Tensor(np.array([3., 4.], np.float32))))  # b's, then a's
    np.testing.assert_allclose(a.asnumpy(), [-0.3, -0.4], rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), [-0.5, -1.0], rtol=1e-6)
    with pytest.raises(RuntimeError):  # a Parameter in two groups
        nn.SGD([{"params": [a]}, {"params": [a, b]}], learning_rate=0.5)
    with pytest.raises(ValueError):  # order_params must name the same Parameters
        nn.SGD([{"params": [a]}, {"params": [b]}, {"order_params": [a]}], learning_rate=0.5)
