"""Regenerate the gRPC code of service/oip_proto/grpc_predict_v2.proto.

    python -m service.oip_proto.generate           # writes service/oip_proto/
    python -m service.oip_proto.generate OUT_DIR   # writes a copy into OUT_DIR (the staleness test compares it)

Same tool and conventions as service/proto/generate.py (grpcio-tools' protoc, the _grpc module's import
made package-relative, version-only lines ignored by the comparison).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from service.proto.generate import normalized, runtime_floor  # noqa: F401 - normalized: for the staleness test

HERE = Path(__file__).resolve().parent
PROTO = HERE / "grpc_predict_v2.proto"
FILES = ("grpc_predict_v2_pb2.py", "grpc_predict_v2_pb2.pyi", "grpc_predict_v2_pb2_grpc.py")


def generate(out_dir: Path) -> list[Path]:
    from grpc_tools import protoc

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rc = protoc.main(["grpc_tools.protoc", f"-I{HERE}", f"--python_out={tmp}", f"--pyi_out={tmp}",
                          f"--grpc_python_out={tmp}", str(PROTO)])
        if rc != 0:
            raise RuntimeError(f"protoc failed with exit status {rc}")
        written = []
        for name in FILES:
            text = (Path(tmp) / name).read_text()
            if name == "grpc_predict_v2_pb2.py":  # runs on protobuf 6.31+ (service.proto.generate)
                text = runtime_floor(text)
            if name.endswith("_grpc.py"):
                old = "\nimport grpc_predict_v2_pb2 as grpc__predict__v2__pb2\n"
                assert old in text, "protoc's import line changed: update generate.py"
                text = text.replace(old, "\nfrom . import grpc_predict_v2_pb2 as grpc__predict__v2__pb2\n")
            (out_dir / name).write_text(text)
            written.append(out_dir / name)
    return written


def main(argv: list[str]) -> int:
    for p in generate(Path(argv[0]) if argv else HERE):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
