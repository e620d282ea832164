"""`mindspore.profiler`'s Profiler control (Schedule, start / stop / step, on_trace_ready, tensorboard_trace_handler,
the profile's folders) and `mindspore.communication` for one process. Expected actions and texts: MindSpore 2.10
CPU runs of the same calls (/work/ms_suite_profiler5/probe/p1.py, output ms1.txt; gradserve prints the same).
Client side only, no server."""
import os
import re
from unittest.mock import patch

import pytest

from gradserve import communication
from gradserve.profiler.common import record_function
from gradserve.profiler.common.profiler_context import ProfilerContext
from gradserve.profiler.dynamic_profile.dynamic_profiler_utils import DynamicProfilerUtils
from gradserve.profiler.profiler import Profiler, tensorboard_trace_handler
from gradserve.profiler.profiler_interface import ProfilerInterface
from gradserve.profiler.schedule import ProfilerAction, Schedule


@pytest.fixture
def logs():
    """Every warning / error the profiler logs, in order (the deprecation notice left out). The profiler's state
    is per process (MindSpore's singletons): each test starts from a fresh process's."""
    ProfilerContext().on_trace_ready_output_path = None
    if ProfilerInterface.is_initialized:
        ProfilerInterface.clear()
    seen = []
    with patch("gradserve.log.warning", side_effect=lambda m, *a: seen.append(("warning", m))), \
            patch("gradserve.log.error", side_effect=lambda m, *a: seen.append(("error", m))):
        yield seen
    ProfilerInterface.clear() if ProfilerInterface.is_initialized else None


def _texts(seen):
    out = [entry for entry in seen if "deprecated" not in entry[1]]
    seen.clear()
    return out


def test_schedule_actions_and_checks(logs):
    # MindSpore 2.10: the actions of steps 0..15 and the corrected parameters.
    s = Schedule(wait=2, active=2, warmup=2, repeat=3, skip_first=2)
    assert [s(i).name for i in range(16)] == (
        ["NONE"] * 4 + ["WARM_UP", "WARM_UP", "RECORD", "RECORD_AND_SAVE", "NONE", "NONE", "WARM_UP", "WARM_UP",
                        "RECORD", "RECORD_AND_SAVE", "NONE", "NONE"])
    s = Schedule(wait="1", active=2, warmup="0", repeat=2, skip_first=1)
    assert s.to_dict() == {'wait': 0, 'active': 2, 'warmup': 0, 'repeat': 2, 'skip_first': 1}
    assert [s(i).name for i in range(7)] == ["NONE", "RECORD", "RECORD_AND_SAVE", "RECORD", "RECORD_AND_SAVE",
                                             "NONE", "NONE"]
    assert _texts(logs) == [
        ("warning", "Parameter 'wait' should be of type int, but got str. reset to int 0."),
        ("warning", "Parameter 'warmup' should be of type int, but got str. reset to int 0."),
        ("warning", "Profiler won't be using warmup, this can skew profiler results")]
    s = Schedule(wait=-1, active=0, warmup=True, repeat=-2, skip_first=1.5)
    assert repr(s) == "Schedule(wait=0, active=1, warmup=0, repeat=0, skip_first=0)"
    assert [m for _, m in _texts(logs)][2] == "Parameter 'active' should be of type int, but got int. reset to int 1."
    with pytest.raises(ValueError, match="Invalid parameter step, which must be not less than 0."):
        s(-1)
    assert ProfilerAction.get_by_value(3) is ProfilerAction.RECORD_AND_SAVE and ProfilerAction.get_by_value(7) is None


def test_scheduled_profiler_runs_handler_per_cycle_and_makes_folders(logs, tmp_path):
    calls = []
    p = Profiler(start_profile=False, output_path=str(tmp_path),
                 schedule=Schedule(wait=1, warmup=1, active=2, repeat=2, skip_first=1),
                 on_trace_ready=lambda inst: calls.append(inst.__name__))
    _texts(logs)
    p.step()
    p.stop()
    assert _texts(logs) == [("error", "Profiler is stopped, step takes no effect!"),
                            ("warning", "The profiler has schedule. Please use step() to collect data.")]
    p.start()
    acts = []
    for _ in range(12):
        p.step()
        acts.append(p.current_action.name)
    # MindSpore 2.10: these actions, and the handler called once per saved cycle with the interface.
    assert acts == ['NONE', 'WARM_UP', 'RECORD', 'RECORD_AND_SAVE', 'NONE', 'WARM_UP', 'RECORD', 'RECORD_AND_SAVE',
                    'NONE', 'NONE', 'NONE', 'NONE']
    assert calls == ['ProfilerInterface', 'ProfilerInterface']
    p.stop()
    p.stop()
    p.analyse()
    assert _texts(logs) == [
        ("error", "The profiler has not started. Do not turn off again in the closed state."),
        ("warning", "The profiler has schedule. Please use 'on_trace_ready' to analyse data.")]
    dirs = os.listdir(tmp_path)
    assert dirs and all(re.fullmatch(r".+_%d_\d{17}_ascend_ms" % os.getpid(), d) for d in dirs)
    assert sorted(os.listdir(tmp_path / dirs[0])) == ["FRAMEWORK", "logs"]


