"""The scene format's fields, written once: the loader checks keys against these and the JSON
Schema (`handler-one schema`) is generated from them, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FORMAT_VERSION = 1

# A radio line's signal, from mostly static to a clear link (a line's default). Every check,
# clamp and schema bound of a signal reads these two.
MIN_SIGNAL = 0
MAX_SIGNAL = 4

# Every whole number the game holds — a scene file's numbers, a condition's, `--set`, a variable
# after an effect, a save's — is a signed 64-bit value. Python's ints have no bound, but a number
# of thousands of digits cannot even be printed (Python refuses to convert one past 4,300
# digits), and nothing in a story needs more than this. Every check and clamp reads these two.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1


def int_in_range(value: int) -> bool:
    """Whether `value` is a whole number the game can hold (`INT_MIN`..`INT_MAX`)."""
    return INT_MIN <= value <= INT_MAX


def parse_int(text: str) -> int | None:
    """`text` as a whole number the game can hold (an optional sign, then decimal digits), or
    None. Never builds a number longer than `INT_MAX`, so it is safe on hostile text."""
    digits = text.strip().removeprefix("-").removeprefix("+")
    if not digits.isascii() or not digits.isdecimal() or len(digits.lstrip("0")) > 19:
        return None
    value = int(text.strip())
    return value if int_in_range(value) else None


INT_RANGE_TEXT = "between -9223372036854775808 and 9223372036854775807"
"""How an error states the range, once."""


def whole(value: object) -> int | None:
    """`value` as a whole number the game can hold, or None. A number written with a point
    but no fraction (`2.0`) counts, as it does for JSON Schema (JSON has one kind of number),
    so that the loader and the schema editors use agree; true and false are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and int_in_range(value) else None


# The shapes of names, written once as patterns both Python and editors' JSON Schema (ECMA
# regular expressions) read alike: ASCII classes only. The loader matches a whole value
# against them (`whole_match`); the schema anchors them with ^...$.
ID = "[a-z][a-z0-9_]*"
"""An id: a scene, pilot, evidence, deduction, ending, tone, persona or speaker; a variable's
name; a map's."""
STORY_ID = "[a-z][a-z0-9_-]{0,63}"
"""The story's own id in story.yaml (saves remember it)."""
WORD = "[A-Za-z0-9][A-Za-z0-9'-]*"
"""A typed word of an order: letters, digits, ' and -, starting with a letter or digit. Either
case: the player's typing is matched without regard to case, and words are kept lower-case."""
WORDS_TEXT = f" *(?:{WORD}(?: +{WORD})*)? *"
"""`words` written as one text instead of a list: words separated by spaces."""

RESERVED_NAMES = ("true", "false", "and", "or", "not")
"""Words of the condition language, which no variable may be named."""
RESERVED_SPEAKER_IDS = ("dossier", "hit")
"""Ids a declared speaker may not take beside the fixed speakers' and a line's keys: the
game's own tags."""


def whole_match(pattern: str, value: object) -> bool:
    """Whether `value` is text that `pattern` matches whole (as the schema's ^...$ does in an
    editor: a trailing newline is not matched)."""
    import re

    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


COMMAND_WORDS = frozenset(
    {
        *("help", "look", "status", "squad", "dossier", "glossary", "map", "undo", "quit", "exit"),
        *("save", "load", "saves", "quicksave", "quickload"),
    }
)
"""Words line mode (`handler-one play --plain`) keeps for itself: typed as the first word of a
line they run a command, so an order's `words` cannot use them there (validate: W021)."""


@dataclass(frozen=True, slots=True)
class Field:
    """One key of one kind of object: its value's shape, whether it is required, what it does."""

    kind: str
    required: bool = False
    doc: str = ""


NOTES = Field("notes", doc="Free notes for authors, of any shape; never read by the game.")

