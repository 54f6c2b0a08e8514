"""reconciler.http's lazy names (PEP 562) as mypy sees them: the real imports, never an ``Any`` fallback
(a ``from reconciler.http import Secret`` after Secret moved once passed mypy and failed at run time)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import reconciler.http as http

SOURCE = ast.parse(Path(http.__file__).read_text())


def _type_checking_imports() -> dict[str, str]:
    found: dict[str, str] = {}
    for node in SOURCE.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                found |= {alias.name: stmt.module for alias in stmt.names}
    return found


def test_getattr_is_hidden_from_the_type_checker() -> None:
    top_level = [n.name for n in SOURCE.body if isinstance(n, ast.FunctionDef)]
    assert "__getattr__" not in top_level  # a visible one would make every unknown name an Any
    guarded = [n for n in SOURCE.body if isinstance(n, ast.If) and ast.unparse(n.test) == "not TYPE_CHECKING"]
    assert any(isinstance(s, ast.FunctionDef) and s.name == "__getattr__" for n in guarded for s in n.body)


def test_every_lazy_name_is_imported_for_the_type_checker_from_its_module() -> None:
    imports = _type_checking_imports()
    assert set(imports) == set(http._MODULES) == set(http.__all__)
    for name, module in http._MODULES.items():
        assert imports[name] == f"reconciler.http.{module}"
        assert getattr(http, name) is getattr(importlib.import_module(imports[name]), name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Secret'"):
        http.Secret  # type: ignore[attr-defined]  # noqa: B018
