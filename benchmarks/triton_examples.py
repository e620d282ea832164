"""Triton's own Python client examples (github.com/triton-inference-server/client, src/python/examples) run
unchanged in their logic against a real gradserve server, from a checkout of that repository:

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/triton_examples.py [CHECKOUT] [--json OUT]

CHECKOUT: the client repository's folder (default $TRITON_CLIENT_DIR); when absent, `git clone --depth 1`
of it into a temporary folder is tried, and without either the script says so and exits 2. Nothing of theirs
is copied into this repository: each example is read from the checkout and run from a temporary copy.

The server's repository holds Triton's `simple` model (INPUT0 + INPUT1 and INPUT0 - INPUT1 of two [1, 16]
INT32 tensors, outputs named OUTPUT0 and OUTPUT1 by its config.json's output_names) and `simple_int8` (the
same in INT8), as graphs. One thing is adapted (ADAPT): the server's name in its metadata ("gradserve", not
"triton"). Examples for what gradserve does not serve are listed with the reason (NOT_SERVED), not run.
Exit status: 0 when every example run passed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from e2e.server import Server
from oip.models import simple_net, write_model

UPSTREAM = "https://github.com/triton-inference-server/client"
EXAMPLES = "src/python/examples"
# what gradserve does not serve, so these examples cannot pass: not run
_SEQ = "sequences (Triton's sequence batcher): each request stands alone here"
_BYTES = "BYTES tensors (strings): the engine's tensors are numeric"
_CUDA = "CUDA shared memory: system shared memory only"
_OVERRIDE = "a load with a configuration override (refused by name, never ignored)"
NOT_SERVED = {
    "simple_grpc_sequence_stream_infer_client.py": _SEQ, "simple_grpc_sequence_sync_infer_client.py": _SEQ,
    "simple_http_sequence_sync_infer_client.py": _SEQ, "simple_grpc_aio_sequence_stream_infer_client.py": _SEQ,
    "simple_grpc_string_infer_client.py": _BYTES, "simple_http_string_infer_client.py": _BYTES,
    "simple_grpc_shm_string_client.py": _BYTES, "simple_http_shm_string_client.py": _BYTES,
    "grpc_explicit_byte_content_client.py": _BYTES,
    "simple_grpc_cudashm_client.py": _CUDA, "simple_http_cudashm_client.py": _CUDA,
    "simple_grpc_custom_repeat.py": "decoupled models (several responses per request)",
    "simple_http_model_control.py": _OVERRIDE, "simple_grpc_model_control.py": _OVERRIDE,
    "image_client.py": "image classification models (densenet_onnx, inception_graphdef)",
    "grpc_image_client.py": "image classification models", "grpc_client.py": "image classification models",
    "ensemble_image_client.py": "ensemble models",
    "memory_growth_test.py": "a leak check with fixed ports (localhost:8000/8001) and a custom identity model",
}


def adapt(source: str) -> str:
    """The example as it runs here (ADAPT in the module doc)."""
    return source.replace('== "triton"', '== "gradserve"')


def write_repository(root: Path) -> None:
    for name, dtype in (("simple", "int32"), ("simple_int8", "int8")):
        write_model(root, name, simple_net(dtype), {"kind": "eval", "output_names": ["OUTPUT0", "OUTPUT1"]})


def checkout(given: str | None, tmp: Path) -> Path | None:
    if given:
        return Path(given) if (Path(given) / EXAMPLES).is_dir() else None
    dest = tmp / "client"
    try:
        subprocess.run(["git", "clone", "-q", "--depth", "1", UPSTREAM, str(dest)], check=True, timeout=300,
                       capture_output=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return dest


def run_example(path: Path, url: str, work: Path) -> tuple[bool, str]:
    script = work / path.name
    script.write_text(adapt(path.read_text()))
    p = subprocess.run([sys.executable, str(script), "-u", url], cwd=work, capture_output=True, text=True,
                       timeout=300)
    lines = (p.stdout + p.stderr).strip().splitlines()
    return p.returncode == 0, lines[-1] if lines else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkout", nargs="?", default=os.environ.get("TRITON_CLIENT_DIR"))
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        repo = checkout(args.checkout, tmp)
        if repo is None:
            print(f"no checkout of {UPSTREAM} (give its folder, or TRITON_CLIENT_DIR)", file=sys.stderr)
            return 2
        write_repository(tmp / "models")
        server = Server(tmp / "server.log", devices="cpu",
                        env={"GRADSERVE_MODEL_REPOSITORY": str(tmp / "models"), "GRADSERVE_CPU_WORKERS": "1"})
        try:
            results = run_all(repo / EXAMPLES, server.url.removeprefix("http://"), server.grpc_target, tmp)
        finally:
            server.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if all(r["result"] != "failed" for r in results.values()) else 1


def run_all(examples: Path, http_url: str, grpc_url: str, work: Path) -> dict:
    results = {}
    for path in sorted(examples.glob("*.py")):
        if path.name in NOT_SERVED:
            results[path.name] = {"result": "not served", "why": NOT_SERVED[path.name]}
        else:
            ok, last = run_example(path, grpc_url if "grpc" in path.name else http_url, work)
            results[path.name] = {"result": "passed" if ok else "failed", "last_line": last}
        print(f"{results[path.name]['result']:>10}  {path.name}  "
              f"{results[path.name].get('why') or results[path.name]['last_line']}", flush=True)
    return results


if __name__ == "__main__":
    sys.exit(main())
