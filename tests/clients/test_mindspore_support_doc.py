"""docs/mindspore_support.md is generated from the SDK's exports and must not go stale."""
from pathlib import Path

from gradserve import _support

DOC = Path(__file__).resolve().parents[2] / "docs" / "mindspore_support.md"


def test_support_page_is_current():
    assert DOC.read_text() == _support.render(), \
        "docs/mindspore_support.md is stale: run python -m gradserve._support docs/mindspore_support.md"


def test_page_lists_what_exists_and_what_does_not():
    text = _support.render()
    supported, unsupported = text.split("## Not supported")
    assert "`GradOperation`" in supported and "`InsertGradientOf`" in supported
    assert "`LayerNorm`" in supported
    assert "`COOTensor`" in supported and "`COOTensor`" not in unsupported  # gradserve._sparse
    assert "`export`" in unsupported and "`GradOperation`" not in unsupported
    assert "`uint8`" in supported and "`int8`" not in unsupported
    assert "`complex64`" in supported and "`complex64`" not in unsupported
