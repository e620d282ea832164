"""The checked-in Open Inference Protocol gRPC code (service/oip_proto/) is what its proto generates."""
from __future__ import annotations

from service.oip_proto import generate


def test_generated_code_matches_the_proto(tmp_path):
    for f in generate.generate(tmp_path):
        checked_in = generate.HERE / f.name
        assert checked_in.exists(), f"{checked_in} is missing: run python -m service.oip_proto.generate"
        assert generate.normalized(checked_in.read_text()) == generate.normalized(f.read_text()), (
            f"{checked_in} is stale: run python -m service.oip_proto.generate")
