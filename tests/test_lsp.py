"""`handler-one lsp` driven by a real client (pytest-lsp) over stdio, on a copy of the fixture
story: completion, definition, references, rename, hover, symbols and live diagnostics."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

pytestmark = pytest.mark.asyncio

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "game", "lsp"])


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, mini_copy: Path):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=from_fs_path(str(mini_copy)),
        )
    )
    yield
    await lsp_client.shutdown_session()


def uri(path: Path) -> str:
    return from_fs_path(str(path.absolute())) or ""


async def until(condition: Callable[[], object], what: str, deadline: float = 10.0) -> object:
    """Wait for `condition()` to be truthy, failing after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def open_file(client: LanguageClient, path: Path) -> str:
    """Open a file as an editor does, and wait for the story's first diagnostics."""
    address = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(address, "yaml", 1, path.read_text(encoding="utf-8"))
        )
    )
    await until(lambda: address in client.diagnostics, f"diagnostics of {path.name}")
    return address


def position_of(path: Path, needle: str, nth: int = 0) -> types.Position:
    """Where the `nth` occurrence of `needle` starts in a file."""
    text = path.read_text(encoding="utf-8")
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    return types.Position(line, at - (text.rfind("\n", 0, at) + 1))


async def test_a_goto_completes_every_scene(client: LanguageClient, mini_copy: Path) -> None:
    ch1 = mini_copy / "ch1.yaml"
    address = await open_file(client, ch1)
    at = position_of(ch1, "goto: fight")
    at.character += len("goto: ")
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(address), at)
    )
    assert isinstance(result, types.CompletionList)
    labels = {item.label for item in result.items}
    assert labels == {"first_contact", "fight", "end_scene_good", "end_scene_bad"}
    fight = next(item for item in result.items if item.label == "fight")
    assert fight.detail == "scene: Riverbed"


async def test_a_condition_completes_the_ids_its_function_takes(
    client: LanguageClient, mini_copy: Path
) -> None:
    ch1 = mini_copy / "ch1.yaml"
    address = await open_file(client, ch1)
    at = position_of(ch1, "de_people)")
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(address), at)
    )
    assert isinstance(result, types.CompletionList)
    assert {item.label for item in result.items} == {"de_people"}
    at = position_of(ch1, "trust > 3")
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(address), at)
    )
    assert isinstance(result, types.CompletionList)
    labels = {item.label for item in result.items}
    assert {"trust", "standing", "link_closed", "has", "knows", "fallen_count"} <= labels


async def test_definition_jumps_to_the_scene(client: LanguageClient, mini_copy: Path) -> None:
    ch1, story = mini_copy / "ch1.yaml", mini_copy / "story.yaml"
    address = await open_file(client, story)
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            types.TextDocumentIdentifier(address), position_of(story, "first_contact")
        )
    )
    assert isinstance(result, list) and len(result) == 1
    assert result[0].uri == uri(ch1)
    declared = position_of(ch1, "first_contact")
    assert result[0].range.start == declared
    assert result[0].range.end.character == declared.character + len("first_contact")


async def test_references_of_evidence_span_every_file(
    client: LanguageClient, mini_copy: Path
) -> None:
    ch1, story = mini_copy / "ch1.yaml", mini_copy / "story.yaml"
    address = await open_file(client, ch1)
    result = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(address),
            position=position_of(ch1, "ev_voices"),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert result is not None
    found = sorted((item.uri, item.range.start.line, item.range.start.character) for item in result)
    expected = sorted(
        (uri(path), place.line, place.character)
        for path, place in (
            (story, position_of(story, "ev_voices")),  # declared
            (story, position_of(story, "ev_voices", 1)),  # a deduction requires it
            (ch1, position_of(ch1, "ev_voices")),  # revealed
        )
    )
    assert found == expected


async def test_rename_a_scene_edits_every_file(client: LanguageClient, mini_copy: Path) -> None:
    ch1, story = mini_copy / "ch1.yaml", mini_copy / "story.yaml"
    address = await open_file(client, ch1)
    at = position_of(ch1, "first_contact")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(types.TextDocumentIdentifier(address), at)
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "first_contact"
    edit = await client.text_document_rename_async(
        types.RenameParams(types.TextDocumentIdentifier(address), at, "first_call")
    )
    assert edit is not None and edit.changes is not None
    assert set(edit.changes) == {uri(ch1), uri(story)}
    for path in (ch1, story):
        lines = path.read_text(encoding="utf-8").split("\n")
        for change in edit.changes[uri(path)]:
            line = lines[change.range.start.line]
            assert line[change.range.start.character : change.range.end.character] == (
                "first_contact"
            )
            assert change.new_text == "first_call"
    assert len(edit.changes[uri(story)]) == 1  # start:


