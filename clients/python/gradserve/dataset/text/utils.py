"""`mindspore.dataset.text.utils`: NormalizeForm (MindSpore 2.10's members and values)."""
from __future__ import annotations

from enum import Enum

__all__ = ["NormalizeForm"]


class NormalizeForm(Enum):
    NONE = 0
    NFC = 1
    NFKC = 2
    NFD = 3
    NFKD = 4
