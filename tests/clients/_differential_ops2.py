"""Round 2 op surface for the differential tester (tests/clients/test_differential_jax2.py): convolution, pooling,
gathers / scatters, sort, cumulative ops, norms, linalg, einsum, pad, interpolate, normalisations, special
functions, complex intermediates. Each case draws its float inputs (and fixed int / bool constants) and has a
MindSpore spelling (gradserve) and a JAX one; where JAX has no op with MindSpore's semantics the reference is
written out from MindSpore's documented formula (pooling windows with ceil_mode / count_include_pad,
interpolate's source coordinates, batch_norm), never from gradserve's own code.

MindSpore semantics the references rest on (MindSpore 2.x API docs):
- ops.conv1d / conv2d: cross-correlation, weight [O, C/groups, k...]; pad_mode 'pad' pads both sides by padding.
- ops.max_pool2d / avg_pool2d / avg_pool1d: output size floor((L + 2p - d(k-1) - 1) / s) + 1 (ceil with
  ceil_mode, dropping a last window that starts in the right padding); avg's divisor with count_include_pad is
  the window clipped to the padded input, else to the input.
- ops.interpolate (mode 'nearest': src = floor(dst * in / out); 'bilinear': align_corners True:
  src = dst (in-1)/(out-1), else src = max((dst + 0.5) in / out - 0.5, 0)).
- ops.norm(A, ord, dim): torch.linalg.norm / numpy's; ops.slogdet -> (sign, log|det|); ops.svd -> (s, u, v);
  ops.qr -> (Q, R) Householder (LAPACK's signs, as JAX's); ops.eigh -> (w, v) ascending.
- ops.batch_norm(x, mean, var, weight, bias, training): training normalises by the batch statistics (biased
  variance); eval by the given running ones.
- complex: ops.complex(re, im) then real / imag / ComplexAbs / angle: real in, real out, so no complex-cotangent
  convention is involved. ops.abs of a complex tensor keeps its complex dtype in MindSpore 2.10 (|z| + 0i,
  docs/API.md "Complex numbers"); ops.ComplexAbs's output is float32 / float64 (mindspore.ops.ComplexAbs)."""
from __future__ import annotations

import math

import numpy as np

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from gradserve import Tensor, ops


def _draw(rng, shape, lo=0.3, hi=1.5):
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def _spd(rng, n):
    a = rng.uniform(-1, 1, (n, n))
    return a @ a.T + n * np.eye(n)


def _distinct(rng, shape, gap=0.05):
    """Values with pairwise gaps >= gap along the last axis (sort / max / topk without ties)."""
    n = shape[-1]
    base = np.arange(n) * (1.0 + gap) / n * 2.0 - 1.0
    out = np.stack([rng.permutation(base) for _ in range(int(np.prod(shape[:-1])))]).reshape(shape)
    return out + rng.uniform(0, gap / 4, shape)


# -- pooling / interpolate references written from MindSpore's formulas --------------------------------------
def _pool_len(n, k, s, p, d, ceil):
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_windows(n, k, s, p, d, ceil):
    """Per output index: (taps inside the input, taps inside the padded input) along one axis."""
    rows = []
    for o in range(_pool_len(n, k, s, p, d, ceil)):
        taps = [o * s - p + j * d for j in range(k)]
        rows.append(([t for t in taps if 0 <= t < n], min(o * s - p + k, n + p) - (o * s - p)))
    return rows


def _jax_pool(x, kind, ks, ss, ps, ds, ceil, include_pad=True):
    """max / avg pool over the last len(ks) axes by explicit windows."""
    axes = [_pool_windows(x.shape[-len(ks) + i], ks[i], ss[i], ps[i], ds[i], ceil) for i in range(len(ks))]
    if len(ks) == 1:
        outs = [_window(x[..., taps], kind, len(taps), padded, include_pad) for taps, padded in axes[0]]
        return jnp.stack(outs, -1)
    rows = []
    for th, ph in axes[0]:
        cols = []
        for tw, pw in axes[1]:
            win = x[..., th, :][..., tw]
            cols.append(_window(win.reshape(win.shape[:-2] + (-1,)), kind, len(th) * len(tw), ph * pw, include_pad))
        rows.append(jnp.stack(cols, -1))
    return jnp.stack(rows, -2)


