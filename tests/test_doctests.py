"""The docstring examples of every ``leuko_keras`` module run (``python -m pytest tests`` runs them).

An example that needs real data, a long training or a GPU says so with
``# doctest: +SKIP``; every other one is executed, so the documented calls and
their printed results stay true. A module whose optional dependency is not
installed is skipped, named.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import leuko_keras


def _module_names() -> list[str]:
    names = ["leuko_keras"]
    for info in pkgutil.walk_packages(leuko_keras.__path__, prefix="leuko_keras."):
        if not info.name.endswith(".__main__"):  # importing it runs the command line
            names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def test_every_module_is_collected() -> None:
    assert len(MODULES) > 50
    assert {"leuko_keras.runs.runrecord", "leuko_keras.cli", "leuko_keras.core.quiet"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        if error.name and not error.name.startswith("leuko_keras"):
            pytest.skip(f"{name} needs {error.name}, which is not installed")
        raise
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here, never into the repository
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(verbose=False)
    tests = [test for test in finder.find(module, name) if test.examples]
    if not tests:
        pytest.skip(f"{name} has no docstring examples")
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=lambda text: print(text, end=""))
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed (see stdout)"
