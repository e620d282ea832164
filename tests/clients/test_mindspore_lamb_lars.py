"""nn.Lamb and nn.LARS over several steps, with and without weight decay, grouped parameters and a
learning-rate schedule.

MindSpore 2.10 cannot give the expected values here: on CPU it refuses both ("Unsupported op [Lamb] on CPU",
"Unsupported op [LARSUpdate] on CPU", checked for this task in its venv). The expected values come from the
formulas of MindSpore's documentation (nn.Lamb's and nn.LARS's docstrings), written out below a second time,
independently of the SDK's code, in float64 NumPy, and from a one-element step worked by hand.
"""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn

W0 = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]], np.float32)
B0 = np.array([0.3, -0.2], np.float32)
GRADS = [(np.array([[0.1, 0.2, -0.3], [1.0, -2.0, 0.5]], np.float32), np.array([0.4, -0.1], np.float32)),
         (np.array([[-0.2, 0.1, 0.3], [0.5, 0.5, -0.5]], np.float32), np.array([0.0, 0.3], np.float32)),
         (np.array([[0.3, -0.1, 0.0], [-1.0, 1.5, 0.2]], np.float32), np.array([-0.2, 0.2], np.float32)),
         (np.array([[0.05, 0.05, 0.1], [0.2, -0.1, 0.3]], np.float32), np.array([0.1, 0.1], np.float32))]


def lamb_reference(w, grads, lrs, wd, b1=0.9, b2=0.999, eps=1e-6):
    """nn.Lamb's documented update in float64; trust ratio 1 where ||w|| or ||g|| is 0, at most 10."""
    w = w.astype(np.float64)
    m, v = np.zeros_like(w), np.zeros_like(w)
    out = []
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        g = g.astype(np.float64)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        r = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps) + wd * w
        wn, gn = np.linalg.norm(w), np.linalg.norm(g)
        ratio = min(wn / np.linalg.norm(r), 10.0) if wn > 0 and gn > 0 else 1.0
        w = w - lr * ratio * r
        out.append(w)
    return out


def params():
    return Parameter(Tensor(W0.copy()), name="w"), Parameter(Tensor(B0.copy()), name="bias")


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_lamb_four_steps_match_the_documented_update(wd):
    w, b = params()
    opt = nn.Lamb([w, b], learning_rate=0.1, weight_decay=wd)
    ref_w = lamb_reference(W0, [g[0] for g in GRADS], [0.1] * 4, wd)
    ref_b = lamb_reference(B0, [g[1] for g in GRADS], [0.1] * 4, wd)
    for k, (gw, gb) in enumerate(GRADS):
        opt((Tensor(gw), Tensor(gb)))
        np.testing.assert_allclose(w.asnumpy(), ref_w[k], rtol=2e-6, atol=1e-6)
        np.testing.assert_allclose(b.asnumpy(), ref_b[k], rtol=2e-6, atol=1e-6)
    assert w.asnumpy().dtype == np.float32
    np.testing.assert_allclose(opt.moments1[0].asnumpy(), sum(  # m after 4 steps, by hand: sum 0.1 * 0.9^(4-k) g_k
        0.1 * 0.9 ** (3 - k) * GRADS[k][0] for k in range(4)), rtol=1e-5)


def test_lamb_one_element_step_by_hand():
    # w = 2, g = 0.5: m_hat = g, v_hat = g^2, r = g / (|g| + 1e-6) ~ 1 ; u = r + 0.1 * 2 = 1.2 (approx);
    # trust = |w| / |u| = 2 / 1.2; w' = 2 - 0.01 * (2 / 1.2) * 1.2 = 1.98 (the trust ratio normalises the step)
    w = Parameter(Tensor(np.array([2.0], np.float32)), name="w")
    nn.Lamb([w], learning_rate=0.01, weight_decay=0.1)((Tensor(np.array([0.5], np.float32)),))
    np.testing.assert_allclose(w.asnumpy(), [1.98], rtol=1e-6)


def test_lamb_trust_ratio_is_one_for_a_zero_weight_and_capped_at_ten():
    z = Parameter(Tensor(np.zeros(3, np.float32)), name="z")
    big = Parameter(Tensor(np.full(4, 100.0, np.float32)), name="big")
    nn.Lamb([z, big], learning_rate=0.01)((Tensor(np.array([1.0, -1.0, 2.0], np.float32)),
                                           Tensor(np.full(4, 1.0, np.float32))))
    # zero weight: ratio 1, r = sign(g) (1 - ~1e-6) -> w = -0.01 sign(g); big: ratio 100 capped to 10: w -= 0.1
    np.testing.assert_allclose(z.asnumpy(), [-0.01, 0.01, -0.01], rtol=1e-5)
    np.testing.assert_allclose(big.asnumpy(), np.full(4, 99.9), rtol=1e-6)


