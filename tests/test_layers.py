"""The layers of the house, pinned: a short ``ast`` walk over every module of reconciler/ and one check per rule.

The README's architecture and docs/design.md state which way each seam points; nothing stopped an import
from pointing the other way until this file. Each rule names the modules it governs and the imports they
may not make; the check fails with every offending ``module:line -> target``. The walk reads imports anywhere
in a module (a lazy import inside a function is still a dependency), except for the vendor-name rule, which
reads module top-level imports only: the shared code may still reach a vendor by an entry point's string.
``test_the_walker_catches`` feeds each rule a synthetic module that breaks it, so a rule that can no longer
fail does not pass silently.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"
VENDORS = ("abtasty", "flagship", "taplytics")
VENDOR_NAME = re.compile("|".join(VENDORS), re.IGNORECASE)


@dataclass(frozen=True)
class Import:
    """One name an import statement brings in: ``target`` is the dotted path of what it names."""

    module: str  # the importing module, e.g. reconciler.core.plan
    line: int
    target: str  # e.g. reconciler.errors.ConfigError for ``from reconciler.errors import ConfigError``
    bound: str  # the identifier it binds in the module (the alias when there is one)
    top_level: bool  # in the module's body (or an if/try there), not inside a def or class

    def __str__(self) -> str:
        return f"{self.module}:{self.line} -> {self.target}"


def under(target: str, *prefixes: str) -> bool:
    """``target`` is one of ``prefixes`` or inside one (on a dot boundary: reconciler.core is not .corex)."""
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements(body: list[ast.stmt], top_level: bool = False) -> Iterator[ast.AST]:
    """Every statement of ``body`` and of the blocks nested in it, breadth first; with ``top_level``, none
    inside a def or class. An import is a statement, so the expressions (most of a tree) need no visit: the
    walk over every node was most of this module's second of CPU in every worker."""
    pending: deque[ast.AST] = deque(body)
    while pending:
        node = pending.popleft()
        yield node
        if top_level and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for _, value in ast.iter_fields(node):
            if isinstance(value, list):
                pending.extend(child for child in value if isinstance(child, _BLOCKS))


