"""A cache of compiled stories, so a game starts without re-reading and re-checking its YAML.

The cache is JSON: reading it can build only plain data, never run code (no pickle, no
marshal). Conditions are stored as their source and compiled again on load, so a tampered cache
can at worst describe a different story, and it is checked against the story's files anyway: the
key is a hash of every scene file and map, the game version and the format version. A stale,
corrupt or foreign cache file is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from game import __version__
from game.engine import model
from game.engine.cache_checks import check_tables
from game.engine.diagnostics import Diagnostic, Mark
from game.engine.files import MAX_MAP_BYTES, default_map_dirs, story_files
from game.engine.format import FORMAT_VERSION
from game.engine.regular import FileRefused, read_regular
from game.engine.yamlsafe import MAX_FILE_BYTES

if TYPE_CHECKING:
    from game.engine.conditions import Expression, Scope

CACHE_FORMAT = 7
MAX_CACHE_BYTES = 512 * 1024 * 1024
"""A cache file larger than this is not read (and is rebuilt): a 50,000-scene story compiles
to about 60 MB."""
_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        model.Chapter,
        model.Variable,
        model.Pilot,
        model.Evidence,
        model.Deduction,
        model.Ending,
        model.Line,
        model.Effects,
        model.Branch,
        model.Order,
        model.Round,
        model.Engagement,
        model.Marker,
        model.Scene,
        model.Tone,
        model.Speaker,
        model.Persona,
        Diagnostic,
    )
}


def default_cache_dir() -> Path:
    """The user's cache directory for the game (HANDLER_ONE_CACHE_DIR overrides it)."""
    override = os.environ.get("HANDLER_ONE_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("handler-one", appauthor=False)) / "stories"


def cache_key(root: Path, map_dirs: tuple[Path, ...] | None = None) -> str:
    """A hash of everything a compiled story depends on."""
    digest = hashlib.sha256(f"{__version__}:{FORMAT_VERSION}:{CACHE_FORMAT}".encode())
    root = Path(root)
    # A file that cannot be read (a pipe, a device, too large) is hashed as its refusal: the
    # load that follows reports it, and the key still changes when it becomes readable.
    for path in story_files(root):
        digest.update(b"\0scene\0" + os.fsencode(path.relative_to(root)) + b"\0")
        digest.update(_contents(path, MAX_FILE_BYTES))
    for folder in map_dirs if map_dirs is not None else default_map_dirs(root):
        if folder.is_dir():
            for path in sorted(folder.glob("*.txt")):
                digest.update(b"\0map\0" + os.fsencode(path.name) + b"\0")
                digest.update(_contents(path, MAX_MAP_BYTES))
    return digest.hexdigest()


def _contents(path: Path, limit: int) -> bytes:
    try:
        return read_regular(path, limit)
    except FileRefused as exc:
        return b"\0unreadable\0" + exc.reason.encode()


def load_story_cached(root: Path | str, cache_dir: Path | None = None) -> model.Story:
    """Load a story through the cache: the compiled copy when it matches the files, else a
    fresh load (which then refreshes the cache). Raises `StoryError` like `load_story`."""
    root = Path(root)
    folder = cache_dir or default_cache_dir()
    key = cache_key(root)
    path = folder / f"{key[:32]}.json"
    cached = _read(path, key, root)
    if cached is not None:
        return cached
    from game.engine.loader import load_story  # only on a miss: a hit needs no YAML

    story = load_story(root)
    with contextlib.suppress(OSError):
        _write(path, key, story)
    return story


# --- encoding -----------------------------------------------------------------------------------


def encode_story(story: model.Story, key: str) -> bytes:
    """The story as a cache file: one JSON header line (tables and a scene index), then each
    scene's JSON, so a load decodes only the scenes a game visits."""
    from game.engine.conditions import Expression

    paths: dict[str, int] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, Mark):
            return ["$m", paths.setdefault(value.path, len(paths)), value.line, value.column]
        if isinstance(value, Expression):
            return ["$x", value.source, value.type]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return [
                "$" + type(value).__name__,
                *[encode(getattr(value, f.name)) for f in dataclasses.fields(value)],
            ]
        if isinstance(value, tuple | list):
            return [encode(v) for v in value]
        if isinstance(value, dict | MappingProxyType):
            return {"$d": [[k, encode(v)] for k, v in value.items()]}
        return value

    body = {
        "id": story.id,
        "title": story.title,
        "start": story.start,
        "chapters": encode(list(story.chapters.values())),
        "variables": encode(list(story.variables.values())),
        "pilots": encode(list(story.pilots.values())),
        "evidence": encode(list(story.evidence.values())),
        "deductions": encode(list(story.deductions.values())),
        "endings": encode(list(story.endings.values())),
        "tones": encode(list(story.tones.values())),
        "personas": encode(list(story.personas.values())),
        "speakers": encode(list(story.speakers.values())),
        "maps": dict(story.maps),
        "content_hash": story.content_hash,
        "warnings": encode(list(story.warnings)),
    }
    blobs = [
        (scene_id, json.dumps(encode(scene), separators=(",", ":")).encode())
        for scene_id, scene in story.scenes.items()
    ]
    index, offset = [], 0
    for scene_id, blob in blobs:
        index.append([scene_id, offset, offset + len(blob)])
        offset += len(blob)
    header = {
        "cache_format": CACHE_FORMAT,
        "key": key,
        "paths": list(paths),
        "story": body,
        "scenes": index,
        "states": list(story.state_names),
    }
    return (
        json.dumps(header, separators=(",", ":")).encode()
        + b"\n"
        + b"".join(blob for _, blob in blobs)
    )


