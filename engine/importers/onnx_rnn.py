"""ONNX LSTM, GRU and RNN, unrolled over the (static) sequence: per step a matmul with the recurrent
weights and the gate arithmetic, so gradients reach the input, W, R, B and the initial states.
Forward, reverse and bidirectional; default activations only. Importing this module registers them."""
from __future__ import annotations

import numpy as np

from .graph_writer import UnsupportedModel
from .onnx_ops import _ins, handles

_DEFAULT_ACTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}


def _acts_ok(node, attrs, dirs):
    acts = attrs.get("activations")
    if node.op_type == "RNN" and acts is not None and len(set(acts)) == 1 and acts[0] in ("Tanh", "Relu"):
        acts = None  # RNN: tanh or relu, the same in each direction
    if acts is not None and [a.decode() if isinstance(a, bytes) else a for a in acts] != _DEFAULT_ACTS[node.op_type] * dirs:
        raise UnsupportedModel(f"{node.op_type} activations {list(acts)} (only the defaults)")
    for a in ("clip", "activation_alpha", "activation_beta"):
        if attrs.get(a) is not None:
            raise UnsupportedModel(f"{node.op_type} attribute {a}")
    if attrs.get("input_forget", 0):
        raise UnsupportedModel("LSTM input_forget=1")


def _at(w, x, d):
    """x[d] of a [D, ...] tensor."""
    s = w.shape(x)
    return w.index(x, [d] + [[0, n, 1] for n in s[1:]])


class _Rnn:
    """What LSTM and GRU share: operands read per direction, the input projection of all steps at
    once, the step order, and the outputs in ONNX's layouts."""

    def __init__(self, ctx, node, attrs, gates: int):
        self.w, self.i = ctx.w, _ins(node)
        w, i = self.w, self.i
        self.layout = int(attrs.get("layout", 0))
        x = ctx.val(i[0])
        self.x = w.transpose(x, [1, 0, 2]) if self.layout else x  # [seq, batch, in]
        self.seq, self.batch, _ = w.shape(self.x)
        self.hidden = int(attrs.get("hidden_size") or w.shape(ctx.val(i[2]))[-1])
        direction = attrs.get("direction", "forward")
        direction = direction.decode() if isinstance(direction, bytes) else direction
        if direction not in ("forward", "reverse", "bidirectional"):
            raise UnsupportedModel(f"{node.op_type} direction {direction!r}")
        self.dirs = ["forward", "reverse"] if direction == "bidirectional" else [direction]
        _acts_ok(node, attrs, len(self.dirs))
        self.lens = None  # per batch element, when some sequences end early (a packed batch's lengths)
        if i[4]:
            lens = np.asarray(ctx.cval(i[4], node)).reshape(-1)  # a run-time one is refused there, naming it
            if lens.shape != (self.batch,) or np.any(lens < 0) or np.any(lens > self.seq):
                raise UnsupportedModel(f"{node.op_type} sequence_lens {lens.tolist()}: not one length in "
                                       f"[0, {self.seq}] per batch element ({self.batch})")
            self.lens = None if np.all(lens == self.seq) else lens
        self.W, self.R = ctx.val(i[1]), ctx.val(i[2])
        self.B = ctx.val(i[3]) if i[3] else None
        self.gates = gates

    def state0(self, ctx, pos: int, d: int) -> str:
        w, name = self.w, self.i[pos]
        if not name:
            return w.const(np.zeros((self.batch, self.hidden), w.dtype(self.x)))
        h = ctx.val(name)
        h = w.transpose(h, [1, 0, 2]) if self.layout else h
        want = [len(self.dirs), self.batch, self.hidden]
        if list(w.shape(h)) != want:  # e.g. an exporter's LSTM with projections: ONNX's LSTM has none
            raise UnsupportedModel(f"initial state {name!r} of shape {list(w.shape(h))}, the op's is {want} "
                                   f"(directions, batch, hidden_size {self.hidden})")
        return _at(w, h, d)

    def projected(self, d: int):
        """X W^T (+ Wb) for every step: [seq, batch, G*H]; R[d]; Rb[d] or None."""
        w, gh = self.w, self.gates * self.hidden
        xw = w.matmul(self.x, _at(w, self.W, d), transpose_b=True)
        rb = None
        if self.B is not None:
            b = _at(w, self.B, d)
            wb, rb = w.split(b, [gh, gh], 0)
            xw = w.add(xw, wb)
        return xw, _at(w, self.R, d), rb

    def steps(self, d: int):
        return range(self.seq - 1, -1, -1) if self.dirs[d] == "reverse" else range(self.seq)

    def masked(self, t: int, new: str, old: str | None) -> str:
        """`new` for the batch elements whose sequence covers step t, `old` (None: zeros, an output)
        past its end: the state is carried unchanged there (a reverse direction starts at its own last
        step), as ONNX's sequence_lens says."""
        inside = None if self.lens is None else (t < self.lens)
        if inside is None or inside.all():
            return new
        w = self.w
        old = old if old is not None else w.const(np.zeros(w.shape(new), w.dtype(new)))
        return old if not inside.any() else w.where(w.const(inside.reshape(-1, 1)), new, old)

    def step_input(self, xw, t):
        s = self.w.shape(xw)
        return self.w.index(xw, [t, [0, s[1], 1], [0, s[2], 1]])

    def outputs(self, hs_per_dir: list, finals: list) -> list:
        """Y [seq, D, batch, H] (layout 1: [batch, seq, D, H]) and each final state [D, batch, H]."""
        w = self.w
        y = w.stack([w.stack(hs, 0) for hs in hs_per_dir], 1)
        outs = [w.transpose(y, [2, 0, 1, 3]) if self.layout else y]
        for states in finals:
            s = w.stack(states, 0)
            outs.append(w.transpose(s, [1, 0, 2]) if self.layout else s)
        return outs


