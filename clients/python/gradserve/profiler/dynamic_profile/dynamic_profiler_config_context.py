"""`mindspore.profiler.dynamic_profile.dynamic_profiler_config_context`: the dynamic profiler's config, read from a
JSON dict (the config file's, or, in daemon ("dyno") mode, dynolog's text values), checked, and converted to the
Profiler's arguments, with MindSpore 2.10's defaults and warning texts."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from ... import log as logger
from ..common.constant import AicoreMetrics, ExportType, HostSystem, ProfilerActivity, ProfilerLevel
from .dynamic_profiler_utils import DynamicProfilerUtils

# Boolean options: (attribute, key in a config file, key in dyno mode, default in a config file). In dyno mode a
# value is text, "true"/"false" in any case, anything else False (a non-text value fails on .lower(), as MindSpore).
_BOOL_OPTIONS = (
    ("profile_memory", "profile_memory", "profile_memory", False),
    ("mstx", "mstx", "msprof_tx", False),
    ("with_stack", "with_stack", "with_stack", False),
    ("data_simplification", "data_simplification", "data_simplification", True),
    ("l2_cache", "l2_cache", "l2_cache", False),
    ("analyse", "analyse", "analyse", False),
    ("record_shapes", "record_shapes", "record_shapes", False),
)
# Comma-separated lists in dyno mode ("None" or absent: empty).
_LIST_OPTIONS = ("mstx_domain_include", "mstx_domain_exclude", "host_sys")
# Options that are text-or-bool flags in dyno mode (a non-text value: False).
_DYNO_FLAG_OPTIONS = ("sys_io", "sys_interconnection")

# Type rules applied after parsing: (attribute, expected type, default).
_TYPE_RULES: Tuple[Tuple[str, type, Any], ...] = (
    ("start_step", int, -1), ("stop_step", int, -1), ("analyse_mode", int, -1),
    ("profile_memory", bool, False), ("mstx", bool, False), ("l2_cache", bool, False), ("analyse", bool, False),
    ("parallel_strategy", bool, False), ("with_stack", bool, False), ("data_simplification", bool, True),
    ("record_shapes", bool, False), ("mstx_domain_include", list, []), ("mstx_domain_exclude", list, []),
    ("host_sys", list, []), ("sys_io", bool, False), ("sys_interconnection", bool, False),
)

# The int forms the Profiler still takes (deprecated, with a warning).
_INT_LEVELS = {-1: ProfilerLevel.LevelNone, 0: ProfilerLevel.Level0, 1: ProfilerLevel.Level1, 2: ProfilerLevel.Level2}
_INT_ACTIVITIES = {0: [ProfilerActivity.CPU, ProfilerActivity.NPU], 1: [ProfilerActivity.CPU],
                   2: [ProfilerActivity.NPU]}
_INT_AIC_METRICS = dict(enumerate(list(AicoreMetrics)[:8]))
_INT_EXPORT_TYPES = {1: [ExportType.Db], 2: [ExportType.Text, ExportType.Db]}
_DYNO_ACTIVITIES = {"CPU, NPU": ["CPU", "NPU"], "NPU, CPU": ["CPU", "NPU"], "CPU": ["CPU"], "NPU": ["NPU"]}
_DYNO_EXPORT_TYPES = {"Text": ["text"], "Db": ["db"]}
_ANALYSE_MODES = {0: "sync", 1: "async", -1: None}
_DEFAULT_ACTIVITIES = [ProfilerActivity.CPU, ProfilerActivity.NPU]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _dyno_int(json_data: dict, key: str, name: str) -> int:
    """dynolog's integer text; not a number: 0 with a warning (other types raise, as MindSpore's int())."""
    try:
        return int(json_data.get(key, 0))
    except ValueError:
        logger.warning(f"dyno config '{name}' should be an integer, will be reset to default value: '0'.")
        return 0


def _dyno_csv(value: Any) -> list:
    return [] if value is None or value == "None" else [item.strip() for item in value.split(",")]


def _enum_list(values: list, enum: type, what: str, default: list) -> list:
    """Each value as an enum member; the first that is not one: the whole list is the default, with a warning."""
    out = []
    for value in values:
        try:
            out.append(enum(value))
        except ValueError:
            logger.warning(f"'{value}' is not a valid {what} member. will be reset to default: '{default}'.")
            return list(default)
    return out


class DynamicProfilerConfigContext:
    """The dynamic profiler's options: `to_dict()` as parsed, `args` as the Profiler takes them."""
    BOOL_MAP = {"true": True, "false": False}

    def __init__(self, json_data: dict):
        # Attribute order is MindSpore's: `vars` and `args` list them in it.
        self._start_step: Any = -1
        self._stop_step: Any = -1
        self._aic_metrics: Any = "AiCoreNone"
        self._profiler_level: Any = "Level0"
        self._analyse_mode: Any = -1
        self._activities: Any = ["CPU", "NPU"]
        self._export_type: Any = ["text"]
        self._profile_memory: Any = False
        self._mstx: Any = False
        self._parallel_strategy: Any = False
        self._with_stack: Any = False
        self._data_simplification: Any = True
        self._l2_cache: Any = False
        self._analyse: Any = True
        self._is_valid: Any = False
        self._record_shapes: Any = False
        self._prof_path: Any = "./"
        self._mstx_domain_include: Any = []
        self._mstx_domain_exclude: Any = []
        self._host_sys: Any = []
        self._sys_io: Any = False
        self._sys_interconnection: Any = False
        self._is_dyno = DynamicProfilerUtils.is_dyno_mode()
        self._parse(json_data)
        self._check_params_type()
        self._json_dict = self.to_dict()

    # --- parsing -------------------------------------------------------------------------------------------
    def _parse(self, json_data: dict) -> None:
        if self._is_dyno:
            self._parse_dyno(json_data)
        else:
            self._parse_file(json_data)
        self._aic_metrics = json_data.get("aic_metrics", "AiCoreNone")
        self._analyse_mode = json_data.get("analyse_mode", -1)
        self._parallel_strategy = json_data.get("parallel_strategy", False)
        self._is_valid = json_data.get("is_valid", False)

    def _parse_file(self, json_data: dict) -> None:
        """A config file's values, taken as written (the type checks come after)."""
        self._start_step = json_data.get("start_step", -1)
        self._stop_step = json_data.get("stop_step", -1)
        self._profiler_level = json_data.get("profiler_level", "Level0")
        self._activities = json_data.get("activities", ["CPU", "NPU"])
        self._export_type = json_data.get("export_type", ["text"])
        for attr, key, _, default in _BOOL_OPTIONS:
            setattr(self, "_" + attr, json_data.get(key, default))
        self._prof_path = json_data.get("prof_path", "./")
        for attr in _LIST_OPTIONS:
            setattr(self, "_" + attr, json_data.get(attr, []))
        for attr in _DYNO_FLAG_OPTIONS:
            setattr(self, "_" + attr, json_data.get(attr, False))

    def _parse_dyno(self, json_data: dict) -> None:
        """dynolog's text values. MindSpore reads start_step twice (for start and for stop), so an invalid one
        warns twice; kept, the log is the same."""
        self._start_step = _dyno_int(json_data, "start_step", "start-step")
        start = _dyno_int(json_data, "start_step", "start-step")
        self._stop_step = start + _dyno_int(json_data, "iterations", "iterations") - 1
        level = json_data.get("profiler_level", "Level0")
        self._profiler_level = "LevelNone" if level == "Level_none" else level
        self._activities = _DYNO_ACTIVITIES.get(json_data.get("activities", "CPU, NPU"), ["CPU", "NPU"])
        self._export_type = _DYNO_EXPORT_TYPES.get(json_data.get("export_type", "Text"), ["text"])
        for attr, _, key, _ in _BOOL_OPTIONS:
            setattr(self, "_" + attr, self.BOOL_MAP.get(json_data.get(key, "").lower(), False))
        prof_path = json_data.get("log_file", "./")
        if not isinstance(prof_path, str):
            logger.warning("The 'log-file' must be a string, will be set to default: './'.")
            prof_path = "./"
        self._prof_path = prof_path
        for attr in _LIST_OPTIONS:
            setattr(self, "_" + attr, _dyno_csv(json_data.get(attr, None)))
        for attr in _DYNO_FLAG_OPTIONS:
            value = json_data.get(attr, False)
            setattr(self, "_" + attr, self.BOOL_MAP.get(value.lower(), False) if isinstance(value, str) else False)

    # --- checks --------------------------------------------------------------------------------------------
    def _check_params_type(self) -> None:
        for attr, expected, default in _TYPE_RULES:
            value = getattr(self, "_" + attr)
            valid = _is_int(value) if expected is int else isinstance(value, expected)
            if not valid:
                logger.warning(f"'{attr}' should be {expected.__name__}, but got {type(value).__name__}. "
                               f"will be reset to default value: '{default}'.")
                setattr(self, "_" + attr, default)
        self._check_text_or_int("aic_metrics", str, "a string", AicoreMetrics.AiCoreNone.value, "'AiCoreNone'")
        self._check_text_or_int("profiler_level", str, "a string", ProfilerLevel.Level0.value, "'Level0'")
        self._check_text_or_int("activities", list, "a list", [ProfilerActivity.CPU.value, ProfilerActivity.NPU.value],
                                "'[ProfilerActivity.CPU, ProfilerActivity.NPU]'")
        self._check_text_or_int("export_type", list, "a list", [ExportType.Text.value], "'[ExportType.Text]'")
        if not isinstance(self._prof_path, str):
            logger.warning(f"'prof_path' should be str, but got {type(self._prof_path).__name__}. ")
            self._prof_path = "./"

    def _check_text_or_int(self, attr: str, kind: type, kind_text: str, default: Any, default_text: str) -> None:
        value = getattr(self, "_" + attr)
        if not (isinstance(value, kind) or _is_int(value)):
            logger.warning(f"'{attr}' should be {kind_text} or a non-bool integer, but got {type(value).__name__}. "
                           f"Will be reset to default value: {default_text}.")
            setattr(self, "_" + attr, default)

    # --- properties ----------------------------------------------------------------------------------------
    @property
    def start_step(self) -> Any:
        return self._start_step

    @property
    def stop_step(self) -> Any:
        return self._stop_step

    @property
    def is_valid(self) -> Any:
        return self._is_valid

    @is_valid.setter
    def is_valid(self, value: Any) -> None:
        self._is_valid = value

    @property
    def analyse_mode(self) -> Optional[str]:
        return self._convert_analyse_mode(self._analyse_mode)

    @property
    def prof_path(self) -> Any:
        return self._prof_path

    @property
    def analyse(self) -> Any:
        return self._analyse

    @property
    def vars(self) -> Dict[str, Any]:
        """The options by name (is_valid, is_dyno and the parsed dict left out)."""
        return {key[1:]: value for key, value in self.__dict__.items()
                if key not in ("_json_dict", "_is_dyno", "_is_valid")}

    @property
    def args(self) -> Dict[str, Any]:
        """The Profiler's arguments: the enum options converted in place (as MindSpore: a later `to_dict()` shows
        the converted values); every other attribute but the steps, analyse_mode and is_valid, by name."""
        self._profiler_level = self._convert_profiler_level(self._profiler_level)
        self._activities = self._convert_activities(self._activities)
        self._aic_metrics = self._convert_aic_metrics(self._aic_metrics)
        self._export_type = self._convert_export_type(self._export_type)
        self._host_sys = self._convert_host_sys(self._host_sys)
        skipped = ("_start_step", "_stop_step", "_analyse_mode", "_is_valid")
        return {key[1:]: value for key, value in self.__dict__.items() if key not in skipped}

    def to_dict(self) -> Dict[str, Any]:
        return {
            "start_step": self._start_step, "stop_step": self._stop_step, "aic_metrics": self._aic_metrics,
            "profiler_level": self._profiler_level, "analyse_mode": self._analyse_mode,
            "activities": self._activities, "export_type": self._export_type,
            "profile_memory": self._profile_memory, "mstx": self._mstx, "parallel_strategy": self._parallel_strategy,
            "with_stack": self._with_stack, "data_simplification": self._data_simplification,
            "l2_cache": self._l2_cache, "analyse": self._analyse, "record_shapes": self._record_shapes,
            "prof_path": self._prof_path, "mstx_domain_include": self._mstx_domain_include,
            "mstx_domain_exclude": self._mstx_domain_exclude, "sys_io": self._sys_io,
            "sys_interconnection": self._sys_interconnection, "host_sys": self._host_sys, "is_valid": self._is_valid,
        }

    # --- bytes (the shared-memory form) --------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        return self.json_to_bytes(self._json_dict)

    @staticmethod
    def json_to_bytes(json_data: Any) -> bytes:
        return json.dumps(json_data).encode("utf-8")

    @staticmethod
    def bytes_to_json(bytes_shm: bytes) -> Any:
        """The JSON in UTF-8 bytes; bytes that are not UTF-8: {} with an error logged (bad JSON raises)."""
        try:
            return json.loads(bytes_shm.decode("utf-8"))
        except UnicodeDecodeError:
            logger.error("Failed to parse dynamic profiler config JSON string.")
            return {}

    # --- conversions to the Profiler's arguments -----------------------------------------------------------
    @staticmethod
    def _convert_analyse_mode(analyse_mode: Any) -> Optional[str]:
        if analyse_mode in _ANALYSE_MODES:
            return _ANALYSE_MODES[analyse_mode]
        logger.warning(f"'analyse_mode' needs to be set to one of '-1, 0, and 1', but got '{analyse_mode}', "
                       f"will be reset to default: 'None'.")
        return None

    @staticmethod
    def _deprecated_int(name: str, value: int, kind: str) -> None:
        logger.warning(f"The parameter '{name}={value}' does not support passing in the int type in future versions. "
                       f"Please use the {kind} type instead.")

    def _convert_profiler_level(self, level: Any) -> ProfilerLevel:
        if isinstance(level, int):
            self._deprecated_int("profiler_level", level, "str")
            if level in _INT_LEVELS:
                return _INT_LEVELS[level]
            logger.warning(f"'profiler_level' needs to be set to one of '-1, 0, 1 and 2', but got '{level}',"
                           f"will be reset to default: '{ProfilerLevel.Level0}'.")
            return ProfilerLevel.Level0
        try:
            return ProfilerLevel(level)
        except ValueError:
            logger.warning(f"'{level}' is not a valid profiler_level, will be reset to will be reset to default: "
                           f"'Level0'.")
            return ProfilerLevel.Level0

    def _convert_activities(self, activities: Any) -> List[ProfilerActivity]:
        if isinstance(activities, int):
            self._deprecated_int("activities", activities, "list")
            if activities in _INT_ACTIVITIES:
                return list(_INT_ACTIVITIES[activities])
            logger.warning(f"'activities' needs to be set to one of '0, 1 and 2', but got '{activities}',"
                           f"will be reset to default: '{_DEFAULT_ACTIVITIES}'.")
            return list(_DEFAULT_ACTIVITIES)
        return _enum_list(activities, ProfilerActivity, "ProfilerActivity", _DEFAULT_ACTIVITIES)

    def _convert_aic_metrics(self, metrics: Any) -> AicoreMetrics:
        if isinstance(metrics, int):
            self._deprecated_int("aic_metrics", metrics, "str")
            if metrics in _INT_AIC_METRICS:
                return _INT_AIC_METRICS[metrics]
            logger.warning(f"'aic_metrics' needs to be set to one of '0, 1, 2, 3, 4, 5, 6, and 7',"
                           f"but got '{metrics}', will be reset to default: '{AicoreMetrics.AiCoreNone}'.")
            return AicoreMetrics.AiCoreNone
        if metrics == "AiCoreNone":  # the member's name, its value being "None"
            return AicoreMetrics.AiCoreNone
        try:
            return AicoreMetrics(metrics)
        except ValueError:
            logger.warning(f"'{metrics}' is not a valid aic_metrics, will be reset to will be reset to default: "
                           f"'AiCoreNone'.")
            return AicoreMetrics.AiCoreNone

    def _convert_export_type(self, export_types: Any) -> List[ExportType]:
        if isinstance(export_types, int):
            self._deprecated_int("export_type", export_types, "list")
            if export_types in _INT_EXPORT_TYPES:
                return list(_INT_EXPORT_TYPES[export_types])
            logger.warning(f"'export_types' needs to be set to one of '1 and 2', but got '{export_types}', "
                           f"will be reset to default: '{[ExportType.Text]}'.")
            return [ExportType.Text]
        return _enum_list(export_types, ExportType, "ExportType", [ExportType.Text])

    @staticmethod
    def _convert_host_sys(host_systems: Any) -> Optional[List[HostSystem]]:
        if not host_systems:
            return None
        out = []
        for host_system in host_systems:
            try:
                out.append(HostSystem(host_system))
            except ValueError:
                logger.warning(f"'{host_system}' is not a valid HostSystem member. will be reset to default: 'None'.")
                return None
        return out