def _window(win, kind, inside, padded, include_pad):
    if kind == "max":
        return jnp.max(win, -1)
    return jnp.sum(win, -1) / (padded if include_pad else inside)


def _resize_axis(n_in, n_out, mode, align):
    """(index0, index1, weight1) of each output along one axis."""
    dst = np.arange(n_out, dtype=np.float64)
    if mode == "nearest":
        i = np.minimum(np.floor(dst * n_in / n_out).astype(int), n_in - 1)
        return i, i, np.zeros(n_out)
    if align:
        src = dst * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((dst + 0.5) * n_in / n_out - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    return i0, np.minimum(i0 + 1, n_in - 1), src - i0


def _jax_resize(x, size, mode, align):
    for axis, n_out in zip((-2, -1), size):
        i0, i1, lam = _resize_axis(x.shape[axis], n_out, mode, align)
        shape = [1] * x.ndim
        shape[axis] = n_out
        lam = jnp.asarray(lam).reshape(shape)
        x = jnp.take(x, i0, axis) * (1 - lam) + jnp.take(x, i1, axis) * lam
    return x


# -- cases: name -> builder(rng) -> (float inputs, ms fn, jax fn, smooth) ------------------------------------
def _conv(rng):
    n = int(rng.integers(1, 3))
    groups = int(rng.choice([1, 2]))
    c_in, c_out = 2 * groups, 2 * groups if rng.random() < 0.5 else groups
    stride, pad, dil = int(rng.integers(1, 3)), int(rng.integers(0, 2)), int(rng.integers(1, 3))
    k = int(rng.integers(1, 4))
    x = _draw(rng, (2, c_in) + (7,) * n)
    w = _draw(rng, (c_out, c_in // groups) + (k,) * n)
    b = _draw(rng, (c_out,))
    ms_op = ops.conv1d if n == 1 else ops.conv2d

    def ms(x, w, b):
        return ms_op(x, w, b, stride, "pad", pad, dil, groups)

    def jx(x, w, b):
        y = jax.lax.conv_general_dilated(x, w, (stride,) * n, [(pad, pad)] * n, rhs_dilation=(dil,) * n,
                                         feature_group_count=groups)
        return y + b.reshape((1, -1) + (1,) * n)
    return [x, w, b], ms, jx


def _max_pool(rng):
    k, s, p, d = int(rng.integers(2, 4)), int(rng.integers(1, 3)), 0, int(rng.integers(1, 3))
    p = int(rng.integers(0, k // 2 + 1))
    ceil = bool(rng.integers(2))
    x = _distinct(rng, (1, 2, 36)).reshape(1, 2, 6, 6)
    return [x], (lambda a: ops.max_pool2d(a, k, s, p, d, ceil_mode=ceil)), \
        (lambda a: _jax_pool(a, "max", (k, k), (s, s), (p, p), (d, d), ceil))


def _avg_pool(rng):
    one_d = rng.random() < 0.3
    k, s = int(rng.integers(2, 4)), int(rng.integers(1, 3))
    p = int(rng.integers(0, k // 2 + 1))
    ceil, inc = bool(rng.integers(2)), bool(rng.integers(2))
    if one_d:
        x = _draw(rng, (2, 3, 7))
        return [x], (lambda a: ops.avg_pool1d(a, k, s, p, ceil, inc)), \
            (lambda a: _jax_pool(a, "avg", (k,), (s,), (p,), (1,), ceil, inc))
    x = _draw(rng, (1, 2, 5, 6))
    return [x], (lambda a: ops.avg_pool2d(a, k, s, p, ceil, inc)), \
        (lambda a: _jax_pool(a, "avg", (k, k), (s, s), (p, p), (1, 1), ceil, inc))


def _gathers(rng):
    x = _draw(rng, (4, 5))
    kind = ["gather_nd", "index_select", "gather_elements", "take_along_axis", "gather_batch"][int(rng.integers(5))]
    if kind == "gather_nd":
        idx = np.stack([rng.integers(0, 4, 6), rng.integers(0, 5, 6)], -1).astype(np.int32)
        return [x], (lambda a: ops.gather_nd(a, Tensor(idx))), (lambda a: a[idx[:, 0], idx[:, 1]])
    if kind == "index_select":
        axis = int(rng.integers(2))
        idx = rng.integers(0, x.shape[axis], 7).astype(np.int32)
        return [x], (lambda a: ops.index_select(a, axis, Tensor(idx))), (lambda a: jnp.take(a, idx, axis))
    idx = rng.integers(0, 4, (3, 5)).astype(np.int64)
    if kind == "gather_elements":
        return [x], (lambda a: ops.gather_elements(a, 0, Tensor(idx))), \
            (lambda a: jnp.take_along_axis(a, idx, 0))
    if kind == "take_along_axis":
        return [x], (lambda a: ops.take_along_axis(a, Tensor(idx), axis=0)), \
            (lambda a: jnp.take_along_axis(a, idx, 0))
    idx2 = rng.integers(0, 5, (4, 3)).astype(np.int32)
    return [x], (lambda a: ops.gather(a, Tensor(idx2), 1, 1)), (lambda a: jnp.take_along_axis(a, idx2, 1))


def _scatters(rng):
    x, src = _draw(rng, (4, 5)), _draw(rng, (2, 5))
    rows = np.stack([rng.permutation(4)[:2] for _ in range(5)], 1).astype(np.int64)  # distinct per column
    cols = np.arange(5)[None].repeat(2, 0)
    kind = ["scatter", "tensor_scatter_elements", "tensor_scatter_add", "scatter_nd"][int(rng.integers(4))]
    if kind == "scatter":
        return [x, src], (lambda a, s: ops.scatter(a, 0, Tensor(rows), s)), \
            (lambda a, s: a.at[rows, cols].set(s))
    if kind == "tensor_scatter_elements":
        return [x, src], (lambda a, s: ops.tensor_scatter_elements(a, Tensor(rows), s, 0)), \
            (lambda a, s: a.at[rows, cols].set(s))
    pts = np.array([[0, 1], [2, 3], [0, 1], [3, 4]], np.int32)  # a repeated point: add accumulates
    u = _draw(rng, (4,))
    if kind == "tensor_scatter_add":
        return [x, u], (lambda a, s: ops.tensor_scatter_add(a, Tensor(pts), s)), \
            (lambda a, s: a.at[pts[:, 0], pts[:, 1]].add(s))
    return [u], (lambda s: ops.scatter_nd(Tensor(pts), s, (4, 5))), \
        (lambda s: jnp.zeros((4, 5)).at[pts[:, 0], pts[:, 1]].add(s))


def _sorts(rng):
    x = _distinct(rng, (3, 6))
    kind = ["sort", "sort_desc", "topk", "argsort"][int(rng.integers(4))]
    if kind == "sort":
        return [x], (lambda a: ops.sort(a, -1)[0]), (lambda a: jnp.sort(a, -1))
    if kind == "sort_desc":
        return [x], (lambda a: ops.sort(a, -1, descending=True)[0]), (lambda a: -jnp.sort(-a, -1))
    if kind == "topk":
        return [x], (lambda a: ops.topk(a, 3)[0]), (lambda a: jax.lax.top_k(a, 3)[0])
    return [x], (lambda a: ops.gather_elements(a, 1, ops.argsort(a, -1))), (lambda a: jnp.sort(a, -1))


def _cumulative(rng):
    axis = int(rng.integers(-2, 2))
    x = _draw(rng, (3, 4))
    if rng.random() < 0.5:
        return [x], (lambda a: ops.cumsum(a, axis)), (lambda a: jnp.cumsum(a, axis))
    if rng.random() < 0.3:
        x[1, 2] = 0.0  # cumprod's gradient through a zero (a division-based backward gets it wrong)
    return [x], (lambda a: ops.cumprod(a, axis)), (lambda a: jnp.cumprod(a, axis))


def _norms(rng):
    choices = [(None, None), (2, 1), (1, 0), (math.inf, 1), (-math.inf, 0), (3, 1), ("fro", None), (1, None),
               (math.inf, None), (2, None), ("nuc", None), (None, (0, 1)), (0.5, 1)]
    ord_, dim = choices[int(rng.integers(len(choices)))]
    keep = bool(rng.integers(2)) and dim is not None
    x = _distinct(rng, (3, 4)) * 1.5 + rng.choice([-0.1, 0.1], (3, 4))
    return [x], (lambda a: ops.norm(a, ord_, dim, keep)), (lambda a: jnp.linalg.norm(a, ord_, dim, keep))


def _linalg(rng):
    kind = ["inv", "det", "slogdet", "solve", "cholesky", "eigh_w", "eigh_v", "svd_s", "qr", "pinv",
            "matrix_inverse"][int(rng.integers(11))]
    n = 3
    a = _draw(rng, (n, n)) + 2.0 * np.eye(n)
    if kind in ("inv", "matrix_inverse"):
        op = ops.inverse if kind == "inv" else ops.matrix_inverse
        return [a], op, jnp.linalg.inv
    if kind == "det":
        return [a], ops.det, jnp.linalg.det
    if kind == "slogdet":
        return [a], (lambda m: ops.slogdet(m)[1]), (lambda m: jnp.linalg.slogdet(m)[1])
    if kind == "solve":
        b = _draw(rng, (n, 2))
        return [a, b], ops.solve, jnp.linalg.solve
    s = _spd(rng, n)
    if kind == "cholesky":
        return [s], (lambda m: ops.cholesky((m + m.T) * 0.5)), (lambda m: jnp.linalg.cholesky((m + m.T) * 0.5))
    if kind == "eigh_w":
        return [s], (lambda m: ops.eigh((m + m.T) * 0.5)[0]), (lambda m: jnp.linalg.eigh((m + m.T) * 0.5)[0])
    if kind == "eigh_v":  # v v^T per eigenvector: invariant to each eigenvector's sign
        return [s], (lambda m: _outer_cols(ops.eigh((m + m.T) * 0.5)[1], ops)), \
            (lambda m: _outer_cols(jnp.linalg.eigh((m + m.T) * 0.5)[1], jnp))
    b = _draw(rng, (4, 3))
    if kind == "svd_s":
        return [b], (lambda m: ops.svd(m, compute_uv=False)), (lambda m: jnp.linalg.svd(m, compute_uv=False))
    if kind == "qr":
        return [b], (lambda m: ops.qr(m)), (lambda m: tuple(jnp.linalg.qr(m)))
    return [b], ops.pinv, jnp.linalg.pinv


def _outer_cols(v, lib):
    return lib.matmul(v[:, 0:1], v[:, 0:1].T) + 2.0 * lib.matmul(v[:, 2:3], v[:, 2:3].T)


def _einsum(rng):
    eqs = [("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("ii->i", [(3, 3)]),
           ("ij->", [(3, 4)]), ("i,j->ij", [(3,), (4,)]), ("ij,ij->i", [(3, 4), (3, 4)]),
           ("ijk->kji", [(2, 3, 4)]), ("...ii->...i", [(2, 3, 3)]), ("iij,j", [(3, 3, 4), (4,)]), ("...j,jk->...k", [(2, 3, 4), (4, 2)]), ("ij,kj,k->i", [(3, 4), (2, 4), (2,)])]
    eq, shapes = eqs[int(rng.integers(len(eqs)))]
    return [_draw(rng, s) for s in shapes], (lambda *x: ops.einsum(eq, *x)), (lambda *x: jnp.einsum(eq, *x))


def _pad(rng):
    mode = ["constant", "reflect", "replicate"][int(rng.integers(3))]
    x = _draw(rng, (1, 2, 4, 5))
    pads = tuple(int(v) for v in rng.integers(0, 3, 4))
    value = 0.5 if mode == "constant" else None
    jmode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}[mode]
    widths = [(0, 0), (0, 0), (pads[2], pads[3]), (pads[0], pads[1])]
    kw = {"constant_values": 0.5} if mode == "constant" else {}
    return [x], (lambda a: ops.pad(a, pads, mode, value)), (lambda a: jnp.pad(a, widths, jmode, **kw))


def _interpolate(rng):
    mode = ["nearest", "bilinear"][int(rng.integers(2))]
    align = bool(rng.integers(2)) if mode == "bilinear" else None
    size = (int(rng.integers(2, 8)), int(rng.integers(2, 8)))
    x = _draw(rng, (1, 2, 4, 5))
    return [x], (lambda a: ops.interpolate(a, size=size, mode=mode, align_corners=align)), \
        (lambda a: _jax_resize(a, size, mode, bool(align)))


def _normalisations(rng):
    kind = ["layer_norm", "batch_norm_train", "batch_norm_eval"][int(rng.integers(3))]
    if kind == "layer_norm":
        x, g, b = _draw(rng, (3, 2, 4)), _draw(rng, (2, 4)), _draw(rng, (2, 4))

        def jx(x, g, b):
            m = x.mean((-2, -1), keepdims=True)
            v = ((x - m) ** 2).mean((-2, -1), keepdims=True)
            return (x - m) / jnp.sqrt(v + 1e-5) * g + b
        return [x, g, b], (lambda x, g, b: ops.layer_norm(x, (2, 4), g, b, 1e-5)), jx
    x, g, b = _draw(rng, (4, 3, 2, 2)), _draw(rng, (3,)), _draw(rng, (3,))
    rm, rv = rng.uniform(-0.5, 0.5, 3), rng.uniform(0.5, 2.0, 3)
    train = kind == "batch_norm_train"

    def jx(x, g, b):
        m, v = (x.mean((0, 2, 3)), x.var((0, 2, 3))) if train else (jnp.asarray(rm), jnp.asarray(rv))
        c = lambda t: t.reshape(1, 3, 1, 1)  # noqa: E731
        return (x - c(m)) / jnp.sqrt(c(v) + 1e-5) * c(g) + c(b)

    def ms(x, g, b):
        return ops.batch_norm(x, ops.cast(Tensor(rm), x.dtype), ops.cast(Tensor(rv), x.dtype), g, b, train, 0.1, 1e-5)
    return [x, g, b], ms, jx


def _special(rng):
    kind = ["softplus", "gelu", "gelu_tanh", "silu", "erf", "lgamma", "digamma", "erfc", "mish", "elu"][
        int(rng.integers(10))]
    x = _draw(rng, (3, 4))
    table = {
        "softplus": (ops.softplus, jax.nn.softplus), "gelu": (ops.gelu, lambda a: jax.nn.gelu(a, False)),
        "gelu_tanh": (lambda a: ops.gelu(a, "tanh"), lambda a: jax.nn.gelu(a, True)),
        "silu": (ops.silu, jax.nn.silu), "erf": (ops.erf, jss.erf), "erfc": (ops.erfc, jss.erfc),
        "lgamma": (lambda a: ops.lgamma(a * a + 0.5), lambda a: jss.gammaln(a * a + 0.5)),
        "digamma": (lambda a: ops.digamma(a * a + 0.5), lambda a: jss.digamma(a * a + 0.5)),
        "mish": (ops.mish, lambda a: a * jnp.tanh(jax.nn.softplus(a))),
        "elu": (ops.elu, jax.nn.elu),
    }
    return [x], table[kind][0], table[kind][1]


def _selection(rng):
    kind = ["clamp_tensor", "where_broadcast", "masked_fill"][int(rng.integers(3))]
    x = _draw(rng, (3, 4))
    if kind == "clamp_tensor":
        lo, hi = _draw(rng, (4,)) * 0.5 - 0.6, _draw(rng, (3, 1)) * 0.5 + 0.6
        keep = (np.abs(x - lo) > 0.02) & (np.abs(x - hi) > 0.02)
        x = np.where(keep, x, x + 0.1)
        return [x, lo, hi], ops.clamp, (lambda a, l, h: jnp.minimum(jnp.maximum(a, l), h))
    mask = rng.random((1, 4)) < 0.5
    if kind == "where_broadcast":
        y = _draw(rng, (3, 1))
        return [x, y], (lambda a, b: ops.where(Tensor(mask), a, b)), (lambda a, b: jnp.where(mask, a, b))
    return [x], (lambda a: ops.masked_fill(a * 2.0, Tensor(mask), 0.5)), (lambda a: jnp.where(mask, 0.5, a * 2.0))


def _complex(rng):
    kind = ["real", "imag", "abs", "angle", "mul_abs"][int(rng.integers(5))]
    a, b = _draw(rng, (3, 4)), _draw(rng, (3, 4))
    table = {
        "real": (lambda z: ops.real(z * z), lambda z: jnp.real(z * z)),
        "imag": (lambda z: ops.imag(z * z), lambda z: jnp.imag(z * z)),
        "abs": (ops.ComplexAbs(), jnp.abs), "angle": (ops.angle, jnp.angle),
        "mul_abs": (lambda z: ops.ComplexAbs()(z * ops.conj(z) + z), lambda z: jnp.abs(z * jnp.conj(z) + z)),
    }
    ms_f, jx_f = table[kind]
    return [a, b], (lambda x, y: ms_f(ops.complex(x, y))), (lambda x, y: jx_f(jax.lax.complex(x, y)))


CASES = {f.__name__[1:]: f for f in (_conv, _max_pool, _avg_pool, _gathers, _scatters, _sorts, _cumulative,
                                     _norms, _linalg, _einsum, _pad, _interpolate, _normalisations, _special,
                                     _selection, _complex)}
LOW_PRECISION = ("special", "selection", "cumulative", "einsum", "pad", "gathers")  # float16 / bfloat16 too


# -- complex inputs: gradserve's (MindSpore's) cotangent convention is the conjugate of JAX's -----------------
def complex_inputs(rng):
    """(complex inputs as float64-part arrays, ms fn, jax fn) over complex z (and w): holomorphic and not."""
    kind = ["poly", "exp_sin", "matmul", "abs", "conj_mul", "real_imag", "angle", "div", "sum_prod"][
        int(rng.integers(9))]
    z = _draw(rng, (2, 3)) + 1j * _draw(rng, (2, 3))
    w = _draw(rng, (2, 3)) + 1j * _draw(rng, (2, 3))
    table = {
        "poly": (lambda a, b: a * a * b + b, lambda a, b: a * a * b + b),
        "exp_sin": (lambda a, b: ops.exp(a * 0.5) * ops.sin(b), lambda a, b: jnp.exp(a * 0.5) * jnp.sin(b)),
        "matmul": (lambda a, b: ops.matmul(a, b.T), lambda a, b: a @ b.T),
        "abs": (lambda a, b: ops.ComplexAbs()(a * b), lambda a, b: jnp.abs(a * b)),
        "conj_mul": (lambda a, b: ops.conj(a) * b, lambda a, b: jnp.conj(a) * b),
        "real_imag": (lambda a, b: ops.real(a) * ops.imag(b), lambda a, b: jnp.real(a) * jnp.imag(b)),
        "angle": (lambda a, b: ops.angle(a * b), lambda a, b: jnp.angle(a * b)),
        "div": (lambda a, b: a / (b * b + 3.0), lambda a, b: a / (b * b + 3.0)),
        "sum_prod": (lambda a, b: ops.sum(a * b, 1), lambda a, b: jnp.sum(a * b, 1)),
    }
    return [z, w], table[kind][0], table[kind][1], kind
