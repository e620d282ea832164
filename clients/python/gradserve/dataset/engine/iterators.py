"""`mindspore.dataset.engine.iterators`: the clean-up hooks MindSpore's own dataset tests call after every test
(their conftest). MindSpore stops its iterators' background pipeline threads there; this in-memory pipeline
runs none (an iterator is a plain generator over NumPy rows), so there is nothing to stop."""
from __future__ import annotations


def _cleanup() -> None:
    """Stop every live iterator's pipeline: none runs in the background here."""


def _unset_iterator_cleanup() -> None:
    """MindSpore clears its 'clean-up requested' flag; no such flag exists here."""
