"""Load a story folder into an immutable `Story`, or report every problem with its place.

The folder holds `story.yaml` (the manifest) and any number of scene files beneath it. Loading
is a sequence of passes, each a function whose docstring says what it takes and gives, sharing
one `Context` that collects every diagnostic on the way (`_check_story` calls them in order):

1. read the files (`read`): find them, parse each within bounds, hash their bytes; a file that
   does not parse stops the load here;
2. declare (`declare`): variables, pilots, chapters, tones, personas, evidence, deductions,
   endings and scene ids, from every file, so that references may point forward and across files;
3. resolve deductions (`declare`): what each requires, now that all evidence is known;
4. build the scope (`declare`): what conditions may name;
5. compile the scenes (`scenes`): radio, orders, effects, branches, engagements, maps;
6. assemble the `Story` (`assemble`) from all the above and the manifest's id, title and start
   (read just before the scenes, so that their problems are listed first).

Reading one value (text, ids, references, conditions) is in `fields`. `load_story` raises
`StoryError` carrying every diagnostic; `check_story` returns them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from pathlib import Path

from game.engine.diagnostics import Diagnostic, StoryError
from game.engine.files import default_map_dirs
from game.engine.loader.assemble import STORY_ID_PATTERN, assemble, read_header
from game.engine.loader.context import Context
from game.engine.loader.declare import build_scope, declare, resolve_deductions
from game.engine.loader.fields import ID_PATTERN, MAX_TEXT
from game.engine.loader.read import MANIFEST, read_files
from game.engine.loader.scenes import (
    ENGAGEMENT_DEFAULT_DANGER,
    ENGAGEMENT_DEFAULT_HIT,
    ENGAGEMENT_DEFAULT_IGNORE_COST,
    ENGAGEMENT_DEFAULT_KILL,
    WORD_PATTERN,
    compile_scenes,
)
from game.engine.model import Story

__all__ = [
    "ENGAGEMENT_DEFAULT_DANGER",
    "ENGAGEMENT_DEFAULT_HIT",
    "ENGAGEMENT_DEFAULT_IGNORE_COST",
    "ENGAGEMENT_DEFAULT_KILL",
    "ID_PATTERN",
    "MANIFEST",
    "MAX_TEXT",
    "STORY_ID_PATTERN",
    "WORD_PATTERN",
    "check_story",
    "check_story_partly",
    "load_story",
]


def load_story(root: Path | str, map_dirs: Iterable[Path] | None = None) -> Story:
    """Load and compile the story in `root`; raises `StoryError` listing every problem.

    Warnings (which do not stop loading) are kept on `Story.warnings`.
    """
    story, diagnostics = check_story(root, map_dirs)
    if story is None:
        raise StoryError(diagnostics)
    return story


def check_story(
    root: Path | str, map_dirs: Iterable[Path] | None = None
) -> tuple[Story | None, list[Diagnostic]]:
    """Load `root` and return the story (None if there were errors) with every diagnostic."""
    with _collector_paused():
        story, diagnostics, _ = _check_story(Path(root), map_dirs)
    return story, diagnostics


def check_story_partly(
    root: Path | str, map_dirs: Iterable[Path] | None = None
) -> tuple[Story | None, list[Diagnostic], Story | None]:
    """`check_story`, and when the story has errors, what of it did compile (None if nothing
    did, or a file did not parse): `validate` runs on it the checks that errors elsewhere
    cannot mislead, so their warnings are not lost. That story is never to be played."""
    with _collector_paused():
        return _check_story(Path(root), map_dirs, partial=True)


def _check_story(
    root: Path, map_dirs: Iterable[Path] | None, *, partial: bool = False
) -> tuple[Story | None, list[Diagnostic], Story | None]:
    """The passes, in order (see the module's docstring)."""
    ctx = Context(root, tuple(map_dirs) if map_dirs is not None else default_map_dirs(root))
    files = read_files(ctx)
    if files is None:
        return None, ctx.diagnostics, None
    pending = declare(ctx, files.files, files.manifest)
    resolve_deductions(ctx, pending.deductions)
    ctx.scope = build_scope(ctx)
    # The manifest's own keys, before the scenes: their problems are listed first.
    header = read_header(ctx, files.manifest)
    scenes = compile_scenes(ctx, pending.scenes)
    story = assemble(ctx, header, scenes, files.content_hash)
    if story is not None or not partial:
        return story, ctx.diagnostics, None
    return None, ctx.diagnostics, assemble(ctx, header, scenes, "", partial=True)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a story is built.

    A large story is a million new containers, none of them in a reference cycle; the collector
    would walk the growing heap again and again while they are made (about a third of the load
    time of a 2,000-scene story). Freed memory is unaffected: reference counting still frees
    everything at once, and the collector resumes (if it was running) when the load ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