def _sig(w, x):
    return w.unary("sigmoid", x)


def _tanh(w, x):
    return w.unary("tanh", x)


@handles("LSTM")
def _lstm(ctx, node, attrs):
    r = _Rnn(ctx, node, attrs, 4)
    w, H = r.w, r.hidden
    P = ctx.val(r.i[7]) if r.i[7] else None
    ys, hs_final, cs_final = [], [], []
    for d in range(len(r.dirs)):
        xw, R, rb = r.projected(d)
        h, c = r.state0(ctx, 5, d), r.state0(ctx, 6, d)
        peep = w.split(_at(w, P, d), [H] * 3, 0) if P is not None else None  # i, o, f
        out = [None] * r.seq
        for t in r.steps(d):
            z = w.add(r.step_input(xw, t), w.matmul(h, R, transpose_b=True))
            z = w.add(z, rb) if rb is not None else z
            zi, zo, zf, zc = w.split(z, [H] * 4, 1)
            if peep is not None:
                zi, zf = w.add(zi, w.mul(peep[0], c)), w.add(zf, w.mul(peep[2], c))
            c_new = w.add(w.mul(_sig(w, zf), c), w.mul(_sig(w, zi), _tanh(w, zc)))
            if peep is not None:
                zo = w.add(zo, w.mul(peep[1], c_new))
            h_new = w.mul(_sig(w, zo), _tanh(w, c_new))
            out[t] = r.masked(t, h_new, None)
            h, c = r.masked(t, h_new, h), r.masked(t, c_new, c)
        ys.append(out)
        hs_final.append(h)
        cs_final.append(c)
    return r.outputs(ys, [hs_final, cs_final])


@handles("GRU")
def _gru(ctx, node, attrs):
    r = _Rnn(ctx, node, attrs, 3)
    w, H = r.w, r.hidden
    before_reset = bool(attrs.get("linear_before_reset", 0))
    ys, hs_final = [], []
    for d in range(len(r.dirs)):
        xw, R, rb = r.projected(d)
        rz, rr, rh = w.split(R, [H] * 3, 0)
        bz, br, bh = w.split(rb, [H] * 3, 0) if rb is not None else (None, None, None)
        h = r.state0(ctx, 5, d)
        out = [None] * r.seq
        for t in r.steps(d):
            xz, xr, xh = w.split(r.step_input(xw, t), [H] * 3, 1)

            def rec(hv, rm, bias):
                m = w.matmul(hv, rm, transpose_b=True)
                return w.add(m, bias) if bias is not None else m
            z = _sig(w, w.add(xz, rec(h, rz, bz)))
            rg = _sig(w, w.add(xr, rec(h, rr, br)))
            hh = _tanh(w, w.add(xh, w.mul(rg, rec(h, rh, bh)) if before_reset else rec(w.mul(rg, h), rh, bh)))
            h_new = w.add(w.mul(w.sub(w.scalar_like(1.0, z), z), hh), w.mul(z, h))
            out[t] = r.masked(t, h_new, None)
            h = r.masked(t, h_new, h)
        ys.append(out)
        hs_final.append(h)
    return r.outputs(ys, [hs_final])


@handles("RNN")
def _rnn(ctx, node, attrs):
    r = _Rnn(ctx, node, attrs, 1)
    w = r.w
    act = "relu" if (attrs.get("activations") or ["Tanh"])[0] == "Relu" else "tanh"
    ys, hs_final = [], []
    for d in range(len(r.dirs)):
        xw, R, rb = r.projected(d)
        h = r.state0(ctx, 5, d)
        out = [None] * r.seq
        for t in r.steps(d):
            z = w.add(r.step_input(xw, t), w.matmul(h, R, transpose_b=True))
            h_new = w.unary(act, w.add(z, rb) if rb is not None else z)
            out[t] = r.masked(t, h_new, None)
            h = r.masked(t, h_new, h)
        ys.append(out)
        hs_final.append(h)
    return r.outputs(ys, [hs_final])
