"""`mindspore.profiler.dynamic_profile`: here only the dynamic profiler's environment / config-text helpers."""
