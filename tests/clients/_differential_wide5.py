"""Round 5's wide local run (not in CI): N seeds from first of the random Cell programs (_differential_cells5*.py)
against an in-process engine server; prints each case that is not ok and the counts by status and spec / mode.
Usage, from the worktree root: PYTHONPATH=.:clients/python:tests python tests/clients/_differential_wide5.py N [first]"""
import sys

sys.path[:0] = ["tests", "tests/clients"]

from clients._differential_wide import run_seeds  # noqa: E402
from clients._differential_cells5_specs import run_cells_case  # noqa: E402

if __name__ == "__main__":
    run_seeds(run_cells_case, int(sys.argv[2]) if len(sys.argv) > 2 else 0, int(sys.argv[1]), every=50)
