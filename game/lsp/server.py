"""The language server (pygls 2) over stdio: `handler-one lsp`.

Each story (a folder holding `story.yaml`) an open file belongs to is a `Project`. A change
checks the whole story with the loader, `DEBOUNCE` seconds after the last keystroke; opening or
saving a file checks it so, then with every check `validate` makes (in a process of its own,
stopped by the next change). The loader's checks run one at a time on a worker thread, so
requests are answered meanwhile; a request about a file waits (at most
`SETTLE` seconds) for the check of its latest text, so the index it answers from is current.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import NoReturn

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from game import __version__
from game.lsp import features
from game.lsp.index import Occurrence, Span
from game.lsp.project import Checked, Finding, Project, find_root

DEBOUNCE = 0.25
"""Seconds after the last change before the story is checked again."""

SETTLE = 10.0
"""Seconds a request waits for the check of the text it is about."""

_COMPLETION_KINDS = {
    "scene": types.CompletionItemKind.Module,
    "variable": types.CompletionItemKind.Variable,
    "pilot": types.CompletionItemKind.Constant,
    "speaker": types.CompletionItemKind.Constant,
    "voice": types.CompletionItemKind.Constant,
    "evidence": types.CompletionItemKind.File,
    "deduction": types.CompletionItemKind.Reference,
    "ending": types.CompletionItemKind.Event,
    "tone": types.CompletionItemKind.EnumMember,
    "persona": types.CompletionItemKind.EnumMember,
    "function": types.CompletionItemKind.Function,
}
_SYMBOL_KINDS = {
    "scene": types.SymbolKind.Module,
    "variable": types.SymbolKind.Variable,
    "pilot": types.SymbolKind.Object,
    "speaker": types.SymbolKind.Object,
    "evidence": types.SymbolKind.File,
    "deduction": types.SymbolKind.Key,
    "ending": types.SymbolKind.Event,
    "tone": types.SymbolKind.EnumMember,
    "persona": types.SymbolKind.EnumMember,
}


class StoryServer(LanguageServer):
    """The server: the projects it knows and the worker that checks them."""

    def __init__(self) -> None:
        super().__init__("handler-one", __version__)
        self.projects: dict[Path, Project] = {}
        # The loader's checks, one at a time; the whole validator runs in its own process
        # (`validating`), so a slow search for dead ends never holds up the next keystroke's.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check")
        self.validating: dict[Path, asyncio.subprocess.Process] = {}
        self.generation: dict[Path, int] = {}
        self.fresh: dict[Path, asyncio.Event] = {}
        self.published: dict[Path, set[Path]] = {}

    # --- projects and checks -----------------------------------------------------------------

    def project_of(self, uri: str) -> Project | None:
        """The story a document belongs to (made the first time one of its files opens)."""
        path = _path(uri)
        if path is None:
            return None
        root = find_root(path)
        if root is None:
            return None
        if root not in self.projects:
            self.projects[root] = Project(root)
            self.fresh[root] = asyncio.Event()
        return self.projects[root]

    def buffers(self, project: Project) -> dict[Path, str]:
        """The open buffers of a story, as text."""
        found = {}
        for uri, document in list(self.workspace.text_documents.items()):
            path = _path(uri)
            if path is not None and project.root in path.parents:
                found[path] = document.source
        return found

    def schedule_for(self, uri: str, *, full: bool, wait: float) -> None:
        """`schedule` the story the file at `uri` belongs to, if it belongs to one."""
        project = self.project_of(uri)
        if project is not None:
            self.schedule(project, full=full, wait=wait)

    def schedule(self, project: Project, *, full: bool, wait: float) -> None:
        """Check the story after `wait` seconds, unless another change comes first."""
        root = project.root
        self.generation[root] = self.generation.get(root, 0) + 1
        self.fresh[root].clear()
        running = self.validating.pop(root, None)
        if running is not None and running.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                running.kill()
        asyncio.get_running_loop().create_task(
            self._check(project, self.generation[root], full=full, wait=wait)
        )

    async def _check(self, project: Project, generation: int, *, full: bool, wait: float) -> None:
        try:
            await self._checks(project, generation, full=full, wait=wait)
        except Exception as exc:  # noqa: BLE001 - a bug must not leave requests waiting
            self.fresh[project.root].set()
            self.window_log_message(
                types.LogMessageParams(
                    types.MessageType.Error, f"handler-one: check failed: {exc!r}"
                )
            )

    async def _checks(self, project: Project, generation: int, *, full: bool, wait: float) -> None:
        root = project.root
        if wait:
            await asyncio.sleep(wait)
        if self.generation.get(root) != generation:
            return
        loop = asyncio.get_running_loop()
        buffers = self.buffers(project)
        checked = await loop.run_in_executor(self.worker, partial(project.check, buffers))
        # The index is right for the text it was built from, current or not: take it always.
        project.apply(checked)
        if self.generation.get(root) != generation:
            return
        self.fresh[root].set()
        self.publish(project, checked)
        if full and checked.loaded:
            findings = await self.validate(project)
            if findings is not None and self.generation.get(root) == generation:
                self.publish(project, Checked(findings))

    async def validate(self, project: Project) -> dict[Path, list[Finding]] | None:
        """Every check of `handler-one validate` on the overlay, in a process of its own; None
        when it was stopped (a newer change) or did not answer."""
        process = await asyncio.create_subprocess_exec(
            *project.validate_command(),
            cwd=project.overlay.shadow,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self.validating[project.root] = process
        report, _ = await process.communicate()
        if self.validating.get(project.root) is process:
            del self.validating[project.root]
        if process.returncode not in (0, 1):
            return None
        return project.findings_of(report.decode("utf-8", errors="replace"))

    async def settle(self, project: Project) -> None:
        """Wait (a little) for the check of the latest text."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.fresh[project.root].wait(), SETTLE)

    def publish(self, project: Project, checked: Checked) -> None:
        """Send every file's diagnostics, and clear those of files that now have none."""
        previous = self.published.get(project.root, set())
        now = {path for path, found in checked.findings.items() if found}
        for path in sorted(previous | set(checked.findings)):
            found = checked.findings.get(path, [])
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=from_fs_path(str(path)) or "",
                    diagnostics=[self.diagnostic(project, f) for f in found],
                )
            )
        self.published[project.root] = now

    def diagnostic(self, project: Project, finding: Finding) -> types.Diagnostic:
        """One finding as the protocol has it: the range covers the word at its place."""
        lines = self.lines(project, finding.path)
        text = lines[finding.line] if finding.line < len(lines) else ""
        end = finding.column
        while end < len(text) and (text[end].isalnum() or text[end] in "_"):
            end += 1
        span = Span(finding.line, finding.column, max(end, finding.column + 1))
        return types.Diagnostic(
            range=self.range(lines, span),
            message=finding.message,
            severity=types.DiagnosticSeverity.Error
            if finding.severity == "error"
            else types.DiagnosticSeverity.Warning,
            code=finding.code,
            source="handler-one",
        )

    # --- places ------------------------------------------------------------------------------

    def lines(self, project: Project, path: Path) -> list[str]:
        """A file's lines as the editor has them."""
        uri = from_fs_path(str(path)) or ""
        if uri in self.workspace.text_documents:
            return self.workspace.get_text_document(uri).source.split("\n")
        indexed = project.index.files.get(path)
        if indexed is not None:
            return indexed.lines
        try:
            return path.read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError:
            return []

    def range(self, lines: list[str], span: Span) -> types.Range:
        """A span in the client's position units."""
        codec = self.workspace.position_codec
        return types.Range(
            start=codec.position_to_client_units(lines, types.Position(span.line, span.start)),
            end=codec.position_to_client_units(lines, types.Position(span.line, span.end)),
        )

    def location(self, project: Project, path: Path, span: Span) -> types.Location:
        """A span of a file as a protocol location."""
        return types.Location(
            uri=from_fs_path(str(path)) or "", range=self.range(self.lines(project, path), span)
        )

    async def occurrence_at(
        self, uri: str, position: types.Position
    ) -> tuple[Project, Occurrence] | None:
        """The id written at a position of a document, with its story."""
        project = self.project_of(uri)
        path = _path(uri)
        if project is None or path is None:
            return None
        await self.settle(project)
        lines = self.lines(project, path)
        server = self.workspace.position_codec.position_from_client_units(lines, position)
        found = project.index.at(path, server.line, server.character)
        return (project, found) if found is not None else None


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    # Not resolved: answers name files by the paths the editor opened them under (a link
    # followed would give another name, and the editor would not match it to its buffer).
    return Path(os.path.abspath(path)) if path else None


server = StoryServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: StoryServer, params: types.DidOpenTextDocumentParams) -> None:
    """Check the whole story when one of its files opens."""
    ls.schedule_for(params.text_document.uri, full=True, wait=0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: StoryServer, params: types.DidChangeTextDocumentParams) -> None:
    """Check the story again once the typing pauses."""
    ls.schedule_for(params.text_document.uri, full=False, wait=DEBOUNCE)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: StoryServer, params: types.DidSaveTextDocumentParams) -> None:
    """Every check, on save."""
    ls.schedule_for(params.text_document.uri, full=True, wait=0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: StoryServer, params: types.DidCloseTextDocumentParams) -> None:
    """A closed file counts as it is on disk."""
    ls.schedule_for(params.text_document.uri, full=False, wait=0)


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=[" ", "(", "[", "{", ",", "-"]),
)
async def completion(ls: StoryServer, params: types.CompletionParams) -> types.CompletionList:
    """Every id that fits where the cursor is."""
    project = ls.project_of(params.text_document.uri)
    path = _path(params.text_document.uri)
    if project is None or path is None:
        return types.CompletionList(is_incomplete=False, items=[])
    lines = ls.lines(project, path)
    at = ls.workspace.position_codec.position_from_client_units(lines, params.position)
    want = features.wanted(lines, at.line, at.character)
    if want is None:
        return types.CompletionList(is_incomplete=False, items=[])
    if not project.index.files:
        await ls.settle(project)
    span = Span(at.line, want.start, at.character)
    replace = ls.range(lines, span)
    items = [
        types.CompletionItem(
            label=item.label,
            kind=_COMPLETION_KINDS.get(item.kind),
            detail=item.detail,
            documentation=types.MarkupContent(types.MarkupKind.Markdown, item.documentation)
            if item.documentation
            else None,
            text_edit=types.TextEdit(range=replace, new_text=item.label),
        )
        for item in features.completions(project.index, want)
    ]
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: StoryServer, params: types.HoverParams) -> types.Hover | None:
    """What an id is: a scene's title and first line, a variable's type, range and default..."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return _hover_word(ls, params)
    project, occurrence = found
    kind = project.index.resolve(occurrence)
    text = features.hover(project.index, kind, occurrence.name)
    path = _path(params.text_document.uri)
    assert path is not None
    return types.Hover(
        contents=types.MarkupContent(types.MarkupKind.Markdown, text),
        range=ls.range(ls.lines(project, path), occurrence.span),
    )


def _hover_word(ls: StoryServer, params: types.HoverParams) -> types.Hover | None:
    """A condition function or a fixed voice under the cursor."""
    document = ls.workspace.get_text_document(params.text_document.uri)
    word = document.word_at_position(params.position)
    if word in features.FIXED_VOICES:
        text = f"**voice** `{word}`: {features.FIXED_VOICES[word]}"
    elif word in features.FUNCTIONS:
        text = f"**function** `{features.signature(word)}`"
    else:
        return None
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, text))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
async def definition(ls: StoryServer, params: types.DefinitionParams) -> list[types.Location]:
    """Where the id under the cursor is declared."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return []
    project, occurrence = found
    kind = project.index.resolve(occurrence)
    return [
        ls.location(project, path, declared.span)
        for path, declared in project.index.definitions(kind, occurrence.name)
    ]


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
async def references(ls: StoryServer, params: types.ReferenceParams) -> list[types.Location]:
    """Every place the id under the cursor is written, in every file of the story."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return []
    project, occurrence = found
    kind = project.index.resolve(occurrence)
    return [
        ls.location(project, place.path, place.occurrence.span)
        for place in project.index.occurrences(kind, occurrence.name)
        if params.context.include_declaration or not place.occurrence.declaration
    ]


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
async def prepare_rename(
    ls: StoryServer, params: types.PrepareRenameParams
) -> types.PrepareRenamePlaceholder | None:
    """Only ids can be renamed; the whole id is the placeholder."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    project, occurrence = found
    path = _path(params.text_document.uri)
    assert path is not None
    return types.PrepareRenamePlaceholder(
        range=ls.range(ls.lines(project, path), occurrence.span), placeholder=occurrence.name
    )


