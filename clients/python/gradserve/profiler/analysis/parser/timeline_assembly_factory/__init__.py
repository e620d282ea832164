"""`mindspore.profiler.analysis.parser.timeline_assembly_factory`: here only the trace view's container."""
