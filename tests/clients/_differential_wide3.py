"""Round 3's wide local run (not in CI): N seeds from first of the torch cases (_differential_torch.py) against an
in-process engine server; prints each case that is not ok and the counts by status and case.
Usage, from the worktree root: PYTHONPATH=.:clients/python:tests python tests/clients/_differential_wide3.py N [first]"""
import sys

sys.path[:0] = ["tests", "tests/clients"]

from clients._differential_wide import run_seeds  # noqa: E402


def main(n: int, first: int) -> None:
    from clients._differential_torch import run_torch_case
    run_seeds(run_torch_case, first, n, key=lambda name: name.split("/")[0], every=50)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