@server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
async def rename(ls: StoryServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    """Rename an id everywhere: its declaration and every reference, in every file."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    project, occurrence = found
    kind = project.index.resolve(occurrence)
    problem = features.rename_problem(project.index, kind, occurrence.name, params.new_name)
    if problem is not None:
        raise ValueError(problem)
    changes: dict[str, list[types.TextEdit]] = {}
    for place in project.index.occurrences(kind, occurrence.name):
        location = ls.location(project, place.path, place.occurrence.span)
        changes.setdefault(location.uri, []).append(
            types.TextEdit(range=location.range, new_text=params.new_name)
        )
    return types.WorkspaceEdit(changes=changes)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def document_symbols(
    ls: StoryServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol]:
    """The scenes of a file (and what it declares)."""
    project = ls.project_of(params.text_document.uri)
    path = _path(params.text_document.uri)
    if project is None or path is None:
        return []
    await ls.settle(project)
    indexed = project.index.files.get(path)
    if indexed is None:
        return []
    lines = ls.lines(project, path)
    codec = ls.workspace.position_codec
    symbols = []
    for declared in indexed.declared:
        region = declared.region
        whole = types.Range(
            start=codec.position_to_client_units(lines, types.Position(region.line, region.column)),
            end=codec.position_to_client_units(
                lines, types.Position(region.end_line, region.end_column)
            ),
        )
        symbols.append(
            types.DocumentSymbol(
                name=declared.name,
                detail=features.summary(declared),
                kind=_SYMBOL_KINDS[declared.kind],
                range=whole,
                selection_range=ls.range(lines, declared.span),
            )
        )
    return symbols


@server.feature(types.SHUTDOWN)
def shutdown(ls: StoryServer, params: None) -> None:
    """Remove every overlay folder."""
    for project in ls.projects.values():
        project.close()
    ls.worker.shutdown(wait=False, cancel_futures=True)
    for process in ls.validating.values():
        with contextlib.suppress(ProcessLookupError):
            process.kill()


def main() -> NoReturn:
    """Serve over stdin/stdout until the client exits."""
    try:
        server.start_io()
    finally:
        for project in server.projects.values():
            project.close()
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
    # A search for dead ends still running on a worker thread would hold the exit until it
    # ends; nothing it could say is wanted any more.
    os._exit(0)
