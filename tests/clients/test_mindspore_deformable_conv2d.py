"""ops.deformable_conv2d (MindSpore 2.10's, v2) on the DeformConv composite: values against a direct NumPy
loop (bilinear reads, zero outside, offsets in MindSpore's (offset_x, offset_y, mask) blocks), gradients against
central finite differences (float64), and sums / sums of squares of MindSpore 2.10 CPU's output and its gradients
(x, weight, offsets, bias) for the same inputs (/work/msvenv, ops.deformable_conv2d and mindspore.grad)."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops


def _bilinear(img, y, x):
    h, w = img.shape
    y0, x0 = int(np.floor(y)), int(np.floor(x))
    total = 0.0
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                total += wy * wx * img[yy, xx]
    return total


def _reference(x, wt, off, bias, st, pad, dil, g, dg):
    n, c, _, _ = x.shape
    oc, cpg, kh, kw = wt.shape
    _, _, oh, ow = off.shape
    k = kh * kw
    out = np.zeros((n, oc, oh, ow))
    for b, o, i, j in np.ndindex(n, oc, oh, ow):
        grp = o // (oc // g)
        for ci in range(cpg):
            ch = grp * cpg + ci
            d = ch // (c // dg)
            for t in range(k):
                ki, kj = divmod(t, kw)
                dx, dy, m = (off[b, s * dg * k + d * k + t, i, j] for s in range(3))
                py = i * st[2] - pad[0] + ki * dil[2] + dy
                px = j * st[3] - pad[2] + kj * dil[3] + dx
                out[b, o, i, j] += wt[o, ci, ki, kj] * m * _bilinear(x[b, ch], py, px)
    return out + bias.reshape(1, oc, 1, 1)


CASES = {  # n, c, h, w, oc, kh, kw, strides, padding, dilations, groups, deformable_groups
    "basic": (1, 2, 5, 6, 3, 3, 3, (1, 1, 1, 1), (1, 1, 1, 1), (1, 1, 1, 1), 1, 1),
    "stride_dg": (2, 4, 6, 5, 4, 2, 3, (1, 1, 2, 1), (0, 1, 1, 0), (1, 1, 1, 1), 2, 2),
    "dil": (1, 2, 7, 7, 2, 3, 2, (1, 1, 1, 1), (1, 0, 0, 1), (1, 1, 2, 1), 1, 1),
}
# MindSpore 2.10 CPU: (sum, sum of squares) of y and of the gradients of sum(y * dy) w.r.t. x, weight, offsets, bias
MINDSPORE = {
    "basic": [(-1.9789, 195.10956), (4.91571, 97.5742), (11.45892, 136.13268), (-23.98201, 675.12036),
              (-3.11623, 14.13196)],
    "stride_dg": [(-22.82091, 110.92324), (-8.13844, 200.90254), (-9.93411, 120.4296), (-7.23919, 1437.19192),
                  (-3.38206, 142.61483)],
    "dil": [(10.62674, 52.07075), (14.67847, 31.08144), (-10.82816, 41.55767), (3.18324, 254.8197),
            (-4.0882, 23.04586)],
}


def _inputs(rng, n, c, h, w, oc, kh, kw, st, pad, dil, g, dg, dtype=np.float32):
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((oc, c // g, kh, kw)).astype(dtype)
    oh = (h + pad[0] + pad[1] - ((kh - 1) * dil[2] + 1)) // st[2] + 1
    ow = (w + pad[2] + pad[3] - ((kw - 1) * dil[3] + 1)) // st[3] + 1
    off = np.concatenate([rng.uniform(-1.5, 1.5, (n, 2 * dg * kh * kw, oh, ow)),
                          rng.uniform(0, 1, (n, dg * kh * kw, oh, ow))], 1).astype(dtype)
    bias = rng.standard_normal(oc).astype(dtype)
    dy = rng.standard_normal((n, oc, oh, ow)).astype(dtype)
    return x, wt, off, bias, dy


def test_values_and_gradients_match_mindspore(fake):
    rng = np.random.default_rng(1)  # (the MindSpore run drew the cases in this order from this generator)
    for name, (n, c, h, w, oc, kh, kw, st, pad, dil, g, dg) in CASES.items():
        x, wt, off, bias, dy = _inputs(rng, n, c, h, w, oc, kh, kw, st, pad, dil, g, dg)

        def f(a, b, o, bb):
            return (ops.deformable_conv2d(a, b, o, (kh, kw), st, pad, bb, dil, g, dg) * Tensor(dy)).sum()
        y = ops.deformable_conv2d(Tensor(x), Tensor(wt), Tensor(off), (kh, kw), st, pad, Tensor(bias), dil, g, dg)
        np.testing.assert_allclose(y.asnumpy(), _reference(x, wt, off, bias, st, pad, dil, g, dg), rtol=1e-5,
                                   atol=1e-5, err_msg=name)
        grads = gs.grad(f, grad_position=(0, 1, 2, 3))(Tensor(x), Tensor(wt), Tensor(off), Tensor(bias))
        got = [(float(a.sum()), float((a * a).sum())) for a in [y.asnumpy()] + [t.asnumpy() for t in grads]]
        np.testing.assert_allclose(got, MINDSPORE[name], rtol=1e-5, atol=1e-4, err_msg=name)


def test_gradients_match_finite_differences(fake):
    rng = np.random.default_rng(7)
    st, pad, dil = (1, 1, 1, 1), (1, 0, 0, 1), (1, 1, 1, 1)
    x, wt, off, bias, dy = _inputs(rng, 1, 2, 4, 4, 2, 2, 2, st, pad, dil, 1, 2, np.float64)

    def loss(*a):
        return float((_reference(*a, bias, st, pad, dil, 1, 2) * dy).sum())

    def f(a, b, o):
        return (ops.deformable_conv2d(a, b, o, (2, 2), st, pad, Tensor(bias), dil, 1, 2) * Tensor(dy)).sum()
    grads = gs.grad(f, grad_position=(0, 1, 2))(Tensor(x), Tensor(wt), Tensor(off))
    args, h = [x, wt, off], 1e-6
    for pos, got in enumerate(grads):
        fd = np.zeros_like(args[pos])
        for idx in np.ndindex(args[pos].shape):
            up, down = [a.copy() for a in args], [a.copy() for a in args]
            up[pos][idx] += h
            down[pos][idx] -= h
            fd[idx] = (loss(*up) - loss(*down)) / (2 * h)
        np.testing.assert_allclose(got.asnumpy(), fd, rtol=1e-5, atol=1e-6, err_msg=f"input {pos}")


def test_bad_arguments_are_named(fake):
    x, wt = Tensor(np.zeros((1, 2, 4, 4), np.float32)), Tensor(np.zeros((2, 2, 2, 2), np.float32))
    off = Tensor(np.zeros((1, 12, 3, 3), np.float32))
    with pytest.raises(ValueError, match="offsets.*3 \\* deformable_groups.*\\[1, 12, 3, 3\\]"):
        ops.deformable_conv2d(x, wt, off, (2, 2), (1, 1, 1, 1), (0, 0, 0, 0), deformable_groups=2)
    with pytest.raises(ValueError, match="strides.*1 on the N and C"):
        ops.deformable_conv2d(x, wt, off, (2, 2), (2, 1, 1, 1), (0, 0, 0, 0))
    with pytest.raises(ValueError, match="modulated"):
        ops.deformable_conv2d(x, wt, off, (2, 2), (1, 1, 1, 1), (0, 0, 0, 0), modulated=False)


@pytest.mark.parametrize("hw, strides, pads, dil, good", [
    (5, (1, 1, 1, 1), (0, 0, 0, 0), (1, 1, 1, 1), (3, 3)),
    (7, (1, 1, 2, 2), (1, 0, 2, 1), (1, 1, 2, 2), (2, 3)),  # (7 + 1 + 0 - 5) // 2 + 1, (7 + 2 + 1 - 5) // 2 + 1
])
def test_offsets_of_another_output_size_are_refused(fake, hw, strides, pads, dil, good):
    """MindSpore 2.10 CPU (/work/msvenv) raises ValueError naming both sizes when the offsets' H, W are not the
    output's, (H + top + bottom - (dh (kh - 1) + 1)) // sh + 1 (and W alike); the right size runs."""
    x, w = Tensor(np.ones((1, 2, hw, hw), np.float32)), Tensor(np.ones((3, 2, 3, 3), np.float32))
    ok = ops.deformable_conv2d(x, w, Tensor(np.zeros((1, 27) + good, np.float32)), (3, 3), strides, pads,
                               dilations=dil)
    assert ok.shape == (1, 3) + good
    for bad in ((good[0] + 1, good[1]), (good[0], good[1] - 1)):
        with pytest.raises(ValueError, match=rf"offsets.*\({bad[0]}, {bad[1]}\).*\({good[0]}, {good[1]}\)"):
            ops.deformable_conv2d(x, w, Tensor(np.zeros((1, 27) + bad, np.float32)), (3, 3), strides, pads,
                                  dilations=dil)
