"""Ids the shipped story renamed, and what they became: for saves made before the rename.

Three pilots of the story `handler-one` flew under callsigns that belong to the novels the premise
comes from; they were given callsigns of our own, with new ids, and the scenes named after them
were renamed too. A save made before then names the old ids wherever a save names a pilot or a
scene. `renamed_state` carries such a save's state to the new ids; the save migration from format
1 to 2 (`saves.MIGRATIONS[1]`) calls it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

STORY_ID = "handler-one"

PILOTS: Mapping[str, str] = MappingProxyType(
    {"werewolf": "longshot", "fox": "ringside", "gunslinger": "plumbline"}
)
SCENES: Mapping[str, str] = MappingProxyType(
    {
        "ch2_gunslinger_watch": "ch2_plumbline_watch",
        "ch4_fox_tally": "ch4_ringside_tally",
        "ch4_werewolf_name": "ch4_longshot_name",
        "ch5_werewolf": "ch5_longshot",
    }
)
# The old callsigns as the radio said them, and the new ones.
CALLSIGNS: Mapping[str, str] = MappingProxyType(
    {"Laughing Fox": "Ringside", "Werewolf": "Longshot", "Gunslinger": "Plumbline"}
)
# How the lines a save keeps from its last order (shown again on loading) change: by the same
# words the story's own lines changed by, the short form "(the) Fox" included.
_CALLSIGNS = (
    (re.compile(r"\bLaughing Fox\b|\b[Tt]he Fox\b|\bFox\b"), CALLSIGNS["Laughing Fox"]),
    (re.compile(r"\bWerewolf\b"), CALLSIGNS["Werewolf"]),
    (re.compile(r"\bGunslinger\b"), CALLSIGNS["Gunslinger"]),
)


def _pilot(name: Any) -> Any:
    return PILOTS.get(name, name) if isinstance(name, str) else name


def _scene(name: Any) -> Any:
    """A scene or machine state name (`scene#2` is an engagement's second round)."""
    if not isinstance(name, str):
        return name
    base, mark, rest = name.partition("#")
    return SCENES.get(base, base) + mark + rest


def _text(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    for pattern, callsign in _CALLSIGNS:
        text = pattern.sub(callsign, text)
    return text


def _keys(mapping: Any, rename: Callable[[Any], Any]) -> Any:
    return {rename(k): v for k, v in mapping.items()} if isinstance(mapping, dict) else mapping


def _values(mapping: Any, rename: Callable[[Any], Any]) -> Any:
    return {k: rename(v) for k, v in mapping.items()} if isinstance(mapping, dict) else mapping


def _items(items: Any, rename: Callable[[Any], Any]) -> Any:
    return [rename(i) for i in items] if isinstance(items, list) else items


def _log_entry(entry: Any) -> Any:
    return [_scene(entry[0]), *entry[1:]] if isinstance(entry, list) and entry else entry


def _said(line: Any) -> Any:
    if not isinstance(line, dict):
        return line
    fields = {"speaker": _pilot, "text": _text}
    return {k: fields.get(k, lambda v: v)(v) for k, v in line.items()}


# Each part of a state that can name a pilot or a scene, and how to rename it.
_FIELDS: Mapping[str, Callable[[Any], Any]] = MappingProxyType(
    {
        "scene": _scene,
        "origin": _scene,
        "status": lambda v: _keys(v, _pilot),
        "known": lambda v: _items(v, _pilot),
        "losses": lambda v: _values(_keys(v, _scene), lambda p: _items(p, _pilot)),
        "visits": lambda v: _keys(v, _scene),
        "evidence": lambda v: _values(v, _scene),
        "log": lambda v: _items(v, _log_entry),
        "aftermath": lambda v: _items(v, _said),
    }
)


def renamed_state(state: Any) -> Any:
    """A save's `state` section with the shipped story's old pilot and scene ids replaced by the
    new ones: the roster (`status`, `known`, `losses`), where the game is (`scene`, `origin`),
    where it has been (`visits`, each order in `log`, where each piece of evidence was found) and
    the last order's lines (their speakers, and the callsigns in their text).

    A state of another story, or one not shaped like a state, is returned as it is: the save's
    own checks judge it afterwards.
    """
    if not isinstance(state, dict) or state.get("story_id") != STORY_ID:
        return state
    return {key: _FIELDS[key](value) if key in _FIELDS else value for key, value in state.items()}
