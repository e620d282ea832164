"""The `jax_x64` marker (tests/conftest.py, tests/jax_mode.py): a module's mark holds for its module-scoped fixtures
and its tests, a test's own mark over it, the previous mode back after; and no test file switches JAX's float64
mode at import (process-wide: it held for every file collected with it)."""
import ast
from pathlib import Path

import pytest

jax = pytest.importorskip("jax")
pytestmark = pytest.mark.jax_x64

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mode_at_module_setup():
    return jax.config.jax_enable_x64


def test_the_module_mark_holds_for_module_fixtures_and_tests(mode_at_module_setup):
    assert mode_at_module_setup is True and jax.config.jax_enable_x64 is True
    assert jax.numpy.asarray(1.0).dtype == "float64"


@pytest.mark.jax_x64(False)
def test_a_test_mark_overrides_the_module_mark():
    assert jax.config.jax_enable_x64 is False
    assert jax.numpy.asarray(1.0).dtype == "float32"


def test_the_module_mode_is_back_after_a_test_mark():
    assert jax.config.jax_enable_x64 is True


def _at_import(body: list[ast.stmt]):
    """The statements that run when the module is imported: not def or class bodies, nor a command-line
    `if __name__ == "__main__":` block (its else does run)."""
    for stmt in body:
        if isinstance(stmt, ast.If) and ast.unparse(stmt.test).replace("'", '"') == '__name__ == "__main__"':
            yield from _at_import(stmt.orelse)
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield stmt


def _import_time_switches(path: Path) -> list[int]:
    """Lines of jax.config.update("jax_enable_x64", ...) that run when the module is imported."""
    return [node.lineno for stmt in _at_import(ast.parse(path.read_text()).body) for node in ast.walk(stmt)
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(".update")
            and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "jax_enable_x64"]


def test_the_scan_finds_an_import_time_switch(tmp_path):
    src = tmp_path / "m.py"
    src.write_text('import jax\njax.config.update("jax_enable_x64", True)\n\ndef main():\n'
                   '    jax.config.update("jax_enable_x64", True)\n\nif __name__ == "__main__":\n'
                   '    jax.config.update("jax_enable_x64", True)\nelse:\n'
                   '    jax.config.update("jax_enable_x64", False)\n')
    assert _import_time_switches(src) == [2, 10]


def test_no_test_file_switches_float64_at_import():
    found = {str(p.relative_to(TESTS)): lines for p in sorted(TESTS.rglob("*.py"))
             if (lines := _import_time_switches(p))}
    assert not found, f"module-level jax_enable_x64 switches (use the jax_x64 marker, tests/jax_mode.py): {found}"
