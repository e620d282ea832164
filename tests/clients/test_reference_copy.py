"""The repo's copy of the seed and its verified results (tests/reference) equals shared/ where present."""
import pytest

from ._examples import REFERENCE_COPY, ROOT

FILES = ["reference/seed_expected.md", "seed/000_8213e60ab181b3e6.txt"]


@pytest.mark.parametrize("rel", FILES)
def test_reference_copy_is_current(rel):
    assert (REFERENCE_COPY / rel).is_file()
    shared = ROOT.parent / "shared"
    if not (shared / rel).is_file():
        pytest.skip("no shared/ beside this checkout: the copy is the reference")
    assert (REFERENCE_COPY / rel).read_bytes() == (shared / rel).read_bytes()
