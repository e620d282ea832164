from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Tensor(_message.Message):
    __slots__ = ("name", "datatype", "shape", "raw_contents")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATATYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    RAW_CONTENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    datatype: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    raw_contents: bytes
    def __init__(self, name: _Optional[str] = ..., datatype: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ..., raw_contents: _Optional[bytes] = ...) -> None: ...

class Positions(_message.Message):
    __slots__ = ("values", "is_list")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    IS_LIST_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[int]
    is_list: bool
    def __init__(self, values: _Optional[_Iterable[int]] = ..., is_list: _Optional[bool] = ...) -> None: ...

class Names(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class GradSpec(_message.Message):
    __slots__ = ("get_all", "get_by_list", "grad_position", "no_grad_position", "weights", "sens_param")
    GET_ALL_FIELD_NUMBER: _ClassVar[int]
    GET_BY_LIST_FIELD_NUMBER: _ClassVar[int]
    GRAD_POSITION_FIELD_NUMBER: _ClassVar[int]
    NO_GRAD_POSITION_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    SENS_PARAM_FIELD_NUMBER: _ClassVar[int]
    get_all: bool
    get_by_list: bool
    grad_position: Positions
    no_grad_position: bool
    weights: Names
    sens_param: bool
    def __init__(self, get_all: _Optional[bool] = ..., get_by_list: _Optional[bool] = ..., grad_position: _Optional[_Union[Positions, _Mapping]] = ..., no_grad_position: _Optional[bool] = ..., weights: _Optional[_Union[Names, _Mapping]] = ..., sens_param: _Optional[bool] = ...) -> None: ...

class EvalRequest(_message.Message):
    __slots__ = ("graph_json", "graph_id", "inputs", "params", "device", "deadline_ms")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Tensor
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    graph_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    params: _containers.MessageMap[str, Tensor]
    device: str
    deadline_ms: float
    def __init__(self, graph_json: _Optional[bytes] = ..., graph_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., params: _Optional[_Mapping[str, Tensor]] = ..., device: _Optional[str] = ..., deadline_ms: _Optional[float] = ...) -> None: ...

class GradRequest(_message.Message):
    __slots__ = ("graph_json", "graph_id", "inputs", "params", "device", "deadline_ms", "get_all", "get_by_list", "grad_position", "no_grad_position", "weights", "sens", "order", "value_and_grad", "inner")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Tensor
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    GET_ALL_FIELD_NUMBER: _ClassVar[int]
    GET_BY_LIST_FIELD_NUMBER: _ClassVar[int]
    GRAD_POSITION_FIELD_NUMBER: _ClassVar[int]
    NO_GRAD_POSITION_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    SENS_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    VALUE_AND_GRAD_FIELD_NUMBER: _ClassVar[int]
    INNER_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    graph_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    params: _containers.MessageMap[str, Tensor]
    device: str
    deadline_ms: float
    get_all: bool
    get_by_list: bool
    grad_position: Positions
    no_grad_position: bool
    weights: Names
    sens: _containers.RepeatedCompositeFieldContainer[Tensor]
    order: int
    value_and_grad: bool
    inner: _containers.RepeatedCompositeFieldContainer[GradSpec]
    def __init__(self, graph_json: _Optional[bytes] = ..., graph_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., params: _Optional[_Mapping[str, Tensor]] = ..., device: _Optional[str] = ..., deadline_ms: _Optional[float] = ..., get_all: _Optional[bool] = ..., get_by_list: _Optional[bool] = ..., grad_position: _Optional[_Union[Positions, _Mapping]] = ..., no_grad_position: _Optional[bool] = ..., weights: _Optional[_Union[Names, _Mapping]] = ..., sens: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., order: _Optional[int] = ..., value_and_grad: _Optional[bool] = ..., inner: _Optional[_Iterable[_Union[GradSpec, _Mapping]]] = ...) -> None: ...

class JvpRequest(_message.Message):
    __slots__ = ("graph_json", "graph_id", "inputs", "params", "device", "deadline_ms", "tangents", "positions")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Tensor
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    TANGENTS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    graph_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    params: _containers.MessageMap[str, Tensor]
    device: str
    deadline_ms: float
    tangents: _containers.RepeatedCompositeFieldContainer[Tensor]
    positions: Positions
    def __init__(self, graph_json: _Optional[bytes] = ..., graph_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., params: _Optional[_Mapping[str, Tensor]] = ..., device: _Optional[str] = ..., deadline_ms: _Optional[float] = ..., tangents: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., positions: _Optional[_Union[Positions, _Mapping]] = ...) -> None: ...

class VjpRequest(_message.Message):
    __slots__ = ("graph_json", "graph_id", "inputs", "params", "device", "deadline_ms", "v")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Tensor
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    V_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    graph_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    params: _containers.MessageMap[str, Tensor]
    device: str
    deadline_ms: float
    v: _containers.RepeatedCompositeFieldContainer[Tensor]
    def __init__(self, graph_json: _Optional[bytes] = ..., graph_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., params: _Optional[_Mapping[str, Tensor]] = ..., device: _Optional[str] = ..., deadline_ms: _Optional[float] = ..., v: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ...) -> None: ...

class JacobianRequest(_message.Message):
    __slots__ = ("graph_json", "graph_id", "inputs", "params", "device", "deadline_ms", "positions", "mode")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Tensor
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    graph_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    params: _containers.MessageMap[str, Tensor]
    device: str
    deadline_ms: float
    positions: Positions
    mode: str
    def __init__(self, graph_json: _Optional[bytes] = ..., graph_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., params: _Optional[_Mapping[str, Tensor]] = ..., device: _Optional[str] = ..., deadline_ms: _Optional[float] = ..., positions: _Optional[_Union[Positions, _Mapping]] = ..., mode: _Optional[str] = ...) -> None: ...

class HessianRequest(_message.Message):
    __slots__ = ("graph_json", "graph_id", "inputs", "params", "device", "deadline_ms", "positions")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Tensor
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    graph_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    params: _containers.MessageMap[str, Tensor]
    device: str
    deadline_ms: float
    positions: Positions
    def __init__(self, graph_json: _Optional[bytes] = ..., graph_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., params: _Optional[_Mapping[str, Tensor]] = ..., device: _Optional[str] = ..., deadline_ms: _Optional[float] = ..., positions: _Optional[_Union[Positions, _Mapping]] = ...) -> None: ...

class HvpRequest(_message.Message):
    __slots__ = ("graph_json", "graph_id", "inputs", "params", "device", "deadline_ms", "positions", "v")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Tensor
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    V_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    graph_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    params: _containers.MessageMap[str, Tensor]
    device: str
    deadline_ms: float
    positions: Positions
    v: _containers.RepeatedCompositeFieldContainer[Tensor]
    def __init__(self, graph_json: _Optional[bytes] = ..., graph_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., params: _Optional[_Mapping[str, Tensor]] = ..., device: _Optional[str] = ..., deadline_ms: _Optional[float] = ..., positions: _Optional[_Union[Positions, _Mapping]] = ..., v: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ...) -> None: ...

class Structure(_message.Message):
    __slots__ = ("index", "tuple")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TUPLE_FIELD_NUMBER: _ClassVar[int]
    index: int
    tuple: StructureTuple
    def __init__(self, index: _Optional[int] = ..., tuple: _Optional[_Union[StructureTuple, _Mapping]] = ...) -> None: ...

class StructureTuple(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Structure]
    def __init__(self, items: _Optional[_Iterable[_Union[Structure, _Mapping]]] = ...) -> None: ...

class Timing(_message.Message):
    __slots__ = ("queue_ms", "compute_ms", "total_ms", "compile_cache", "threads", "reclaimed", "lane")
    QUEUE_MS_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_MS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    COMPILE_CACHE_FIELD_NUMBER: _ClassVar[int]
    THREADS_FIELD_NUMBER: _ClassVar[int]
    RECLAIMED_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    queue_ms: float
    compute_ms: float
    total_ms: float
    compile_cache: str
    threads: int
    reclaimed: bool
    lane: str
    def __init__(self, queue_ms: _Optional[float] = ..., compute_ms: _Optional[float] = ..., total_ms: _Optional[float] = ..., compile_cache: _Optional[str] = ..., threads: _Optional[int] = ..., reclaimed: _Optional[bool] = ..., lane: _Optional[str] = ...) -> None: ...

class JobResponse(_message.Message):
    __slots__ = ("outputs", "structure", "graph_id", "device", "timing")
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    STRUCTURE_FIELD_NUMBER: _ClassVar[int]
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    outputs: _containers.RepeatedCompositeFieldContainer[Tensor]
    structure: Structure
    graph_id: str
    device: str
    timing: Timing
    def __init__(self, outputs: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., structure: _Optional[_Union[Structure, _Mapping]] = ..., graph_id: _Optional[str] = ..., device: _Optional[str] = ..., timing: _Optional[_Union[Timing, _Mapping]] = ...) -> None: ...

class TensorSpec(_message.Message):
    __slots__ = ("name", "datatype", "shape")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATATYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    datatype: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., datatype: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ...) -> None: ...

