"""`mindspore.communication` for one process: gradserve has no collective communication, so this is what
MindSpore 2.10 CPU answers before (and without) a successful `init()`: the rank and group size come from the
RANK_ID / RANK_SIZE environment variables (defaults 0 and 1), for any group name; `init()` refuses, as MindSpore's
does when the process was not launched by mpirun / msrun (texts probed in /work/msvenv)."""
from __future__ import annotations

import os

__all__ = ["GlobalComm", "get_rank", "get_group_size", "init"]


class GlobalComm:
    """MindSpore's defaults before init."""
    BACKEND = "hccl"
    WORLD_COMM_GROUP = "hccl_world_group"
    INITED = False


def _check_group(func_name: str, group: object) -> None:
    if not isinstance(group, str):
        raise TypeError(f"For '{func_name}', the argument 'group' must be type of string, "
                        f"but got 'group' type : {type(group)}.")


def get_rank(group: str = GlobalComm.WORLD_COMM_GROUP) -> int:
    """This process's rank: RANK_ID, 0 when unset."""
    _check_group("get_rank", group)
    return int(os.getenv("RANK_ID", "0"))


def get_group_size(group: str = GlobalComm.WORLD_COMM_GROUP) -> int:
    """The group's size: RANK_SIZE, 1 when unset."""
    _check_group("get_group_size", group)
    return int(os.getenv("RANK_SIZE", "1"))


def init(backend_name: object = None) -> None:
    """gradserve runs no collective communication: init always refuses, with MindSpore's text for a process that
    no launcher set up."""
    raise RuntimeError("Maybe you are trying to call 'mindspore.communication.init()' without using 'mpirun', which "
                       "will make MindSpore load several environment variables and check their validation. Please "
                       "use 'mpirun' to launch this process to fix this issue, or refer to this link if you want to "
                       "run distributed training using 'msrun'")
