"""`mindspore.train.serialization`: the checkpoint functions; `load` (a MindIR file MindSpore or gradserve
exported, run by `nn.GraphCell`) and `export` (a Cell to a MindIR file gradserve loads; ONNX / AIR not written)."""
from .._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "export", "load"]


def export(net, *inputs, file_name=None, file_format="MINDIR", **kwargs):
    """MindSpore's export(net, *inputs, file_name, file_format="MINDIR"): the Cell traced at `inputs`, written to
    `file_name` (".mindir" added) in MindIR's container with gradserve's ops (gradserve._mindir.own_graphs):
    `load` + `nn.GraphCell` run it; MindSpore cannot. ONNX / AIR files are not written."""
    from .._trace import export_graph

    own_graphs = _mindir_module().own_graphs

    if file_format not in ("AIR", "ONNX", "MINDIR"):
        raise ValueError(f"For 'export', 'file_format' must be one of ['AIR', 'ONNX', 'MINDIR'], but got "
                         f"{file_format}.")
    if file_format != "MINDIR":
        raise NotImplementedError(f"mindspore.export (file_format={file_format!r}) is not implemented by gradserve: "
                                  "it writes MINDIR files only")
    if not isinstance(file_name, str):
        raise ValueError(f"For 'export', the argument 'file_name' must be string, but got {type(file_name)}.")
    unknown = set(kwargs) - {"enc_key", "enc_mode", "dataset", "obf_config", "incremental", "custom_func"}
    if unknown:
        raise TypeError(f"export() got unexpected keyword argument(s) {sorted(unknown)}")
    if kwargs.get("enc_key") is not None or kwargs.get("obf_config") is not None:
        raise NotImplementedError("mindspore.export: encrypted or obfuscated MindIR files are not written by gradserve")
    doc, avals, updates = export_graph(net, list(inputs))
    path = file_name if file_name.endswith(".mindir") else file_name + ".mindir"
    with open(path, "wb") as f:
        f.write(own_graphs.write(doc, avals, updates))


def load(file_name, **kwargs):
    """MindSpore's load(file_name, dec_key=None, dec_mode="AES-GCM", obf_func=None): the MindIR graph, for
    `nn.GraphCell`. Graphs without sub-graphs (no control flow), unencrypted, weights in the file."""
    import os

    mindir = _mindir_module()
    MindIRError, read = mindir.MindIRError, mindir.read  # noqa: N806 - the module's names

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


def _mindir_module():
    """gradserve._mindir: reading and writing MindIR needs protobuf (the SDK's `mindir` extra)."""
    try:
        from .. import _mindir
    except ImportError as e:
        raise ImportError(f"MindIR files need protobuf: pip install 'gradserve-client[mindir]' ({e})") from None
    return _mindir
