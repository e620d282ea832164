"""The seed examples (clients/python/examples) and their expected values from seed_expected.md."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "clients" / "python" / "examples"
# The workplace's shared/ beside the checkout when it is there; else the copy kept in the repo
# (tests/reference, same layout), so the seed checks never skip. test_reference_copy_is_current
# keeps the copy identical to shared/.
REFERENCE_COPY = ROOT / "tests" / "reference"
SHARED = next((p for p in (ROOT.parent / "shared", ROOT / "shared") if (p / "reference").is_dir()), REFERENCE_COPY)

ROWS = {  # seed_expected.md row -> example script
    "input derivation": "input_derivation", "all inputs": "all_inputs", "weight derivation": "weight_derivation",
    "sens scaling": "sens_scaling", "one output element": "one_output_element", "stop_gradient": "stop_gradient",
    "without stop_gradient": "without_stop_gradient", "2nd order, sin": "second_order_sin",
    "2nd order, x*x": "second_order_mul", "2nd order, 2 in 2 out": "second_order_two_in_two_out",
    "nn.Jvp": "nn_jvp", "nn.Vjp": "nn_vjp", "functional grad, positions": "grad_position",
    "functional grad, sens": "grad_sens", "functional jvp": "functional_jvp", "functional vjp": "functional_vjp",
}
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def expected() -> dict[str, list[float]]:
    """script -> the numbers of its row's result column, in order."""
    text = (SHARED / "reference" / "seed_expected.md").read_text()
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] not in ROWS:
            continue
        result = re.search(r"`([^`]*)`", cells[2]).group(1)
        out[ROWS[cells[0]]] = [float(v) for v in NUMBER.findall(result)]
    return out


def printed_numbers(stdout: str) -> list[float]:
    text = re.sub(r"shape=\[[^\]]*\]", "", stdout)
    text = re.sub(r"dtype=\w+", "", text)
    return [float(v) for v in NUMBER.findall(text)]


def seed_lines() -> set[str]:
    text = (SHARED / "seed" / "000_8213e60ab181b3e6.txt").read_text()
    return {" ".join(line.split()) for line in text.splitlines()}
