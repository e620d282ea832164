"""Benchmarks: gradserve beside its peers (JAX, PyTorch, MindSpore where installed, the NumPy floor).

Run with `python -m benchmarks.run` (or `make bench`). Benchmarks are not tests: no timing asserts.
"""
