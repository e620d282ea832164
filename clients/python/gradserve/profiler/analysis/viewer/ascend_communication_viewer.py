"""`...analysis.viewer.ascend_communication_viewer`: msprof-analyze's communication.json and
communication_matrix.json, split by step and summed, rewritten into ASCEND_PROFILER_OUTPUT (MindSpore 2.10's)."""
from __future__ import annotations

import os
import re
from collections import defaultdict
from typing import Any, Dict, List

from .... import log as logger
from ...common.constant import JitLevel
from ...common.file_manager import FileManager
from ...common.log import ProfilerLogger
from ...common.options import option
from .base_viewer import BaseViewer


def _step_key(step_info: dict) -> str:
    step_id = step_info.get("step_id")
    return "step" + step_id if step_id else "step"


class AscendCommunicationViewer(BaseViewer):
    COMMUNICATION_TIME_INFO = "Communication Time Info"
    START_TIMESTAMP = "Start Timestamp(us)"
    COMMUNICATION_BANDWIDTH_INFO = "Communication Bandwidth Info"
    HCOM_SEND = "Send"
    HCOM_RECEIVE = "Receive"
    TOTAL = "Total"
    SYNCHRONIZATION_TIME_RATIO = "Synchronization Time Ratio"
    SYNCHRONIZATION_TIME_MS = "Synchronization Time(ms)"
    WAIT_TIME_RATIO = "Wait Time Ratio"
    TRANSIT_TIME_MS = "Transit Time(ms)"
    TRANSIT_SIZE_MB = "Transit Size(MB)"
    SIZE_DISTRIBUTION = "Size Distribution"
    WAIT_TIME_MS = "Wait Time(ms)"
    BANDWIDTH_GB_S = "Bandwidth(GB/s)"
    COMMUNICATION = "communication.json"
    COMMUNICATION_MATRIX = "communication_matrix.json"
    P2P = "p2p"
    COLLECTIVE = "collective"
    TRANSPORT_TYPE = "Transport Type"
    PATTERN1 = re.compile(r"receive|send")
    PATTERN2 = re.compile(r"invalid|broadcast|allreduce|reduce|"
                          r"allgather|reducescatter|scatter|alltoall|alltoallv|alltoallvc")

    def __init__(self, **kwargs: Any) -> None:
        self.step_list: List[dict] = []
        self.output_communication: Dict[str, Any] = {}
        self.output_matrix_data: Dict[str, Any] = {}
        self._output_path = option(kwargs, "ascend_profiler_output_path")
        self._msprof_analyze_output_path = option(kwargs, "msprof_analyze_output_path")
        self._ascend_ms_dir = option(kwargs, "ascend_ms_dir")
        self._is_set_schedule = option(kwargs, "is_set_schedule")
        self._jit_level = option(kwargs, "jit_level")
        ProfilerLogger.init(self._ascend_ms_dir)
        self._logger = ProfilerLogger.get_instance()
        self._communication_input_path = os.path.join(self._msprof_analyze_output_path, self.COMMUNICATION)
        self._communication_matrix_input_path = os.path.join(self._msprof_analyze_output_path,
                                                             self.COMMUNICATION_MATRIX)
        self._communication_output_path = os.path.join(self._output_path, self.COMMUNICATION)
        self._communication_matrix_output_path = os.path.join(self._output_path, self.COMMUNICATION_MATRIX)

    def save(self, data: Any = None) -> None:
        """Any failure is logged to the profiler log, not raised (the other viewers still run)."""
        self._logger.info("AscendCommunicationViewer start")
        try:
            self._init_step_list(data)
            self._generate_communication()
            self._generate_matrix()
            self._save_analyze_data()
        except Exception as e:  # noqa: BLE001 -- MindSpore logs every failure here and goes on
            self._logger.error("Failed to save ascend communication data, error: %s", e, exc_info=True)
        self._logger.info("AscendCommunicationViewer end")

    # --- steps ---------------------------------------------------------------------------------------------
    def _init_step_list(self, data: dict) -> None:
        """Steps only with a schedule, outside graph (O2) mode and when the timeline has step spans; else one
        step "0" over all time."""
        trace_container = data.get("trace_view_container", None)
        if trace_container is None:
            raise ValueError("trace view container is None")
        step_id_to_time_dict = trace_container.get_step_id_time_dict()
        if not self._is_set_schedule or self._jit_level == JitLevel.GRAPH_LEVEL or not step_id_to_time_dict:
            self._update_default_step_list()
        else:
            self._update_step_list(step_id_to_time_dict)

    def _update_default_step_list(self) -> None:
        self.step_list = [{"step_id": "0", "start_ts": 0, "end_ts": float("inf"), "comm_ops": {}}]

    def _update_step_list(self, step_id_to_time_dict: Dict) -> None:
        for step_id, (start_time, end_time) in step_id_to_time_dict.items():
            self.step_list.append({"step_id": step_id, "start_ts": start_time, "end_ts": end_time, "comm_ops": {}})

    def _is_step_list_empty(self) -> bool:
        return not any(step_info.get("comm_ops") for step_info in self.step_list)

    # --- communication.json --------------------------------------------------------------------------------
    def _generate_communication(self) -> None:
        if not os.path.exists(self._communication_input_path):
            return
        communication_data = FileManager.read_json_file(self._communication_input_path)
        if not communication_data:
            return
        self._split_comm_op_by_step(communication_data)
        for step_info in self.step_list:
            comm_ops: Any = step_info.get("comm_ops")
            self.output_communication[_step_key(step_info)] = self._get_communication_ops_dict(comm_ops)

    def _split_comm_op_by_step(self, communication_data: dict) -> None:
        """Each op goes to the first step whose [start, end] holds its start time (ops of no step are dropped);
        with a single step, that step gets the whole dict (the same object)."""
        if len(self.step_list) == 1:
            self.step_list[0]["comm_ops"] = communication_data
        for op_name, op_info in communication_data.items():
            start_time = op_info.get(self.COMMUNICATION_TIME_INFO, {}).get(self.START_TIMESTAMP)
            for step_info in self.step_list:
                if step_info.get("start_ts", -1) <= start_time <= step_info.get("end_ts", -1):
                    step_info.get("comm_ops", {})[op_name] = op_info
                    break

    def _is_p2p(self, op_name: str) -> bool:
        """Case-sensitive "Send" / "Receive" anywhere in the name (MindSpore's test)."""
        return self.HCOM_SEND in op_name or self.HCOM_RECEIVE in op_name

    def _split_communication_p2p_ops(self, op_data: dict) -> dict:
        """{"p2p": ..., "collective": ...}; names starting "Total" are left out."""
        comm_op_dict: Dict[str, dict] = {self.P2P: {}, self.COLLECTIVE: {}}
        for op_name, op_info in op_data.items():
            if self._is_p2p(op_name):
                comm_op_dict[self.P2P][op_name] = op_info
            elif not op_name.startswith(self.TOTAL):
                comm_op_dict[self.COLLECTIVE][op_name] = op_info
        return comm_op_dict

    def _get_communication_ops_dict(self, op_data: dict) -> dict:
        comm_op_dict = self._split_communication_p2p_ops(op_data)
        self._compute_total_info(comm_op_dict[self.P2P])
        self._compute_total_info(comm_op_dict[self.COLLECTIVE])
        return comm_op_dict

    @staticmethod
    def _compute_ratio(dividend: float, divisor: float) -> float:
        if abs(divisor) < 1e-15:
            return 0
        return round(dividend / divisor, 4)

    def _compute_total_info(self, comm_ops: dict) -> None:
        """Adds "Total Op Info": the ops' times and bandwidth figures summed, with the wait and synchronisation
        ratios (an empty dict stays empty)."""
        if not comm_ops:
            return
        total_time: Dict[str, float] = defaultdict(float)
        total_bandwidth: Dict[str, dict] = {}
        for op_info in comm_ops.values():
            for info_name, info in op_info.items():
                if info_name == self.COMMUNICATION_TIME_INFO:
                    self._combine_time_info(info, total_time)
                if info_name == self.COMMUNICATION_BANDWIDTH_INFO:
                    self._combine_bandwidth_info(info, total_bandwidth)
        self._compute_time_ratio(total_time)
        comm_ops["Total Op Info"] = {
            self.COMMUNICATION_TIME_INFO: total_time,
            self.COMMUNICATION_BANDWIDTH_INFO: total_bandwidth,
        }

    def _combine_time_info(self, com_info_dict: dict, total_time_info_dict: dict) -> None:
        skipped = (self.WAIT_TIME_RATIO, self.SYNCHRONIZATION_TIME_RATIO, self.START_TIMESTAMP)
        for name, value in com_info_dict.items():
            if name not in skipped:
                total_time_info_dict[name] += value

    def _combine_bandwidth_info(self, com_info_dict: dict, total_bandwidth_info_dict: dict) -> None:
        """Per transport type: transit time and size summed, size distributions' [count, size] summed."""
        for transport_type, part in com_info_dict.items():
            total = total_bandwidth_info_dict.setdefault(transport_type, {
                self.TRANSIT_TIME_MS: 0,
                self.TRANSIT_SIZE_MB: 0,
                self.SIZE_DISTRIBUTION: defaultdict(lambda: [0, 0]),
            })
            for name, value in part.items():
                if name in (self.TRANSIT_TIME_MS, self.TRANSIT_SIZE_MB):
                    total[name] += value
                if name == self.SIZE_DISTRIBUTION:
                    for size, size_info in value.items():
                        total[name][size][0] += size_info[0]
                        total[name][size][1] += size_info[1]

    def _compute_time_ratio(self, total: dict) -> None:
        wait, transit = total.get(self.WAIT_TIME_MS, 0), total.get(self.TRANSIT_TIME_MS, 0)
        sync = total.get(self.SYNCHRONIZATION_TIME_MS, 0)
        total[self.WAIT_TIME_RATIO] = self._compute_ratio(wait, wait + transit)
        total[self.SYNCHRONIZATION_TIME_RATIO] = self._compute_ratio(sync, transit + sync)

    # --- communication_matrix.json -------------------------------------------------------------------------
    def _generate_matrix(self) -> None:
        if not os.path.exists(self._communication_matrix_input_path):
            return
        matrix_data = FileManager.read_json_file(self._communication_matrix_input_path)
        if not matrix_data:
            return
        for step, comm_matrix_data in self._split_matrix_by_step(matrix_data).items():
            self.output_matrix_data[step] = self._get_matrix_ops_dict(comm_matrix_data)

    def _split_matrix_by_step(self, matrix_data: dict) -> dict:
        """A matrix op goes to the first step whose communication ops hold its name; no step with ops: all of
        it under "step"."""
        if self._is_step_list_empty():
            return {"step": matrix_data}
        by_step: Dict[str, dict] = {}
        for op_name in matrix_data:
            for step_info in self.step_list:
                if op_name in step_info.get("comm_ops", {}):
                    by_step.setdefault(_step_key(step_info), {})[op_name] = matrix_data.get(op_name)
                    break
        return by_step

    def _matrix_op_type(self, op_name: str) -> str:
        if self._is_p2p(op_name):
            found: Any = self.PATTERN1.search(op_name.lower())  # "Send" / "Receive" in the name: always found
            return found.group()
        match = self.PATTERN2.search(op_name.lower())
        if match:
            return match.group()
        op_type = op_name.lower().split("/")[-1].split("-op")[0]
        logger.warning("Communication operator type not found communication_op: %s, use comm_op_type: %s",
                       op_name, op_type)
        return op_type

    def _get_matrix_ops_dict(self, op_data: dict) -> dict:
        """Links grouped by (op type, the text after '@', link); each link record gets its "op_name" (the text
        before '@'), then each group is summarised by _integrate_matrix_data."""
        groups: Dict[str, Dict[tuple, list]] = {self.P2P: defaultdict(list), self.COLLECTIVE: defaultdict(list)}
        for op_name, links in op_data.items():
            if not self._is_p2p(op_name) and op_name.startswith(self.TOTAL):
                continue
            kind = self.P2P if self._is_p2p(op_name) else self.COLLECTIVE
            op_type = self._matrix_op_type(op_name)
            for link, record in links.items():
                record["op_name"] = op_name.split("@")[0]
                groups[kind][(op_type, op_name.split("@")[-1], link)].append(record)
        return {kind: self._integrate_matrix_data(groups[kind]) for kind in (self.P2P, self.COLLECTIVE)}

    def _integrate_matrix_data(self, comm_op_dict_simple: dict) -> dict:
        """Per (type, group, link), the records sorted by bandwidth, highest first (in place): top1, middle,
        bottom1..3 (fewer records: the last one repeats) and total (sizes and times summed, size / time)."""
        comm_op_dict: Dict[str, dict] = defaultdict(dict)
        for (op_type, group, link), records in comm_op_dict_simple.items():
            records.sort(key=lambda x: x[self.BANDWIDTH_GB_S], reverse=True)
            t_size = sum(x.get(self.TRANSIT_SIZE_MB, 0) for x in records)
            t_time = sum(x.get(self.TRANSIT_TIME_MS, 0) for x in records)
            count = len(records)
            picks = (("top1", 0), ("middle", count // 2), ("bottom1", -1),
                     ("bottom2", -1 if count == 1 else -2), ("bottom3", -1 if count == 1 else -2 if count == 2 else -3))
            for name, index in picks:
                comm_op_dict[f"{op_type}-{name}@{group}"].update({link: records[index]})
            comm_op_dict[f"{op_type}-total@{group}"].update({link: {
                self.TRANSPORT_TYPE: records[0].get(self.TRANSPORT_TYPE, ""),
                self.TRANSIT_SIZE_MB: t_size,
                self.TRANSIT_TIME_MS: t_time,
                self.BANDWIDTH_GB_S: self._compute_ratio(t_size, t_time),
            }})
        return comm_op_dict

    # --- output --------------------------------------------------------------------------------------------
    def _save_analyze_data(self) -> None:
        """The matrix file is written only after a communication file (none: neither, as MindSpore)."""
        self._logger.info("Save ascend communication data start")
        if not self.output_communication:
            return
        FileManager.create_json_file(self._communication_output_path, self.output_communication)
        self._logger.info("Save ascend communication data done")
        if not self.output_matrix_data:
            return
        FileManager.create_json_file(self._communication_matrix_output_path, self.output_matrix_data)
        self._logger.info("Save ascend communication matrix data done")
