"""/docs and /redoc that work without internet: Swagger UI and ReDoc assets served by the server.

FastAPI's pages load their scripts, styles, favicon (and ReDoc's Google fonts) from CDNs, so an
air-gapped cluster gets a blank page. The assets come from the `fastapi-offline` package (Swagger UI
5, which reads the OpenAPI 3.1 that FastAPI writes, and ReDoc 2); only its static folder is used.
Without it the CDN pages stay, with a warning.
"""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles

log = logging.getLogger("gradserve.docs")
ASSETS = "/docs-assets"
FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def static_dir() -> Path | None:
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(next(iter(spec.submodule_search_locations))) / "static"
    return d if all((d / f).is_file() for f in FILES) else None


def install(app: FastAPI) -> bool:
    """Replace the CDN /docs and /redoc pages with pages whose assets this server serves; False when
    the assets are not installed (the CDN pages stay)."""
    d = static_dir()
    if d is None:
        log.warning("fastapi-offline is not installed: /docs and /redoc load their assets from a CDN")
        return False
    pages = {app.docs_url, app.redoc_url} - {None}
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in pages]
    app.mount(ASSETS, StaticFiles(directory=str(d)), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request):
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(openapi_url=root + app.openapi_url, title=f"{title} - Swagger UI",
                                   swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
                                   oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request):
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=root + app.openapi_url, title=f"{title} - ReDoc",
                              redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False)
    return True
