"""Round 3's wide local run (not in CI): N seeds from first of the torch op cases (_differential_torch.py) or the
weight-list cases (_differential_torch_cells.py) against an in-process engine server; prints each case that is
not ok and the counts by status and case.
Usage, from the worktree root:
PYTHONPATH=.:clients/python:tests python tests/clients/_differential_wide3.py ops|weights N [first]"""
import sys

sys.path[:0] = ["tests", "tests/clients"]

from clients._differential_wide import run_seeds  # noqa: E402


def main(which: str, n: int, first: int) -> None:
    if which == "ops":
        from clients._differential_torch import run_torch_case as run
    else:
        from clients._differential_torch_cells import run_weights_case as run
    run_seeds(run, first, n, key=lambda name: name.split("/")[0], every=50)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
