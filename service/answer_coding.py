"""An inference answer compressed as its client asks (Accept-Encoding), as Triton's HTTP frontend does.

Triton compresses an inference's answer with the coding of the highest q among gzip, deflate and identity in
Accept-Encoding (http_server.cc CompressionTypeUsed; a malformed entry or q skipped, identity when none wins).
tritonclient asks only when told (`response_compression_algorithm`); httpx and aiohttp (KServe's client,
tritonclient.http.aio) ask `gzip, deflate` by default, so their answers are compressed too, as Triton's are.
Two choices of this server's (RFC 9110 lets a server send identity unless the client refuses it, `identity;q=0`):
- zlib level 1, not Triton's level 6: a JSON answer shrinks to 0.48 of its size instead of 0.44 at ~6 times less
  CPU (89 against 14 MB/s).
- an answer that would not shrink is sent as it is: binary float tensors shrink to ~0.93 at either level, at
  ~32 MB/s (a 1 MiB binary answer on loopback took 110 ms compressed instead of 8 ms). Answers past SAMPLE bytes
  are tried on SAMPLE bytes from four places first; one that keeps more than KEEP of its size goes uncompressed.
The CPU time of both is charged to the client's parse share (service.parse_share), as a compressed request's
inflation is: a client asking compressed answers is checked against it before its job runs (the caller), and
charged after (`encoded`), never refused once its answer is computed.
"""
from __future__ import annotations

import zlib

from .json_decoder import cpu_time

CODINGS = ("identity", "deflate", "gzip")
LEVEL = 1
SAMPLE = 1 << 16
KEEP = 0.9
_WBITS = {"gzip": 31, "deflate": 15}  # (Triton's deflate is zlib's format, as tritonclient's zlib.decompress reads)


def weights(accept: str | None) -> dict:
    """{coding: q} of an Accept-Encoding value, as Triton's CompressionTypeUsed reads it (an entry whose q does not
    parse skipped; no q: 1), and as RFC 9110 writes it where Triton's reads less: names of any case, spaces around
    `;` (Triton skips `gzip; q=0.5` as a coding it does not know)."""
    out: dict = {}
    for entry in (accept or "").split(","):
        name, _, q = entry.strip().partition(";")
        q = q.strip()
        try:
            out[name.strip().lower()] = float(q[2:]) if q.startswith("q=") else 1.0 if not q else None
        except ValueError:
            continue
    return {k: v for k, v in out.items() if k and v is not None}


def chosen(accept: str | None) -> str | None:
    """"gzip" or "deflate" where Triton's CompressionTypeUsed picks it from an Accept-Encoding value, else None."""
    best, weight = "identity", 0.0
    for name, w in weights(accept).items():
        if name in CODINGS and w > weight:
            best, weight = name, w
    return None if best == "identity" else best


def compress(body, coding: str) -> bytes:
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS[coding])
    return c.compress(body) + c.flush()


def shrinks(body) -> bool:
    """Whether `body` is worth compressing: small, or SAMPLE bytes from four places in it shrink below KEEP."""
    if len(body) <= SAMPLE:
        return True
    view, part = memoryview(body), SAMPLE // 4
    c = zlib.compressobj(LEVEL)
    n = sum(len(c.compress(view[at:at + part])) for at in (i * (len(body) - part) // 3 for i in range(4)))
    return n + len(c.flush()) < KEEP * SAMPLE


def encoded(body, coding: str, must: bool, share, client: str) -> tuple[bytes, str | None]:
    """(the answer's bytes, its Content-Encoding or None): `body` compressed per `coding` where it shrinks or
    `must` (the client refused identity); the CPU time charged to `client` in `share` (a ParseShare; None: not
    charged)."""
    t0 = cpu_time()
    try:
        if not must and not shrinks(body):
            return body, None
        return compress(body, coding), coding
    finally:
        if share is not None:
            share.spend(client, cpu_time() - t0)
