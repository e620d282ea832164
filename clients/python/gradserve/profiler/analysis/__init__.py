"""`mindspore.profiler.analysis`: the timeline's time conversion and event classes (no parsers: gradserve records
no profile)."""
