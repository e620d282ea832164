"""`mindspore.profiler`: only the path checks of `profiler.common` (PathManager and its exceptions) that MindSpore's
own tests use. They run in the user's process on the user's paths; gradserve has no profiler to start."""
