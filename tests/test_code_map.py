"""game/README.md names the functions and classes an order passes through: every name it writes
as code (`Class.method`, `module.function`, `name(...)`, `CamelCase`) exists in the game."""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil
import re
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import game

CODE_MAP = Path(game.__file__).resolve().parent / "README.md"
FILE_SUFFIXES = {"py", "tcss", "yaml", "md", "json", "toml"}
NOT_OURS = {
    "Input.Submitted": "Textual's message for a submitted input",
    "order(1)": "a Textual action string: it calls ConsoleScreen.action_order(1)",
}
_CODE = re.compile(r"`([^`\n]+)`")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\([^)]*\))?")
_CALL = re.compile(r"[A-Za-z_]\w*\([^)]*\)")
_CLASS = re.compile(r"[A-Z][a-z0-9]+[A-Z]\w*")


def references(text: str) -> list[str]:
    """The code names a text writes in backticks (file names and commands left out)."""
    found = []
    for token in _CODE.findall(text):
        if not any(pattern.fullmatch(token) for pattern in (_DOTTED, _CALL, _CLASS)):
            continue
        if token.rsplit(".", 1)[-1] in FILE_SUFFIXES:
            continue
        found.append(token)
    return found


def _namespaces() -> dict[str, list[object]]:
    """Every module of the game by its last name, and every class and function it defines by
    name (`__main__` is left out: importing it starts the game)."""
    found: dict[str, list[object]] = defaultdict(list)
    for name, value in vars(builtins).items():
        found[name].append(value)
    modules: list[ModuleType] = [game]
    for info in pkgutil.walk_packages(game.__path__, "game."):
        if not info.name.endswith("__main__"):
            modules.append(importlib.import_module(info.name))
    for module in modules:
        found[module.__name__.rsplit(".", 1)[-1]].append(module)
        for name, value in vars(module).items():
            if (inspect.isclass(value) or inspect.isfunction(value)) and getattr(
                value, "__module__", None
            ) == module.__name__:
                found[name].append(value)
    return found


def _has(owner: object, name: str) -> bool:
    if hasattr(owner, name):
        return True
    if not inspect.isclass(owner):
        return False
    # Fields without defaults are annotations only; instance attributes are set on `self`.
    mro = [cls for cls in owner.__mro__ if cls.__module__.startswith("game")]
    return any(name in getattr(cls, "__annotations__", {}) for cls in mro) or any(
        re.search(rf"\bself\.{re.escape(name)}\b\s*(?::[^=\n]+)?=", inspect.getsource(cls))
        for cls in mro
    )


def resolves(reference: str, names: dict[str, list[object]]) -> bool:
    """Whether some class, function or module of the game answers to `reference`."""
    first, *rest = reference.split("(", 1)[0].split(".")
    for owner in names.get(first, []):
        for part in rest:
            if not _has(owner, part):
                break
            owner = getattr(owner, part, None)
        else:
            return True
    return False


def test_every_name_the_code_map_gives_exists() -> None:
    found = references(CODE_MAP.read_text(encoding="utf-8"))
    assert len(found) > 50  # the map really names code
    names = _namespaces()
    missing = [r for r in dict.fromkeys(found) if r not in NOT_OURS and not resolves(r, names)]
    assert not missing, f"game/README.md names code that does not exist: {missing}"


def test_a_name_that_does_not_exist_is_caught() -> None:
    names = _namespaces()
    assert resolves("Engine.choose(index)", names) and resolves("machine.prepare", names)
    assert resolves("GameState.scene", names) and resolves("RadioLog.Drained", names)
    assert resolves("LineMode._commands", names)  # set in __init__
    for wrong in ("Engine.choose_branch", "machine.prepared", "Session._retire", "NoSuchThing"):
        assert not resolves(wrong, names), wrong
    assert references("`Engine.radio()` `session.py` `help` `LineMode` `order_<index>`") == [
        "Engine.radio()",
        "LineMode",
    ]
