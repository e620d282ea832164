"""`mindspore.profiler.common.exceptions`: the profiler's exception classes and their error codes."""
