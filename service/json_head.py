"""A JSON body refused as it inflates, as soon as its bytes show it cannot be JSON text (codec.loads' parse would
refuse it): 200 MB of NUL sent gzipped (200 KB, within max_body_bytes) was inflated whole and parsed, 1.7-2.1 s of
the server's CPU, before its 400 "not valid JSON".

Only what the parse surely refuses: the first character that is not whitespace must start a value (orjson's, or
json's, which reads NaN and Infinity too); the encoding is json's own guess from the first 4 bytes (`json.loads`
reads UTF-16 and UTF-32 bytes, orjson then having refused them). In a UTF-8 body that is JSON text whole (not the
binary extension's header), a control byte other than tab, CR and LF is never valid (whitespace may not hold one, a
string must escape it, a UTF-8 sequence's bytes are all >= 0x80), so `{"a": "` and 200 MB of NUL stop at the NUL.
"""
from __future__ import annotations

import codecs
import json
import re

from .errors import NotJson

WHOLE, HEAD = "whole", "head"  # the body is JSON text / starts with JSON text (a binary extension's header)
_STARTS = '{["-0123456789tfnNI'  # (N, I: json's NaN and Infinity)
_SPACE = " \t\r\n"
_NON_SPACE = re.compile(rb"[^ \t\r\n]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
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
        if not self.head_done:
            self._head(out, hi)
        if self.mode == WHOLE and self.enc.startswith("utf-8"):
            m = _CONTROL.search(out, self.scanned, hi)
            if m is not None:
                raise _not_json(f"a control character (byte 0x{out[m.start()]:02x})", m.start())
            self.scanned = hi

    def _head(self, out, hi: int) -> None:
        if self.enc.startswith("utf-8"):
            m = _NON_SPACE.search(out, max(self.blank, 3 if self.enc == "utf-8-sig" else 0), hi)
            if m is None:
                self.blank = hi  # (whitespace so far: the next bytes are looked at)
                return
            self.head_done = True
            if chr(out[m.start()]) not in _STARTS:
                raise _not_json(f"{bytes(out[m.start():m.start() + 1])!r} where a value starts", m.start())
            return
        try:
            text = codecs.getincrementaldecoder(self.enc)("strict").decode(bytes(out[:min(hi, _WIDE_HEAD)]))
        except UnicodeDecodeError:
            text = ""  # (the parse words it)
        first = text.lstrip(_SPACE)[:1]
        self.head_done = bool(first) or hi >= _WIDE_HEAD
        if first and first not in _STARTS:
            raise _not_json(f"{first!r} ({self.enc}) where a value starts", None)


def _not_json(what: str, at: int | None) -> NotJson:
    where = f" at byte {at} of its decompressed bytes" if at is not None else ""
    return NotJson(f"the body is not valid JSON: {what}{where}, refused as it was inflated")