def test_lamb_groups_and_a_learning_rate_schedule():
    w, b = params()
    lrs = [0.1, 0.05, 0.02, 0.01]
    opt = nn.Lamb([{"params": [w], "weight_decay": 0.05}, {"params": [b], "lr": 0.2}], learning_rate=lrs)
    ref_w = lamb_reference(W0, [g[0] for g in GRADS], lrs, 0.05)
    ref_b = lamb_reference(B0, [g[1] for g in GRADS], [0.2] * 4, 0.0)
    for gw, gb in GRADS:
        opt((Tensor(gw), Tensor(gb)))
    np.testing.assert_allclose(w.asnumpy(), ref_w[-1], rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), ref_b[-1], rtol=2e-6, atol=1e-6)


def test_lamb_rejects_bad_hyperparameters():
    w, _ = params()
    with pytest.raises(ValueError, match="beta1"):
        nn.Lamb([w], 0.1, beta1=1.0)
    with pytest.raises(TypeError, match="eps"):
        nn.Lamb([w], 0.1, eps=1)


def lars_momentum_reference(w, grads, lr, momentum, wd, eps, coef, use_lars=True):
    """nn.LARS's documented update over nn.Momentum, float64: local rate coef ||w|| / (||g|| + wd ||w|| + eps),
    v = momentum v + lr * local * (g + wd w), w -= v; a parameter LARS skips gets plain momentum, no decay."""
    w = w.astype(np.float64)
    v = np.zeros_like(w)
    out = []
    for g in grads:
        g = g.astype(np.float64)
        if use_lars:
            wn, gn = np.linalg.norm(w), np.linalg.norm(g)
            g = (g + wd * w) * (coef * wn / (gn + wd * wn + eps))
        v = momentum * v + g
        w = w - lr * v
        out.append(w)
    return out


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_lars_over_momentum_three_steps(wd):
    w, b = params()
    opt = nn.LARS(nn.Momentum([w, b], 0.1, 0.9, weight_decay=wd), epsilon=1e-8, coefficient=0.02)
    ref_w = lars_momentum_reference(W0, [g[0] for g in GRADS[:3]], 0.1, 0.9, wd, 1e-8, 0.02)
    ref_b = lars_momentum_reference(B0, [g[1] for g in GRADS[:3]], 0.1, 0.9, wd, 1e-8, 0.02, use_lars=False)
    for k, (gw, gb) in enumerate(GRADS[:3]):
        opt((Tensor(gw), Tensor(gb)))
        np.testing.assert_allclose(w.asnumpy(), ref_w[k], rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(b.asnumpy(), ref_b[k], rtol=2e-6, atol=1e-7)  # 'bias': filtered out


def test_lars_custom_filter_and_refusals():
    w, b = params()
    opt = nn.LARS(nn.Momentum([w, b], 0.1, 0.9), epsilon=1e-8, coefficient=0.02, lars_filter=lambda p: True)
    assert opt.lars_flag == (True, True)
    opt((Tensor(GRADS[0][0]), Tensor(GRADS[0][1])))
    ref_b = lars_momentum_reference(B0, [GRADS[0][1]], 0.1, 0.9, 0.0, 1e-8, 0.02)
    np.testing.assert_allclose(b.asnumpy(), ref_b[0], rtol=2e-6)
    with pytest.raises(TypeError, match="epsilon"):
        nn.LARS(nn.Momentum([w], 0.1, 0.9), epsilon=1)
    with pytest.raises(NotImplementedError, match="use_clip"):
        nn.LARS(nn.Momentum([w], 0.1, 0.9), use_clip=True)
    with pytest.raises(ValueError, match="1 gradient"):
        opt((Tensor(GRADS[0][0]),))


def test_lars_with_a_learning_rate_schedule_and_a_loss_scale():
    # the wrapped optimizer's per-step rates apply after LARS's rescaling; its loss scale moves into LARS
    # (gradients divided by it before the local rate, weight decay divided by it too: nn.LARS's construct)
    w, _ = params()
    lrs = [0.1, 0.05, 0.02]
    opt = nn.LARS(nn.Momentum([w], lrs, 0.9, weight_decay=0.01, loss_scale=4.0), epsilon=1e-8, coefficient=0.02)
    ref = W0.astype(np.float64)
    v = np.zeros_like(ref)
    for (gw, _), lr in zip(GRADS[:3], lrs):
        opt((Tensor(gw * 4.0),))
        g, wd = gw.astype(np.float64), 0.01 / 4.0
        wn, gn = np.linalg.norm(ref), np.linalg.norm(g)
        v = 0.9 * v + (g + wd * ref) * (0.02 * wn / (gn + wd * wn + 1e-8))
        ref = ref - lr * v
    np.testing.assert_allclose(w.asnumpy(), ref, rtol=2e-6, atol=1e-7)
