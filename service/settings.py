"""One pydantic Settings for the whole server: GRADSERVE_* environment variables, overridden by CLI flags.

Every field is a flag of `gradserve-server` (service.cli builds the parser from this class),
so `gradserve-server --help` documents all of them. Nothing is read at import time.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .client_identity import ip_of

KNOWN_POOLS = ("cpu", "torchcpu", "gpu", "ascend")
LOOPBACK_NAMES = ("localhost", "ip6-localhost")
# A lone JSON body may always cost this much to parse (max_parse_bytes 0): ~10 M numbers, a decoder's ~0.6 GB
PARSE_CAP_MIN = 1 << 30


def _default_cpu_workers() -> int:
    from .cpu_quota import usable_cpus

    return usable_cpus()  # affinity capped by the container's CPU quota, not the host's cores


def _csv(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.split(",") if s.strip()]
    return [str(s).strip() for s in v if str(s).strip()]


# the graph caches' per-client bound (service.registry.CLIENT_SHARE), said where each cache's setting is
_SHARE = (" One client's entries hold at most half of it (service.registry.CLIENT_SHARE): past that its own oldest "
          "go first, never another client's.")


class ConfigError(RuntimeError):
    """Settings that cannot work (e.g. a non-loopback bind without API keys): the server refuses to start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRADSERVE_", extra="ignore", validate_default=True)

    # -- network ---------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the HTTP server binds. A non-loopback address requires "
                      "API keys unless allow_unauthenticated is set.")
    port: int = Field(8000, ge=0, le=65535, description="HTTP port (0: any free port).")
    grpc_port: int = Field(8001, ge=0, le=65535, description="gRPC port, on the same host (0: any free port).")
    grpc: bool = Field(True, description="Serve the gRPC API (gradserve.v1, grpc.health.v1, reflection) on "
                       "grpc_port beside HTTP; --no-grpc: HTTP only.")
    # -- pools ------------------------------------------------------------------------------------
    devices: str = Field("cpu", description="Comma-separated pools to start: cpu (NumPy), torchcpu (PyTorch on "
                         "CPU), gpu (CuPy, one worker per CUDA device), ascend (torch_npu, one worker per NPU).")
    cpu_workers: int = Field(default_factory=_default_cpu_workers, ge=1,
                             description="Worker processes of the cpu pool (default: usable cores).")
    cpu_backend: Literal["numpy", "torch", "array_api_strict"] = Field(
        "numpy", description="Engine backend of the cpu pool.")
    torchcpu_workers: int = Field(1, ge=1, description="Worker processes of the torchcpu pool.")
    gpu_devices: str = Field("", description="CUDA device indices for the gpu pool (default: all visible).")
    ascend_devices: str = Field("", description="NPU indices for the ascend pool (default: all visible).")
    pin_cpus: bool = Field(True, description="Pin CPU workers to cores (os.sched_setaffinity) and set BLAS "
                           "threads to match.")
    lend_cores: bool = Field(True, description="A job that starts while other CPU workers are idle and nothing "
                             "is queued borrows their cores (wider affinity, one BLAS thread per core), and gives "
                             "them back at once when another job arrives; needs pin_cpus. The threads a job ran "
                             "with are its timing's `threads`.")
    lend_min_ms: float = Field(2.0, ge=0, description="Lend cores only to graphs whose last run took at least this "
                               "many ms of one-core time (small jobs lose to waking threads), or whose lent runs "
                               "were faster; 0: every job, even a graph's first.")
    inline_max_ms: float = Field(4.0, ge=0, description="Inline lane (service.inline): a cpu-pool (NumPy) job "
                                 "whose derived graph already ran in workers (twice: the lane compiles a graph once "
                                 "it comes back) in at most this many ms of compute (a first run's less its "
                                 "compile) runs in the server's own process, without the worker hop, while a worker is "
                                 "idle, nothing is queued and the inline budget allows; 0: off (every job goes to "
                                 "a worker). The job's timing says which `lane` ran it.")
    direct_lanes: bool = Field(True, description="Direct lanes (issue #13): a same-host SDK client whose repeated "
                               "shared-memory job has every tensor in regions the server made may be granted a "
                               "direct lane to one CPU worker (never the pool's last idle one): its next identical "
                               "requests go straight to that worker, the server main off the path, counted, "
                               "admitted and held to their deadline as HTTP jobs (service.lanes; "
                               "benchmarks/LOOPS_REPORT.md). false: every job over HTTP (GRADSERVE_DIRECT_LANES=0 "
                               "in a client's environment turns its side off).")
    inline_share: float = Field(0.5, gt=0, le=1, description="Most of the server's event loop the inline lane may "
                                "use, as a share of wall time over a short window; past it jobs go to workers.")
    first_build_cap: bool = Field(True, description="A job whose cost is unknown (a program no worker has built and "
                                  "none has timed: its build may spend max_work, tens of seconds) does not take a "
                                  "pool's last idle worker while its client already has such a job running there; it "
                                  "waits in the queue, in that worker's place (not one of queue_size's), until a worker frees "
                                  "(Pool._first_build_waits). One client's new programs cannot hold every worker. "
                                  "false: first builds start like any job.")
    refused_work_share: float = Field(0.5, ge=0, description="Most of one worker, as a share of wall time, that one "
                                      "client's builds refused for max_work / max_nodes (and workers recycled for its "
                                      "cancelled jobs, or dead under its jobs, with their restarts) may take over "
                                      "time: past "
                                      "refused_work_burst_s of worker time so spent, that client's jobs of unknown cost "
                                      "get 429 (Retry-After: until its account is back under) while its known programs "
                                      "run as before (service.refusals.RefusedWork). 0: no bound. (Clients are API "
                                      "keys, else peer hosts: without keys, every client of one host shares it.)")
    refused_work_burst_s: float = Field(120.0, gt=0, description="Worker seconds of refused builds a client may spend "
                                        "at once before refused_work_share applies.")
    queue_size: int = Field(64, ge=0, description="Jobs waiting per pool beyond the busy workers; past it, 429.")
    retry_after_s: int = Field(1, ge=1, description="Retry-After seconds sent with 429.")
    default_deadline_s: float = Field(30.0, gt=0, description="Per-job deadline when a request sets none (504 past "
                                      "it).")
    max_deadline_s: float = Field(600.0, gt=0, description="Largest deadline a request may ask for.")
    drain_max_s: float = Field(40.0, gt=0, description="On SIGTERM the server stops taking work at once (503 draining "
                               "with Retry-After, gRPC UNAVAILABLE, health NOT_SERVING) and lets each job in flight "
                               "run on to its own deadline, but none past this many seconds: jobs still running "
                               "then end with 503 draining. Keep the platform's kill grace period (Kubernetes "
                               "terminationGracePeriodSeconds) above this plus a few seconds.")
    deadline_grace_s: float = Field(0.5, ge=0, description="After a deadline, how long a busy worker may take to "
                                    "finish before it is killed and replaced; also after its client went away, "
                                    "for a job whose graph's runs took at most a tenth of this (else at once).")
    worker_start_timeout_s: float = Field(120.0, gt=0, description="How long a worker may take to start.")
    plan_cache_size: int = Field(256, ge=1, description="Compiled plans cached per worker.")
    graph_cache_size: int = Field(1024, ge=1, description="Registered / derived graphs kept by the server." + _SHARE)
    shm_threshold_bytes: int = Field(65536, ge=0, description="Tensors at least this large go to workers through "
                                     "shared memory instead of the pipe.")
    output_cache_bytes: int = Field(128 * 1024 * 1024, ge=0, description="Shared memory per worker kept for "
                                    "reuse by large outputs (pages stay mapped: no allocation per job); 0: a "
                                    "fresh segment per output.")
    input_cache_bytes: int = Field(128 * 1024 * 1024, ge=0, description="Shared memory kept for reuse by large "
                                   "binary request bodies; 0: a fresh segment per request.")
    # -- limits -----------------------------------------------------------------------------------
    max_body_bytes: int = Field(256 * 1024 * 1024, ge=1, description="Largest request body (413 past it); also "
                                "the largest gRPC request message (RESOURCE_EXHAUSTED past it).")
    max_model_bytes: int = Field(2 * 1024 ** 3, ge=1, description="Largest binary model upload (POST "
                                 "/v1/graphs with Content-Type application/onnx; ONNX protobuf's own limit is 2 "
                                 "GiB), as sent and once decompressed; 413 naming max_model_bytes past it. Such "
                                 "bodies are never JSON-parsed, so they are not bound by max_body_bytes (which "
                                 "also sizes the JSON parse cap and body budget).")
    body_budget_bytes: int = Field(0, ge=0, description="Server-wide bytes for compressed request bodies "
                                   "(Content-Encoding gzip / deflate) being inflated: each takes its compressed "
                                   "and inflated bytes as it inflates and holds the inflated ones until the "
                                   "request is decoded; past the budget, 429 overloaded with Retry-After naming "
                                   "body_budget_bytes. The admission places bound how many bodies are read at "
                                   "once, this what they inflate to (a few KiB of gzip may inflate to "
                                   "max_body_bytes). 0: twice max_body_bytes (one body of the largest size "
                                   "with room for others); below max_body_bytes, the largest bodies can only be "
                                   "sent uncompressed. Large JSON bodies' parses (a Python object per value) and "
                                   "POST /v1/graphs bodies (no admission place) take from it too; a lone body "
                                   "within max_parse_bytes goes ahead.")
    max_parse_bytes: int = Field(0, ge=0, description="Largest estimated parse cost of one JSON body (its size "
                                 "twice, plus 96 bytes per ',' and ':': a Python object per value), alone or "
                                 "not; 413 past it, naming max_parse_bytes and the estimate. A body of empty "
                                 "objects costs ~34 times its size, a b64 tensor's ~2: one 256 MiB body of "
                                 "`{}` would take ~7.6 GB. 0: the largest of body_budget_bytes, four times "
                                 "max_body_bytes (a b64 body of the largest size, or JSON numbers about a third "
                                 "of it, is served) and 1 GiB (~10 M JSON numbers).")
    parse_share: float = Field(0.5, gt=0, le=1, description="Share of the server's time one client's large "
                               "JSON bodies (above 1 MiB) may take to parse and decode, and its ONNX model imports to "
                               "convert and register, on average: orjson holds the GIL for a whole parse, stalling "
                               "every other client. Past it (by more than "
                               "parse_burst_s), 429 overloaded naming parse_share, with the Retry-After that pays "
                               "it back.")
    parse_burst_s: float = Field(4.0, gt=0, description="Seconds of parsing a client may run ahead of its "
                                 "parse_share before its large JSON bodies are refused.")
    imports_per_client: int = Field(1, ge=1, description="ONNX model imports (POST /v1/graphs, application/onnx) "
                                    "one client may have under way at once; past it, 429 overloaded naming "
                                    "imports_per_client (parse_share bounds their total time, not their overlap: "
                                    "four at once held another client's requests seconds).")
    json_decoders: int = Field(2, ge=0, description="Processes that parse JSON bodies above 1 MiB (started on "
                               "the first such body), so that a parse never holds the server's interpreter lock: "
                               "other requests, health probes too, are answered meanwhile. 0: parsed in the "
                               "server's process.")
    max_nodes: int = Field(100_000, ge=1, description="Largest graph, in nodes, as sent and once lowered. A graph "
                           "of 4096 nodes or more is registered, loaded and derived with the cyclic collector "
                           "paused (service.gc_pause): a 99 K-node chain started ~1100-1500 collections, 6-10 full ones.")
    gc_pause_max_s: float = Field(1.0, gt=0, description="Longest the cyclic collector stays paused for "
                                  "overlapping large parses and graphs (service.gc_pause, which nests across "
                                  "threads): past it, the next of them to begin or end runs the young (or middle) "
                                  "collection the collector would have run, so a stream of large bodies cannot keep "
                                  "it off, and other requests' cyclic garbage uncollected, for the stream's length.")
    gc_settle_objects: int = Field(100_000, ge=0, description="Tracked objects a large parse or graph load (with "
                                   "the collector paused, service.gc_pause) may leave alive before they are walked "
                                   "once, by a full collection in the request's own thread, and frozen out of later "
                                   "collections (~5 a graph node: ~20 K nodes): a 99 K-node chain's ~495 K objects were "
                                   "walked young, middle and by each full collection after, 0.3-1.6 s each on the "
                                   "server's interpreter lock. What is frozen is walked again once its count has "
                                   "doubled and grown by 1 M objects (a cycle frozen alive and dropped since is "
                                   "collected then). 0: never.")
    max_elements: int = Field(64 * 1024 * 1024, ge=1, description="Largest tensor, in elements.")
    max_tensors: int = Field(65536, ge=1, description="Most tensors in one request, gRPC or HTTP (inputs, params, "
                             "sens / tangents / v; an inference's inputs, requested outputs and raw contents; "
                             "UM-Bridge's input vectors; and a graph's outputs, each a tensor of the answer), refused (RESOURCE_EXHAUSTED, HTTP 413, naming max_tensors "
                             "and the count per field) before any is looked at (HTTP: right after the parse, in "
                             "the JSON decoder process): 2 M empty gRPC tensors are 3.8 MiB of message but took "
                             "4.2 s and 1.2 GB as one Python object each; 1 M tiny JSON inputs took 22.8 s and "
                             "+709 MiB.")
    max_json_containers: int = Field(1_000_000, ge=1, description="Most JSON objects and arrays in one HTTP "
                                     "request body or gRPC graph_json (its '{' and '[' bytes, counted before the parse, in the JSON "
                                     "decoder process for a large body); 413 limit_exceeded (RESOURCE_EXHAUSTED) past it, naming "
                                     "max_json_containers. 8 M `[]` (16 MB, under max_parse_bytes) took 12-16 s "
                                     "and +630 MiB and stalled other clients 3.5 s; 990 K cost ~4 s and a 1.1 s "
                                     "stall on a loaded 2-core box, most of it the cyclic collector's (now paused "
                                     "while a body is parsed and unpickled, service.gc_pause: 0.8-1.5 s, a 65-75 ms "
                                     "stall). A (500 K, 2) tensor sent as nested lists "
                                     "has 500 K; flat data lists (with its shape) have one; a graph of 100 K "
                                     "nodes (max_nodes) ~600 K.")
    max_depth: int = Field(32, ge=1, description="Deepest nesting of output structures and data lists.")
    max_order: int = Field(4, ge=1, description="Highest derivative order a request may ask for.")
    max_work: int = Field(200_000, ge=1, description="Work allowed to build one derived graph or to lower one "
                          "graph for a worker: equations emitted and function calls inlined, before duplicates "
                          "merge, and each equation re-emitted or rewritten by the passes that simplify them (a "
                          "unit: ~50-70 us of one core); 413 past it.")
    max_job_bytes: int = Field(4 * 1024 ** 3, ge=1, description="Per-job memory budget: a plan's estimated peak "
                               "bytes (inputs, parameters, constants, intermediates alive at once), checked before "
                               "it is compiled or run; 413 past it.")
    max_job_flops: int = Field(10 ** 13, ge=1, description="Per-job compute budget: a plan's estimated operations "
                               "(2 K per element of a matmul's output, ~2 n^3 per factorised matrix, one per "
                               "element read or written by other ops), checked before it is compiled or run; 413 "
                               "naming the costliest node past it. A loop body counts once (the deadline bounds "
                               "its trips).")
    max_output_bytes: int = Field(256 * 1024 * 1024, ge=1, description="Largest JSON response a job may "
                                  "produce, in bytes as encoded (~16 bytes per element); 413 before running past it.")
    max_binary_output_bytes: int = Field(2 * 1024 ** 3, ge=1, description="Largest binary response a job may "
                                         "produce (output_format binary: raw tensor bytes, e.g. a 2 GiB model's "
                                         "weight gradients); 413 before running past it, naming "
                                         "max_binary_output_bytes. The plan's peak stays bound by max_job_bytes.")
    derive_threads: int = Field(2, ge=1, description="Threads that build derived graphs off the event loop (one "
                                "client uses at most derive_threads - 1 at once, at least one); jobs waiting for "
                                "one hold their admission place.")
    # -- connections --------------------------------------------------------------------------------
    body_timeout_s: float = Field(30.0, gt=0, description="A request body must arrive within this (408 past it, "
                                  "its admission place freed).")
    send_timeout_s: float = Field(30.0, gt=0, description="A client must take each chunk of a large response "
                                  "(over 1 MiB, binary or JSON) within this, and a response's bytes must start "
                                  "draining within this once the send buffer is full; past it the connection is "
                                  "reset and the output's memory freed (a client that never reads cannot hold it).")
    header_timeout_s: float = Field(10.0, gt=0, description="Request headers must arrive within this after the "
                                    "connection opens or the previous response ends (the connection is closed).")
    max_header_bytes: int = Field(65536, ge=1024, description="Largest request head (request line + headers); "
                                  "431 and the connection closed past it.")
    idle_timeout_s: float = Field(5.0, gt=0, description="An idle keep-alive connection is closed after this.")
    max_connections: int = Field(1000, ge=1, description="Open HTTP connections (and requests in progress) per "
                                 "server; past it, 503.")
    peer_connection_share: float = Field(0.5, gt=0, le=1, description="The share of max_connections one peer "
                                         "address may hold open (TCP; the Unix socket's and trusted_proxies' are not "
                                         "counted; IPv6 by ipv6_client_prefix): past it, "
                                         "its new connections get 503 and are closed, so one peer's idle "
                                         "connections never lock the others out. On the gRPC port (counted apart) "
                                         "within a second a peer holding it has its new connections held back and "
                                         "its newest past it closed. 1: no share.")
    grpc_max_streams: int = Field(128, ge=1, description="Concurrent gRPC calls per connection (HTTP/2 "
                                  "max_concurrent_streams); past it a peer's new calls wait for a free stream. "
                                  "With grpc_reset_protection a stream that arrives while the server still holds "
                                  "grpc_max_streams calls (one whose answer the peer has read is held until the "
                                  "server has freed it: on a loaded box up to ~60% as many as the client has in "
                                  "flight) is refused: UNAVAILABLE RST_STREAM REFUSED_STREAM (error code 7), never "
                                  "started, safe to send again (the SDK does, while the call's timeout lasts). "
                                  "128 (was 100): a plain grpcio stub's 64 or 80 calls at once on one channel are "
                                  "all answered on a loaded box (100: 64 at once had a third refused; 96 at once "
                                  "still had some before grpc_stream_headroom); a rapid-reset flood holds at most "
                                  "this many calls (+ grpc_stream_headroom) per connection (256: another channel's worst call during one 0.5-2.1 s, 128: 0.5-0.6 s, "
                                  "100: 0.25-0.57 s).")
    grpc_reset_protection: bool = Field(True, description="grpc's rapid-reset protection (grpc.http.overload_"
                                        "protection, CVE-2023-44487): a connection's calls count until the server "
                                        "has freed them, not until their streams close. A peer that opens and "
                                        "resets 200 K calls on one connection: another channel's worst call "
                                        "0.5-0.6 s, +6-9 MiB at grpc_max_streams 128 (off: 1,033 ms, +89 MiB). Its cost: a client with "
                                        "nearly grpc_max_streams calls in flight, or more, has some refused "
                                        "(1000 at once on one channel: 5-60% of a bare grpcio stub's; none off). "
                                        "False only where every gRPC peer is trusted.")
    grpc_stream_headroom: int = Field(128, ge=0, description="Calls a gRPC connection may hold answered or "
                                      "cancelled but not yet freed by the server, past grpc_max_streams, before its "
                                      "new streams are refused: the channel arg grpc.http2.max_deallocating_streams "
                                      "(grpc core's h2_max_deallocating_streams_headroom experiment is not needed: "
                                      "forced on or off, the same results). A plain grpcio stub's 3000 calls by 96 or 120 threads on "
                                      "one channel under two CPU burners: all answered (0: 45-1003 refused, 6 runs), "
                                      "and 100 new calls right after 100 cancelled: none refused (0: 62-71). A "
                                      "rapid-reset flood is still refused past grpc_max_streams + this. 0: off.")
    grpc_read_buffer_bytes: int = Field(1024 ** 2, ge=0, description="Bytes grpc core reads from one gRPC "
                                        "connection's socket before it parses them (the channel arg grpc.experimental."
                                        "tcp_max_read_buffer_size). Unbounded, its read buffer grows with what a peer "
                                        "sends faster than it is parsed: frames of an unknown type, or a header block "
                                        "of CONTINUATIONs, written as fast as loopback takes them, grew the server's "
                                        "RSS by 136-650 MiB for as long as the connection lasted (1 MiB: +0-5 MiB; "
                                        "16 such connections: +968 MiB, 1 MiB: +19 MiB). "
                                        "0: grpc's own (unbounded).")
    grpc_unsent_answer_bytes: int = Field(128 * 1024 ** 2, ge=0, description="gRPC answer bytes (an answer under "
                                          "64 KiB counts as 64 KiB: the budget bounds their number; unary calls and ModelStreamInfer's answers alike) "
                                          "one client (API key, else peer host) may have handed to "
                                          "grpc but not yet taken (a peer that grants no flow-control credit holds "
                                          "them until its connection closes). Past it, the client's new jobs, and "
                                          "an answer that would take it past, are refused: RESOURCE_EXHAUSTED "
                                          "overloaded naming this setting, retry after (service.answer_budget). "
                                          "An answer alone above it is sent when nothing else is held. 0: no limit.")
    http_unsent_answer_bytes: int = Field(256 * 1024 ** 2, ge=0, description="Bytes of large HTTP answers (/v1 "
                                          "jobs, OIP inferences, UM-Bridge operations: those streamed, above 1 MiB) "
                                          "one client (API key, else peer host) may have "
                                          "waiting for it to read them (each until send_timeout_s). Past it, the "
                                          "client's new jobs, and an answer that would take it past, are refused: 429 "
                                          "overloaded naming this setting, retry after. An answer alone above it is "
                                          "sent when nothing else is held. 0: no limit.")
    grpc_compressed_requests: bool = Field(True, description="Take gRPC request messages sent compressed "
                                           "(grpc-encoding gzip / deflate): grpc hands them over as sent and the "
                                           "server inflates each within max_body_bytes (RESOURCE_EXHAUSTED past "
                                           "it) and body_budget_bytes (RESOURCE_EXHAUSTED overloaded, as HTTP's "
                                           "Content-Encoding). False: such calls are refused uninflated "
                                           "(UNIMPLEMENTED naming the algorithm).")
    grpc_max_connection_age_s: float = Field(600.0, ge=0, description="A gRPC connection is asked to go away "
                                             "(GOAWAY: clients reconnect) after this, and closed once its calls "
                                             "could have ended (max_deadline_s + deadline_grace_s + send_timeout_s "
                                             "later): what a peer that takes no response can hold is freed. 0: "
                                             "never.")
    # -- caches -------------------------------------------------------------------------------------
    graph_cache_bytes: int = Field(2 * 1024 ** 3, ge=0, description="Registered graphs kept by the server, "
                                   "in bytes (their JSON and loaded form; a bound, not an allocation: an imported "
                                   "ViT-B/16, 86 M parameters, takes ~0.8 GB; a graph over one client's share is "
                                   "refused, 413 naming graph_cache_bytes)." + _SHARE)
    tensor_store_bytes: int = Field(2 * 1024 ** 3, ge=0, description="Parameter values uploaded by content hash "
                                    "(POST /v1/tensors, gRPC PutTensors) kept for graphs that name them by sha256 "
                                    "(the SDK registers a large model's structure as small JSON and its weights once, "
                                    "as raw bytes in 1 MiB pieces: service.tensor_store); a bound, not an allocation; a registered "
                                    "graph keeps its own copy. 0: the store is off (uploads and missing-"
                                    "tensors questions: 501 not_implemented / UNIMPLEMENTED naming it, so the SDK "
                                    "sends graphs with their values; a graph naming a hash: tensor_not_found). "
                                    "Missing-tensors answers name store_bytes (this) and client_bytes (one client's "
                                    "share), which the SDK reads. The bytes one graph's values named by sha256 resolve to are "
                                    "counted before joined (a piece named twice counts twice), within a client's half "
                                    "of graph_cache_bytes (413 naming that). A missing-tensors question names at most 2^18 hashes "
                                    "(HTTP: its body at most ~18 MiB, 413 missing_body_bytes; gRPC: its message at most ~17 MB, "
                                    "RESOURCE_EXHAUSTED missing_message_bytes, before either is parsed)." + _SHARE)
    derived_cache_bytes: int = Field(256 * 1024 * 1024, ge=0, description="Derived graphs kept by the server, in "
                                     "bytes." + _SHARE)
    plan_cache_bytes: int = Field(512 * 1024 * 1024, ge=0, description="Graphs, compiled plans and weights by "
                                  "hash kept per worker, in bytes (constants and graph text), and the bound of the "
                                  "server's shared copy of a pool's weights by hash (sealed memfds every worker "
                                  "maps). 0: none kept past the job at hand (each job's graph is lowered and "
                                  "compiled again, and its weights sent again).")
    batch_delay_ms: float = Field(0.0, ge=0, description="Derivative-aware dynamic batching: one client's concurrent "
                                  "jobs on the same derived graph and input shapes, without per-job parameters, "
                                  "arriving within this many ms run as one vmapped job (0: off; service.batching).")
    max_batch: int = Field(64, ge=2, description="Most jobs in one dynamic batch.")
    # -- security -----------------------------------------------------------------------------------
    api_keys: str = Field("", description="Comma-separated API keys (Authorization: Bearer KEY). Empty: no keys.")
    allow_unauthenticated: bool = Field(False, description="Serve a non-loopback address without API keys.")
    trusted_proxies: str = Field("", description="Comma-separated addresses or networks (e.g. 10.0.0.0/8) of "
                                 "reverse proxies in front of the server: only a request from one of them names its "
                                 "client by X-Forwarded-For (the right-most address not a trusted proxy; gRPC: "
                                 "x-forwarded-for metadata). Without API keys the client is who fair share, cache "
                                 "shares and limits count by (service.client_identity). Empty: none trusted, the "
                                 "header is ignored.")
    ipv6_client_prefix: int = Field(64, ge=1, le=128, description="Without API keys, IPv6 clients are told apart "
                                    "by this prefix of their address (one host holds a whole /64); IPv4-mapped "
                                    "addresses count as their IPv4 address. 128: every address is a client.")
    client_shm: Literal["loopback", "off"] = Field("loopback", description="System shared memory for clients "
                                                   "(/v2/systemsharedmemory, tensors named by region): loopback: "
                                                   "only peers on this host may register and use regions; off: "
                                                   "none. Behind a same-host reverse proxy, set off.")
    client_shm_max_regions: int = Field(64, ge=0, description="Most client shared-memory regions registered at "
                                        "once (regions whose object is gone are dropped first); with API keys "
                                        "one key at most a quarter of them.")
    client_shm_made_bytes: int = Field(256 << 20, ge=0, description="Most bytes of output regions the server "
                                       "makes for same-host clients (sealed memfds its workers keep mapped; "
                                       "one client at most a quarter). Past it clients use regions of their own.")
    client_shm_idle_s: float = Field(600.0, gt=0, description="A made output region unused this long, or whose "
                                     "client process is gone, is dropped at the next region register or create.")
    # -- misc ------------------------------------------------------------------------------------------
    log_level: str = Field("info", description="Log level (debug, info, warning, error).")
    # -- model repository, logs (service.repository, service.logs) ---------------------------------------
    model_repository: str = Field("", description="Folder of models (<model>/graph.json + config.json) served "
                                  "by the Open Inference Protocol model API (/v2/models, "
                                  "inference.GRPCInferenceService) and UM-Bridge (/umbridge). Empty: none.")
    log_format: Literal["text", "json"] = Field("text", description="Log lines as text or as one JSON object "
                                                "per line (timestamp, level, logger, message, extra fields).")
    access_log: bool = Field(False, description="Log one line per HTTP request (method, path, status, ms, "
                             "request id; the path and request id clipped to 1,024 characters).")
    otel: bool = Field(False, description="OpenTelemetry tracing: a span per HTTP request (needs the "
                       "opentelemetry-sdk package; exporter from the standard OTEL_* variables).")
    lean_http: bool = Field(True, description="Small plain POST /v1/<job> requests go from the HTTP parser "
                            "straight to the job (service.lean_http), skipping the ASGI request cycle; off: "
                            "every request through uvicorn's ASGI path.")
    uds_path: str = Field("auto", description="Also serve HTTP on a Unix socket, for clients on this host "
                          "(the SDK finds it through GET /v1/local and uses it instead of loopback TCP: about half "
                          "the round trip). auto: a socket in a fresh private directory (mode 0700), only when "
                          "host is a loopback address, removed on exit; off: none; a path: that socket (mode "
                          "0600, its missing directory made 0700).")
    uds_group: bool = Field(False, description="The uds_path socket is mode 0660 (the server's group may connect) "
                            "instead of 0600.")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("host is empty")
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, v: str) -> str:
        from .client_identity import parse_networks

        return ",".join(str(n) for n in parse_networks(v))  # (a bad entry: ValueError naming it)

    @field_validator("devices")
    @classmethod
    def _devices(cls, v: str) -> str:
        pools = _csv(v)
        if not pools:
            raise ValueError("devices is empty: name at least one pool, e.g. cpu")
        for p in pools:
            if p not in KNOWN_POOLS:
                raise ValueError(f"unknown pool {p!r}; known: {', '.join(KNOWN_POOLS)}")
        if len(set(pools)) != len(pools):
            raise ValueError("a pool is named twice")
        return ",".join(pools)

    @field_validator("gpu_devices", "ascend_devices")
    @classmethod
    def _indices(cls, v: str) -> str:
        for s in _csv(v):
            if not s.isdigit():
                raise ValueError(f"device index {s!r} is not a non-negative integer")
        return ",".join(_csv(v))

    @model_validator(mode="after")
    def _deadlines(self):
        if self.default_deadline_s > self.max_deadline_s:
            raise ValueError("default_deadline_s is above max_deadline_s")
        return self

    # -- derived --------------------------------------------------------------------------------------
    @property
    def body_budget(self) -> int:
        """body_budget_bytes, or its default (0: twice max_body_bytes)."""
        return self.body_budget_bytes or 2 * self.max_body_bytes

    @property
    def parse_cap(self) -> int:
        """max_parse_bytes, or its default (0: the largest of the body budget, four times max_body_bytes and
        PARSE_CAP_MIN)."""
        return self.max_parse_bytes or max(self.body_budget, 4 * self.max_body_bytes, PARSE_CAP_MIN)

    @property
    def peer_connection_cap(self) -> int | None:
        """The most connections one peer holds open, HTTP and gRPC alike (None: no share)."""
        share = self.peer_connection_share
        return None if share >= 1 else max(1, int(self.max_connections * share))

    @property
    def pool_names(self) -> list[str]:
        return _csv(self.devices)

    @property
    def api_key_list(self) -> list[str]:
        return _csv(self.api_keys)

    @property
    def gpu_indices(self) -> list[int] | None:
        return [int(s) for s in _csv(self.gpu_devices)] or None

    @property
    def ascend_indices(self) -> list[int] | None:
        return [int(s) for s in _csv(self.ascend_devices)] or None

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def auth_required(self) -> bool:
        return bool(self.api_key_list)

    def check_security(self) -> None:
        """Refuse a non-loopback bind without keys unless explicitly allowed."""
        if not self.is_loopback and not self.api_key_list and not self.allow_unauthenticated:
            raise ConfigError(
                f"refusing to serve {self.host} without API keys: set GRADSERVE_API_KEYS (or --api-keys), "
                "or GRADSERVE_ALLOW_UNAUTHENTICATED=true (--allow-unauthenticated) to serve it open")


def is_loopback(host: str) -> bool:
    """A bind address on this host alone (::ffff:127.0.0.1 too: client_identity.ip_of, as a peer is read)."""
    if host.strip("[]") in LOOPBACK_NAMES:
        return True
    ip = ip_of(host)
    return ip is not None and ip.is_loopback
