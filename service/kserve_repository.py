"""KServe's model repository messages on the gRPC methods they share with Triton's.

KServe's grpc_predict_v2.proto (kserve python/kserve/kserve/protocol/grpc) names the same service and methods as
Triton's (inference.GRPCInferenceService/RepositoryModelLoad, /RepositoryModelUnload), but its requests carry one
field, `string model_name = 1`, where Triton's carry `repository_name = 1, model_name = 2, parameters = 3`. A KServe
client's request reads here as repository_name = <the model>, model_name = "": it was a refusal (load) or a success
that unloaded nothing (unload). Triton refuses any repository_name ("'repository_name' specification is not
supported", UNSUPPORTED), so a request with only field 1 is KServe's and is served as such; its answer carries
KServe's fields (`model_name = 1`, `isLoaded` / `isUnloaded = 2`), which Triton's empty answer message keeps as
unknown fields (tritonclient ignores them). Its failures are KServe's too (its ModelRepositoryExtension and gRPC
interceptor): an unload of a model not loaded is ModelNotFound, NOT_FOUND "Model with name m does not exist." (its
registry holds loaded models only; Triton's form answers success), a load that fails ModelNotReady, UNAVAILABLE
"Model with name m is not ready." with the reason after it.
"""
from __future__ import annotations

from .answer_wire import field_head
from .errors import ServiceError
from .kserve_v1 import model_not_found, model_not_ready
from .oip_http import NOT_SUPPORTED
from .repository import ModelRepository



def requested_model(request) -> tuple[str, bool]:
    """The model a load / unload request names, and whether the request is KServe's form."""
    if not request.repository_name:
        return request.model_name, False
    if request.model_name or request.parameters:  # Triton's form naming a repository: Triton refuses it
        raise ServiceError(NOT_SUPPORTED, code="not_implemented")
    return request.repository_name, True


async def act(repo: ModelRepository, action: str, name: str) -> None:
    """KServe's load / unload of `name`, failing as KServe's server does."""
    if action == "unload":
        if name not in repo.models:
            raise model_not_found(name)
        repo.unload(name)
        return
    try:
        await repo.load_async(name)
    except ServiceError as e:
        raise model_not_ready(name, e.located_message) from None


def answer(message_class, name: str, kserve: bool):
    """Triton's empty answer, or with KServe's {model_name = 1: name, is(Un)Loaded = 2: true} written in."""
    if not kserve:
        return message_class()
    raw = name.encode()
    return message_class.FromString(field_head(1, len(raw)) + raw + b"\x10\x01")  # (field 2: varint 1, true)