class Signature(_message.Message):
    __slots__ = ("inputs", "params", "outputs")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    params: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    outputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    def __init__(self, inputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ..., params: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ...) -> None: ...

class RegisterGraphRequest(_message.Message):
    __slots__ = ("graph_json",)
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    graph_json: bytes
    def __init__(self, graph_json: _Optional[bytes] = ...) -> None: ...

class RegisterGraphResponse(_message.Message):
    __slots__ = ("graph_id", "signature")
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    graph_id: str
    signature: Signature
    def __init__(self, graph_id: _Optional[str] = ..., signature: _Optional[_Union[Signature, _Mapping]] = ...) -> None: ...

class GetGraphRequest(_message.Message):
    __slots__ = ("graph_id",)
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    graph_id: str
    def __init__(self, graph_id: _Optional[str] = ...) -> None: ...

class GetGraphResponse(_message.Message):
    __slots__ = ("graph_id", "graph_json", "signature")
    GRAPH_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_JSON_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    graph_id: str
    graph_json: bytes
    signature: Signature
    def __init__(self, graph_id: _Optional[str] = ..., graph_json: _Optional[bytes] = ..., signature: _Optional[_Union[Signature, _Mapping]] = ...) -> None: ...

class PutTensorsRequest(_message.Message):
    __slots__ = ("tensors",)
    TENSORS_FIELD_NUMBER: _ClassVar[int]
    tensors: _containers.RepeatedCompositeFieldContainer[Tensor]
    def __init__(self, tensors: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ...) -> None: ...

