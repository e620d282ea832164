"""Generate gradserve/_ops.json from the engine's op registry (the one definition of the op list).

    python clients/python/tools/gen_ops.py          # rewrite the file
    python clients/python/tools/gen_ops.py --check  # exit 1 if the checked-in file is stale

Run from the repository root with the server project importable (the SDK itself never imports engine).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "gradserve" / "_ops.json"


def render() -> str:
    root = HERE.parents[2]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from engine.ops.registry import FUNCTION_OPS, op_catalog  # noqa: PLC0415  (dev-time only)
    from engine.serialize import FORMAT  # noqa: PLC0415

    doc = {
        "generated_by": "clients/python/tools/gen_ops.py from engine.ops.registry.op_catalog()",
        "format": FORMAT,
        "function_ops": list(FUNCTION_OPS),
        "ops": op_catalog(),
    }
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python clients/python/tools/gen_ops.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET} ({len(json.loads(text)['ops'])} ops)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
