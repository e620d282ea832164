"""`...analysis.task_manager`: runs each workflow in a process of its own, its parsers in chain order from {}
(each one's output the next one's input), and records each flow's times in a multiprocessing Manager dict, as
MindSpore 2.10 does."""
from __future__ import annotations

import time
from collections import defaultdict
from multiprocessing import Manager, Process
from typing import Any, Dict

from ... import log as logger
from ..common.log import ProfilerLogger
from ..common.process_bar import ProcessBar
from .parser.base_parser import BaseParser
from .work_flow import WorkFlow


class TaskManager:
    ROUND_DECIMAL = 2

    def __init__(self) -> None:
        self.workflows: Dict[str, WorkFlow] = defaultdict(WorkFlow)
        self.show_process: Dict[str, bool] = defaultdict(bool)
        self.flows_cost_time: Any = Manager().dict()  # written by the flows' processes
        self._logger = ProfilerLogger.get_instance()

    @property
    def cost_time(self) -> Dict[str, Dict[str, Any]]:
        return dict(self.flows_cost_time)

    def create_flow(self, *parsers: BaseParser, flow_name: str, show_process: bool = False) -> None:
        """No parsers: nothing (an error logged); a non-parser: ValueError."""
        if not parsers:
            logger.error("No parsers provided")
            return
        workflow = WorkFlow()
        for parser in parsers:
            if not isinstance(parser, BaseParser):
                raise ValueError(f"parser {parser.__class__.__name__} must be a BaseParser")
            workflow.add_parser(parser)
        self.workflows[flow_name] = workflow
        self.show_process[flow_name] = show_process

    def run(self) -> None:
        """Every flow started, then every flow joined."""
        processes = []
        for flow_name, workflow in self.workflows.items():
            process = Process(target=self._run_flow, args=(flow_name, workflow))
            processes.append((process, flow_name))
            process.start()
            self._logger.info("TaskManager run flow [%s] [pid: %s] start", flow_name, process.pid)
        for process, flow_name in processes:
            process.join()
            self._logger.info("TaskManager flow [%s] [pid: %s] join", flow_name, process.pid)

    def _run_flow(self, flow_name: str, workflow: WorkFlow) -> None:
        start_time = time.perf_counter()
        parser_cost_time: Dict[str, float] = defaultdict(float)
        parsers = ProcessBar(workflow, desc="Parsing") if self.show_process[flow_name] else workflow
        data: Any = {}
        parser: Any = None
        try:
            for parser in parsers:
                parser_start = time.perf_counter()
                data = parser.parse(data)
                parser_cost_time[parser.__class__.__name__] = round(time.perf_counter() - parser_start,
                                                                    self.ROUND_DECIMAL)
        except Exception as e:  # noqa: BLE001 -- as MindSpore: the flow stops, the error is logged
            logger.error("Parser %s error: %s", parser.__class__.__name__, str(e))
            self._logger.error("TaskManager run [%s] error: %s", flow_name, str(e), exc_info=True)
        self.flows_cost_time[flow_name] = {
            "total_time_seconds": round(time.perf_counter() - start_time, self.ROUND_DECIMAL),
            "parser_times_seconds": parser_cost_time,
        }
