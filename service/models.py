"""Wire models of the HTTP API (validation and OpenAPI). Tensors stay raw dicts for the codec:
pydantic checks the envelope, never walks a tensor's data."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

Positions = Union[StrictInt, list[StrictInt]]


class Tensor(BaseModel):
    """A tensor, Open Inference Protocol (KServe V2) convention: exactly one of data, b64,
    parameters.binary_data_size."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]]}]})
    name: StrictStr | None = None
    shape: list[Annotated[StrictInt, Field(ge=0)]] = Field(..., description="dimensions, row-major")
    datatype: StrictStr = Field(..., description="FP16, BF16, FP32, FP64, INT8, INT16, INT32, INT64, UINT8, UINT16, "
                                "UINT32, UINT64, BOOL, COMPLEX64 or COMPLEX128")
    data: Any = Field(None, description="flat or nested list of numbers (JSON); complex: [re, im] per element")
    b64: StrictStr | None = Field(None, description="little-endian row-major bytes, base64")
    parameters: dict[str, Any] | None = Field(None, description='binary extension: {"binary_data_size": N}')


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")
    graph: dict[str, Any] | None = Field(None, description="the network, gradserve.graph/1 (see engine/serialize.py)")
    graph_id: StrictStr | None = Field(None, description="id of a registered graph (POST /v1/graphs)")
    inputs: list[Tensor] = Field(default_factory=list, description="one tensor per graph input, in order")
    params: dict[str, Tensor] | None = Field(None, description="parameter values overriding the graph's")
    device: StrictStr = Field("cpu", description="cpu, cpu:0, torchcpu, gpu, gpu:1, ascend, ascend:0 or auto")
    # (strict: `true` read as 1 ms, a 504 for a malformed field; a number only, as a 400 names it otherwise)
    deadline_ms: StrictFloat | None = Field(None, gt=0, description="per-job deadline (default from settings); 504 "
                                            "past it")
    binary_output: StrictBool = Field(False, description="answer with the binary tensor extension")
    shared_memory_output: dict[str, Any] | None = Field(None, description="system shared memory (same-host "
                                                        "clients): {region, offset, byte_size}; the outputs that fit "
                                                        "are written there (docs/API.md)")


class EvalRequest(Job):
    pass


class GradSpec(BaseModel):
    """One inner derivative application (applied before the request's own options)."""

    model_config = ConfigDict(extra="forbid")
    get_all: StrictBool = False
    get_by_list: StrictBool = False
    grad_position: Positions | None = 0
    weights: list[StrictStr] | None = None
    sens_param: StrictBool = Field(False, description="this level takes a sens input per output, sent in inputs")


class GradRequest(Job):
    get_all: StrictBool = Field(False, description="GradOperation(get_all=True): grads of every input, a tuple")
    get_by_list: StrictBool = Field(False, description="GradOperation(get_by_list=True): grads of weights")
    grad_position: Positions | None = Field(0, description="functional grad: int, list, or null (weights only)")
    weights: list[StrictStr] | None = Field(None, description="parameter names (default with get_by_list: all)")
    sens: Tensor | list[Tensor] | None = Field(None, description="output scaling: one tensor per output")
    order: StrictInt = Field(1, ge=1, description="apply the same derivative this many times (2: GradSec(Grad))")
    value_and_grad: StrictBool = Field(False, description="return (value, grads) (functional form)")
    inner: list[GradSpec] | None = Field(None, description="nested spec: derivatives applied first, innermost first")


class JvpRequest(Job):
    tangents: list[Tensor] = Field(..., description="one tangent per input (or per position)")
    positions: Positions | None = Field(None, description="inputs the tangents belong to (default: all)")


class VjpRequest(Job):
    v: Tensor | list[Tensor] = Field(..., description="one cotangent per output")


class JacobianRequest(Job):
    positions: Positions = 0
    mode: Literal["rev", "fwd"] = "rev"
    weights: list[str] | None = Field(None, description="parameter names to differentiate by too (after the "
                                      "positions; positions [] for parameters only)")


class HessianRequest(Job):
    positions: Positions = 0
    weights: list[str] | None = Field(None, description="parameter names to differentiate by too (after the "
                                      "positions; positions [] for parameters only)")


class HvpRequest(Job):
    positions: Positions = 0
    v: Tensor | list[Tensor] = Field(..., description="one vector per position (then one per weight)")
    weights: list[str] | None = Field(None, description="parameter names to differentiate by too (after the "
                                      "positions; positions [] for parameters only)")


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    graph: dict[str, Any]


# -- responses (documentation) --------------------------------------------------------------------------
class TensorOut(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Any] | None = None
    parameters: dict[str, Any] | None = None


class JobResponse(BaseModel):
    outputs: list[TensorOut]
    structure: Any = Field(..., description="MindSpore's return structure: int = index into outputs, list = tuple")
    graph_id: str
    device: str
    timing: dict[str, Any]


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: dict[str, Any]


class ErrorResponse(BaseModel):
    error: ErrorBody


class Signature(BaseModel):
    inputs: list[dict[str, Any]]
    params: list[dict[str, Any]]
    outputs: list[dict[str, Any]]


class RegisterResponse(BaseModel):
    graph_id: str
    signature: Signature


class GraphResponse(BaseModel):
    graph_id: str
    graph: dict[str, Any]
    signature: Signature


REQUEST_MODELS = {"eval": EvalRequest, "grad": GradRequest, "jvp": JvpRequest, "vjp": VjpRequest,
                  "jacobian": JacobianRequest, "hessian": HessianRequest, "hvp": HvpRequest}
