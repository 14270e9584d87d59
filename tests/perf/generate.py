"""Write a synthetic story in the current scene format, at any size, for benchmarks.

    python -m tests.perf.generate OUT_DIR [--scenes 2000] [--words 700000] [--ink FILE]

The story is valid under `handler-one validate`: every scene is reachable, every order leads
forward, engagements and weighted branches appear at realistic rates, and conditions read the
same kinds of variables, evidence and pilots the real campaign does.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

VOCABULARY = (
    "link static bearing contact ridge river count marker board lamp signal north east south west "
    "quiet heavy squad handler order hold move fall back forward wire mast relay sector front line "
    "ash orchard town bridge road hour minute night morning cold rain wind dust engine track voice "
    "name roster ledger bulletin report status distance range grid column row pass open closed"
).split()
PILOTS = ["shin"] + [f"p{i:02d}" for i in range(1, 16)]
EVIDENCE = [f"ev_{i:03d}" for i in range(60)]
SCENES_PER_CHAPTER = 100
LINES_PER_SCENE = 8
CONDITIONAL_LINE = 2  # this radio line is heard only when CONDITION holds
CONDITION = "trust >= 3 or has(ev_001)"
GARBLED_LINE = 4  # this radio line comes at signal 2
DANGER = "2 - readiness"
ROUT = 8  # an engagement's `after` skips a scene when this many pilots have fallen
# (id, type, default, min, max) of the story's variables; min/max None for a bool
VARIABLES = (
    ("trust", "int", 2, 0, 10),
    ("standing", "int", 5, 0, 10),
    ("readiness", "int", 0, 0, 3),
    ("link_closed", "bool", False, None, None),
)
DEDUCTIONS = [(f"de_{i:02d}", EVIDENCE[2 * i], EVIDENCE[2 * i + 1]) for i in range(20)]


@dataclass(frozen=True)
class EngagementOrder:
    """One of the three orders every engagement round offers."""

    say: str
    word: str
    heeds: bool = False
    risk: int = 0
    add: tuple[str, int] | None = None


ENGAGEMENT_ORDERS = (
    EngagementOrder("Follow Undertaker", "follow", heeds=True, add=("trust", 1)),
    EngagementOrder("Hold the line", "hold", add=("standing", 1)),
    EngagementOrder("Push", "push", risk=2),
)
ENGAGEMENT_IGNORE_COST = 3  # the engine's default `ignore_cost`: the generated story keeps it


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(VOCABULARY) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def generate(
    out: Path, scenes: int = 2000, words: int = 700_000, seed: int = 1, ink: Path | None = None
) -> None:
    """Write story.yaml and one file per chapter into `out`; with `ink`, also the same story
    as ink source into that file (see tests/perf/ink_translation.py)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    chapters = (scenes + SCENES_PER_CHAPTER - 1) // SCENES_PER_CHAPTER
    words_per_line = _words_per_line(scenes, words, LINES_PER_SCENE)
    manifest = [
        "id: synthetic",
        "title: Synthetic",
        "start: s0000",
        "chapters:",
        *[f"  - {{number: {c + 1}, title: Chapter {c + 1}}}" for c in range(chapters)],
        "variables:",
        *[_variable(*variable) for variable in VARIABLES],
        "pilots:",
        *[
            f"  - {{id: {p}, callsign: {callsign(p)}, name: {pilot_name(p)}, role: Pilot}}"
            for p in PILOTS
        ],
        "evidence:",
        *[
            f"  - {{id: {e}, title: Evidence {e}, text: '{sentence(rng, 12)}', source: record}}"
            for e in EVIDENCE
        ],
        "deductions:",
        *[
            f"  - {{id: {d}, title: Deduction {i}, text: '{sentence(rng, 10)}', requires: [{a}, {b}]}}"
            for i, (d, a, b) in enumerate(DEDUCTIONS)
        ],
        "endings:",
        "  - {id: end_a, title: Ending A, text: 'It ends one way.'}",
        "  - {id: end_b, title: Ending B, text: 'It ends another way.'}",
    ]
    (out / "story.yaml").write_text("\n".join(manifest) + "\n")
    drawn: list[GenScene] = []
    for chapter in range(chapters):
        first = chapter * SCENES_PER_CHAPTER
        last = min(scenes, first + SCENES_PER_CHAPTER)
        body = [f"chapter: {chapter + 1}", "scenes:"]
        for n in range(first, last):
            scene = _draw_scene(rng, n, scenes, LINES_PER_SCENE, words_per_line)
            drawn.append(scene)
            body += _scene(scene)
        (out / f"ch{chapter + 1:02d}.yaml").write_text("\n".join(body) + "\n")
    if ink is not None:
        # Imported here: the translation reads this module's names.
        from tests.perf.ink_translation import story_ink

        ink.write_text(story_ink(drawn), encoding="utf-8")


def callsign(pilot: str) -> str:
    """A pilot's callsign in the generated story."""
    return f"Call{pilot.title()}"


def pilot_name(pilot: str) -> str:
    """A pilot's name in the generated story."""
    return f"Name {pilot.title()}"


def _variable(name: str, kind: str, default: object, low: object, high: object) -> str:
    if kind == "bool":
        return f"  - {{name: {name}, type: bool, default: {str(default).lower()}}}"
    return f"  - {{name: {name}, type: {kind}, default: {default}, min: {low}, max: {high}}}"


