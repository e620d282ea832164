"""python score.py ms.xml gs.xml [-v]: of the test items MindSpore itself passes (its junit XML), how many
gradserve passes through the rename-only shim, per file and in total; -v lists the ones it does not."""
import collections
import sys
import xml.etree.ElementTree as ET


def outcomes(path: str) -> dict:
    out = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        key = (tc.get("classname") or "") + "::" + tc.get("name")
        bad = [c.tag for c in tc if c.tag in ("failure", "error", "skipped")]
        out[key] = bad[0] if bad else "pass"
    return out


def main(argv: list) -> None:
    ms, gs = outcomes(argv[1]), outcomes(argv[2])
    per = collections.defaultdict(lambda: [0, 0])
    missed = []
    for key, result in ms.items():
        if result != "pass":
            continue
        module = key.split("::")[0]
        per[module][1] += 1
        if gs.get(key) == "pass":
            per[module][0] += 1
        else:
            missed.append(key)
    for module, (ok, n) in sorted(per.items()):
        print(f"{ok:4d}/{n:<4d} {module}")
    ok, n = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
    print(f"TOTAL {ok}/{n} = {100 * ok / max(n, 1):.1f}%")
    if "-v" in argv:
        print("\n".join(missed))


if __name__ == "__main__":
    main(sys.argv)