OBJECTS: Mapping[str, Mapping[str, Field]] = {
    "manifest": {
        "id": Field("id", True, "The story's id; saves remember it."),
        "title": Field("text", True, "The story's title."),
        "start": Field("scene_ref", True, "The first scene."),
        "chapters": Field("list:chapter", doc="Chapter numbers and titles."),
        "variables": Field("list:variable", doc="Every variable a condition or effect names."),
        "pilots": Field("list:pilot", doc="The squadron roster, in roster order."),
        "evidence": Field("list:evidence", doc="Dossier entries."),
        "deductions": Field("list:deduction", doc="Evidence that together unlocks a deduction."),
        "endings": Field("list:ending", doc="The story's endings."),
        "speakers": Field(
            "list:speaker",
            doc="Voices beside hq, narration, lena and the pilots, each with its own tag.",
        ),
        "tones": Field("list:tone", doc="The tones an order may be tagged with."),
        "personas": Field(
            "list:persona", doc="Ways of playing Lena that `playtest --persona` plays."
        ),
        "notes": NOTES,
    },
    "scene_file": {
        "chapter": Field("int", doc="The chapter of every scene in this file."),
        "scenes": Field("list:scene", doc="The scenes."),
        "variables": Field("list:variable", doc="More variables, declared beside their scenes."),
        "evidence": Field("list:evidence", doc="More dossier entries."),
        "deductions": Field("list:deduction", doc="More deductions."),
        "endings": Field("list:ending", doc="More endings."),
        "notes": NOTES,
    },
    "chapter": {
        "number": Field("int", True, "The chapter number scenes refer to."),
        "title": Field("text", True, "Shown in the status line and headers."),
        "notes": NOTES,
    },
    "variable": {
        "name": Field("id", True, "How conditions and effects name it."),
        "type": Field("enum:bool,int,text", True, "bool, int or text."),
        "default": Field("value", True, "The starting value, of the declared type."),
        "min": Field("int", doc="Lowest value effects may set (int only)."),
        "max": Field("int", doc="Highest value effects may set (int only)."),
        "notes": NOTES,
    },
    "pilot": {
        "id": Field("id", True, "How scenes name the pilot (also the radio speaker key)."),
        "callsign": Field("text", True, "Shown until Lena learns the name."),
        "name": Field("text", True, "The pilot's name."),
        "role": Field("text", doc="Role in the squadron."),
        "status": Field(
            "enum:active,wounded,missing,killed,reserve",
            doc="Status at the start (reserve: not with the squad yet; off the roster).",
        ),
        "known": Field("bool", doc="Whether Lena knows the name at the start."),
        "notes": NOTES,
    },
    "evidence": {
        "id": Field("id", True, "How effects and conditions name it."),
        "title": Field("text", True, "The dossier heading."),
        "text": Field("text", True, "What the evidence says."),
        "source": Field("enum:official,radio,record", True, "official, radio or record."),
        "notes": NOTES,
    },
    "deduction": {
        "id": Field("id", True, "How conditions name it: deduced(id)."),
        "title": Field("text", True, "The dossier heading."),
        "text": Field("text", True, "What Lena concludes."),
        "requires": Field("evidence_refs", True, "Evidence that together makes it."),
        "hint": Field("text", doc="Shown when some but not all of the pieces are held."),
        "notes": NOTES,
    },
    "ending": {
        "id": Field("id", True, "Named by a scene's `ending`."),
        "title": Field("text", True, "Shown as ENDING: title."),
        "text": Field("text", doc="Closing text on the ending screen."),
        "notes": NOTES,
    },
    "speaker": {
        "id": Field("id", True, 'How radio lines name it: `vasseur: "..."`.'),
        "tag": Field("text", True, "Shown beside its lines, as a pilot's callsign is."),
        "voice": Field(
            "enum:hq,narration,lena",
            doc="Whose register it is styled in: hq (command, paper), narration or lena "
            "(default hq).",
        ),
        "notes": NOTES,
    },
    "tone": {
        "id": Field("id", True, "How orders name it: `tone: id`."),
        "title": Field("text", doc="What an order of this tone is, in a few words."),
        "notes": NOTES,
    },
    "persona": {
        "id": Field("id", True, "How `playtest --persona` names it."),
        "title": Field("text", True, "The kind of player, in a few words."),
        "prefers": Field("tone_refs", True, "Tones this player chooses when they can."),
        "avoids": Field(
            "tone_refs", doc="Tones this player chooses only when nothing else is offered."
        ),
        "consistency": Field(
            "int",
            doc="Percent of choices that follow `prefers` when such an order is offered "
            "(default 85); the rest are chance among the orders not avoided.",
        ),
        "notes": NOTES,
    },
    "scene": {
        "id": Field("id", True, "Unique across the story."),
        "title": Field("text", True, "The scene's title."),
        "chapter": Field("int", doc="Overrides the file's chapter."),
        "map": Field("map_ref", doc="A map from assets/maps (without .txt)."),
        "markers": Field("list:marker", doc="Marks drawn on the map."),
        "enter": Field("effects", doc="Effects applied when the scene is entered."),
        "radio": Field("lines", doc="What is heard, in order."),
        "orders": Field("list:order", doc="What Lena can say."),
        "ending": Field("ending_ref", doc="Makes this scene an ending."),
        "engagement": Field("engagement", doc="Makes this scene a fight in rounds."),
        "notes": NOTES,
    },
    "marker": {
        "at": Field("at", True, "[column, row] on the map, from 0."),
        "kind": Field("enum:squad,legion,objective,hazard", True, "What the mark shows."),
        "label": Field("text", doc="A short label."),
        "notes": NOTES,
    },
    "order": {
        "say": Field("text", True, "What Lena says over the link."),
        "words": Field(
            "words",
            doc="Words the player can type to give this order; not line mode's commands (W021).",
        ),
        "if": Field("condition", doc="When false the order is hidden (or disabled)."),
        "disabled": Field("text", doc="Show the order dimmed with this reason instead of hiding."),
        "hint_if": Field(
            "condition",
            doc="With `disabled`: show the dimmed reason only while this holds; otherwise hide "
            "the order (e.g. `not knows(x)` once the name is learned).",
        ),
        "effects": Field("effects", doc="Applied when the order is given."),
        "radio": Field("lines", doc="Heard right after the order."),
        "goto": Field("goto", doc="The next scene, or a list of branches."),
        "tone": Field(
            "tone_ref",
            doc="What kind of order this is (a declared tone); persona playtests read it. "
            "Never shown to players.",
        ),
        "heeds": Field("bool", doc="In an engagement: this order follows Shin's warning."),
        "risk": Field("int", doc="In an engagement: extra danger this round."),
        "notes": NOTES,
    },
    "branch": {
        "goto": Field("scene_ref", True, "Where this branch goes."),
        "if": Field("condition", doc="The branch is dropped when false."),
        "weight": Field("int", doc="Relative chance among weighted branches."),
        "effects": Field("effects", doc="Applied when this branch is taken."),
        "radio": Field("lines", doc="Heard when this branch is taken."),
        "notes": NOTES,
    },
    "effects": {
        "set": Field("assignments", doc="variable: value"),
        "add": Field("increments", doc="int variable: amount (clamped)"),
        "reveal": Field("evidence_refs", doc="Evidence added to the dossier."),
        "learn": Field("pilot_refs", doc="Pilots whose names Lena learns."),
        "asked": Field(
            "pilot_refs",
            doc="Pilots Lena asked for their names who did not give them (a refusal): the roll "
            "call says 'asked, but never gave it' instead of 'never asked'.",
        ),
        "status": Field("statuses", doc="pilot: active | wounded | missing | killed | reserve"),
        "notes": NOTES,
    },
    "engagement": {
        "rounds": Field("list:round", True, "The rounds, in order."),
        "orders": Field("list:order", True, "Orders offered every round."),
        "after": Field("goto", True, "Where the game goes after the last round."),
        "danger": Field("int_expr", doc="Base danger each round (default 1)."),
        "ignore_cost": Field("int", doc="Danger added when Shin's warning is ignored (default 3)."),
        "at_risk": Field("pilot_refs", doc="Pilots who can be hit (default all but shin)."),
        "hit": Field("text", doc="Narration for a wound; {pilot} is the pilot."),
        "kill": Field("text", doc="Narration for a death; {pilot} is the pilot."),
        "notes": NOTES,
    },
    "round": {
        "radio": Field("lines", doc="Reports this round."),
        "warning": Field("text", doc="Shin's warning this round."),
        "orders": Field("list:order", doc="Extra orders this round only."),
        "markers": Field(
            "list:marker",
            doc="Marks on the map from this round on (replacing the scene's or an earlier "
            "round's): the squad and the Legion where the radio says they are.",
        ),
        "notes": NOTES,
    },
}

# Keys a radio line may carry beside its one speaker key.
LINE_KEYS: Mapping[str, Field] = {
    "if": Field("condition", doc="The line is said only when this holds."),
    "signal": Field("int", doc=f"{MIN_SIGNAL} (mostly static) to {MAX_SIGNAL} (clear)."),
    "once": Field("bool", doc="Said only on the first visit to the scene."),
    "notes": NOTES,
}
