"""/docs and /redoc need nothing but the server: every asset they reference is served by it, and Swagger UI
renders the API in headless Chromium with every other host unresolvable."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import httpx
import pytest

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_asset_of_the_page_comes_from_the_server(server, page):
    html = httpx.get(server.url + page).text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html) \
        + re.findall(r'spec-url="([^"]+)"', html)
    assert len(refs) >= 3, html
    for ref in refs:
        assert ref.startswith("/"), f"{page} references {ref} outside the server"
        r = httpx.get(server.url + ref)
        assert r.status_code == 200 and len(r.content) > 100, (ref, r.status_code)
    assert "cdn" not in html and "googleapis" not in html


def test_swagger_ui_renders_offline_in_headless_chromium(server, tmp_path):
    found = [shutil.which(b) for b in BROWSERS if shutil.which(b)]
    if not found:  # `make test` installs chromium-headless-shell (make system-deps)
        assert os.environ.get("CI") != "true", "CI lacks chromium-headless-shell: run make system-deps"
        pytest.skip("no headless Chromium installed (make system-deps)")
    browser = found[0]
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}",
           # no network: any host but the server's loopback address fails to resolve
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=20000",
           "--dump-dom", server.url + "/docs"]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    paths = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert {"/v1/grad", "/v2/models/{name}/infer", "/umbridge/Gradient"} <= paths, dom[:2000]
