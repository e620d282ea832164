"""docs/MODELS.md's UM-Bridge sampler, run as written against the real server: it must find the mean."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
DOC = (Path(__file__).resolve().parents[2] / "docs" / "MODELS.md").read_text()


def test_the_umbridge_sampler_of_the_docs_finds_the_posterior_mean(server):
    block = next(b for b in re.findall(r"```python\n(.*?)```", DOC, re.S) if "umbridge" in b)
    code = block.replace("http://127.0.0.1:8000", server.url)
    ns: dict = {}
    exec(compile(code, "docs/MODELS.md", "exec"), ns)  # noqa: S102 - the docs' own example
    mean = np.mean(ns["samples"][100:], axis=0)
    np.testing.assert_allclose(mean, [1.0, -2.0], atol=0.35)
    np.testing.assert_allclose(ns["grad_logp"](np.zeros(2)), [1.0, -2.0], rtol=1e-12)  # -(theta - mu)
