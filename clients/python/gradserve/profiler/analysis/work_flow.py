"""`...analysis.work_flow`: a chain of parsers (each one's next_parser), iterated from its head."""
from __future__ import annotations

from typing import Iterator, Optional

from .parser.base_parser import BaseParser


class WorkFlow:
    def __init__(self, head_parser: Optional[BaseParser] = None):
        self.head_parser = head_parser

    def add_parser(self, parser: BaseParser) -> None:
        """At the chain's end."""
        if not self.head_parser:
            self.head_parser = parser
            return
        current = self.head_parser
        while current.next_parser:
            current = current.next_parser
        current.next_parser = parser

    def __iter__(self) -> Iterator[BaseParser]:
        current = self.head_parser
        while current:
            yield current
            current = current.next_parser

    def __len__(self) -> int:
        return sum(1 for _ in self)
