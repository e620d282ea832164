"""Regenerate the gRPC code of service/oip_proto/grpc_predict_v2.proto.

    python -m service.oip_proto.generate           # writes service/oip_proto/
    python -m service.oip_proto.generate OUT_DIR   # writes a copy into OUT_DIR (the staleness test compares it)

Same tool and conventions as service/proto/generate.py (grpcio-tools' protoc, the _grpc module's import
made package-relative, version-only lines ignored by the comparison).
"""
from __future__ import annotations

import sys
from pathlib import Path

from service.proto.generate import compile_proto, normalized  # noqa: F401 - normalized: for the staleness test

HERE = Path(__file__).resolve().parent
PROTO = HERE / "grpc_predict_v2.proto"


def generate(out_dir: Path) -> list[Path]:
    return compile_proto(PROTO, out_dir)


def main(argv: list[str]) -> int:
    for p in generate(Path(argv[0]) if argv else HERE):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
