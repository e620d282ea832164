"""`gradserve-server`: flags map one to one onto service.settings.Settings (env GRADSERVE_*).

Precedence: flag > environment > default. Imports stay light at module level: spawned
worker processes import this module (as the parent's __main__) before anything else.
"""
from __future__ import annotations

import argparse
import sys


def build_parser():
    from pydantic_core import PydanticUndefined

    from .settings import Settings

    p = argparse.ArgumentParser(
        prog="gradserve-server",
        description="Serve gradserve's HTTP API (and gRPC where available) with device worker pools. Every flag "
                    "has an environment variable GRADSERVE_<NAME> (e.g. --cpu-workers: GRADSERVE_CPU_WORKERS).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for name, f in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        env = "GRADSERVE_" + name.upper()
        default = f.default if f.default is not PydanticUndefined else "(computed)"
        if f.default_factory is not None:
            default = "(" + {"cpu_workers": "usable cores, within the CPU quota"}.get(name, "computed") + ")"
        help_ = f"{f.description or ''} [env {env}; default {default!r}]".replace("%", "%%")
        if f.annotation is bool:
            p.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_)
        else:
            typ = f.annotation if f.annotation in (int, float) else str
            p.add_argument(flag, dest=name, type=typ, default=None, help=help_, metavar=name.upper())
    return p


def load_settings(argv=None):
    from pydantic import ValidationError

    from .settings import Settings

    args = build_parser().parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        return Settings(**overrides)
    except ValidationError as e:
        errs = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())
        raise SystemExit(f"gradserve-server: invalid settings: {errs}") from None


def _extensions(app, settings, core):
    """(the ASGI app to serve, extra gRPC services): the model repository's protocols (/v2/models,
    inference.GRPCInferenceService, /umbridge), the access log and tracing. ConfigError: do not start."""
    from . import logs
    from .model_api import install
    from .repository import RepositoryError
    from .settings import ConfigError

    try:  # a bad model fails the start, naming its folder
        services = install(app, settings, core)
    except RepositoryError as e:
        raise ConfigError(e.message) from None
    asgi = logs.AccessLog(app) if settings.access_log else app  # --access-log: a line per request
    if settings.otel:  # --otel: a span per request (OpenTelemetry is optional)
        from . import tracing

        tracing.setup()
        asgi = tracing.TracingMiddleware(asgi)
    return asgi, services


def http_protocol(settings, app, asgi) -> type:
    """uvicorn's protocol class, guarded (service.http_guard), with the lean path for small job requests
    unless switched off or the request must pass the access log, tracing (`asgi` wraps `app`) or API keys."""
    from .client_identity import peer_key_of
    from .http_guard import guarded_protocol

    lean = None
    if settings.lean_http and asgi is app and not app.keys:
        from .lean_http import LeanJobs

        lean = LeanJobs(app.state.job_runners, settings.max_body_bytes)
    return guarded_protocol(settings.header_timeout_s, settings.max_header_bytes, lean, settings.send_timeout_s,
                            settings.body_timeout_s, settings.peer_connection_cap, peer_key_of(settings))


def _unix_listener(settings, app):
    """The Unix socket of setting uds_path, bound (None: none), and GET /v1/local that advertises it.
    ConfigError: a path it cannot use."""
    from .local_socket import ListenerError, install, resolve
    from .settings import ConfigError

    unix = resolve(settings.uds_path, settings.is_loopback)
    if unix is not None:
        unix.group = settings.uds_group
        try:
            unix.open()
        except (ListenerError, OSError) as e:
            unix.close()  # (its fresh directory; a path it did not bind is left alone)
            raise ConfigError(str(e)) from None
    install(app, unix)
    return unix


