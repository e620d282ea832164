"""`mindspore.profiler.analysis.parser.timeline_creator`: timeline lanes built from raw profile records."""
