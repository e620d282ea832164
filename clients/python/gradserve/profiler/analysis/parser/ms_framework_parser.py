"""`...analysis.parser.ms_framework_parser`: the framework's own profiling files (the op-range TLV records,
filtered to the profiled steps, and the CPU ops' timestamp lines) into "mindspore_op_list" / "cpu_op_lines"
(MindSpore 2.10's; nothing without the CPU activity, no op ranges on a CPU target)."""
from __future__ import annotations

import os
import struct
from typing import Any, Dict, List, Optional

from .... import log as logger
from ...common.constant import DeviceTarget, FileConstant, ProfilerActivity
from ...common.file_manager import FileManager
from ...common.log import ProfilerLogger
from ...common.options import option
from ...common.tlv_decoder import TLVDecoder
from .base_parser import BaseParser
from .timeline_event.fwk_event import FwkFixSizeFormat, OpRangeStructField


class FrameworkParser(BaseParser):
    _OP_RANGE_FILE_NAME = "mindspore.op_range"
    _CPU_OP_TIMESTAMP_FILE_NAME = "cpu_op_execute_timestamp_{}.txt"

    def __init__(self, next_parser: Optional[BaseParser] = None, **kwargs: Any) -> None:
        super().__init__(next_parser)
        self._rank_id: Any = option(kwargs, "rank_id")
        self._activities: Any = option(kwargs, "activities")
        self._step_list: Any = option(kwargs, "step_list")
        self._framework_path: Any = option(kwargs, "framework_path")
        self._device_target: Any = option(kwargs, "device_target")
        self._ascend_ms_dir: Any = option(kwargs, "ascend_ms_dir")
        self._op_range_path = os.path.join(self._framework_path, self._OP_RANGE_FILE_NAME)
        self._cpu_op_path = os.path.join(self._framework_path, self._CPU_OP_TIMESTAMP_FILE_NAME.format(self._rank_id))
        ProfilerLogger.init(self._ascend_ms_dir)
        self._logger = ProfilerLogger.get_instance()

    def _parse(self, data: Dict[str, Any]) -> Dict[str, Any]:
        if ProfilerActivity.CPU.value not in self._activities:
            return data
        mindspore_op_list = self._parse_op_range_data()
        self._logger.info("FrameworkParser parse op range done.")
        cpu_op_lines = self._parse_cpu_op_data()
        self._logger.info("FrameworkParser parse cpu op done.")
        data.update({"mindspore_op_list": mindspore_op_list, "cpu_op_lines": cpu_op_lines})
        return data

    def _parse_op_range_data(self) -> List[Dict]:
        if self._device_target == DeviceTarget.CPU.value:
            return []
        if not os.path.exists(self._op_range_path):
            logger.error("Failed to find op_range data. Skipping parse host profiler data.")
            return []
        try:
            raw = FileManager.read_file_content(self._op_range_path, "rb")
            op_range_list = TLVDecoder.decode(raw, FwkFixSizeFormat.OpRangeStruct,
                                              struct.calcsize(FwkFixSizeFormat.OpRangeStruct))
            self._logger.info("FrameworkParser parse op range done, op_range_list length: %d", len(op_range_list))
            if not op_range_list:
                logger.error(f"Failed to decode op_range data: empty result from file {self._op_range_path}")
            return self._filter_op_range_list(op_range_list)
        except RuntimeError as err:
            logger.error(f"Failed to read file: {self._op_range_path}. Error: {str(err)}")
            return []

    def _filter_op_range_list(self, op_range_list: List[Dict]) -> List[Dict]:
        """The records of the profiled steps: step_list counts from 1, the records' steps from the first one
        recorded (no step list, or not a list: all records)."""
        if not self._step_list or not isinstance(self._step_list, list):
            return op_range_list
        step_index = OpRangeStructField.STEP.value
        first_step = min(op[FileConstant.FIX_SIZE_DATA][step_index] for op in op_range_list)
        wanted = [step - 1 + first_step for step in self._step_list]
        return [op for op in op_range_list if op[FileConstant.FIX_SIZE_DATA][step_index] in wanted]

    def _parse_cpu_op_data(self) -> List[str]:
        if not os.path.exists(self._cpu_op_path):
            return []
        try:
            return FileManager.read_txt_file(self._cpu_op_path)
        except RuntimeError as err:
            logger.warning(f"Failed to read file: {self._cpu_op_path}. Error: {str(err)}")
            return []
