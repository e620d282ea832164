"""`mindspore.train.serialization`: the checkpoint functions; `load` (a MindIR file MindSpore exported, run by
`nn.GraphCell`); `export` (a Cell to MINDIR / ONNX / AIR files) is not implemented and says so when called, so
programs that import it still run their other parts."""
from .._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "export", "load"]


def export(net, *inputs, file_name=None, file_format="MINDIR", **kwargs):
    """MindSpore's export(net, *inputs, file_name, file_format): not implemented by gradserve."""
    raise NotImplementedError(f"mindspore.train.serialization.export (file_format={file_format!r}, "
                              f"file_name={file_name!r}) is not implemented by gradserve: it cannot write "
                              "MINDIR / ONNX / AIR files of a Cell")


def load(file_name, **kwargs):
    """MindSpore's load(file_name, dec_key=None, dec_mode="AES-GCM", obf_func=None): the MindIR graph, for
    `nn.GraphCell`. Graphs without sub-graphs (no control flow), unencrypted, weights in the file."""
    import os

    from .._mindir import MindIRError, read

    if not isinstance(file_name, str):
        raise ValueError(f"For 'load', the argument 'file_name' must be string, but got {type(file_name)}.")
    if not file_name.endswith(".mindir"):
        raise ValueError("For 'load', the argument 'file_name'(MindIR file) should end with '.mindir', please input "
                         "the correct 'file_name'.")
    if not os.path.exists(file_name):
        raise ValueError("For 'load', the argument 'file_name'(MindIR file) does not exist, please check whether the "
                         "'file_name' is correct.")
    unknown = set(kwargs) - {"dec_key", "dec_mode", "obf_func"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword argument(s) {sorted(unknown)}")
    if kwargs.get("obf_func") is not None:
        raise MindIRError("For 'load', obfuscated MindIR models (obf_func) are not supported by gradserve")
    return read(file_name, dec_key=kwargs.get("dec_key"))
