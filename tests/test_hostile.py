"""Hostile files: refused with a place, quickly, in bounded memory, running nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from game.engine.loader import check_story
from tests.conftest import FIXTURES, MINI

HOSTILE = FIXTURES / "hostile"
EXPECTED = {
    "a_directory.yaml",
    "alias_bomb.yaml",
    "invalid_utf8.yaml",
    "python_name.yaml",
    "python_tag.yaml",
    "random_bytes.yaml",
    "symlink_loop.yaml",
    "tab_indent.yaml",
}

MEASURE = """
import resource, subprocess, sys
proc = subprocess.run([sys.executable, "-m", "game", "validate", sys.argv[1]], capture_output=True, text=True)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(proc.returncode, peak_kb)
sys.stdout.write(proc.stdout)
"""


def _hostile_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    shutil.copytree(HOSTILE, folder, symlinks=True)
    # The two biggest cases are made here rather than kept in git.
    (folder / "deep_flow.yaml").write_text("[" * 60_000 + "]" * 60_000)
    (folder / "deep_block.yaml").write_text("".join(" " * i + "- \n" for i in range(3_000)))
    with (folder / "huge_string.yaml").open("w") as handle:
        handle.write('chapter: 1\nscenes:\n  - id: big\n    title: "')
        handle.write("x" * 60_000_000)
        handle.write('"\n')
    return folder


def test_validate_refuses_every_hostile_file_fast_and_small(tmp_path: Path) -> None:
    folder = _hostile_copy(tmp_path)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder)], capture_output=True, text=True, timeout=120
    )
    elapsed = time.monotonic() - started
    first, _, report = result.stdout.partition("\n")
    code, peak_kb = map(int, first.split())
    assert code == 1
    named = {line.split(":", 1)[0].rsplit("/", 1)[-1] for line in report.splitlines() if ": error: " in line}
    assert EXPECTED | {"deep_flow.yaml", "deep_block.yaml", "huge_string.yaml"} <= named
    assert "Traceback" not in result.stdout + result.stderr
    assert peak_kb < 400 * 1024, f"peak memory {peak_kb // 1024} MB"
    assert elapsed < 60  # generous: the point is "seconds, not a hang", not a benchmark
    assert not Path("/tmp/pwned").exists()


def test_each_hostile_file_alone_gets_its_own_error(tmp_path: Path) -> None:
    for name in sorted(EXPECTED):
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        shutil.copy(MINI / "story.yaml", folder / "story.yaml")
        shutil.copy(MINI / "ch1.yaml", folder / "ch1.yaml")
        source = HOSTILE / name
        if source.is_symlink():
            (folder / name).symlink_to(name)
        elif source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copy(source, folder / name)
        story, diagnostics = check_story(folder)
        assert story is None, name
        assert [Path(d.mark.path).name for d in diagnostics] == [name]
        assert diagnostics[0].code == "E001" and diagnostics[0].mark.line >= 1


def test_markup_and_escapes_in_scene_text_are_shown_literally(tmp_path: Path) -> None:
    folder = tmp_path / "story"
    shutil.copytree(MINI, folder)
    shutil.copy(HOSTILE / "markup_and_escapes.yaml", folder / "hostile.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "game", "play", "--plain", "--seed", "1", "--warp", "hostile_text", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for control in ("\x1b", "\x9b", "\x07", "\u202e"):
        assert control not in out
    assert "[@click=app.quit]Quit[/]" in out
    assert "HQ: [bold red]HQ[/] says [link=https://example.com]click[/link] \u241b[31mred\u241b[0m" in out