class LazyScenes(Mapping[str, model.Scene]):
    """The scenes of a cached story, each decoded and checked (`cache_checks.check_scene`) the
    first time it is asked for. A scene that does not decode into one of its story's scenes
    means the cache is not what it claims: `rebuild` is called once to read the story from its
    files, and every scene comes from that story from then on."""

    def __init__(self, blobs: dict[str, memoryview], decode: Callable[[Any], Any]) -> None:
        self._blobs = blobs
        self._decode = decode
        self._built: dict[str, model.Scene] = {}
        self.story: model.Story | None = None  # set once the story around these scenes is built
        self.rebuild: Callable[[], model.Story] | None = None
        self._fresh: Mapping[str, model.Scene] | None = None

    def __getitem__(self, scene_id: str) -> model.Scene:
        if self._fresh is not None:
            return self._fresh[scene_id]
        scene = self._built.get(scene_id)
        if scene is None:
            if scene_id not in self._blobs:
                raise KeyError(scene_id)
            try:
                from game.engine.cache_checks import check_scene

                decoded = self._decode(json.loads(bytes(self._blobs[scene_id])))
                scene = check_scene(decoded, scene_id, self.story) if self.story else decoded
            except Exception:  # noqa: BLE001 - whatever is wrong with it, the files decide
                if self.rebuild is None:
                    raise KeyError(scene_id) from None
                self._fresh = self.rebuild().scenes
                self._built.clear()
                return self._fresh[scene_id]
            self._built[scene_id] = scene
        return scene

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, scene_id: object) -> bool:
        return scene_id in self._blobs


