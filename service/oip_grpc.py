"""The Open Inference Protocol gRPC service `inference.GRPCInferenceService` for the repository's models.

Served on the gRPC port beside gradserve.v1 (service.grpc_server registers it). A thin adapter:
tensors come from raw_input_contents (or the typed contents), the inference is the model's
`JobRequest` run by `Core.run` (service.repository), outputs go back as raw_output_contents.
"""
from __future__ import annotations

import logging

import grpc
import numpy as np
from google.protobuf import json_format

from .api_keys import key_ok, metadata_authorization
from . import classification, client_shm, codec, cuda_shm, kserve_repository, model_stats
from .core import Core
from .errors import Internal, InvalidRequest, NotImplementedFeature, ServiceError, Unauthorized
from .grpc_inflate import decoded, message_of, peek
from .grpc_server import call_client, grpc_code
from .answer_wire import counted_bytes
from .oip_http import (EXTENSIONS, NOT_SUPPORTED, check_input_params, check_output_params,
                       check_outputs, check_repository_params, place_outputs, select_outputs,
                       TRITON_PREFIX, server_version, queue_params, triton_config)
from .oip_proto import grpc_predict_v2_pb2 as pb
from .oip_proto import grpc_predict_v2_pb2_grpc as pb_grpc
from .repository import ModelRepository, check_inputs
from .settings import Settings

log = logging.getLogger("gradserve.oip")
SERVICE = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"].full_name  # inference.GRPCInferenceService
CONTENTS = {"FP32": "fp32_contents", "FP64": "fp64_contents", "INT32": "int_contents", "INT64": "int64_contents",
            "BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents",
            "UINT8": "uint_contents", "UINT16": "uint_contents", "UINT32": "uint_contents",
            "UINT64": "uint64_contents"}  # FP16 travels only as raw contents (the protocol says so)


# Triton's stream parameter: mark each response that is its request's last (here: every one) with
# triton_final_response, which streaming clients (async_stream_infer(enable_empty_final_response=True)) wait for
FINAL = "triton_enable_empty_final_response"


def param_dict(params) -> dict:
    """A map<string, InferParameter> as plain values."""
    return {k: getattr(v, v.WhichOneof("parameter_choice")) for k, v in params.items()
            if v.WhichOneof("parameter_choice")}


# a request parameter's InferParameter types as Triton's SetInferenceRequestMetadata takes them (its texts); a key
# not listed is a custom one (any other `triton_` key refused); priority and timeout are read by queue_params
_PARAM_TYPES = {"sequence_id": (("int64_param", "string_param"), "int64_param or string_param"),
                "sequence_start": (("bool_param",), "bool_param"), "sequence_end": (("bool_param",), "bool_param"),
                FINAL: (("bool_param",), "bool_param")}
_CUSTOM = (("int64_param", "bool_param", "string_param", "double_param"), "int64_param, bool_param, or string_param")


def check_request_params(params) -> None:
    """A ModelInferRequest's parameters as Triton's gRPC frontend takes them: the sequence parameters (not used: no
    model here has a sequence batcher, as Triton for such a model), `triton_enable_empty_final_response` (unary
    calls too, as Triton), custom ones of Triton's types (read by no model, as a backend reads only its own)."""
    for k, p in params.items():
        if k in ("priority", "timeout"):
            continue
        if k.startswith(TRITON_PREFIX) and k not in _PARAM_TYPES:
            raise InvalidRequest("parameter keys starting with 'triton_' are reserved for Triton usage. Only the "
                                 f"following keys starting with 'triton_' are allowed: {FINAL}",
                                 path=f"parameters.{k}")
        types, words = _PARAM_TYPES.get(k, _CUSTOM)
        if p.WhichOneof("parameter_choice") not in types:
            raise InvalidRequest(f"invalid value type for '{k}' parameter, expected {words}.", path=f"parameters.{k}")


def param_values(params) -> dict:
    """Every parameter's plain value, None for one of no type (for the checks: a name is seen even so)."""
    return {k: getattr(v, c) if (c := v.WhichOneof("parameter_choice")) else None for k, v in params.items()}


