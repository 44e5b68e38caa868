"""The maintainers' pages stay true: docs/architecture.md names every module of the package, and every file,
function and section CONTRIBUTING.md names exists, so following its steps cannot lead a newcomer astray."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "CONTRIBUTING.md").read_text()


def test_architecture_names_every_module_of_the_package():
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "sim").rglob("*.py"))
        if f"`{path.name}`" not in page and f"`{path.relative_to(ROOT)}`" not in page
    ]
    assert not missing, f"docs/architecture.md does not name {', '.join(missing)}"


def test_every_path_the_guide_names_exists():
    named = set(re.findall(r"`((?:sim|tests|docs|scenarios|calibration|\.ci)/[\w./-]+)`", GUIDE))
    assert named, "CONTRIBUTING.md names no file"
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"CONTRIBUTING.md names files that do not exist: {missing}"


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign | ast.AnnAssign)
        for t in ast.walk(n)
        if isinstance(t, ast.Name)
    }


def test_every_name_the_guide_gives_a_file_is_there():
    """`name` in `path` (a function, class or constant in a module; a heading in a page) exists."""
    pairs = re.findall(r"`(\w+)(?:\(\))?` (?:in|of) `([\w./-]+\.(?:py|md))`", GUIDE)
    assert pairs, "CONTRIBUTING.md names nothing in a file"
    for name, where in pairs:
        path = ROOT / where
        if path.suffix == ".py":
            assert name in _functions(path), f"CONTRIBUTING.md: no {name} in {where}"
        else:
            assert re.search(rf"^#+ .*{re.escape(name)}", path.read_text(), re.M), (
                f"CONTRIBUTING.md: no {name} in {where}"
            )


def test_the_guides_odd_section_and_commands_exist():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    assert "## 7. Submodels" in odd and "### 7.4 Parameters" in odd
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"`make (\w+)`", GUIDE):
        assert re.search(rf"^{target}:", makefile, re.M), f"CONTRIBUTING.md: no make target {target}"


def test_each_mechanism_is_where_the_guide_says_it_is():
    """The steps of "Adding a mechanism", read against what the model has: every mechanism switch names a parameter
    of the table, every function of dynamics.py has its ODD entry, and the sign tests import dynamics."""
    from sim.inputs.parameters import PARAMETERS
    from sim.model import dynamics
    from sim.model.mechanisms import MECHANISMS, PARAMETER_SWITCHES

    names = {p.name for p in PARAMETERS}
    assert set(PARAMETER_SWITCHES) <= set(MECHANISMS)
    assert {parameter for parameter, _ in PARAMETER_SWITCHES.values()} <= names
    odd = (ROOT / "docs" / "ODD.md").read_text()
    functions = [n.name for n in ast.parse(Path(dynamics.__file__).read_text()).body if isinstance(n, ast.FunctionDef)]
    assert [f for f in functions if f"#### `{f}`" not in odd] == []
    for test in ("test_decisions.py", "test_dynamics.py"):
        assert "sim.model" in (ROOT / "tests" / test).read_text()