def decode_story(payload: bytes, root: Path) -> model.Story:
    """Rebuild a story from `encode_story` output; raises ValueError/TypeError/KeyError if it
    is not one. Scenes decode lazily; a damaged scene raises KeyError when first read."""
    newline = payload.index(b"\n")
    data = json.loads(payload[:newline])
    view = memoryview(payload)[newline + 1 :]
    paths: list[str] = [str(p) for p in data["paths"]]
    body = data["story"]

    def decode(value: Any) -> Any:
        if isinstance(value, list):
            if value and isinstance(value[0], str) and value[0].startswith("$"):
                tag = value[0]
                if tag == "$m":
                    return Mark(paths[value[1]], int(value[2]), int(value[3]))
                if tag == "$x":
                    return compile_cached(str(value[1]), str(value[2]))
                cls = _CLASSES[tag[1:]]
                return cls(*[decode(v) for v in value[1:]])
            return tuple(decode(v) for v in value)
        if isinstance(value, dict):
            return MappingProxyType({k: decode(v) for k, v in value["$d"]})
        return value

    compiled: dict[tuple[str, str], Expression] = {}
    scope: list[Scope] = []  # built with the first condition: a story can be read without one

    def compile_cached(source: str, want: str) -> Expression:
        key = (source, want)
        if key not in compiled:
            from game.engine.conditions import Scope, compile_expression

            if not scope:
                scope.append(
                    Scope(
                        {name: v.type for name, v in variables.items()},
                        {
                            "scene": frozenset(blobs),
                            "evidence": frozenset(evidence),
                            "deduction": frozenset(deductions),
                            "pilot": frozenset(pilots),
                        },
                    )
                )
            compiled[key] = compile_expression(source, scope[0], want)  # type: ignore[arg-type]
        return compiled[key]

    def table(name: str, key: Callable[[Any], Any]) -> dict[Any, Any]:
        return {key(item): item for item in decode(body[name])}

    variables = table("variables", lambda v: v.name)
    pilots = table("pilots", lambda p: p.id)
    evidence = table("evidence", lambda e: e.id)
    deductions = table("deductions", lambda d: d.id)
    endings = table("endings", lambda e: e.id)
    tones = table("tones", lambda t: t.id)
    personas = table("personas", lambda p: p.id)
    speakers = table("speakers", lambda s: s.id)
    blobs = {str(scene_id): view[int(start) : int(end)] for scene_id, start, end in data["scenes"]}
    if any(len(blob) == 0 for blob in blobs.values()) or len(view) != max(
        (int(end) for _, _, end in data["scenes"]), default=0
    ):
        raise ValueError("scene index does not match the file")
    scenes = LazyScenes(blobs, decode)
    story = model.Story(
        id=str(body["id"]),
        title=str(body["title"]),
        start=str(body["start"]),
        chapters=MappingProxyType({c.number: c for c in decode(body["chapters"])}),
        variables=MappingProxyType(variables),
        pilots=MappingProxyType(pilots),
        evidence=MappingProxyType(evidence),
        deductions=MappingProxyType(deductions),
        endings=MappingProxyType(endings),
        scenes=scenes,
        maps=MappingProxyType({str(k): str(v) for k, v in body["maps"].items()}),
        content_hash=str(body["content_hash"]),
        root=str(root),
        warnings=tuple(decode(body["warnings"])),
        state_names=tuple(str(name) for name in data["states"]),
        tones=MappingProxyType(tones),
        personas=MappingProxyType(personas),
        speakers=MappingProxyType(speakers),
    )
    scenes.story = story
    return story


def _read(path: Path, key: str, root: Path) -> model.Story | None:
    try:
        raw = read_regular(path, MAX_CACHE_BYTES)
        digest, _, payload = raw.partition(b"\n")
        # A checksum first: damage of any kind, even a consistent edit, means a rebuild.
        if digest != _digest(payload):
            return None
        if f'"cache_format":{CACHE_FORMAT},"key":"{key}"'.encode() not in payload[:200]:
            return None
        story = decode_story(payload, root)
        check_tables(story)
        story.scenes[story.start]  # noqa: B018 - proves at least the start scene decodes
    except Exception:  # noqa: BLE001 - any unreadable cache is simply rebuilt
        return None
    if isinstance(story.scenes, LazyScenes):
        story.scenes.rebuild = functools.partial(_rebuild, path, key, root)
    return story


def _rebuild(path: Path, key: str, root: Path) -> model.Story:
    """The story read from its files, the cache that turned out not to hold it replaced."""
    from game.engine.loader import load_story

    with contextlib.suppress(OSError):
        os.unlink(path)
    story = load_story(root)
    with contextlib.suppress(OSError):
        _write(path, key, story)
    return story


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=16).hexdigest().encode()


def _write(path: Path, key: str, story: model.Story) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = encode_story(story, key)
    payload = _digest(payload) + b"\n" + payload
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
