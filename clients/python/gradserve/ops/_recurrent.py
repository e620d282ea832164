"""The recurrent step shared by nn.LSTM / GRU / RNN (and their cells) and MindSpore's ops.LSTM primitive:
gates stacked as MindSpore 2.10's CPU kernels stack them (LSTM (i, f, g, o), GRU (r, z, n), PyTorch's order).

ops.LSTM(input_size, hidden_size, num_layers, has_bias, bidirectional, dropout, proj_size=0)(x, h, c, w): its
CPU form, one layer (MindSpore's oneDNN kernel refuses more), w flat [N, 1, 1] laid out as that kernel reads
it (checked against MindSpore 2.10 for this task, 1e-7): every direction's w_ih [4H, in], then every w_hh
[4H, R], then (proj_size > 0) every w_hr [proj, H], then (has_bias) every bias [4H] (b_ih + b_hh, one vector);
elements after those are ignored, as that kernel ignores them.
R = proj_size or hidden_size. Outputs (output [T, B, D * R], h_n [D, B, R], c_n [D, B, H], reserve, state):
reserve and state are MindSpore's kernel workspaces, zeros [1, 1] here."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._ms_more import _Fn

__all__ = ["LSTM"]


def linear(x, w, b):
    y = P.matmul(x, w, transpose_b=True)
    return y if b is None else y + b


def _chunks(t, n: int, size: int):
    return [t[:, k * size:(k + 1) * size] for k in range(n)]


def step(mode: str, gx, h, c, w_hh, b_hh, hidden: int):
    """One time step from gx = x W_ih^T + b_ih (already computed for the whole sequence): (h', c')."""
    gh = linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = [a + b for a, b in zip(_chunks(gx, 4, hidden), _chunks(gh, 4, hidden))]
        c = P.sigmoid(f) * c + P.sigmoid(i) * P.tanh(g)
        return P.sigmoid(o) * P.tanh(c), c
    if mode == "GRU":
        (ri, zi, ni), (rh, zh, nh) = _chunks(gx, 3, hidden), _chunks(gh, 3, hidden)
        r, z = P.sigmoid(ri + rh), P.sigmoid(zi + zh)
        n = P.tanh(ni + r * nh)
        return (1.0 - z) * n + z * h, c
    pre = gx + gh
    return (P.tanh(pre) if mode == "RNN_TANH" else P.relu(pre)), c


def _int(where: str, name: str, v, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"For '{where}', the '{name}' must be int, but got {type(v).__name__}.")
    if v < low:
        raise ValueError(f"For '{where}', the '{name}' must be >= {low}, but got {v}.")
    return v


class LSTM(_Fn):
    """ops.LSTM(input_size, hidden_size, num_layers, has_bias, bidirectional, dropout, proj_size=0)(x, h, c, w)
    -> (output, h_n, c_n, reserve, state): see the module's docstring for w's layout."""

    def __init__(self, input_size, hidden_size, num_layers, has_bias, bidirectional, dropout, proj_size=0):
        super().__init__()
        self.input_size, self.hidden_size = _int("LSTM", "input_size", input_size, 1), \
            _int("LSTM", "hidden_size", hidden_size, 1)
        self.num_layers = _int("LSTM", "num_layers", num_layers, 1)
        for name, v in (("has_bias", has_bias), ("bidirectional", bidirectional)):
            if not isinstance(v, bool):
                raise TypeError(f"For 'LSTM', the '{name}' must be bool, but got {type(v).__name__}.")
        if not isinstance(dropout, float) or not 0.0 <= dropout <= 1.0:
            raise (TypeError if not isinstance(dropout, float) else ValueError)(
                f"For 'LSTM', the 'dropout' must be a float in [0.0, 1.0], but got {dropout!r}.")
        self.proj_size = _int("LSTM", "proj_size", proj_size, 0)
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"For 'LSTM', the 'proj_size' must be in [0, hidden_size {hidden_size}), but got "
                             f"{proj_size}.")
        self.has_bias, self.bidirectional, self.dropout = has_bias, bidirectional, dropout

    def _unpack(self, w):
        """w's pieces per direction: (w_ih, w_hh, w_hr or None, bias or None)."""
        d, hid, proj = 2 if self.bidirectional else 1, self.hidden_size, self.proj_size
        shapes = [("ih", (4 * hid, self.input_size)), ("hh", (4 * hid, proj or hid))]
        shapes += [("hr", (proj, hid))] if proj else []
        shapes += [("b", (4 * hid,))] if self.has_bias else []
        need = d * sum(int(np.prod(s)) for _, s in shapes)
        # MindSpore 2.10's CPU kernel reads the first `need` elements and ignores any after them (its docs'
        # example passes 112 for 104: b_hh's room, never read); fewer it would read past the end
        if w.ndim != 3 or int(np.prod(w.shape)) < need:
            raise ValueError(f"For 'LSTM', the weight w must be [{need}, 1, 1] (or longer: the rest unused) for this "
                             f"configuration, but got {list(w.shape)}.")
        flat, at, parts = P.reshape(w, (-1,)), 0, {}
        for kind, shape in shapes:
            n = int(np.prod(shape))
            parts[kind] = [P.reshape(flat[at + k * n:at + (k + 1) * n], shape) for k in range(d)]
            at += d * n
        return [tuple(parts.get(kind, [None] * d)[k] for kind in ("ih", "hh", "hr", "b")) for k in range(d)]

    def __call__(self, x, h, c, w):
        if self.num_layers != 1:
            raise ValueError(f"For 'LSTM', num_layers {self.num_layers} is not supported on CPU (MindSpore 2.10's "
                             f"kernel runs one layer; stack ops.LSTM calls, as nn.LSTM does)")
        for name, t in (("x", x), ("h", h), ("c", c), ("w", w)):
            if not isinstance(t, Tensor):
                raise TypeError(f"For 'LSTM', the '{name}' must be a Tensor, but got {type(t).__name__}.")
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"For 'LSTM', x must be [seq_len, batch, {self.input_size}], but got {list(x.shape)}.")
        outs, hs, cs = [], [], []
        for d, (w_ih, w_hh, w_hr, b) in enumerate(self._unpack(w)):
            out, h_n, c_n = self._direction(x, h[d], c[d], w_ih, w_hh, w_hr, b, reverse=bool(d))
            outs.append(out)
            hs.append(h_n)
            cs.append(c_n)
        zeros = Tensor(np.zeros((1, 1), x._dtype))
        return (outs[0] if len(outs) == 1 else P.concat(outs, -1)), P.stack(hs, 0), P.stack(cs, 0), zeros, zeros

    def _direction(self, x, h, c, w_ih, w_hh, w_hr, b, reverse: bool):
        steps, batch = x.shape[0], x.shape[1]
        gx = P.reshape(linear(P.reshape(x, (steps * batch, x.shape[2])), w_ih, b), (steps, batch, -1))
        outs = [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            h, c = step("LSTM", gx[t], h, c, w_hh, None, self.hidden_size)
            h = h if w_hr is None else linear(h, w_hr, None)
            outs[t] = h
        return P.stack(outs, 0), h, c
