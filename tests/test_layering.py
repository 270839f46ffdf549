"""The package's structure: no import cycle, no upward import, small modules."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "proxdeblur"
#: The task level: functions users call, built on the layers below; nothing below imports them.
TASK_LEVEL = {"proxdeblur.deconvolution", "proxdeblur.deblurring", "proxdeblur.denoising",
              "proxdeblur.gcm_applications", "proxdeblur.bench", "proxdeblur.cli"}
BELOW_TASK_LEVEL = ("proxdeblur.solvers", "proxdeblur.blind", "proxdeblur.priors",
                    "proxdeblur.operators", "proxdeblur.linsolve", "proxdeblur.kernels",
                    "proxdeblur.shrinkage", "proxdeblur.padding", "proxdeblur.metrics",
                    "proxdeblur.io", "proxdeblur._")
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The package's modules that ``name`` imports, at the top or inside functions
    (a late import is still a dependency), except under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {module for module in found if module in modules and module != name}


@pytest.fixture(scope="module")
def graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_no_import_cycle(graph):
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for target in graph[node]:
            if state.get(target) == 1:
                cycle = trail[trail.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_nothing_below_the_task_level_imports_it(graph):
    upward = [(name, target) for name, targets in graph.items()
              if name.startswith(BELOW_TASK_LEVEL) for target in targets
              if any(target == task or target.startswith(task + ".") for task in TASK_LEVEL)]
    assert upward == []


def test_solvers_do_not_import_the_blind_estimator(graph):
    assert [(n, t) for n, ts in graph.items() if n.startswith("proxdeblur.solvers")
            for t in ts if t.startswith("proxdeblur.blind")] == []


def test_the_checker_sees_a_late_import():
    """A function-level import counts: the check cannot be passed by hiding one."""
    modules = {"proxdeblur.a": None, "proxdeblur.b": None}
    source = "def f():\n    from . import b\n"
    path = Path(__file__).with_name("_cycle_probe.py")
    try:
        path.write_text(source)
        assert _imports("proxdeblur.a", path, modules) == {"proxdeblur.b"}
    finally:
        path.unlink()


def test_modules_are_small():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}
