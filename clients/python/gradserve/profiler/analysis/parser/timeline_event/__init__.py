"""`mindspore.profiler.analysis.parser.timeline_event`: Chrome trace events and the per-process event pool."""