def _server_class(core, settings, unix) -> type:
    """uvicorn's Server that serves the Unix socket beside TCP (`unix`, or None) and drains the core on SIGTERM."""
    import logging

    import uvicorn

    log = logging.getLogger("gradserve")

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            if unix is not None and self.started:  # same-host clients: the Unix socket beside TCP
                try:
                    await unix.start(self)
                except OSError as e:  # TCP alone, as without the setting
                    log.warning("not serving the unix socket %s: %s", unix.path, e)

        async def shutdown(self, sockets=None):
            core.begin_drain()  # the cap on jobs in flight (uvicorn's wait, drain_wait_s, outlasts it)
            await super().shutdown(sockets=sockets)

        def handle_exit(self, sig, frame):  # SIGTERM / SIGINT: stop taking jobs, drain, exit
            if not core.draining:
                log.info("signal %s: draining (in-flight jobs run on to their deadlines, at most drain_max_s=%gs; "
                         "new ones get 503)", sig, settings.drain_max_s)
            core.draining = True
            super().handle_exit(sig, frame)
            # uvicorn re-raises the signal once shut down; a completed drain exits 0 instead
            getattr(self, "_captured_signals", []).clear()

    return Server


# The server process's GIL switch interval (CPython's default is 5 ms). The event loop shares the GIL with
# CPU-bound threads of the same process (derivations, which may take seconds within max_work; big bodies decoded
# off the loop). Each time the loop returns from a system call (epoll, recv, send, close) it must take the GIL
# back, and a busy thread hands it over only at the end of its interval: a request needing a few hundred such
# calls waited 0.2-4 s behind one long derivation on an idle 2-core box (the convoy effect), and as long again
# behind the next. At 0.5 ms the same request waits 0.00-0.02 s (tests/e2e/test_attacks_derivation.py). Workers
# (spawned) keep the default: their threads are BLAS calls that release the GIL.
SERVER_SWITCH_INTERVAL_S = 0.0005


def main(argv=None) -> int:
    settings = load_settings(argv)
    import math

    import uvicorn

    from .core import Core, drain_wait_s
    from .http_app import create_app
    from .pools import PoolStartError, build_specs
    from .settings import ConfigError

    from . import logs

    logs.setup(settings)  # text or JSON lines (--log-format); workers inherit the choice
    try:
        settings.check_security()
        for name in settings.pool_names:  # a missing runtime fails here, naming what to install
            build_specs(name, settings)
    except (ConfigError, PoolStartError) as e:
        print(f"gradserve-server: {e}", file=sys.stderr)
        return 2
    sys.setswitchinterval(SERVER_SWITCH_INTERVAL_S)
    core = Core(settings)
    app = create_app(settings, core)
    try:
        asgi, services = _extensions(app, settings, core)
    except ConfigError as e:
        print(f"gradserve-server: {e}", file=sys.stderr)
        return 2
    if settings.grpc:  # gRPC on grpc_port, in the same loop and lifespan as HTTP (service.grpc_server)
        from .grpc_server import attach

        attach(app, settings, core, services)

    try:
        unix = _unix_listener(settings, app)
    except ConfigError as e:
        print(f"gradserve-server: {e}", file=sys.stderr)
        return 2

    Server = _server_class(core, settings, unix)
    config = uvicorn.Config(asgi, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                            log_config=None,  # keep the handlers of logs.setup
                            timeout_graceful_shutdown=math.ceil(drain_wait_s(settings)),
                            access_log=False, lifespan="on", timeout_keep_alive=settings.idle_timeout_s,
                            # X-Forwarded-For is read by service.client_identity alone (trusted_proxies): uvicorn's
                            # own reading (it trusts 127.0.0.1 by default) would make a second, different answer
                            proxy_headers=False,
                            limit_concurrency=settings.max_connections,
                            ws="none",  # no WebSocket route: an upgrade request is refused (service.http_guard)
                            http=http_protocol(settings, app, asgi))
    server = Server(config)
    try:
        server.run()
    except PoolStartError as e:
        print(f"gradserve-server: {e}", file=sys.stderr)
        return 2
    finally:
        if unix is not None:
            unix.close()
        if settings.otel:
            from . import tracing

            tracing.shutdown()
    if not server.started:
        print("gradserve-server: the server did not start (see the log above)", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
