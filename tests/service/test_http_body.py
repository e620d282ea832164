"""service.http_body.decompressed: gzip members one after another are one body, read in bounded chunks
(a member's end costs at most a chunk, never a copy of the rest of the body), at most MAX_MEMBERS of them."""
from __future__ import annotations

import gzip
import os
import zlib

import pytest

from service import http_body
from service.errors import InvalidRequest, PayloadTooLarge


def test_members_across_chunk_boundaries_are_one_body():
    rng = os.urandom  # (incompressible: each member spans chunks)
    parts = [rng(n) for n in (1, http_body.CHUNK - 7, 3 * http_body.CHUNK + 5, 0, 11)]
    sent = b"".join(gzip.compress(p, mtime=0) for p in parts)
    assert http_body.decompressed(sent, "gzip", 1 << 30) == b"".join(parts)
    assert http_body.decompressed(zlib.compress(parts[2]), "deflate", 1 << 30) == parts[2]


def test_members_up_to_the_limit_and_one_past():
    one = gzip.compress(b"ab", mtime=0)
    assert http_body.decompressed(one * http_body.MAX_MEMBERS, "gzip", 1 << 20) == b"ab" * http_body.MAX_MEMBERS
    with pytest.raises(InvalidRequest, match=f"more than {http_body.MAX_MEMBERS} members"):
        http_body.decompressed(one * (http_body.MAX_MEMBERS + 1), "gzip", 1 << 20)


def test_limits_and_broken_streams_still_hold():
    with pytest.raises(PayloadTooLarge):
        http_body.decompressed(gzip.compress(bytes(1 << 20)), "gzip", 1000)
    with pytest.raises(InvalidRequest, match="truncated"):
        http_body.decompressed(gzip.compress(os.urandom(3 * http_body.CHUNK))[:-9], "gzip", 1 << 30)
    with pytest.raises(InvalidRequest, match="truncated"):
        http_body.decompressed(b"", "gzip", 10)
    with pytest.raises(InvalidRequest, match="not valid gzip"):
        http_body.decompressed(gzip.compress(b"x") + b"garbage", "gzip", 10)
