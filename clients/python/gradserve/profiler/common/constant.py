"""`mindspore.profiler.common.constant`: the names and values the profiler's timeline and dynamic-profile helpers
use (MindSpore 2.10's: the Chrome trace-event phases, the lanes' pids and names, the unit factors)."""
from enum import Enum


class EventConstant:
    """Chrome trace-event phases and the names and lanes MindSpore's profiler timeline uses."""
    START_FLOW = "s"
    END_FLOW = "f"
    META_EVENT = "M"
    COMPLETE_EVENT = "X"
    INSTANT_EVENT = "i"
    COUNTER_EVENT = "C"

    PROCESS_NAME = "process_name"
    PROCESS_LABEL = "process_labels"
    PROCESS_SORT = "process_sort_index"
    THREAD_NAME = "thread_name"
    THREAD_SORT = "thread_sort_index"

    CPU_LABEL = "CPU"
    ASCEND_LABEL = "NPU"

    HOST_TO_DEVICE_FLOW_CAT = "HostToDevice"
    MINDSPORE_NPU_FLOW_CAT = "async_npu"
    MINDSPORE_SELF_FLOW_CAT = "async_mindspore"
    MSTX_FLOW_CAT = "MsTx"
    MINDSPORE_SELF_FLOW_NAME = "mindspore_to_self"
    MINDSPORE_NPU_FLOW_NAME = "mindspore_to_npu"
    MSTX_FLOW_NAME = "mindspore_to_mstx"

    MINDSPORE_PID = 1
    CPU_OP_PID = 2
    SCOPE_LAYER_PID = 3
    MINDSPORE_SORT_IDX = 1
    CPU_OP_SORT_IDX = 2
    SCOPE_LAYER_SORT_IDX = 12

    SEQUENCE_NUMBER = "Sequence number"
    FORWARD_THREAD_ID = "Fwd thread id"
    OP_NAME = "op_name"
    INPUT_SHAPES = "Input Dims"
    INPUT_DTYPES = "Input type"
    CALL_STACK = "Call stack"
    MODULE_HIERARCHY = "Module Hierarchy"
    FLOPS = "flops"
    NAME = "name"
    CUSTOM_INFO = "custom_info"
    TOP_SCOPE_NAMES = ("Default", "Gradients", "recompute_Default")
    KERNEL_LAUNCH_KEYWORDS = ("KernelLaunch", "LaunchTask")
    MSTX_KEYWORD = "Mstx"
    STACK_EVENT_CAT = "python_function"
    FLOW_OP = "flow"
    INVALID_FLOW_ID = 2 ** 64 - 1


class TimeConstant:
    """Unit factors to microseconds."""
    NS_TO_US = 0.001
    MS_TO_US = 1000


class DynoMode:
    """The environment variable that turns on the dynamic profiler's daemon mode."""
    DYNO_DAEMON = "MSMONITOR_USE_DAEMON"


class TimelineLayerName(Enum):
    """The timeline's process (lane) names, in MindSpore 2.10's order."""
    MINDSPORE = "MindSpore"
    CPU_OP = "CPU OP"
    MSTX = ["python", "python3"]
    CANN = "CANN"
    SCOPER_LAYER = "Scope Layer"
    ASCEND_HARDWARE = "Ascend Hardware"
    HCCL = "HCCL"
    AI_CORE_FREQ = "AI Core Freq"
    HBM = "HBM"
    PCLE = "PCle"
    HCCS = "HCCS"
    LLC = "LLC"
    NPU_MEM = "NPU MEM"
    STARS_SOC_INFO = "Stars Soc Info"
    STARS_Chip_Trans = "Stars Chip Trans"
    ACC_PMU = "Acc PMU"
    SIO = "SIO"
    QOS = "QoS"
    NIC = "NIC"
    ROCE = "RoCE"
    OVERLAP_ANALYSIS = "Overlap Analysis"


class ProfilerLevel(Enum):
    """How much the profiler collects (LevelNone: the framework's own events only)."""
    LevelNone = "LevelNone"
    Level0 = "Level0"
    Level1 = "Level1"
    Level2 = "Level2"


class JitLevel:
    """jit_level values: kernel by kernel, with DVM, whole graph (GE: no launch ops, no CANN-to-device flows)."""
    KBK_LEVEL = "O0"
    KBK_DVM_LEVEL = "O1"
    GRAPH_LEVEL = "O2"


class FileConstant:
    """The key of a TLV record's fixed-size fields, msprof's output folder pattern and the framework folder."""
    FIX_SIZE_DATA = "fix_size_data"
    CANN_FILE_REGEX = r"^PROF_\d+_\d+_[0-9a-zA-Z]+"
    FRAMEWORK_DIR = "FRAMEWORK"


class ProfilerStepNameConstant:
    """The name prefix of a step's span on the MindSpore lane ("ProfilerStep#<step id>")."""
    PROFILER_STEP = "ProfilerStep#"


class ProfilerActivity(Enum):
    """The devices the profiler collects on (MindSpore's member order)."""
    NPU = "NPU"
    GPU = "GPU"
    CPU = "CPU"


class AicoreMetrics(Enum):
    """The AI Core counter groups; AiCoreNone's value is "None"."""
    PipeUtilization = "PipeUtilization"
    ArithmeticUtilization = "ArithmeticUtilization"
    Memory = "Memory"
    MemoryL0 = "MemoryL0"
    MemoryUB = "MemoryUB"
    ResourceConflictRatio = "ResourceConflictRatio"
    L2Cache = "L2Cache"
    MemoryAccess = "MemoryAccess"
    AiCoreNone = "None"


class ExportType(Enum):
    """The profiler's output formats."""
    Db = "db"
    Text = "text"


class HostSystem(Enum):
    """The host-side collections (host_sys)."""
    CPU = "cpu"
    MEM = "mem"
    DISK = "disk"
    NETWORK = "network"
    OSRT = "osrt"


class OpSummaryHeaders(Enum):
    """The columns of msprof's op_summary csv that the kernel-details viewer reads."""
    STEP_ID = "Step ID"
    DEVICE_ID = "Device_id"
    MODEL_NAME = "Model Name"
    MODEL_ID = "Model ID"
    TASK_ID = "Task ID"
    STREAM_ID = "Stream ID"
    OP_NAME = "Op Name"
    OP_TYPE = "OP Type"
    TASK_TYPE = "Task Type"
    TASK_START_TIME = "Task Start Time(us)"
    TASK_DURATION = "Task Duration(us)"
    TASK_WAIT_TIME = "Task Wait Time(us)"
    BLOCK_NUM = "Block Num"
    MIX_BLOCK_NUM = "Mix Block Num"
    HF32_ELIGIBLE = "HF32 Eligible"
    INPUT_SHAPES = "Input Shapes"
    INPUT_DATA_TYPES = "Input Data Types"
    INPUT_FORMATS = "Input Formats"
    OUTPUT_SHAPES = "Output Shapes"
    OUTPUT_DATA_TYPES = "Output Data Types"
    OUTPUT_FORMATS = "Output Formats"
    CONTEXT_ID = "Context ID"


class OverlapAnalysisTidName(Enum):
    """The threads of the timeline's "Overlap Analysis" lane."""
    COMPUTING = "Computing"
    COMMUNICATION = "Communication"
    COMMUNICATION_NOT_OVERLAP = "Communication(Not Overlapped)"
    FREE = "Free"


class DeviceTarget(Enum):
    """The device a program runs on (NPU's value is "Ascend")."""
    CPU = "CPU"
    GPU = "GPU"
    NPU = "Ascend"
