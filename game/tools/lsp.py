"""`handler-one lsp`: the language server for scene files, over stdin/stdout (see game/lsp)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register_command(register: Callable[..., None]) -> None:
    """Add `lsp` to the `handler-one` command."""
    register(
        "lsp",
        _configure,
        run,
        "language server for scene files (completion, diagnostics, rename) over stdio",
    )


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stdio", action="store_true", help="talk over stdin/stdout (the default; for clients)"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until the editor closes the connection."""
    # Imported here: pygls is for this command alone, never on the game's start-up path.
    from game.lsp.server import main

    main()
