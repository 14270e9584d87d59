"""Write a synthetic story in the current scene format, at any size, for benchmarks.

    python -m tests.perf.generate OUT_DIR [--scenes 2000] [--words 700000]

The story is valid under `handler-one validate`: every scene is reachable, every order leads
forward, engagements and weighted branches appear at realistic rates, and conditions read the
same kinds of variables, evidence and pilots the real campaign does.
"""

from __future__ import annotations

import argparse
import random
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


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(VOCABULARY) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def generate(out: Path, scenes: int = 2000, words: int = 700_000, seed: int = 1) -> None:
    """Write story.yaml and one file per chapter into `out`."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    chapters = (scenes + SCENES_PER_CHAPTER - 1) // SCENES_PER_CHAPTER
    lines_per_scene = 8
    words_per_line = _words_per_line(scenes, words, lines_per_scene)
    manifest = [
        "id: synthetic",
        "title: Synthetic",
        "start: s0000",
        "chapters:",
        *[f"  - {{number: {c + 1}, title: Chapter {c + 1}}}" for c in range(chapters)],
        "variables:",
        "  - {name: trust, type: int, default: 2, min: 0, max: 10}",
        "  - {name: standing, type: int, default: 5, min: 0, max: 10}",
        "  - {name: readiness, type: int, default: 0, min: 0, max: 3}",
        "  - {name: link_closed, type: bool, default: false}",
        "pilots:",
        *[
            f"  - {{id: {p}, callsign: Call{p.title()}, name: Name {p.title()}, role: Pilot}}"
            for p in PILOTS
        ],
        "evidence:",
        *[
            f"  - {{id: {e}, title: Evidence {e}, text: '{sentence(rng, 12)}', source: record}}"
            for e in EVIDENCE
        ],
        "deductions:",
        *[
            f"  - {{id: de_{i:02d}, title: Deduction {i}, text: '{sentence(rng, 10)}', requires: [{EVIDENCE[2 * i]}, {EVIDENCE[2 * i + 1]}]}}"
            for i in range(20)
        ],
        "endings:",
        "  - {id: end_a, title: Ending A, text: 'It ends one way.'}",
        "  - {id: end_b, title: Ending B, text: 'It ends another way.'}",
    ]
    (out / "story.yaml").write_text("\n".join(manifest) + "\n")
    for chapter in range(chapters):
        first = chapter * SCENES_PER_CHAPTER
        last = min(scenes, first + SCENES_PER_CHAPTER)
        body = [f"chapter: {chapter + 1}", "scenes:"]
        for n in range(first, last):
            body += _scene(rng, n, scenes, lines_per_scene, words_per_line)
        (out / f"ch{chapter + 1:02d}.yaml").write_text("\n".join(body) + "\n")


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


def _scene(rng: random.Random, n: int, total: int, lines: int, words: int) -> list[str]:
    sid = f"s{n:04d}"
    nxt = f"s{n + 1:04d}" if n + 1 < total else None
    skip = f"s{n + 2:04d}" if n + 2 < total else nxt
    out = [f"  - id: {sid}", f"    title: Scene {n}", "    radio:"]
    for i in range(lines):
        speaker = rng.choice(["hq", "narration", *PILOTS[:8]])
        out.append(f'      - {speaker}: "{sentence(rng, words)}"')
        if i == 2:
            out.append("        if: trust >= 3 or has(ev_001)")
        if i == 4:
            out.append("        signal: 2")
    if nxt is None:
        out.append("    ending: end_a")
        return out
    if n % 25 == 24:
        at_risk = ", ".join(rng.sample(PILOTS[1:], 5))
        out += [
            "    engagement:",
            '      danger: "2 - readiness"',
            f"      at_risk: [{at_risk}]",
            "      rounds:",
            *[f'        - radio: [{{shin: "{sentence(rng, words)}"}}]' for _ in range(2)],
            f'        - warning: "{sentence(rng, words)}"',
            "      orders:",
            "        - {say: Follow Undertaker, words: [follow], heeds: true, effects: {add: {trust: 1}}}",
            "        - {say: Hold the line, words: [hold], effects: {add: {standing: 1}}}",
            "        - {say: Push, words: [push], risk: 2}",
            "      after:",
            "        - {if: fallen_count() >= 8, goto: " + (skip or nxt) + "}",
            f"        - goto: {nxt}",
        ]
        return out
    evidence = EVIDENCE[n % len(EVIDENCE)]
    out += [
        "    orders:",
        f'      - say: "{sentence(rng, 9)}"',
        "        words: [report]",
        f"        effects: {{add: {{trust: 1}}, reveal: [{evidence}]}}",
        f"        goto: {nxt}",
        f'      - say: "{sentence(rng, 9)}"',
        "        words: [close]",
        "        if: not link_closed and standing > 1",
        "        disabled: Command is watching.",
        "        effects: {add: {standing: -1}, set: {link_closed: true}}",
        "        goto:",
        f"          - {{weight: 2, goto: {nxt}}}",
        f'          - {{weight: 1, goto: {skip}, radio: [{{narration: "{sentence(rng, words)}"}}]}}',
        f'      - say: "{sentence(rng, 9)}"',
        "        words: [name]",
        f"        if: not knows({PILOTS[n % len(PILOTS)]})",
        f"        effects: {{learn: {PILOTS[n % len(PILOTS)]}, add: {{trust: 2, standing: -1}}}}",
        f"        goto: {nxt}",
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--words", type=int, default=700_000)
    args = parser.parse_args()
    generate(args.out, args.scenes, args.words)


if __name__ == "__main__":
    main()
