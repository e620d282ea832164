"""`...analysis.parser.framework_cann_relation_parser`: assembles the Ascend timeline from the parsed framework
and CANN data and hands the trace view container on under "trace_view_container" (MindSpore 2.10's)."""
from __future__ import annotations

from typing import Any, Dict

from ...common.log import ProfilerLogger
from ...common.options import option
from .base_parser import BaseParser
from .timeline_assembly_factory.ascend_timeline_assembler import AscendTimelineAssembler


class FrameworkCannRelationParser(BaseParser):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.assembler = AscendTimelineAssembler(**kwargs)
        self._ascend_ms_dir: Any = option(kwargs, "ascend_ms_dir")
        ProfilerLogger.init(self._ascend_ms_dir)
        self._logger = ProfilerLogger.get_instance()

    def _parse(self, data: Dict[str, Any]) -> Dict[str, Any]:
        """The input dict, updated in place."""
        self.assembler.assemble(data)
        self._logger.info("FrameworkCannRelationParser assemble done")
        trace_view_container = self.assembler.get_trace_view_container()
        self._logger.info("FrameworkCannRelationParser get trace view container done")
        data.update({"trace_view_container": trace_view_container})
        return data
