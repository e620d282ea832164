"""Regenerate the gRPC code of service/proto/gradserve.proto (server copy and the SDK's copy).

    python -m service.proto.generate           # writes service/proto/ and clients/python/gradserve/_proto/
    python -m service.proto.generate OUT_DIR   # writes one copy into OUT_DIR (tests compare it)

Uses the protoc of grpcio-tools (test extra). The proto is compiled from its own directory, so
the descriptor's file name is `gradserve.proto` in both copies (identical descriptors: the server
and the SDK may be imported in one process); the `import gradserve_pb2` line protoc writes into
the _grpc module is made package-relative, so `from service.proto import gradserve_pb2_grpc` and
`from gradserve._proto import gradserve_pb2_grpc` both work.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO = HERE / "gradserve.proto"
ROOT = HERE.parents[1]
TARGETS = (HERE, ROOT / "clients" / "python" / "gradserve" / "_proto")
# lines that change with the grpcio-tools version only (tests/grpc/test_generated.py ignores them)
VERSION_LINE = re.compile(r"^(# Protobuf Python Version: .*|GRPC_GENERATED_VERSION = .*|\s+\d+,)$")
# The oldest protobuf runtime the _pb2 modules accept. protoc writes its own version into their runtime
# check, though the code it writes is protobuf 6.31's (version lines aside): claiming 7.x would force
# stock clients that cap protobuf below 7 (tritonclient[grpc], kserve) to old releases when installed
# beside the SDK's grpc extra. Keep in step with the protobuf pins of both pyprojects.
PROTOBUF_FLOOR = (6, 31, 0)
_RUNTIME_CHECK = re.compile(r"(ValidateProtobufRuntimeVersion\(\n\s+_runtime_version\.Domain\.PUBLIC,\n)"
                            r"\s+\d+,\n\s+\d+,\n\s+\d+,\n")


def runtime_floor(text: str) -> str:
    """A _pb2 module whose runtime check asks for PROTOBUF_FLOOR instead of protoc's own version."""
    major, minor, patch = PROTOBUF_FLOOR
    out, n = _RUNTIME_CHECK.subn(lambda m: f"{m.group(1)}    {major},\n    {minor},\n    {patch},\n", text)
    assert n == 1, "protoc's runtime version check changed: update generate.py"
    return out


def compile_proto(proto: Path, out_dir: Path, grpc: bool = True) -> list[Path]:
    """protoc (grpcio-tools) on `proto`, compiled from its own directory, into out_dir: the _pb2 module's
    runtime check lowered to PROTOBUF_FLOOR, the _grpc module's import of its _pb2 made package-relative
    (grpc=False: messages only, no _grpc module)."""
    from grpc_tools import protoc

    stem = proto.stem
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        services = [f"--grpc_python_out={tmp}"] if grpc else []
        rc = protoc.main(["grpc_tools.protoc", f"-I{proto.parent}", f"--python_out={tmp}", f"--pyi_out={tmp}",
                          *services, str(proto)])
        if rc != 0:
            raise RuntimeError(f"protoc failed with exit status {rc}")
        written = []
        for name in (f"{stem}_pb2.py", f"{stem}_pb2.pyi") + ((f"{stem}_pb2_grpc.py",) if grpc else ()):
            text = (Path(tmp) / name).read_text()
            if name == f"{stem}_pb2.py":
                text = runtime_floor(text)
            if name == f"{stem}_pb2_grpc.py":
                alias = stem.replace("_", "__") + "__pb2"
                old = f"\nimport {stem}_pb2 as {alias}\n"
                assert old in text, "protoc's import line changed: update service/proto/generate.py"
                text = text.replace(old, f"\nfrom . import {stem}_pb2 as {alias}\n")
            (out_dir / name).write_text(text)
            written.append(out_dir / name)
    return written


def generate(out_dir: Path) -> list[Path]:
    return compile_proto(PROTO, out_dir)


def normalized(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not VERSION_LINE.match(line))


def main(argv: list[str]) -> int:
    dirs = [Path(argv[0])] if argv else list(TARGETS)
    for d in dirs:
        for p in generate(d):
            print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
