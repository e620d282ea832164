"""`mindspore.profiler.common.singleton.Singleton`: a class decorator; calling the class gives its one instance."""
from __future__ import annotations

from typing import Any, Dict


class Singleton:
    def __init__(self, cls: type) -> None:
        self._cls = cls
        self._instance: Dict[type, Any] = {}

    def __call__(self) -> Any:
        if self._cls not in self._instance:
            self._instance[self._cls] = self._cls()
        return self._instance[self._cls]
