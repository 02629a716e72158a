"""The house's rules, read from the import statements of every module (lazy ones, inside
functions, included): the core (xueji/) imports no app; no two apps import each other; no product
module imports the demo. Apps talk to each other through services and selectors; an app that needs
another's models asks the other app instead."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APPS = ("enrollment", "transfers", "suspensions", "dropouts", "archives", "cancellation", "changes", "schoolyear",
        "special_education", "reports", "demo")
PRODUCT_APPS = tuple(app for app in APPS if app != "demo")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or lazily."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def imports_of(package: str) -> dict[str, set[str]]:
    """Each module of the package (migrations aside) → the top-level packages it imports."""
    found = {}
    for path in sorted((REPO / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found[str(path.relative_to(REPO))] = {module.split(".")[0] for module in imported_modules(path)}
    return found


def test_the_core_imports_no_app():
    offending = {module: sorted(tops & set(APPS)) for module, tops in imports_of("xueji").items() if tops & set(APPS)}
    assert offending == {}


def test_no_two_apps_import_each_other():
    edges = {(app, other) for app in APPS for tops in imports_of(app).values() for other in tops
             if other in APPS and other != app}
    both_ways = sorted((a, b) for a, b in edges if (b, a) in edges and a < b)
    assert both_ways == []


def test_no_product_module_imports_the_demo():
    offending = [module for app in (*PRODUCT_APPS, "xueji") for module, tops in imports_of(app).items() if "demo" in tops]
    assert offending == []


def test_apps_do_not_read_each_others_models():
    """An app imports another app's services or selectors, never its models."""
    offending = []
    for app in PRODUCT_APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] in PRODUCT_APPS and parts[0] != app and "models" in parts:
                    offending.append(f"{path.relative_to(REPO)}: {module}")
    assert offending == []


def test_no_template_comment_spans_lines():
    """Django's {# … #} comment ends at the line's end: one that goes on to the next line is printed
    on the page as it stands (it was, once, on the pupil's page). Longer ones use {% comment %}."""
    opened = [
        f"{path.relative_to(REPO)}:{number}"
        for path in REPO.glob("**/templates/**/*.html") if ".venv" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert opened == []
