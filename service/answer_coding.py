"""An inference answer compressed as its client asks (Accept-Encoding), as Triton's HTTP frontend does.

Triton compresses an inference's answer with the coding of the highest q among gzip, deflate and identity in
Accept-Encoding (http_server.cc CompressionTypeUsed; a malformed entry or q skipped, identity when none wins).
tritonclient asks only when told (`response_compression_algorithm`); httpx and aiohttp (KServe's client,
tritonclient.http.aio) ask `gzip, deflate` by default, so their answers are compressed too, as Triton's are.
One choice of this server's: zlib level 1, not Triton's level 6 (RFC 9110 leaves it to the server): a JSON answer
shrinks to 0.48 of its size instead of 0.44 at ~6 times less CPU (89 against 14 MB/s); a binary float answer to
0.93 at either level (32 MB/s). Every answer is compressed when asked, small ones too, as Triton's are.
The compression's CPU time is charged to the client's parse share (service.parse_share), as a compressed
request's inflation is: a client asking compressed answers is checked against it before its job runs
(`check`), and charged after (`compressed`), never refused once its answer is computed.
"""
from __future__ import annotations

import zlib

from .json_decoder import cpu_time

CODINGS = ("identity", "deflate", "gzip")
LEVEL = 1
_WBITS = {"gzip": 31, "deflate": 15}  # (Triton's deflate is zlib's format, as tritonclient's zlib.decompress reads)


def chosen(accept: str | None) -> str | None:
    """"gzip" or "deflate" where Triton's CompressionTypeUsed picks it from an Accept-Encoding value, else None."""
    if not accept:
        return None
    best, weight = "identity", 0.0
    for entry in accept.split(","):
        name, _, q = entry.strip().partition(";")
        q = q.strip()
        try:
            w = float(q[2:]) if q.startswith("q=") else 1.0 if not q else None
        except ValueError:
            w = None
        if w is not None and name.lower() in CODINGS and w > weight:
            best, weight = name.lower(), w
    return None if best == "identity" else best


def compress(body: bytes, coding: str) -> bytes:
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS[coding])
    return c.compress(body) + c.flush()


def compressed(body: bytes, coding: str, share, client: str) -> bytes:
    """`body` compressed per `coding`, its CPU time charged to `client` in `share` (a ParseShare; None: not
    charged)."""
    t0 = cpu_time()
    try:
        return compress(body, coding)
    finally:
        if share is not None:
            share.spend(client, cpu_time() - t0)
