"""Run MindSpore test files one at a time (each under a timeout, so one hanging or crashing file costs only
itself) and merge their junit XML; then tally why gradserve misses what MindSpore passes.

  python per_file.py run ms|gs SRC LIST OUT [--timeout S] [--batch N]  # SRC: the folder holding `tests/`
  python per_file.py merge OUT/ms OUT/ms.xml                 # one XML of every per-file XML in a folder
  python per_file.py reasons OUT/ms.xml OUT/gs.xml [-v]      # failure reasons of the MindSpore-passed items

LIST holds one test file a line (relative to SRC). `run` calls run.sh (same environment variables) per
file, writing OUT/<mode>/<file with / as __>.xml; a file that times out or dies leaves a note in
OUT/<mode>/_notes.txt instead, and its items count as not passed."""
import collections
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


def run(mode: str, src: str, listing: str, out: str, timeout: float, batch: int = 1) -> None:
    """batch > 1: that many files per pytest process (MindSpore's import costs ~20 s of CPU a process);
    a batch that times out loses all of its files' items. Files listed in OUT/<mode>/_done.txt (by an earlier
    run) are skipped."""
    folder = os.path.join(out, mode)
    os.makedirs(folder, exist_ok=True)
    notes = open(os.path.join(folder, "_notes.txt"), "a")
    files = [line.strip() for line in open(listing) if line.strip() and not line.startswith("#")]
    done_path = os.path.join(folder, "_done.txt")
    done = set(open(done_path).read().split()) if os.path.exists(done_path) else set()
    files = [f for f in files if f not in done]
    for start in range(0, len(files), batch):
        group = files[start:start + batch]
        xml = os.path.join(folder, group[0].replace("/", "__") + ".xml")
        env = dict(os.environ, XML=xml)
        try:
            # start_new_session: a timeout ends the whole pytest process group (the server stays: it is not ours)
            proc = subprocess.Popen(["bash", os.path.join(HERE, "run.sh"), mode, src, *group], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            rc = "timeout"
        if not os.path.exists(xml):
            notes.write(f"{' '.join(group)}: no XML (rc {rc})\n")
            notes.flush()
        with open(done_path, "a") as f:
            f.write("".join(g + "\n" for g in group))
        print(f"{rc}\t{' '.join(group)}", flush=True)


def merge(folder: str, target: str) -> None:
    suite = ET.Element("testsuite")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".xml"):
            try:
                suite.extend(ET.parse(os.path.join(folder, name)).getroot().iter("testcase"))
            except ET.ParseError:
                print(f"unreadable: {name}", file=sys.stderr)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(target)


def _reason(case) -> str:
    for child in case:
        if child.tag in ("failure", "error", "skipped"):
            text = (child.get("message") or child.text or child.tag).strip().splitlines()
            first = text[0] if text else child.tag
            return re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?", "#", first)[:150]
    return "pass"


def reasons(ms_xml: str, gs_xml: str, verbose: bool) -> None:
    gs = {(c.get("classname"), c.get("name")): c for c in ET.parse(gs_xml).getroot().iter("testcase")}
    tally = collections.Counter()
    where = collections.defaultdict(list)
    for case in ET.parse(ms_xml).getroot().iter("testcase"):
        key = (case.get("classname"), case.get("name"))
        if _reason(case) != "pass":
            continue
        why = _reason(gs[key]) if key in gs else "not run (file timed out / died / did not collect)"
        if why != "pass":
            tally[why] += 1
            where[why].append("::".join(key))
    for why, n in tally.most_common():
        print(f"{n:4d}  {why}")
        if verbose:
            print("\n".join("        " + w for w in where[why][:6]))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "run":
        t = float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 300.0
        b = int(sys.argv[sys.argv.index("--batch") + 1]) if "--batch" in sys.argv else 1
        run(*sys.argv[2:6], timeout=t, batch=b)
    elif cmd == "merge":
        merge(sys.argv[2], sys.argv[3])
    else:
        reasons(sys.argv[2], sys.argv[3], "-v" in sys.argv)
