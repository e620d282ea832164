"""StableHLO rng_bit_generator (lax.rng_bit_generator; jax.random with the "rbg" / "unsafe_rbg" key
implementations) and the integer bitcasts around it, exactly, from the engine's wrapping integer arithmetic.

rng_bit_generator is deterministic given its state: XLA's Philox-4x32-10 (the DEFAULT algorithm's on CPU and GPU,
and PHILOX) with a u64[2] state s reads its key from s[0] (low word first) and a 128-bit counter s[0] * 2^64 + s[1];
block i (i = 0, 1, ...) is Philox of counter + i, its four words in order, the blocks concatenated and cut to the
output's size (u32 outputs); the new state is [s[0], s[1] + blocks]. Checked bit for bit against XLA (a counter that
carries into s[0]'s half included). THREE_FRY, u64[3] states and other output types are refused by name.
A 32 x 32-bit product is exact in uint64; its high word is (p - low word) / 2^32, exact through float64 (a multiple
of 2^32 below 2^64 has at most 32 significant bits)."""
from __future__ import annotations

import numpy as np

from ._shared.graph_writer import GraphWriter, UnsupportedModel
from ._shared.bits import shift_right

_M = 0xFFFFFFFF
_PHILOX_M = (0xD2511F53, 0xCD9E8D57)
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)


def _lo32(w: GraphWriter, u: str) -> str:
    return w.binary("bitwise_and", u, w.scalar_like(_M, u))


def _hi32(w: GraphWriter, u: str) -> str:
    """u >> 32 of a uint64 u."""
    top = w.cast(w.sub(u, _lo32(w, u)), "float64")
    return w.cast(w.div(top, w.scalar_like(2.0 ** 32, top)), "uint64")


def _philox(w: GraphWriter, c: list[str], k: list[str]) -> list[str]:
    """Philox-4x32-10 of counter words c (uint64 tensors holding 32-bit values) under key words k."""
    for r in range(10):
        if r:
            k = [_lo32(w, w.add(kj, w.scalar_like(wj, kj))) for kj, wj in zip(k, _PHILOX_W)]
        p0, p1 = w.mul(c[0], w.scalar_like(_PHILOX_M[0], c[0])), w.mul(c[2], w.scalar_like(_PHILOX_M[1], c[2]))
        c = [w.binary("bitwise_xor", w.binary("bitwise_xor", _hi32(w, p1), c[1]), k[0]), _lo32(w, p1),
             w.binary("bitwise_xor", w.binary("bitwise_xor", _hi32(w, p0), c[3]), k[1]), _lo32(w, p0)]
    return c


def rng_bit_generator(w: GraphWriter, algorithm: str, state: str, out_aval: tuple) -> list[str]:
    """(the new state, the bits) of rng_bit_generator of `state` giving `out_aval` = (shape, dtype)."""
    (sshape, sdtype), (oshape, odtype) = (list(w.shape(state)), w.dtype(state)), out_aval
    if algorithm not in ("DEFAULT", "PHILOX"):
        raise UnsupportedModel(f"rng_bit_generator algorithm {algorithm} (DEFAULT and PHILOX are mapped)")
    if sshape != [2] or sdtype != "uint64" or odtype != "uint32":
        raise UnsupportedModel(f"rng_bit_generator of a {sdtype}{sshape} state giving {odtype} (a uint64[2] state "
                               "giving uint32 is mapped)")
    n = int(np.prod(oshape, dtype=np.int64))
    blocks = -(-n // 4)
    s0, s1 = (w.reshape(w.index(state, [[j, j + 1, 1]]), []) for j in (0, 1))
    lo = w.add(w.broadcast_to(s1, [blocks]), w.const(np.arange(blocks, dtype=np.uint64)))  # wraps mod 2^64
    hi = w.add(w.broadcast_to(s0, [blocks]), w.cast(w.binary("less", lo, w.broadcast_to(s1, [blocks])), "uint64"))
    words = _philox(w, [_lo32(w, lo), _hi32(w, lo), _lo32(w, hi), _hi32(w, hi)], [_lo32(w, s0), _hi32(w, s0)])
    bits = w.reshape(w.stack(words, 1), [4 * blocks])
    out = w.reshape(w.cast(w.index(bits, [[0, n, 1]]) if n < 4 * blocks else bits, "uint32"), oshape)
    new_state = w.concat([w.reshape(s0, [1]), w.reshape(w.add(s1, w.scalar_like(blocks, s1)), [1])], 0)
    return [new_state, out]


def int_bitcast(w: GraphWriter, x: str, dtype: str, shape: list) -> str:
    """bitcast_convert between integer types: same width (a wrapping cast), narrow -> wide (the last axis' words
    composed, the first the lowest, little-endian as XLA lays them) or wide -> narrow (a new last axis of words)."""
    src = w.dtype(x)
    sb, db = np.dtype(src).itemsize * 8, np.dtype(dtype).itemsize * 8
    if sb == db:
        return w.cast(x, dtype)
    wide = "uint" + str(max(sb, db))
    if sb < db:
        r = db // sb
        u = w.cast(w.cast(x, "u" + src.lstrip("u")), wide)  # each word's unsigned value
        pieces = [w.reshape(w.index(u, [[0, s, 1] for s in w.shape(u)[:-1]] + [[j, j + 1, 1]]), shape)
                  for j in range(r)]
        total = pieces[0]
        for j in range(1, r):
            total = w.add(total, w.mul(pieces[j], w.scalar_like(2 ** (sb * j), pieces[j])))
        return w.cast(total, dtype)
    r = sb // db
    u = w.cast(x, wide)
    pieces = []
    for j in range(r):
        v = shift_right(w, u, db * j)
        pieces.append(w.cast(w.cast(w.binary("bitwise_and", v, w.scalar_like(2 ** db - 1, v)), "uint" + str(db)),
                             dtype))
    return w.stack(pieces, len(w.shape(x)))