def test_step_spans_are_recorded_only_while_collecting(logs, tmp_path):
    p = Profiler(start_profile=False, output_path=str(tmp_path), schedule=Schedule(wait=0, warmup=1, active=3))
    p.start()
    for _ in range(3):
        p.step()
    names = [name for name, start, end in record_function.RECORDED]
    assert names == ["ProfilerStep#1", "ProfilerStep#2"]  # step 0 warms up, steps 1-3 record
    assert all(end >= start for _, start, end in record_function.RECORDED)


def test_option_checks_and_unsupported_collectors(logs, tmp_path):
    Profiler(start_profile=False, output_path=1)
    Profiler(start_profile=False, on_trace_ready=1)
    Profiler(start_profile=False, schedule=3)
    assert [m for _, m in _texts(logs) if "using warmup" not in m] == [
        "For Profiler, the type of output_path should be <class 'str'>, but got <class 'int'>, reset to ./data.",
        "For Profiler, on_trace_ready value is Invalid, reset to None.",
        "For Profiler, schedule value is Invalid, reset to Schedule(wait=0, active=1, warmup=0, repeat=0, "
        "skip_first=0)"]
    # gradserve's own text: a warning naming what is not collected, so that the profiling program still runs
    Profiler(start_profile=False, profile_memory=True)
    assert any("no collector for ['profile_memory']" in m for kind, m in _texts(logs) if kind == "warning")


def test_analyse_says_no_op_timings_are_written(logs, tmp_path):
    p = Profiler(output_path=str(tmp_path))
    p.stop()
    p.analyse()
    assert any("no CPU op collector" in m for kind, m in _texts(logs) if kind == "error")
    (folder,) = os.listdir(tmp_path)
    assert os.listdir(tmp_path / folder / "FRAMEWORK") == []


def test_tensorboard_trace_handler_checks(logs, tmp_path):
    assert callable(tensorboard_trace_handler(analyse_flag="True"))
    tensorboard_trace_handler(dir_name=str(tmp_path), worker_name="w" * 300, async_mode=1)
    tensorboard_trace_handler(dir_name=5, worker_name=3)
    assert [m for _, m in _texts(logs)] == [
        "analyse_flag is not bool, set by default.", "Invalid parameter worker_name, reset it to default.",
        "async_mode is not bool, set by default.", "Invalid parameter worker_name, reset it to default.",
        "Invalid parameter dir_name, reset it to default."]


def test_communication_single_process(monkeypatch):
    # MindSpore 2.10 CPU without init: RANK_ID / RANK_SIZE, defaults 0 and 1, any group; init refuses.
    monkeypatch.delenv("RANK_ID", raising=False)
    monkeypatch.delenv("RANK_SIZE", raising=False)
    assert (communication.get_rank(), communication.get_group_size("abc")) == (0, 1)
    monkeypatch.setenv("RANK_ID", "3")
    monkeypatch.setenv("RANK_SIZE", "8")
    assert (communication.get_rank("nccl_world_group"), communication.get_group_size()) == (3, 8)
    assert DynamicProfilerUtils.get_real_rank() == 3
    with pytest.raises(TypeError, match="For 'get_rank', the argument 'group' must be type of string, but got "
                                        "'group' type : <class 'int'>."):
        communication.get_rank(1)
    with pytest.raises(RuntimeError, match="without using 'mpirun'"):
        communication.init()


def test_second_profiler_after_an_unanalysed_one_fails_to_start_as_mindspore(logs, tmp_path):
    # MindSpore 2.10 (probe p2.py): the first profile was stopped, never analysed; the next Profiler's start is
    # logged as failed and nothing is collected.
    p = Profiler(output_path=str(tmp_path))
    p.stop()
    _texts(logs)
    with Profiler(start_profile=False, output_path=str(tmp_path)) as q:
        assert q._has_started
    assert not q._has_started
    assert [e for e in _texts(logs) if "using warmup" not in e[1]] == [
        ("error", "Call to start failed. Exception: framework_path has not been set")]