def imports_of(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every name ``source`` (the text of ``module``) imports, relative imports made absolute."""
    tree = ast.parse(source)
    top = {id(node) for node in _statements(tree.body, top_level=True)}
    found = []
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.partition(".")[0]
                found.append(Import(module, node.lineno, alias.name, bound, id(node) in top))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append(Import(module, node.lineno, target, alias.asname or alias.name, id(node) in top))
    return found


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


@functools.cache  # every rule reads the same imports: parse the package once a worker
def all_imports() -> tuple[Import, ...]:
    return tuple(
        imp
        for name, path in modules()
        for imp in imports_of(path.read_text(), name, path.name == "__init__.py")
    )


def _vendor_home(module: str) -> str | None:
    """The vendor whose own package ``module`` is in (providers/<vendor>/ or sandbox/<vendor>/), if any."""
    for vendor in VENDORS:
        if under(module, f"reconciler.providers.{vendor}", f"reconciler.sandbox.{vendor}"):
            return vendor
    return None


def _names_another_vendor(imp: Import) -> bool:
    home = _vendor_home(imp.module)
    named = {m.group(0).lower() for m in VENDOR_NAME.finditer(f"{imp.target} {imp.bound}")}
    return imp.top_level and bool(named - {home})


@dataclass(frozen=True)
class Rule:
    name: str
    governs: Callable[[str], bool]  # the importing modules the rule is about
    refuses: Callable[[Import], bool]  # an import those modules may not make

    def violations(self, imports: Sequence[Import]) -> list[str]:
        return [str(imp) for imp in imports if self.governs(imp.module) and self.refuses(imp)]


def _project(target: str) -> bool:
    return under(target, "reconciler")


RULES = [
    Rule(
        "core imports nothing of the project but reconciler.errors",
        lambda m: under(m, "reconciler.core"),
        lambda i: _project(i.target) and not under(i.target, "reconciler.core", "reconciler.errors"),
    ),
    Rule(
        "providers never import the engine, the cli or watch",
        lambda m: under(m, "reconciler.providers"),
        lambda i: under(i.target, "reconciler.engine", "reconciler.cli", "reconciler.watch"),
    ),
    Rule(
        "the sandbox imports nothing of the providers nor of the http client",
        lambda m: under(m, "reconciler.sandbox"),
        lambda i: under(i.target, "reconciler.providers", "reconciler.http"),
    ),
    Rule(
        "no vendor name outside providers/<vendor>/ and sandbox/<vendor>/",
        lambda m: True,
        _names_another_vendor,
    ),
    Rule(
        "config (the language) never imports the providers nor loading",
        lambda m: under(m, "reconciler.config"),
        lambda i: under(i.target, "reconciler.providers", "reconciler.loading"),
    ),
    Rule(
        "redaction imports nothing of the project",
        lambda m: under(m, "reconciler.redaction"),
        lambda i: _project(i.target) and not under(i.target, "reconciler.redaction"),
    ),
    Rule(
        "loading (it asks the registry) sits above the providers: no provider imports it",
        lambda m: under(m, "reconciler.providers"),
        lambda i: under(i.target, "reconciler.loading"),
    ),
    Rule(
        "paging is a layer over the http client: nothing else in http/ imports it",
        lambda m: under(m, "reconciler.http") and not under(m, "reconciler.http.paging"),
        lambda i: under(i.target, "reconciler.http.paging"),
    ),
]


def test_the_layers_hold() -> None:
    """Every rule in one test, so that one worker parses the package, not each worker a rule went to (an
    xdist_group mark did that until pytest 9, whose node ids pytest-xdist 3.8 can no longer suffix)."""
    broken = {rule.name: rule.violations(all_imports()) for rule in RULES}
    assert not any(broken.values()), "\n".join(
        f"{name}; broken by:\n  " + "\n  ".join(found) for name, found in broken.items() if found
    )


# One synthetic module per rule: (its name, source that breaks the rule, source that keeps it).
SYNTHETIC = {
    RULES[0].name: (
        "reconciler.core.fake",
        "from ..http import Secret\n",
        "from ..errors import ConfigError\n",
    ),
    RULES[1].name: (
        "reconciler.providers.fake.diff",
        "def f():\n    from ...engine import run\n",
        "import json\n",
    ),
    RULES[2].name: ("reconciler.sandbox.fake", "import reconciler.http.client\n", "from . import store\n"),
    RULES[3].name: (
        "reconciler.render",
        "from reconciler.providers import TapLytics as words\n",
        "def f():\n    from reconciler.providers.abtasty import words\n",
    ),
    RULES[4].name: ("reconciler.config.models", "from reconciler.loading import read\n", "import pydantic\n"),
    RULES[5].name: (
        "reconciler.redaction",
        "from reconciler.errors import X\n",
        "from .secret import Secret\n",
    ),
    RULES[6].name: (
        "reconciler.providers.fake.provider",
        "def f():\n    from reconciler.loading.load import load_file\n",
        "from reconciler.config.loaded import LoadedConfig\n",
    ),
    RULES[7].name: (
        "reconciler.http.client",
        "from reconciler.http.paging import pager\n",
        "from reconciler.http.bodies import Route\n",
    ),
}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_the_walker_catches(rule: Rule) -> None:
    module, breaks, keeps = SYNTHETIC[rule.name]
    is_package = module == "reconciler.redaction"
    assert rule.violations(imports_of(breaks, module, is_package)), f"{rule.name}: a violation went unseen"
    assert not rule.violations(imports_of(keeps, module, is_package)), f"{rule.name}: a clean module refused"


def test_a_vendor_may_name_itself_but_not_another() -> None:
    rule = RULES[3]
    own = imports_of(
        "from reconciler.providers.abtasty.config import AbTastyConfig\n", "reconciler.sandbox.abtasty.x"
    )
    other = imports_of("from reconciler.sandbox.taplytics import routes\n", "reconciler.sandbox.abtasty.x")
    assert not rule.violations(own) and rule.violations(other)