def _shm_input(t, io: client_shm.RegionIO, path: str, s: Settings) -> np.ndarray:
    dt = codec.np_dtype(t.datatype, path)
    shape, n = codec.tensor_shape(list(t.shape), path, s.max_elements)
    return io.tensor(param_dict(t.parameters), dt, shape, n, t.datatype, path)


def decode_inputs(m: pb.ModelInferRequest, s: Settings, io: client_shm.RegionIO | None = None) -> dict:
    """Input tensors by name: raw contents (one entry per input not in shared memory, in order), typed
    contents, or a client's shared memory region (its parameters name it; read through `io`)."""
    codec.check_tensor_count(len(m.inputs) + len(m.outputs) + len(m.raw_input_contents), s.max_tensors,
                       "inputs + outputs + raw_input_contents")
    for i, t in enumerate(m.inputs):  # (before the count of raw contents, which depends on them)
        check_input_params(param_values(t.parameters), f"inputs[{i}] ({t.name}).parameters")
    in_shm = [io is not None and "shared_memory_region" in t.parameters for t in m.inputs]
    raw = list(m.raw_input_contents)
    if raw and len(raw) != in_shm.count(False):
        raise InvalidRequest(f"raw_input_contents has {len(raw)} entries for {in_shm.count(False)} inputs")
    both = [i for i, t in enumerate(m.inputs) if raw and t.HasField("contents")]
    if both:  # (the protocol: one or the other, never both)
        path = f"inputs[{both[0]}] ({m.inputs[both[0]].name})"
        raise InvalidRequest(f"{path} has contents while raw_input_contents is given: send one or the other",
                             path=path)
    out: dict = {}
    k = 0
    for i, t in enumerate(m.inputs):
        path = f"inputs[{i}] ({t.name})"
        if t.name in out:
            raise InvalidRequest(f"input {t.name!r} is given twice", path=path)
        if in_shm[i]:
            out[t.name] = _shm_input(t, io, path, s)
            continue
        if raw:
            out[t.name] = codec.tensor_from_bytes(raw[k], list(t.shape), t.datatype, path, s.max_elements)
            k += 1
            continue
        field = CONTENTS.get(t.datatype)
        if field is None:
            codec.np_dtype(t.datatype, path)  # names an unknown datatype
            raise InvalidRequest(f"{t.datatype} inputs must use raw_input_contents", path=path)
        out[t.name] = _typed_input(t, field, path, s)
    return out


def _typed_input(t, field: str, path: str, s: Settings) -> np.ndarray:
    """A tensor from its typed contents; the shape checked as every decoded tensor's is (negative dims, or
    a product that wraps int64, would otherwise reach reshape and fail as UNKNOWN)."""
    shape, n = codec.tensor_shape(list(t.shape), path, s.max_elements)
    other = next((f.name for f, _ in t.contents.ListFields() if f.name != field), None)
    if other is not None:  # (ignored before: values the client meant went unread; Triton refuses them too)
        raise InvalidRequest(f"{path}: contents.{other} given for a {t.datatype} input, whose values go in "
                             f"contents.{field}", path=path)
    vals = getattr(t.contents, field)
    if len(vals) != n:
        raise InvalidRequest(f"{path}: {len(vals)} values in contents.{field}; shape {list(shape)} needs {n}",
                             code="shape_error", path=path)
    try:  # read as JSON data is: an INT8 of 300 or a UINT8 of -1 is refused, not wrapped (NumPy casts silently)
        return codec.strict_array(list(vals), codec.V2_TO_NP[t.datatype], t.datatype).reshape(shape)
    except (ValueError, TypeError, OverflowError) as e:
        raise InvalidRequest(f"{path}: contents.{field}: {e}", path=path) from None


def answer_bytes(resp: pb.ModelInferResponse) -> int:
    """An inference answer's tensor bytes (what grpc_unsent_answer_bytes counts: outputs are always raw contents)."""
    return sum(map(len, resp.raw_output_contents))


