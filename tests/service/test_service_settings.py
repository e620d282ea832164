"""Settings: environment, CLI flags over it, validation, the loopback / API-key rule."""
from __future__ import annotations

import pytest

from service.cli import build_parser, load_settings
from service.settings import ConfigError, Settings, is_loopback


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("GRADSERVE_"):
            monkeypatch.delenv(k)


def test_defaults_serve_loopback_cpu():
    s = Settings()
    assert (s.host, s.port, s.grpc_port, s.pool_names) == ("127.0.0.1", 8000, 8001, ["cpu"])
    assert s.cpu_workers >= 1 and s.api_key_list == [] and not s.auth_required
    s.check_security()  # loopback without keys is fine


def test_environment(monkeypatch):
    monkeypatch.setenv("GRADSERVE_DEVICES", "cpu, torchcpu")
    monkeypatch.setenv("GRADSERVE_CPU_WORKERS", "3")
    monkeypatch.setenv("GRADSERVE_QUEUE_SIZE", "256")
    monkeypatch.setenv("GRADSERVE_DEFAULT_DEADLINE_S", "30")
    monkeypatch.setenv("GRADSERVE_API_KEYS", "a, b,")
    monkeypatch.setenv("GRADSERVE_ALLOW_UNAUTHENTICATED", "false")
    s = Settings()
    assert s.pool_names == ["cpu", "torchcpu"] and s.cpu_workers == 3 and s.queue_size == 256
    assert s.default_deadline_s == 30 and s.api_key_list == ["a", "b"] and s.auth_required


def test_flags_override_environment(monkeypatch):
    monkeypatch.setenv("GRADSERVE_PORT", "9000")
    monkeypatch.setenv("GRADSERVE_PIN_CPUS", "true")
    s = load_settings(["--port", "9100", "--host", "0.0.0.0", "--no-pin-cpus", "--devices", "cpu,gpu"])
    assert s.port == 9100 and s.host == "0.0.0.0" and s.pin_cpus is False and s.pool_names == ["cpu", "gpu"]
    assert load_settings([]).port == 9000


def test_every_setting_has_a_flag():
    p = build_parser()
    dests = {a.dest for a in p._actions}
    assert set(Settings.model_fields) <= dests
    help_ = p.format_help()
    for name in Settings.model_fields:
        assert "GRADSERVE_" + name.upper() in help_


@pytest.mark.parametrize("env, value", [("GRADSERVE_DEVICES", "cpu,tpu"), ("GRADSERVE_DEVICES", ""),
                                        ("GRADSERVE_DEVICES", "cpu,cpu"), ("GRADSERVE_CPU_WORKERS", "0"),
                                        ("GRADSERVE_PORT", "70000"), ("GRADSERVE_GPU_DEVICES", "0,x"),
                                        ("GRADSERVE_DEFAULT_DEADLINE_S", "0")])
def test_invalid_values_are_refused(monkeypatch, env, value):
    monkeypatch.setenv(env, value)
    with pytest.raises(SystemExit) as e:
        load_settings([])
    assert env[len("GRADSERVE_"):].lower() in str(e.value)


def test_empty_api_keys_secret_means_no_keys(monkeypatch):
    monkeypatch.setenv("GRADSERVE_API_KEYS", "")
    assert Settings().api_key_list == []


@pytest.mark.parametrize("host, loop", [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
                                        ("localhost", True), ("0.0.0.0", False), ("10.0.0.1", False),
                                        ("example.com", False), ("::", False)])
def test_loopback(host, loop):
    assert is_loopback(host) is loop


def test_non_loopback_needs_keys_or_explicit_opt_out():
    with pytest.raises(ConfigError, match="GRADSERVE_API_KEYS"):
        Settings(host="0.0.0.0").check_security()
    Settings(host="0.0.0.0", api_keys="k").check_security()
    Settings(host="0.0.0.0", allow_unauthenticated=True).check_security()


def test_readme_configuration_table_lists_every_setting():
    """The README's configuration table names every setting, with its default (no setting undocumented)."""
    import re
    from pathlib import Path

    from service.settings import Settings

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = dict(re.findall(r"^\| `GRADSERVE_(\w+)` \| `([^`]*)` \|", text, re.M))
    assert sorted(rows) == sorted(n.upper() for n in Settings.model_fields)
    for name, field in Settings.model_fields.items():
        d = field.default
        want = "(none)" if d in (None, "") else str(d).lower() if isinstance(d, bool) else str(d)
        assert rows[name.upper()] in (want, "usable cores"), name


def test_parse_cap_default_serves_a_b64_body_of_the_largest_size():
    """max_parse_bytes 0: the largest of the body budget, 4 x max_body_bytes (a b64 body costs about twice
    its size) and 1 GiB; set, it is taken as given."""
    mib = 1 << 20
    assert Settings().parse_cap == 4 * 256 * mib
    assert Settings(max_body_bytes=8 * mib).parse_cap == 1024 * mib
    assert Settings(max_body_bytes=300 * mib).parse_cap == 1200 * mib
    assert Settings(max_body_bytes=8 * mib, body_budget_bytes=2000 * mib).parse_cap == 2000 * mib
    assert Settings(max_body_bytes=8 * mib, max_parse_bytes=5 * mib).parse_cap == 5 * mib
