# syntax=docker/dockerfile:1
#
# gradserve container images. One Dockerfile, three device classes:
#
#   docker build -t gradserve:cpu .                      # default: last stage, CPU only
#   docker build --target cuda   -t gradserve:cuda .     # NVIDIA GPUs (CuPy, `gpu` extra)
#   docker build --target ascend -t gradserve:ascend .   # Huawei Ascend NPUs (torch_npu, `ascend` extra)
#
# Every image installs only runtime dependencies (never the `test` extra),
# runs as a numeric non-root user (so Kubernetes can verify runAsNonRoot) and
# serves HTTP on 8000 and gRPC on 8001. Binding 0.0.0.0 makes the server
# require GRADSERVE_API_KEYS unless GRADSERVE_ALLOW_UNAUTHENTICATED=true.
#
# Base images are overridable so a registry mirror or a digest-pinned
# reference (recommended for production) can be supplied at build time.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# CUDA 12.4 runtime: cupy-cuda12x runs on any 12.x runtime and 12.4 keeps the
# minimum host driver low (>= 525 with minor-version compatibility).
ARG CUDA_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04
# CANN 8.5.0 pairs with torch 2.8.0 + torch_npu 2.8.0.post2 (torch_npu's version
# table: the plain 2.8.0 wheel is the CANN 8.3.RC1 build).
ARG CANN_IMAGE=ascendai/cann:8.5.0-910b-ubuntu22.04-py3.11

# ---------------------------------------------------------------------------
# CPU builder: resolve and install runtime dependencies into a relocatable venv.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Only what the wheel needs: unrelated edits (tests, clients, docs) keep the
# dependency layer cached.
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY service ./service
# Runtime deps only. The cache mount speeds up rebuilds without putting the
# pip cache into any layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install .

# ---------------------------------------------------------------------------
# CUDA target: nvidia/cuda runtime base + the `gpu` extra (cupy-cuda12x).
# The runtime image already ships libcudart/cuBLAS/cuFFT/cuRAND/cuSOLVER/
# cuSPARSE/NVRTC, which is everything CuPy loads; the host driver is injected
# by the NVIDIA container toolkit (docker --gpus / k8s device plugin).
# ---------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS cuda-base
ENV DEBIAN_FRONTEND=noninteractive
# Ubuntu 22.04 ships Python 3.11 from jammy-updates; versions are not pinned
# so that rebuilds pick up security fixes and do not break when the archive
# rotates a point release away.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.11 python3.11-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 gradserve \
    && useradd --system --uid 10001 --gid gradserve --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin gradserve

FROM cuda-base AS cuda-builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY service ./service
# The local project is the only unpinned requirement; its dependency ranges
# live in pyproject.toml.
# hadolint ignore=DL3013
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install ".[gpu]"

FROM cuda-base AS cuda
COPY --from=cuda-builder /opt/venv /opt/venv
# CuPy's kernel cache defaults to ~/.cupy, which does not exist for the
# service user and is read-only under Kubernetes: keep it on /tmp.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CUPY_CACHE_DIR=/tmp/cupy \
    GRADSERVE_HOST=0.0.0.0 \
    GRADSERVE_PORT=8000 \
    GRADSERVE_GRPC_PORT=8001 \
    GRADSERVE_DEVICES=cpu,gpu
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000 8001
STOPSIGNAL SIGTERM
# slim/CUDA images have no curl: probe with the interpreter we ship anyway.
# The empty ProxyHandler keeps an inherited http_proxy from hijacking loopback.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/v2/health/live' % os.environ.get('GRADSERVE_PORT', '8000'), timeout=4)"]
CMD ["gradserve-server", "--host", "0.0.0.0"]

# ---------------------------------------------------------------------------
# Ascend target: CANN base + the `ascend` extra (torch + torch_npu).
# The NPU driver (/usr/local/Ascend/driver) and /dev/davinci* are injected at
# run time by Ascend Docker Runtime or the Ascend k8s device plugin.
# ---------------------------------------------------------------------------
FROM ${CANN_IMAGE} AS ascend-builder
# torch_npu only works with the exact torch release it was built against.
ARG TORCH_VERSION=2.8.0
ARG TORCH_NPU_VERSION=2.8.0.post2
# On x86_64, torch_npu's wheels require torch==X+cpu, which only PyTorch's CPU
# index serves (PyPI's torch is the CUDA build, ~3 GB more); on aarch64 either
# index works. Point this at a mirror for air-gapped builds.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# --system-site-packages: CANN's own Python modules (te, hccl, op compiler)
# live in the base interpreter and torch_npu imports them at run time.
RUN python3.11 -m venv --system-site-packages /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY service ./service
# torch/torch_npu are pinned by the ARGs above; the local project is the
# remaining unpinned requirement.
# hadolint ignore=DL3013
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --extra-index-url "${TORCH_INDEX_URL}" \
        ".[ascend]" "torch==${TORCH_VERSION}" "torch-npu==${TORCH_NPU_VERSION}"

FROM ${CANN_IMAGE} AS ascend
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The NPU device nodes belong to HwHiAiUser (gid 1000 by default on Ascend
# hosts): the service user joins that group instead of running as root.
RUN (getent group HwHiAiUser >/dev/null || groupadd --gid 1000 HwHiAiUser) \
    && groupadd --system --gid 10001 gradserve \
    && useradd --system --uid 10001 --gid gradserve --groups HwHiAiUser \
        --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gradserve
COPY --from=ascend-builder /opt/venv /opt/venv
# CANN writes plog/kernel_meta under $HOME and the working directory.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    ASCEND_PROCESS_LOG_PATH=/tmp/ascend/log \
    GRADSERVE_HOST=0.0.0.0 \
    GRADSERVE_PORT=8000 \
    GRADSERVE_GRPC_PORT=8001 \
    GRADSERVE_DEVICES=cpu,ascend
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000 8001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/v2/health/live' % os.environ.get('GRADSERVE_PORT', '8000'), timeout=4)"]
# No ENTRYPOINT on purpose: the CANN base entrypoint sources
# ascend-toolkit/set_env.sh and then execs this command.
CMD ["gradserve-server", "--host", "0.0.0.0"]

# ---------------------------------------------------------------------------
# CPU runtime (default target, kept last so a plain `docker build` yields it).
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="gradserve" \
      org.opencontainers.image.description="Gradient computation as a service (HTTP :8000, gRPC :8001)" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 gradserve \
    && useradd --system --uid 10001 --gid gradserve --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin gradserve
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GRADSERVE_HOST=0.0.0.0 \
    GRADSERVE_PORT=8000 \
    GRADSERVE_GRPC_PORT=8001 \
    GRADSERVE_DEVICES=cpu
WORKDIR /tmp
# Numeric UID:GID so Kubernetes can enforce runAsNonRoot without a passwd lookup.
USER 10001:10001
EXPOSE 8000 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/v2/health/live' % os.environ.get('GRADSERVE_PORT', '8000'), timeout=4)"]
# SIGTERM (docker stop / k8s) makes the server drain in-flight jobs.
STOPSIGNAL SIGTERM
CMD ["gradserve-server", "--host", "0.0.0.0"]
