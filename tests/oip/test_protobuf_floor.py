"""The generated gRPC modules ask for protobuf >= PROTOBUF_FLOOR (not protoc's own 7.x), and the SDK's grpc
extra asks for no more: so stock clients that cap protobuf below 7 (tritonclient[grpc], kserve) install
at their current releases beside it instead of being forced back to old ones."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from service.proto import generate

ROOT = Path(__file__).resolve().parents[2]
FLOOR = Version(".".join(map(str, generate.PROTOBUF_FLOOR)))
PB2 = [ROOT / "service/proto/gradserve_pb2.py", ROOT / "clients/python/gradserve/_proto/gradserve_pb2.py",
       ROOT / "service/oip_proto/grpc_predict_v2_pb2.py"]


@pytest.mark.parametrize("path", PB2, ids=[p.parent.name + "/" + p.name for p in PB2])
def test_generated_modules_ask_for_the_floor(path):
    m = re.search(r"ValidateProtobufRuntimeVersion\(\n\s+_runtime_version\.Domain\.PUBLIC,\n\s+(\d+),\n\s+(\d+),\n"
                  r"\s+(\d+),", path.read_text())
    assert m and tuple(map(int, m.groups())) == generate.PROTOBUF_FLOOR, path


def _sdk_protobuf() -> Requirement:
    extras = tomllib.loads((ROOT / "clients/python/pyproject.toml").read_text())["project"]["optional-dependencies"]
    return next(Requirement(r) for r in extras["grpc"] if Requirement(r).name == "protobuf")


def test_the_sdk_grpc_extra_accepts_the_floor():
    assert FLOOR in _sdk_protobuf().specifier, _sdk_protobuf()


def test_tritonclient_grpc_and_the_sdk_agree_on_a_protobuf():
    try:
        reqs = metadata.requires("tritonclient") or []
    except metadata.PackageNotFoundError:
        pytest.skip("tritonclient is not installed")
    triton = [Requirement(r) for r in reqs if r.startswith("protobuf") and "grpc" in r]
    if not triton:  # this release of tritonclient puts no bound on protobuf (2.41 does not): nothing to clash
        return
    both = triton[0].specifier & _sdk_protobuf().specifier
    candidates = [Version(v) for v in ("6.31.0", "6.33.6", "7.35.1")]
    assert any(v in both for v in candidates), f"no protobuf satisfies tritonclient {triton[0]} and the SDK"