class PutTensorsResponse(_message.Message):
    __slots__ = ("sha256", "stored")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    sha256: _containers.RepeatedScalarFieldContainer[str]
    stored: int
    def __init__(self, sha256: _Optional[_Iterable[str]] = ..., stored: _Optional[int] = ...) -> None: ...

class MissingTensorsRequest(_message.Message):
    __slots__ = ("sha256",)
    SHA256_FIELD_NUMBER: _ClassVar[int]
    sha256: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, sha256: _Optional[_Iterable[str]] = ...) -> None: ...

class MissingTensorsResponse(_message.Message):
    __slots__ = ("missing", "store_bytes", "client_bytes")
    MISSING_FIELD_NUMBER: _ClassVar[int]
    STORE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CLIENT_BYTES_FIELD_NUMBER: _ClassVar[int]
    missing: _containers.RepeatedScalarFieldContainer[str]
    store_bytes: int
    client_bytes: int
    def __init__(self, missing: _Optional[_Iterable[str]] = ..., store_bytes: _Optional[int] = ..., client_bytes: _Optional[int] = ...) -> None: ...

class DevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DevicesResponse(_message.Message):
    __slots__ = ("devices_json",)
    DEVICES_JSON_FIELD_NUMBER: _ClassVar[int]
    devices_json: bytes
    def __init__(self, devices_json: _Optional[bytes] = ...) -> None: ...

class ServerLiveRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServerLiveResponse(_message.Message):
    __slots__ = ("live",)
    LIVE_FIELD_NUMBER: _ClassVar[int]
    live: bool
    def __init__(self, live: _Optional[bool] = ...) -> None: ...

class ServerReadyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServerReadyResponse(_message.Message):
    __slots__ = ("ready",)
    READY_FIELD_NUMBER: _ClassVar[int]
    ready: bool
    def __init__(self, ready: _Optional[bool] = ...) -> None: ...
