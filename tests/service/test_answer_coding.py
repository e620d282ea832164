"""service.answer_coding: Triton's choice of a response coding (server src/http_server.cc CompressionTypeUsed: the
highest q among identity, deflate and gzip; a malformed q skipped; identity when none wins), the compressed bytes
as zlib reads them (gzip's format, and deflate as zlib's, as tritonclient's zlib.decompress reads Triton's), an
answer that would not shrink sent as it is (unless identity is refused), and the CPU time charged to the client's
parse share. Expected values: the cited source's rule, zlib."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from service.answer_coding import SAMPLE, chosen, encoded
from service.errors import Overloaded
from service.parse_share import ParseShare


@pytest.mark.parametrize("accept,want", [
    (None, None), ("", None), ("gzip", "gzip"), ("deflate", "deflate"), ("gzip, deflate", "gzip"),
    ("deflate, gzip", "deflate"),  # (equal q: the first, Triton's strict >)
    ("gzip;q=0.2, deflate;q=0.8", "deflate"), ("gzip;q=0.5, identity", None), ("identity;q=0.1, gzip;q=0.2", "gzip"),
    ("br, zstd", None), ("*", None), ("gzip;q=x, deflate;q=0.1", "deflate"), ("gzip;q=0", None),
    ("br;q=1, gzip;q=0.3", "gzip")])
def test_the_coding_is_tritons_choice(accept, want):
    assert chosen(accept) == want


def test_compressed_bytes_inflate_back_and_are_charged():
    body = np.arange(20000, dtype=np.float32).tobytes()
    share = ParseShare(0.5, 0.0, clock=lambda: 0.0)  # (no burst, a still clock: any debt refuses the next check)
    share.check("c")
    for coding, wbits in (("gzip", 31), ("deflate", 15)):
        out, used = encoded(body, coding, False, share, "c")
        assert used == coding and len(out) < len(body) and zlib.decompress(out, wbits) == body
    with pytest.raises(Overloaded, match="parse_share"):
        share.check("c")
    share.check("other")  # (another client's share untouched)


def test_an_answer_that_would_not_shrink_goes_as_it_is():
    noise = np.random.default_rng(0).standard_normal(1 << 18).astype(np.float32).tobytes()  # 1 MiB of floats
    assert len(zlib.compress(noise, 1)) > 0.9 * len(noise)  # (premise: floats keep > 90% of their size)
    assert encoded(noise, "gzip", False, None, "c") == (noise, None)
    out, used = encoded(noise, "gzip", True, None, "c")  # identity refused (identity;q=0): compressed all the same
    assert used == "gzip" and zlib.decompress(out, 31) == noise
    small = noise[:SAMPLE]  # (small: compressed, as Triton's, without a trial)
    assert encoded(small, "deflate", False, None, "c")[1] == "deflate"
    zeros_after = noise[:1 << 12] + bytes(len(noise))  # mostly zeros: it shrinks, so it is compressed
    out, used = encoded(zeros_after, "gzip", False, None, "c")
    assert used == "gzip" and zlib.decompress(out, 31) == zeros_after
