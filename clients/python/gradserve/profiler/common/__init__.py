"""`mindspore.profiler.common`: the profiler's shared helpers (here: path_manager and exceptions only)."""
