"""A JSON body refused as it inflates, as soon as its bytes show it cannot be JSON text (codec.loads' parse would
refuse it): 200 MB of NUL sent gzipped (200 KB, within max_body_bytes) was inflated whole and parsed, 1.7-2.1 s of
the server's CPU, before its 400 "not valid JSON".

Only what the parse surely refuses: the first character that is not whitespace must start a value (orjson's, or
json's, which reads NaN and Infinity too); the encoding is json's own guess from the first 4 bytes (`json.loads`
reads UTF-16 and UTF-32 bytes, orjson then having refused them). In a UTF-8 body that is JSON text whole (not the
binary extension's header), a control byte other than tab, CR and LF is never valid (whitespace may not hold one, a
string must escape it, a UTF-8 sequence's bytes are all >= 0x80), so `{"a": "` and 200 MB of NUL stop at the NUL.
Cost: NumPy over each inflated MiB, ~0.2-1 ms (inflating it ~3 ms; a regex scan of it was ~7 ms).
"""
from __future__ import annotations

import codecs
import json

import numpy as np

from .errors import NotJson

WHOLE, HEAD = "whole", "head"  # the body is JSON text / starts with JSON text (a binary extension's header)
_STARTS = '{["-0123456789tfnNI'  # (N, I: json's NaN and Infinity)
_SPACE = " \t\r\n"
_WIDE_HEAD = 64  # bytes of a UTF-16 / 32 body looked at for its first character (past: the parse decides)


class Watch:
    """Looks at a body's bytes as they are inflated (`see`), raising NotJson once they cannot be JSON text;
    `mode` None: looks at nothing."""

    def __init__(self, mode: str | None):
        self.mode, self.enc, self.head_done, self.scanned, self.blank = mode, None, mode is None, 0, 0

    def see(self, out, lo: int, hi: int) -> None:
        """`out[lo:hi]` was just written (out[:lo] seen before)."""
        if self.mode is None or hi < 4:  # (a body under 4 bytes: the parse decides)
            return
        if self.enc is None:
            self.enc = json.detect_encoding(bytes(out[:4]))
        utf8 = self.enc.startswith("utf-8")
        if not self.head_done:
            self._head(out, hi) if utf8 else self._wide_head(out, hi)
        if self.mode == WHOLE and utf8:
            at = _control(np.frombuffer(out[self.scanned:hi], np.uint8))  # (a copy: no view of `out` to outlive it)
            if at >= 0:
                raise _not_json(f"a control character (byte 0x{out[self.scanned + at]:02x})", self.scanned + at)
            self.scanned = hi

    def _head(self, out, hi: int) -> None:
        lo = max(self.blank, 3 if self.enc == "utf-8-sig" else 0)
        a = np.frombuffer(out[lo:hi], np.uint8)
        above = a > 0x20  # (the first such byte ends the whitespace; a control byte before it is no whitespace)
        i = int(above.argmax())
        lead = i if above[i] else len(a)
        at = _control(a[:lead])
        if at >= 0:
            raise _not_json(f"{bytes(a[at:at + 1])!r} where a value starts", lo + at)
        if not above[i]:
            self.blank = hi  # (whitespace so far: the next bytes are looked at)
            return
        self.head_done = True
        if chr(a[i]) not in _STARTS:
            raise _not_json(f"{bytes(a[i:i + 1])!r} where a value starts", lo + i)

    def _wide_head(self, out, hi: int) -> None:
        try:
            text = codecs.getincrementaldecoder(self.enc)("strict").decode(bytes(out[:min(hi, _WIDE_HEAD)]))
        except UnicodeDecodeError:
            text = ""  # (the parse words it)
        first = text.lstrip(_SPACE)[:1]
        self.head_done = bool(first) or hi >= _WIDE_HEAD
        if first and first not in _STARTS:
            raise _not_json(f"{first!r} ({self.enc}) where a value starts", None)


def _control(a: np.ndarray) -> int:
    """The index of the first byte of `a` below 0x20 other than tab, LF and CR, or -1 (one comparison over bytes
    holding none: ~0.2 ms a MiB)."""
    low = a < 0x20
    if not low.any():
        return -1
    at = np.flatnonzero(low)
    v = a[at]
    bad = (v != 0x09) & (v != 0x0A) & (v != 0x0D)
    j = int(bad.argmax())
    return int(at[j]) if bad[j] else -1


def _not_json(what: str, at: int | None) -> NotJson:
    where = f" at byte {at} of its decompressed bytes" if at is not None else ""
    return NotJson(f"the body is not valid JSON: {what}{where}, refused as it was inflated")
