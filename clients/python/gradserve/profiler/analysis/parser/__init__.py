"""`mindspore.profiler.analysis.parser`: here only its timeline events."""
