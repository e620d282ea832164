"""`...analysis.viewer.ascend_kernel_details_viewer`: kernel_details.csv, msprof's op summary with each device
kernel named after the framework op that launched it ("<launch op>/<kernel>") and its step id (MindSpore 2.10's)."""
from __future__ import annotations

import os
from decimal import Decimal
from typing import Any, Dict, List, Optional

from .... import log as logger
from ...common.constant import JitLevel, OpSummaryHeaders, ProfilerActivity, ProfilerLevel
from ...common.file_manager import FileManager
from ...common.log import ProfilerLogger
from ...common.options import option
from .base_viewer import BaseViewer


class AscendKernelDetailsViewer(BaseViewer):
    KERNEL_DETAILS_FILE_NAME = "kernel_details.csv"
    EXCLUDE_HEADERS = [OpSummaryHeaders.DEVICE_ID.value]
    LEVEL0_EXCLUDE_HEADERS = [h.value for h in (
        OpSummaryHeaders.MIX_BLOCK_NUM, OpSummaryHeaders.HF32_ELIGIBLE, OpSummaryHeaders.INPUT_SHAPES,
        OpSummaryHeaders.INPUT_DATA_TYPES, OpSummaryHeaders.INPUT_FORMATS, OpSummaryHeaders.OUTPUT_SHAPES,
        OpSummaryHeaders.OUTPUT_DATA_TYPES, OpSummaryHeaders.OUTPUT_FORMATS, OpSummaryHeaders.CONTEXT_ID)]
    RENAME_HEADERS = {
        OpSummaryHeaders.OP_NAME.value: "Name",
        OpSummaryHeaders.OP_TYPE.value: "Type",
        OpSummaryHeaders.TASK_TYPE.value: "Accelerator Core",
        OpSummaryHeaders.TASK_START_TIME.value: "Start Time(us)",
        OpSummaryHeaders.TASK_DURATION.value: "Duration(us)",
        OpSummaryHeaders.TASK_WAIT_TIME.value: "Wait Time(us)",
    }

    def __init__(self, **kwargs: Any) -> None:
        self._save_path = os.path.join(option(kwargs, "ascend_profiler_output_path"), self.KERNEL_DETAILS_FILE_NAME)
        self._ascend_ms_dir = option(kwargs, "ascend_ms_dir")
        self._is_set_schedule = option(kwargs, "is_set_schedule")
        self._jit_level = option(kwargs, "jit_level")
        self._profiler_level = option(kwargs, "profiler_level")
        self._activities = option(kwargs, "activities")
        self.op_summary_headers: Any = None
        self.op_summary: Any = None
        self.trace_container: Any = None
        self.kernel_details_headers: Any = None
        ProfilerLogger.init(self._ascend_ms_dir)
        self._logger = ProfilerLogger.get_instance()

    def _with_steps(self) -> bool:
        """Step ids are kept only with a schedule and outside graph (O2) mode."""
        return bool(self._is_set_schedule) and self._jit_level != JitLevel.GRAPH_LEVEL

    def save(self, data: Any) -> None:
        """Nothing at LevelNone; any failure is logged to the profiler log, not raised."""
        self._logger.info("AscendKernelDetailsViewer start")
        try:
            if self._profiler_level == ProfilerLevel.LevelNone.value:
                return
            self._check_input_data(data)
            self._update_kernel_name_and_step_id()
            self._update_headers()
            self._write_data()
            self._logger.info("Kernel details saved done")
        except Exception as e:  # noqa: BLE001 -- MindSpore logs every failure here and goes on
            self._logger.error("Failed to save kernel details: %s", str(e), exc_info=True)
        self._logger.info("AscendKernelDetailsViewer end")

    def _check_input_data(self, data: dict) -> None:
        self.trace_container = data.get("trace_view_container", None)
        self.op_summary = data.get("op_summary", None)
        self.op_summary_headers = data.get("op_summary_headers", None)
        if self.op_summary is None or self.op_summary.size == 0:
            raise ValueError("op summary is empty")
        if self.trace_container is None:
            raise ValueError("trace view container is None")

    def _write_data(self) -> None:
        self._logger.info("Kernel details saved start")
        csv_data = [[row[field] for field in self.op_summary_headers] for row in self.op_summary]
        FileManager.create_csv_file(file_path=self._save_path, data=csv_data, headers=self.kernel_details_headers)
        self._logger.info("Kernel details saved done")

    def _update_headers(self) -> None:
        """Device_id dropped; at Level0 the shape / type / format columns too; Step ID without steps; then
        msprof's names renamed to kernel_details'."""
        headers = [h for h in self.op_summary_headers if h not in self.EXCLUDE_HEADERS]
        if self._profiler_level == ProfilerLevel.Level0.value:
            headers = [h for h in headers if h not in self.LEVEL0_EXCLUDE_HEADERS]
        self.op_summary_headers = headers
        if not self._with_steps() or not self.trace_container.get_step_id_time_dict():
            headers.remove(OpSummaryHeaders.STEP_ID.value)
        self.kernel_details_headers = [self.RENAME_HEADERS.get(h, h) for h in headers]

    def _update_kernel_name_and_step_id(self) -> None:
        self._logger.info("Update kernel name start")
        dev_kernels = self.trace_container.hardware_op_event
        step_id_to_time_dict = self.trace_container.get_step_id_time_dict()
        if ProfilerActivity.CPU.value in self._activities:  # the launch ops are on the CPU side
            self._update_kernel_detail_op_name_and_step_id(dev_kernels, step_id_to_time_dict)

    def _update_kernel_detail_op_name_and_step_id(self, dev_kernels: dict, step_id_to_time_dict: dict) -> None:
        """A summary row matches a device kernel by (name, start time text); its launch op is the kernel's
        parent, its step the one holding the parent's start (else the row's own start, else the last step)."""
        _generate_hardware_op_event_step_id(dev_kernels, step_id_to_time_dict)
        if not dev_kernels and self._jit_level != JitLevel.GRAPH_LEVEL:
            logger.warning("Cannot find the device kernels with MindSpore framework launch op, ")
            return
        kernel_by_key = {(kernel.name, str(kernel.ts)): kernel
                         for per_tid_kernels in dev_kernels.values() for kernel in per_tid_kernels}
        launch_ops: List[Any] = [None] * len(self.op_summary)
        step_ids: List[Any] = [None] * len(self.op_summary)
        for index, summary in enumerate(self.op_summary):
            name = summary[OpSummaryHeaders.OP_NAME.value]
            ts = str(summary[OpSummaryHeaders.TASK_START_TIME.value]).strip("\t")
            launch_op, step_id = None, None
            kernel = kernel_by_key.get((name, ts))
            if kernel:
                if kernel.parent:
                    launch_op = kernel.parent.name
                step_id = kernel.step_id
            if step_id is None:
                step_id = _get_step_id_by_ts(Decimal(ts), step_id_to_time_dict)
            if launch_op is None:
                self._logger.warning("Can not find fwk launch op for dev kernel %s, ts %s", name, ts)
                launch_ops[index] = name
            else:
                launch_ops[index] = f"{launch_op}/{name}"
            if step_id is None and self._with_steps():
                self._logger.warning("Can not find step id for dev kernel %s, ts %s", name, ts)
            else:
                step_ids[index] = step_id
        self.op_summary[OpSummaryHeaders.OP_NAME.value] = launch_ops
        if self._with_steps():
            self.op_summary[OpSummaryHeaders.STEP_ID.value] = step_ids
        self._logger.info("Update kernel name done")


def _generate_hardware_op_event_step_id(hardware_op_events_dict: dict, step_id_to_time_dict: dict) -> None:
    """Each device kernel with a launch op gets the step of its launch op's start."""
    for events in hardware_op_events_dict.values():
        for event in events:
            if event.parent:
                event.step_id = _get_step_id_by_ts(event.parent.ts, step_id_to_time_dict)


def _get_step_id_by_ts(ts: Decimal, step_events_dict: Dict[Any, tuple]) -> Optional[Any]:
    """The first step whose [start, end] holds ts; none: the last step (no steps: None)."""
    for step_id, (start, end) in step_events_dict.items():
        if start <= ts <= end:
            return step_id
    if step_events_dict:
        return list(step_events_dict.keys())[-1]
    return None
