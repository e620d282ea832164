"""A rename-only shim for running MindSpore's own test files against gradserve: with GS_SHIM=1,
`import mindspore[.x]` gives `gradserve[.x]` (the same module objects). It computes nothing; what
passes, passes on the SDK's own spellings and semantics."""
import importlib
import importlib.abc
import importlib.util
import os
import sys


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "mindspore" or name.startswith("mindspore."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("gradserve" + spec.name[len("mindspore"):])

    def exec_module(self, module):
        pass


if os.environ.get("GS_SHIM") == "1":
    sys.meta_path.insert(0, _Alias())
