"""`mindspore.dataset.engine.iterators`: the live iterators' list and the clean-up hooks MindSpore's own dataset
tests call after every test (their conftest). ITERATORS_LIST holds a weak reference to each iterator made and not
yet collected (MindSpore 2.10's bookkeeping: an iterator leaves it when it is deleted); _cleanup stops them all and
empties it - a stopped iterator's next() then raises MindSpore's AttributeError (its pipeline's runtime context is
gone). This in-memory pipeline runs no background threads, so stopping frees nothing else."""
from __future__ import annotations

import weakref

ITERATORS_LIST: list = []


def register(iterator) -> None:
    """Adds iterator to ITERATORS_LIST until it is collected."""
    ITERATORS_LIST.append(weakref.ref(iterator, _forget))


def _forget(ref) -> None:
    if ref in ITERATORS_LIST:
        ITERATORS_LIST.remove(ref)


def _cleanup() -> None:
    """Stops every live iterator (MindSpore 2.10's at-exit and per-test clean-up) and empties ITERATORS_LIST."""
    for ref in list(ITERATORS_LIST):
        it = ref()
        if it is not None:
            it._stop()
    ITERATORS_LIST.clear()


def _unset_iterator_cleanup() -> None:
    """MindSpore clears its 'clean-up requested' flag; no such flag exists here."""