class InferenceServicer(pb_grpc.GRPCInferenceServiceServicer):
    def __init__(self, settings: Settings, core: Core, repo: ModelRepository):
        self.settings, self.core, self.repo = settings, core, repo
        self.keys = [k.encode() for k in settings.api_key_list]
        self.regions = client_shm.of(core, settings)

    def _check_key(self, context) -> None:
        if not self.keys:
            return
        if not key_ok(metadata_authorization(context.invocation_metadata()), self.keys):
            raise Unauthorized("missing or wrong API key: send metadata authorization: Bearer <key>")

    async def _fail(self, context, e: ServiceError):
        # cut: a message echoing a long model name must stay within the peer's metadata limit (8 KiB),
        # or the client sees its stream removed instead of the status
        await context.abort(grpc_code(e.code), e.located_message)

    async def ServerLive(self, request, context):
        return pb.ServerLiveResponse(live=self.core.live())

    async def ServerReady(self, request, context):
        return pb.ServerReadyResponse(ready=self.core.ready())

    async def ServerMetadata(self, request, context):
        return pb.ServerMetadataResponse(name="gradserve", version=server_version(), extensions=EXTENSIONS)

    async def ModelReady(self, request, context):
        try:
            self._check_key(context)
            self.repo.get(request.name, request.version)
        except Unauthorized as e:
            return await self._fail(context, e)
        except ServiceError:
            return pb.ModelReadyResponse(ready=False)
        return pb.ModelReadyResponse(ready=self.core.ready())

    async def ModelMetadata(self, request, context):
        try:
            self._check_key(context)
            md = self.repo.get(request.name, request.version).metadata()
        except ServiceError as e:
            return await self._fail(context, e)
        T = pb.ModelMetadataResponse.TensorMetadata
        return pb.ModelMetadataResponse(name=md["name"], versions=md["versions"], platform=md["platform"],
                                        inputs=[T(**t) for t in md["inputs"]], outputs=[T(**t) for t in md["outputs"]])

    async def ModelConfig(self, request, context):
        try:
            self._check_key(context)
            config = triton_config(self.repo.get(request.name, request.version))
        except ServiceError as e:
            return await self._fail(context, e)
        return pb.ModelConfigResponse(config=json_format.ParseDict(config, pb.ModelConfig()))

    async def ModelInfer(self, held, context):
        try:
            return self._unsent(context, await self._infer(held, context))
        except ServiceError as e:
            return await self._fail(context, e)

    def _unsent(self, context, resp: pb.ModelInferResponse) -> pb.ModelInferResponse:
        """A unary answer counted against its client's grpc_unsent_answer_bytes until sent (service.answer_budget;
        a stream's: ModelStreamInfer)."""
        # (a small one counted as 64 KiB: answer_wire.counted_bytes)
        self.core.unsent_answers.hold(context, self._client(context), counted_bytes(answer_bytes(resp)))
        return resp

    async def ModelStreamInfer(self, request_iterator, context):
        """Triton's stream: each request answered in order by its response or its error (error_message;
        the stream goes on). A wrong API key ends the stream as it ends a call."""
        try:
            self._check_key(context)
        except ServiceError as e:
            await self._fail(context, e)
            return
        client = self._client(context)
        async for held in request_iterator:  # (each a grpc_inflate.Held: _infer drops its message once decoded)
            rid = peek(held).id  # (read before _infer takes the message)
            try:
                resp = await self._infer(held, context, stream=True)
                # counted as a unary answer is, until written: a stream's next answer waits for the last to be
                # written, but a client holding many streams half-open held one uncounted answer on each
                release = self.core.unsent_answers.take(client, counted_bytes(answer_bytes(resp)))
            except ServiceError as e:
                # with the request's id, as Triton's (stream_infer_handler.cc: "so that client knows which request
                # failed"): the errors of a stream's requests are told apart by it
                yield pb.ModelStreamInferResponse(error_message=e.located_message,
                                                  infer_response=pb.ModelInferResponse(id=rid))
                continue
            try:
                yield pb.ModelStreamInferResponse(infer_response=resp)
            finally:  # (resumed once written; closed when the stream ends unwritten)
                if release is not None:
                    release()

    def _client(self, context, host: str | None = None) -> str:
        """The same client identity as every other protocol (service.jobs.client_of)."""
        return call_client(self.core, context, host)

    async def _infer(self, held, context, stream: bool = False) -> pb.ModelInferResponse:
        """One inference; ServiceError for the caller to answer (a call aborts, a stream sends it on). `held`: the
        request, or a grpc_inflate.Held of it (dropped once decoded, its copy given back to the body budget)."""
        request = message_of(held)
        admission = model = ran = None  # (`ran`: the model, once its job passed the checks: ModelStats.fail)
        started = model_stats.ModelStats.start()
        host = client_shm.grpc_peer_host(context.peer())
        client = self._client(context, host)
        io = client_shm.RegionIO(self.regions, host, client, triton=True)
        try:
            self._check_key(context)
            self.core.unsent_answers.check(client)  # (its answers not yet read, unary and streamed alike)
            model = self.repo.get(request.model_name, request.model_version)
            admission = self.core.admit(client)
            req = model.job(check_inputs(model, decode_inputs(request, self.settings, io)), self.core)
            req.client = client
            params = param_dict(request.parameters)
            # (a value of no known type too)
            check_request_params(request.parameters)
            final = stream and params.get(FINAL) is True  # (one response a request: it is the last)
            # the call's deadline bounds the job's; the request's `timeout` parameter (Triton's, in µs:
            # tritonclient's infer(timeout=)) its wait in the queue, as Triton's does
            if (left := context.time_remaining()) is not None:
                own = req.deadline_s if req.deadline_s is not None else self.settings.default_deadline_s
                req.deadline_s = max(1e-3, min(own, left))
            req.queue_timeout_s = queue_params({"parameters": params})
            for i, o in enumerate(request.outputs):
                check_output_params(param_values(o.parameters), f"outputs[{i}] ({o.name}).parameters")
            wanted = [(o.name, True, param_dict(o.parameters) if "shared_memory_region" in o.parameters else None,
                       classification.class_count(param_dict(o.parameters).get("classification", 0),
                                                  f"outputs[{i}] ({o.name}).parameters.classification"))
                      for i, o in enumerate(request.outputs)] or None
            check_outputs(model, wanted)
            rid = request.id
            del request  # its copy goes back to the body budget while the job waits and runs
            decoded(held)
            ran = model
            res = await self.core.run(req, admission)
            outs = place_outputs(select_outputs(model, res.outputs, wanted, True), io)
        except BaseException as e:  # (a cancelled call too: a failure of the model's, for its statistics)
            if ran is not None:
                ran.stats.fail(started)
            if isinstance(e, ServiceError) or not isinstance(e, Exception):
                raise
            # never UNKNOWN with Python's text: INTERNAL, and logged
            log.exception("internal error in ModelInfer")
            raise Internal(f"{type(e).__name__}: {e}") from None
        finally:
            if admission is not None:
                admission.release()
            io.close()
        resp = pb.ModelInferResponse(model_name=model.name, model_version="1", id=rid)
        if final:
            resp.parameters["triton_final_response"].bool_param = True
        for name, a, _, placed in outs:
            a = np.asarray(a)
            if a.dtype == object:  # a classification's strings (Triton's BYTES)
                resp.outputs.add(name=name, datatype="BYTES", shape=list(a.shape))
                resp.raw_output_contents.append(classification.serialized(a))
                continue
            o = resp.outputs.add(name=name, datatype=codec.v2_datatype(a.dtype), shape=list(a.shape))
            if placed is not None:  # in the client's region; an empty entry keeps raw contents aligned with outputs
                o.parameters["shared_memory_region"].string_param = placed["shared_memory_region"]
                o.parameters["shared_memory_offset"].int64_param = placed["shared_memory_offset"]
                o.parameters["shared_memory_byte_size"].int64_param = placed["shared_memory_byte_size"]
                resp.raw_output_contents.append(b"")
                continue
            resp.raw_output_contents.append(bytes(codec.tensor_to_bytes(a)))
        model.stats.success(started, res.timing)
        return resp

    async def ModelStatistics(self, request, context):
        try:
            self._check_key(context)
            report = model_stats.report(self.repo, request.name, request.version)
        except ServiceError as e:
            return await self._fail(context, e)
        return json_format.ParseDict(report, pb.ModelStatisticsResponse())

    async def TraceSetting(self, request, context):
        """Triton's trace settings (service.triton_settings); an empty value list is Triton's "clear"."""
        kept = self.repo.triton_settings
        try:
            self._check_key(context)
            model = self.repo.trace_model(request.model_name) if request.model_name else None
            given = {k: list(v.value) for k, v in request.settings.items()}
            # (Triton's gRPC values are lists of strings: a number is its one string)
            body = {k: None if not v else v if k == "trace_level" else v[0] if len(v) == 1 else v
                    for k, v in given.items()}
            now = kept.update_trace(model, body) if body else kept.trace_of(model)
        except ServiceError as e:
            return await self._fail(context, e)
        V = pb.TraceSettingResponse.SettingValue
        return pb.TraceSettingResponse(settings={k: V(value=v if isinstance(v, list) else [v]) for k, v in now.items()})

    async def LogSettings(self, request, context):
        kept = self.repo.triton_settings
        try:
            self._check_key(context)
            body = {k: getattr(v, c) if (c := v.WhichOneof("parameter_choice")) else None
                    for k, v in request.settings.items()}
            now = kept.update_log(body, grpc=True) if body else dict(kept.log)
        except ServiceError as e:
            return await self._fail(context, e)
        V = pb.LogSettingsResponse.SettingValue
        return pb.LogSettingsResponse(settings={
            k: V(bool_param=v) if isinstance(v, bool) else V(uint32_param=v) if isinstance(v, int) else
            V(string_param=v) for k, v in now.items()})

    async def RepositoryIndex(self, request, context):
        try:
            self._check_key(context)
            if request.repository_name:  # (Triton's grpc_server.cc: UNSUPPORTED; it was ignored here)
                raise NotImplementedFeature(NOT_SUPPORTED)
            index = self.repo.index()
        except ServiceError as e:
            return await self._fail(context, e)
        M = pb.RepositoryIndexResponse.ModelIndex
        return pb.RepositoryIndexResponse(models=[M(**m) for m in index if not request.ready or m["state"] == "READY"])

    async def _repository(self, request, context, action: str, answer_class):
        try:
            self._check_key(context)
            name, kserve = kserve_repository.requested_model(request)
            params = {k: getattr(v, c) if (c := v.WhichOneof("parameter_choice")) else None
                      for k, v in request.parameters.items()}
            config = check_repository_params(params, action, "parameters", bytes)
            if kserve:  # (its form has no parameters: requested_model)
                await kserve_repository.act(self.repo, action, name)
            elif action == "load":
                await self.repo.load_async(name, config)
            else:
                self.repo.unload(name)
        except ServiceError as e:
            return await self._fail(context, e)
        return kserve_repository.answer(answer_class, name, kserve)

    async def RepositoryModelLoad(self, request, context):
        return await self._repository(request, context, "load", pb.RepositoryModelLoadResponse)

    async def RepositoryModelUnload(self, request, context):
        return await self._repository(request, context, "unload", pb.RepositoryModelUnloadResponse)

    async def _shm(self, context, fn, *args):
        """A registry call with the peer's address and its client (whose regions); a refusal aborts with the
        error's status."""
        try:
            self._check_key(context)
            host = client_shm.grpc_peer_host(context.peer())
            return fn(*args, host, self._client(context, host))
        except ServiceError as e:
            return await self._fail(context, e)

    async def SystemSharedMemoryRegister(self, request, context):
        await self._shm(context, self.regions.register, request.name, request.key, request.offset, request.byte_size)
        return pb.SystemSharedMemoryRegisterResponse()

    async def SystemSharedMemoryUnregister(self, request, context):
        await self._shm(context, self.regions.unregister, request.name or None)
        return pb.SystemSharedMemoryUnregisterResponse()

    async def SystemSharedMemoryStatus(self, request, context):
        found = await self._shm(context, self.regions.status, request.name or None)
        R = pb.SystemSharedMemoryStatusResponse.RegionStatus
        return pb.SystemSharedMemoryStatusResponse(regions={r["name"]: R(**r) for r in found or []})


def service(settings: Settings, core: Core, repo: ModelRepository) -> tuple[str, object]:
    """(full service name, adder) for service.grpc_server.attach."""
    servicer = InferenceServicer(settings, core, repo)

    def add(server) -> None:
        pb_grpc.add_GRPCInferenceServiceServicer_to_server(servicer, server)
        server.add_generic_rpc_handlers((cuda_shm.grpc_handlers(SERVICE, servicer._check_key, servicer._fail),))
    # their handlers take grpc_inflate.Held messages (grpc_server.held_methods)
    add.held = (f"/{SERVICE}/ModelInfer", f"/{SERVICE}/ModelStreamInfer")
    return SERVICE, add
