"""`...analysis.parser.base_parser`: a parser is one link of a workflow's chain; after parsing, its post hooks
run each in a process of its own (MindSpore 2.10's; a hook over 30 minutes is terminated). A parser that fails
logs the error and hands its input on unchanged."""
from __future__ import annotations

from multiprocessing import Process
from typing import Any, Callable, List, Optional

from .... import log as logger
from ...common.log import ProfilerLogger


class BaseParser:
    EXEC_HOOK_TIMEOUT = 30 * 60

    def __init__(self, next_parser: Optional["BaseParser"] = None):
        self.next_parser: Optional[BaseParser] = next_parser
        self._post_hooks: List[Callable[[Any], None]] = []
        self._logger = ProfilerLogger.get_instance()

    def set_next(self, next_parser: "BaseParser") -> "BaseParser":
        """Returns self (MindSpore's, though its docstring says the next parser)."""
        if not isinstance(next_parser, BaseParser):
            raise ValueError(f"next_parser {next_parser.__class__.__name__} must be a BaseParser")
        self.next_parser = next_parser
        return self

    def parse(self, data: Any) -> Any:
        try:
            result = self._parse(data)
            self._execute_post_hooks(result)
        except Exception as e:  # noqa: BLE001 -- a failing parser hands its input on, as MindSpore's
            logger.error("Parser [%s] error: %s", self.__class__.__name__, str(e))
            self._logger.error("Parser [%s] error: %s", self.__class__.__name__, str(e), exc_info=True)
            return data
        return result

    def register_post_hook(self, hook: Callable[[Any], None]) -> "BaseParser":
        if not callable(hook):
            raise ValueError("Hook must be callable")
        self._post_hooks.append(hook)
        return self

    def _execute_post_hooks(self, res: Any) -> None:
        """All hooks started, then each joined (a hook still running after EXEC_HOOK_TIMEOUT: terminated)."""
        processes = []
        for hook in self._post_hooks:
            process = Process(target=hook, args=(res,))
            process.start()
            owner = getattr(hook, "__self__", None)  # a bound method's instance
            hook_class = owner.__class__.__name__ if hasattr(hook, "__self__") else "Unknown"
            hook_name = f"{hook_class}.{hook.__name__}"
            processes.append((process, hook_name))
            self._logger.info("Parser [%s] post hook [%s] start", self.__class__.__name__, hook_name)
        for process, hook_name in processes:
            try:
                process.join(timeout=self.EXEC_HOOK_TIMEOUT)
                if process.is_alive():
                    logger.error("Parser [%s] post hook [%s] timeout after %s seconds, terminating",
                                 self.__class__.__name__, hook_name, self.EXEC_HOOK_TIMEOUT)
                    process.terminate()
                    process.join()
                else:
                    self._logger.info("Parser [%s] post hook [%s] completed", self.__class__.__name__, hook_name)
            except Exception as e:  # noqa: BLE001 -- as MindSpore: logged, the process ended
                self._logger.error("Parser [%s] post hook [%s] failed: %s", self.__class__.__name__, hook_name,
                                   str(e), exc_info=True)
                if process.is_alive():
                    process.terminate()

    def _parse(self, data: Any) -> Any:
        raise NotImplementedError("Subclasses should implement this!")


class DummyParser(BaseParser):
    """Hands its input on."""
    def _parse(self, data: Any) -> Any:
        return data
