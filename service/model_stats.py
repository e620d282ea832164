"""Triton's statistics extension (GET /v2/models[/<m>[/versions/<v>]]/stats, gRPC ModelStatistics): what this
server counts of each loaded model's Open Inference Protocol inferences, in Triton's schema.

Per model (one version, "1"), from the inference requests that named it (HTTP, gRPC, gRPC stream):
    success / fail     count and wall time (ns) of each request, from its arrival to its answer encoded
                       (fail: found the model, then failed: bad inputs, deadline, the client gone, ...)
    queue              time in the pool's queue (timing.queue_ms)
    compute_input      the job's validation and preparation (timing.prepare_ms)
    compute_infer      the worker's run (timing.compute_ms, compiling included on a cache miss)
    compute_output     the worker's writing of outputs (timing.output_ms)
    cache_hit / _miss  zero: there is no response cache
    inference_count    successful inferences; execution_count: the executions that served them (a dynamic batch
                       of n is one execution: each member counts 1/n); batch_stats by executed batch size.
The counts live on the Model (service.repository): a reload starts them again, as Triton's do; an unloaded
model has none. UM-Bridge's and /v1's jobs are not inferences of the model here (their counts: GET /metrics).
"""
from __future__ import annotations

import time

_NS = 1_000_000  # per ms


class _Duration:
    __slots__ = ("count", "ns")

    def __init__(self) -> None:
        self.count = 0
        self.ns = 0

    def add(self, ns: int) -> None:
        self.count += 1
        self.ns += max(0, int(ns))

    def to_json(self) -> dict:
        return {"count": self.count, "ns": self.ns}


class _Batch:
    """One executed batch size's durations: each member adds 1/n of an execution and of its durations."""

    __slots__ = ("executions", "input_ns", "infer_ns", "output_ns")

    def __init__(self) -> None:
        self.executions = self.input_ns = self.infer_ns = self.output_ns = 0.0

    def to_json(self, size: int) -> dict:
        n = round(self.executions)
        return {"batch_size": size, **{k: {"count": n, "ns": round(v)} for k, v in (
            ("compute_input", self.input_ns), ("compute_infer", self.infer_ns), ("compute_output", self.output_ns))}}


class ModelStats:
    """One model's counts (the event loop's only: no lock)."""

    def __init__(self) -> None:
        self.last_ms = 0
        self.inferences = 0
        self.executions = 0.0
        self.d = {k: _Duration() for k in ("success", "fail", "queue", "compute_input", "compute_infer",
                                            "compute_output", "cache_hit", "cache_miss")}
        self.batches: dict[int, _Batch] = {}

    @staticmethod
    def start() -> int:
        """A request's start, for success / fail."""
        return time.perf_counter_ns()

    def success(self, started: int, timing: dict) -> None:
        self.d["success"].add(time.perf_counter_ns() - started)
        self.last_ms = int(time.time() * 1e3)
        self.inferences += 1
        n = int(timing.get("batch", 1) or 1)
        parts = {k: float(timing.get(f, 0) or 0) * _NS for k, f in (
            ("queue", "queue_ms"), ("compute_input", "prepare_ms"), ("compute_infer", "compute_ms"),
            ("compute_output", "output_ms"))}
        for k, ns in parts.items():
            self.d[k].add(round(ns))
        self.executions += 1 / n
        b = self.batches.setdefault(n, _Batch())
        b.executions += 1 / n
        b.input_ns += parts["compute_input"] / n
        b.infer_ns += parts["compute_infer"] / n
        b.output_ns += parts["compute_output"] / n

    def fail(self, started: int) -> None:
        """A request that failed once it ran (queued): a queue timeout, a failed run, a cancel, an output not
        placed. One refused by the checks before (a wrong shape, a missing input, an unknown output, a region
        not found) is not counted, as Triton's core counts it not (TRITONSERVER_ServerInferAsync returns
        PrepareForInference's error before InferAsync starts the request's statistics; failures are counted by
        InferenceRequest::RespondIfError, in the schedulers and backends). Callers hold the model as `ran`."""
        self.d["fail"].add(time.perf_counter_ns() - started)

    def to_json(self, name: str) -> dict:
        return {"name": name, "version": "1", "last_inference": self.last_ms, "inference_count": self.inferences,
                "execution_count": round(self.executions),
                "inference_stats": {k: v.to_json() for k, v in self.d.items()},
                "batch_stats": [b.to_json(n) for n, b in sorted(self.batches.items())], "memory_usage": []}


def report(repo, name: str = "", version: str = "") -> dict:
    """{"model_stats": [...]} of one model (NotFound when it is not loaded, or has no such version) or, with no
    name, of every loaded model."""
    models = [repo.get(name, version)] if name else list(repo.models.values())
    return {"model_stats": [m.stats.to_json(m.name) for m in models]}