def _words_per_line(scenes: int, words: int, lines_per_scene: int) -> int:
    """How long each radio line must be for the story to hold at least `words` words.

    Per scene, what `handler-one stats` counts: the written radio lines and one branch line (an
    engagement has two round lines and a warning instead, and its three orders are short), three
    orders of nine words and a two-word title. The evidence and deductions add a little more, so
    rounding up keeps the total at or above `words`.
    """
    fixed_per_scene = 3 * 9 + 2
    lines = scenes * (lines_per_scene + 1)
    return max(3, -(-(words - scenes * fixed_per_scene) // max(1, lines)))


@dataclass(frozen=True)
class GenScene:
    """One generated scene, drawn once and written twice: as YAML (ours) and as ink (the peer).

    `lines` are (speaker, text) radio lines: line CONDITIONAL_LINE is heard only when
    CONDITION holds, line GARBLED_LINE comes at signal 2. An engagement has `at_risk`, two
    rounds of Shin's lines and a warning round; a scene with orders has `says` (report, close,
    name), the narration of the close order's rarer branch, the evidence the report reveals and
    the pilot the name order asks; the last scene is the ending.
    """

    n: int
    nxt: str | None
    skip: str | None
    lines: tuple[tuple[str, str], ...]
    at_risk: tuple[str, ...] = ()
    rounds: tuple[str, ...] = ()
    warning: str = ""
    says: tuple[str, ...] = ()
    skip_radio: str = ""

    @property
    def id(self) -> str:
        return f"s{self.n:04d}"

    @property
    def engagement(self) -> bool:
        return bool(self.at_risk)

    @property
    def evidence(self) -> str:
        return EVIDENCE[self.n % len(EVIDENCE)]

    @property
    def pilot(self) -> str:
        return PILOTS[self.n % len(PILOTS)]


def _draw_scene(rng: random.Random, n: int, total: int, lines: int, words: int) -> GenScene:
    """The scene's random content, drawn in the order the YAML has always been written in (so
    the same seed gives the same story as before the ink translation existed)."""
    nxt = f"s{n + 1:04d}" if n + 1 < total else None
    skip = f"s{n + 2:04d}" if n + 2 < total else nxt
    radio = []
    for _ in range(lines):
        speaker = rng.choice(["hq", "narration", *PILOTS[:8]])
        radio.append((speaker, sentence(rng, words)))
    if nxt is None:
        return GenScene(n, nxt, skip, tuple(radio))
    if n % 25 == 24:
        at_risk = tuple(rng.sample(PILOTS[1:], 5))
        rounds = tuple(sentence(rng, words) for _ in range(2))
        return GenScene(n, nxt, skip, tuple(radio), at_risk, rounds, warning=sentence(rng, words))
    says = (sentence(rng, 9), sentence(rng, 9))
    skip_radio = sentence(rng, words)
    return GenScene(
        n, nxt, skip, tuple(radio), says=(*says, sentence(rng, 9)), skip_radio=skip_radio
    )


def _engagement_order(order: EngagementOrder) -> str:
    parts = [f"say: {order.say}", f"words: [{order.word}]"]
    if order.heeds:
        parts.append("heeds: true")
    if order.add:
        parts.append(f"effects: {{add: {{{order.add[0]}: {order.add[1]}}}}}")
    if order.risk:
        parts.append(f"risk: {order.risk}")
    return "        - {" + ", ".join(parts) + "}"


def _scene(scene: GenScene) -> list[str]:
    """The scene as YAML."""
    nxt, skip = scene.nxt, scene.skip
    out = [f"  - id: {scene.id}", f"    title: Scene {scene.n}", "    radio:"]
    for i, (speaker, text) in enumerate(scene.lines):
        out.append(f'      - {speaker}: "{text}"')
        if i == CONDITIONAL_LINE:
            out.append(f"        if: {CONDITION}")
        if i == GARBLED_LINE:
            out.append("        signal: 2")
    if nxt is None:
        out.append("    ending: end_a")
        return out
    if scene.engagement:
        out += [
            "    engagement:",
            f'      danger: "{DANGER}"',
            f"      at_risk: [{', '.join(scene.at_risk)}]",
            "      rounds:",
            *[f'        - radio: [{{shin: "{text}"}}]' for text in scene.rounds],
            f'        - warning: "{scene.warning}"',
            "      orders:",
            *[_engagement_order(order) for order in ENGAGEMENT_ORDERS],
            "      after:",
            f"        - {{if: fallen_count() >= {ROUT}, goto: " + (skip or nxt) + "}",
            f"        - goto: {nxt}",
        ]
        return out
    report, close, name = scene.says
    out += [
        "    orders:",
        f'      - say: "{report}"',
        "        words: [report]",
        f"        effects: {{add: {{trust: 1}}, reveal: [{scene.evidence}]}}",
        f"        goto: {nxt}",
        f'      - say: "{close}"',
        "        words: [close]",
        "        if: not link_closed and standing > 1",
        "        disabled: Command is watching.",
        "        effects: {add: {standing: -1}, set: {link_closed: true}}",
        "        goto:",
        f"          - {{weight: 2, goto: {nxt}}}",
        f'          - {{weight: 1, goto: {skip}, radio: [{{narration: "{scene.skip_radio}"}}]}}',
        f'      - say: "{name}"',
        "        words: [name]",
        f"        if: not knows({scene.pilot})",
        f"        effects: {{learn: {scene.pilot}, add: {{trust: 2, standing: -1}}}}",
        f"        goto: {nxt}",
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--words", type=int, default=700_000)
    parser.add_argument("--ink", type=Path, help="also write the story as ink to this file")
    args = parser.parse_args()
    generate(args.out, args.scenes, args.words, ink=args.ink)


if __name__ == "__main__":
    main()
