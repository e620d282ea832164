"""`mindspore.profiler.analysis.viewer`: the writers of the Ascend profiler output files."""
