"""Live reload: carry a game in progress over to a newly loaded version of its story.

    engine, message = reload(engine, new_story)

The game state is kept as it is wherever the new story still has what it names: variables keep
their values (clamped to new ranges; reset to the default when the type changed), pilots their
status, evidence and deductions stay held. If the current scene (or engagement round) is gone,
the game's order log is replayed from the start as far as the new story allows, and the message
says so. `message` is None when nothing needed saying.
"""

from __future__ import annotations

from game.engine.conditions import Value
from game.engine.model import Story, Variable
from game.engine.runtime import Engine
from game.engine.state import GameState


def reload(engine: Engine, story: Story) -> tuple[Engine, str | None]:
    """A new engine on `story` that continues `engine`'s game; see the module docstring.

    Listeners (autosave hooks) move to the new engine. Undo snapshots do not, but undo still
    works: it replays the order log.
    """
    notes: list[str] = []
    state = _carry_over(engine.state, story, notes)
    if state.scene in set(story.states()):
        scene = story.scenes[state.scene.partition("#")[0]]
        if state.ending is not None and scene.ending != state.ending:
            state.ending = scene.ending
            if scene.ending is None:
                notes.append(f"'{scene.id}' is no longer an ending: the game goes on")
        new = Engine(story, state)
    else:
        origin = state.origin if state.origin in story.scenes else None
        if state.origin is not None and origin is None:
            notes.append(f"the warp scene '{state.origin}' is gone; starting from the start")
        new, applied = Engine.replay(story, state.seed, state.log, warp=origin, sets=state.preset)
        notes.insert(
            0,
            f"scene '{state.scene}' is gone from the story; replayed {applied} of "
            f"{len(state.log)} orders from the start and stopped at '{new.state.scene}'",
        )
    for listener in engine.listeners:
        new.add_listener(listener)
    return new, "; ".join(notes) or None


def _fits(value: Value, variable: Variable) -> bool:
    if variable.type == "bool":
        return isinstance(value, bool)
    if variable.type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def _carry_over(old: GameState, story: Story, notes: list[str]) -> GameState:
    state = old.copy()
    state.story_id = story.id
    variables: dict[str, Value] = {}
    for name, variable in story.variables.items():
        value = old.variables.get(name)
        if value is None or not _fits(value, variable):
            if value is not None:
                notes.append(f"'{name}' changed type and was reset to its default")
            variables[name] = variable.default
        elif variable.type == "int":
            assert isinstance(value, int)
            variables[name] = variable.clamp(value)
        else:
            variables[name] = value
    state.variables = variables
    state.preset = {
        k: v for k, v in old.preset.items() if k in story.variables and _fits(v, story.variables[k])
    }
    state.status = {pid: old.status.get(pid, pilot.status) for pid, pilot in story.pilots.items()}
    known = [p for p in old.known if p in story.pilots]
    known += [p.id for p in story.pilots.values() if p.known and p.id not in known]
    state.known = known
    state.evidence = {e: s for e, s in old.evidence.items() if e in story.evidence}
    state.deductions = [d for d in old.deductions if d in story.deductions]
    for deduction in story.deductions.values():
        if deduction.id not in state.deductions and all(
            e in state.evidence for e in deduction.requires
        ):
            state.deductions.append(deduction.id)
    state.visits = {s: n for s, n in old.visits.items() if s in story.scenes}
    state.losses = {
        s: [p for p in pilots if p in story.pilots]
        for s, pilots in old.losses.items()
        if s in story.scenes
    }
    if state.ending is not None and state.ending not in story.endings:
        state.ending = None
    return state
