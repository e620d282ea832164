"""Which installed code is library code for PyNative's guards (gradserve._pyguard._roots_from): the folders and
files of gradserve-client's dependencies, transitively. The SDK reads METADATA and RECORD as text (cheap);
the reference here is importlib.metadata's own parsing (`requires`: an email parser, `files`: RECORD as CSV)."""
import os
import re
from importlib import metadata

from gradserve import _pyguard

_SKIPPED = (".dist-info", ".egg-info", ".data", ".pth")


def _reference_roots(start: str) -> set:
    """The roots as importlib.metadata's parsed `requires` and `files` give them."""
    roots, todo, seen = {_pyguard._HERE, _pyguard._NUMPY}, [start], set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        todo += [re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0] for req in dist.requires or ()]
        for top in {f.parts[0] for f in dist.files or () if f.parts}:
            if top != ".." and not top.endswith(_SKIPPED):
                roots.add(os.path.abspath(str(dist.locate_file(top))) + ("" if top.endswith(".py") else os.sep))
    return roots


def test_the_sdk_dependencies_roots_are_importlib_metadatas():
    assert set(_pyguard._roots_from("gradserve-client")) == _reference_roots("gradserve-client")


def _dist(site, name: str, metadata_text: str, record: list) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(metadata_text)
    (info / "RECORD").write_text("".join(line + "\n" for line in record + [f"{name}-1.0.dist-info/RECORD,,"]))


def test_requirements_extras_and_odd_record_lines(tmp_path, monkeypatch):
    """A requirement with an extra marker and odd spelling is followed; a 'Requires-Dist:' line in the
    description (after the headers) is not; RECORD's quoted path (a comma in it), a script outside
    site-packages, a .pth file and the dist-info folder are read as the CSV they are."""
    site = tmp_path / "site"
    site.mkdir()
    _dist(site, "gs_roots_model",
          "Metadata-Version: 2.1\nName: gs-roots.Model\nVersion: 1.0\n"
          "Requires-Dist: GS.Roots-Dep>=1 ; extra == \"x\"\nRequires-Dist: gs-roots-absent\n\n"
          "A model.\nRequires-Dist: gs_roots_described\n",
          ["gs_roots_model/__init__.py,sha256=abc,10", '"gs_roots,comma/x.py",sha256=def,3',
           "../../bin/gs-roots,,", "gs_roots_model.pth,,", "gs_roots_single.py,,"])
    _dist(site, "gs_roots_dep", "Metadata-Version: 2.1\nName: gs_roots_dep\nVersion: 1.0\n\n",
          ["gs_roots_dep/a.py,,"])
    _dist(site, "gs_roots_described", "Metadata-Version: 2.1\nName: gs_roots_described\nVersion: 1.0\n\n",
          ["gs_roots_described/a.py,,"])
    monkeypatch.syspath_prepend(str(site))
    here = str(site) + os.sep
    want = {_pyguard._HERE, _pyguard._NUMPY, here + "gs_roots_model" + os.sep, here + "gs_roots,comma" + os.sep,
            here + "gs_roots_single.py", here + "gs_roots_dep" + os.sep}
    assert _reference_roots("gs-roots-model") == want  # (the reference reads this folder as the SDK must)
    assert set(_pyguard._roots_from("gs-roots-model")) == want
