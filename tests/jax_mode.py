"""JAX's float64 switch (`jax_enable_x64`) for the tests that need one mode, the previous mode restored after.

The switch is process-wide: set at a module's import, it held for every test pytest ran after collection, so a
test's dtype depended on which files were collected with it. Tests ask for a mode instead, by the `jax_x64`
marker (tests/conftest.py applies it: `pytestmark = pytest.mark.jax_x64` on, `jax_x64(False)` JAX's default 32-bit
mode), or inside a test by this context manager. It sets the process-wide value, as the import-time switches did
(JAX's own `jax.enable_x64` context is per thread: fine for a block of one test's own JAX calls)."""
import contextlib


@contextlib.contextmanager
def jax_x64(on: bool = True):
    import jax

    was = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", on)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", was)
