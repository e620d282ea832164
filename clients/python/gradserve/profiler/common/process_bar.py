"""`mindspore.profiler.common.process_bar`: the text progress bar over a workflow's parsers ("[pid] desc: [###  ]
n/total item Elapsed: Ns" on stdout, redrawn by a daemon thread every update_interval seconds), MindSpore 2.10's."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Iterable, Iterator, Optional


class ProcessBar:
    BLANK_SPACE_NUM = 20
    FINISH_TEXT = "Done"

    def __init__(self, iterable: Optional[Iterable] = None, desc: str = "", bar_length: int = 20,
                 update_interval: float = 1.0):
        if not isinstance(iterable, Iterable):
            raise ValueError("Must provide an iterable")
        if not isinstance(desc, str):
            raise ValueError("desc must be a string")
        if not isinstance(bar_length, int):
            raise ValueError("bar_length must be an integer")
        if bar_length <= 0:
            raise ValueError("bar_length must be greater than 0")
        if not isinstance(update_interval, float):
            raise ValueError("update_interval must be a float")
        if update_interval < 0:
            raise ValueError("update_interval must be greater than 0")
        self.iterable: Iterable = iterable
        self.total: int = len(iterable)  # type: ignore[arg-type]
        self.desc = f"[{os.getpid()}] {desc}"
        self.bar_length = bar_length
        self.update_interval = update_interval
        self.current = 0
        self.cur_item_name: Optional[str] = None
        self.start_time = time.time()
        self.last_update_time = self.start_time
        self._stop_refresh = False
        self._refresh_thread = threading.Thread(target=self._refresh_loop, daemon=True)
        self._refresh_thread.start()

    def _refresh_loop(self) -> None:
        while not self._stop_refresh:
            if self.current > 0:
                self._print_progress(time.time())
            time.sleep(self.update_interval)

    def update(self, n: int = 1, item_name: Optional[str] = None) -> None:
        self.current += n
        self.cur_item_name = item_name

    def _print_progress(self, now: float) -> None:
        if self.total <= 0:
            return
        block = int(round(self.bar_length * min(1, self.current / self.total)))
        text = (f"\r{self.desc}: [{block * '#' + (self.bar_length - block) * ' '}] "
                f"{self.current}/{self.total} {self.cur_item_name} Elapsed: {int(now - self.start_time)}s")
        sys.stdout.write(text + " " * self.BLANK_SPACE_NUM + "\r")
        sys.stdout.flush()

    def __iter__(self) -> Iterator[Any]:
        """The items, the bar redrawn before each and after the first (MindSpore's update after a later item
        passes no name, so the bar shows "None" until the next one starts)."""
        try:
            iterator = iter(self.iterable)
            try:
                first_item = next(iterator)
            except StopIteration:
                return
            self.cur_item_name = first_item.__class__.__name__
            self._print_progress(time.time())
            yield first_item
            self.update(item_name=first_item.__class__.__name__)
            self._print_progress(time.time())
            for item in iterator:
                self.cur_item_name = item.__class__.__name__
                self._print_progress(time.time())
                yield item
                self.update()
            self.cur_item_name = self.FINISH_TEXT
            self._print_progress(time.time())
            sys.stdout.write("\n")
        finally:
            self._stop_refresh = True
            self._refresh_thread.join()
