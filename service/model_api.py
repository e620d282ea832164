"""The model repository's protocols, wired into the app: Open Inference Protocol over HTTP
(service.oip_http) and gRPC (service.oip_grpc), and UM-Bridge (service.umbridge)."""
from __future__ import annotations

from .core import Core
from .repository import ModelRepository
from .settings import Settings


def install(app, settings: Settings, core: Core) -> tuple:
    """Load the repository (RepositoryError: the server must not start), mount the HTTP routes, and
    return the gRPC services to serve beside gradserve.v1 (for service.grpc_server.attach)."""
    from . import kserve_v1, oip_grpc, oip_http, umbridge

    repo = ModelRepository(core, settings.model_repository or None)
    repo.load_all()
    app.include_router(oip_http.router(settings, core, repo))
    app.include_router(umbridge.router(settings, core, repo))
    app.include_router(kserve_v1.router(settings, core, repo))
    app.include_router(kserve_v1.live_router(core))
    # what no route of theirs answers (no such route, a missing key, a crash) in each protocol's error form
    # (KServe's V1 routes: its {"error": ...} form, service.kserve_v1)
    app.error_forms = {"/v2": oip_http.v2_body, "/v1/models": oip_http.v2_body, "/umbridge": umbridge.um_body}
    app.state.models = repo
    return (oip_grpc.service(settings, core, repo),)
