"""Every console test runs with its own config and save folders, and with colour allowed.

`async def` tests run on a fresh asyncio loop each (no plugin needed: Textual's Pilot is all
they use).
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDLER_ONE_CONFIG_DIR", str(tmp_path / "config-env"))
    monkeypatch.setenv("HANDLER_ONE_SAVE_DIR", str(tmp_path / "saves-env"))
    monkeypatch.delenv("NO_COLOR", raising=False)