async def test_a_rename_to_a_taken_id_is_refused(client: LanguageClient, mini_copy: Path) -> None:
    ch1 = mini_copy / "ch1.yaml"
    address = await open_file(client, ch1)
    with pytest.raises(Exception, match="already declared"):
        await client.text_document_rename_async(
            types.RenameParams(
                types.TextDocumentIdentifier(address), position_of(ch1, "fight"), "end_scene_bad"
            )
        )


async def test_a_misspelt_speaker_is_reported_within_a_second(
    client: LanguageClient, mini_copy: Path
) -> None:
    ch1 = mini_copy / "ch1.yaml"
    address = await open_file(client, ch1)
    assert not client.diagnostics[address]
    at = position_of(ch1, '- nell: "She')
    at.character += 2
    changed = time.monotonic()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=address, version=2),
            [
                types.TextDocumentContentChangePartial(
                    range=types.Range(at, types.Position(at.line, at.character + 4)),
                    text="nel",
                )
            ],
        )
    )

    def misspelt() -> list[types.Diagnostic]:
        return [d for d in client.diagnostics.get(address, []) if d.code == "E031"]

    found = await until(misspelt, "E031 for the misspelt speaker", deadline=1.0)
    assert time.monotonic() - changed < 1.0
    (diagnostic,) = found  # type: ignore[misc]
    assert "nel" in diagnostic.message and "nell" in diagnostic.message
    assert diagnostic.range.start == at
    assert diagnostic.severity == types.DiagnosticSeverity.Error


async def test_a_change_in_one_file_updates_another(
    client: LanguageClient, mini_copy: Path
) -> None:
    story, ch1 = mini_copy / "story.yaml", mini_copy / "ch1.yaml"
    address = await open_file(client, story)
    text = story.read_text(encoding="utf-8").replace("{id: ev_voices,", "{id: ev_voice,")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=address, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )

    def missing() -> list[types.Diagnostic]:
        return [d for d in client.diagnostics.get(uri(ch1), []) if d.code == "E032"]

    (diagnostic,) = await until(missing, "E032 in the other file")  # type: ignore[misc]
    assert diagnostic.range.start.line == position_of(ch1, "ev_voices").line


async def test_hover_and_symbols(client: LanguageClient, mini_copy: Path) -> None:
    ch1 = mini_copy / "ch1.yaml"
    address = await open_file(client, ch1)

    async def hover(needle: str) -> str:
        result = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(address), position_of(ch1, needle))
        )
        assert result is not None and isinstance(result.contents, types.MarkupContent)
        return result.contents.value

    assert "Riverbed" in await hover("fight") and "hq: Contacts." in await hover("fight")
    assert "int, 0..5, default 1" in await hover("trust")
    assert "Undertaker" in await hover("shin:") and "Shinei Nouzen" in await hover("shin:")
    assert "They are people." in await hover("de_people")
    assert "has(evidence) -> bool" not in await hover("knows")
    assert "knows(pilot) -> bool" in await hover("knows")
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(address))
    )
    assert symbols is not None
    assert [s.name for s in symbols] == [
        "first_contact",
        "fight",
        "end_scene_good",
        "end_scene_bad",
    ]


async def test_opening_a_file_runs_every_check_of_validate(
    client: LanguageClient, mini_copy: Path
) -> None:
    """The story-wide checks (here W010, a scene nothing leads to) arrive on open and save."""
    ch1 = mini_copy / "ch1.yaml"
    with ch1.open("a", encoding="utf-8") as file:
        file.write(
            '  - id: lonely\n    title: Lonely\n    radio: [{hq: "Nobody comes."}]\n'
            "    ending: end_bad\n"
        )
    address = await open_file(client, ch1)

    def unreachable() -> list[types.Diagnostic]:
        return [d for d in client.diagnostics.get(address, []) if d.code == "W010"]

    (warning,) = await until(unreachable, "W010 from the whole validator")  # type: ignore[misc]
    assert warning.severity == types.DiagnosticSeverity.Warning
    assert warning.range.start.line == position_of(ch1, "id: lonely").line


async def test_a_story_opened_through_a_link_is_answered_under_the_editor_s_paths(
    client: LanguageClient, mini_copy: Path, tmp_path: Path
) -> None:
    link = tmp_path / "linked"
    link.symlink_to(mini_copy, target_is_directory=True)
    ch1 = link / "ch1.yaml"
    address = await open_file(client, ch1)
    result = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(address), position_of(ch1, "fight", 1))
    )
    assert isinstance(result, list) and [r.uri for r in result] == [address]
