"""Regenerate the SDK's MindIR message classes (gradserve/_mindir/mindir_pb2.py) from mindir.proto.

    python clients/python/tools/gen_mindir_proto.py           # rewrite them
    python clients/python/tools/gen_mindir_proto.py OUT_DIR   # write a copy into OUT_DIR (the staleness test)

The same protoc (grpcio-tools) and runtime floor as the service's protos (service/proto/generate.py); messages only.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
from service.proto.generate import compile_proto, normalized  # noqa: E402,F401 - normalized: for the test

TARGET = HERE.parent / "gradserve" / "_mindir"
PROTO = TARGET / "mindir.proto"


def generate(out_dir: Path) -> list[Path]:
    return compile_proto(PROTO, out_dir, grpc=False)


def main(argv: list[str]) -> int:
    for p in generate(Path(argv[0]) if argv else TARGET):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
