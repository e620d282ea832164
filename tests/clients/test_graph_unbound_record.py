"""_graph_unbound's per-thread record of names an `if` / `while` left unbound is bounded: a long-lived thread tracing
many programs (a server's worker, a notebook) grew it by every such name without end."""
import threading

from gradserve import _graph_unbound
from gradserve._branches import UNDEF


def test_the_record_keeps_the_latest_names_and_no_more(monkeypatch):
    monkeypatch.setattr(_graph_unbound, "graph_semantics", lambda: True)
    seen = {}

    def trace_many():
        for i in range(3 * _graph_unbound.MAX_SIDES):
            assert _graph_unbound.unbound(UNDEF, f"y{i}", "true")
        assert _graph_unbound.unbound(UNDEF, "y0", "false")  # (named again: the latest, kept)
        seen["sides"] = dict(_graph_unbound._tls.sides)
        try:
            raise UnboundLocalError("cannot access local variable 'y0' where it is not associated with a value")
        except UnboundLocalError as e:
            seen["y0"] = str(_graph_unbound.error(e))
        seen["y1"] = str(_graph_unbound.error(UnboundLocalError("local variable 'y1' referenced before assignment")))
    t = threading.Thread(target=trace_many)  # (its own record: this thread's is left as it was)
    t.start()
    t.join()
    assert len(seen["sides"]) == _graph_unbound.MAX_SIDES and f"y{3 * _graph_unbound.MAX_SIDES - 1}" in seen["sides"]
    assert seen["y0"].startswith("The local variable 'y0' is not defined in true branch, but defined in false branch.")
    assert seen["y1"] == "local variable 'y1' referenced before assignment"  # (forgotten: Python's own words)
