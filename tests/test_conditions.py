"""The condition language: parsing, type checking, evaluation, and that nothing is eval'd."""

from __future__ import annotations

import pytest

from game.engine.conditions import ConditionError, Scope, compile_expression

SCOPE = Scope(
    {"trust": "int", "standing": "int", "closed": "bool", "name": "text"},
    {
        "scene": frozenset({"intro", "riverbed"}),
        "evidence": frozenset({"ev_a", "ev_b"}),
        "deduction": frozenset({"de_x"}),
        "pilot": frozenset({"shin", "nell"}),
    },
)


class Facts:
    def __init__(self, **variables: object) -> None:
        self.variables = {"trust": 3, "standing": 5, "closed": False, "name": "Lena", **variables}
        self.statuses = {"shin": "active", "nell": "killed"}

    def var(self, name):
        return self.variables[name]

    def visits(self, scene):
        return {"intro": 2}.get(scene, 0)

    def has(self, evidence):
        return evidence == "ev_a"

    def deduced(self, deduction):
        return False

    def status(self, pilot):
        return self.statuses[pilot]

    def knows(self, pilot):
        return pilot == "shin"

    def alive_count(self):
        return 1

    def fallen_count(self):
        return 1

    def known_count(self):
        return 1

    def evidence_count(self):
        return 1


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("trust >= 3", True),
        ("trust > 3", False),
        ("not closed", True),
        ("trust >= 2 and standing - trust == 2", True),
        ("closed or trust + 1 == 4", True),
        ("not (closed or trust < 0)", True),
        ("seen(intro) and visits(intro) == 2 and not seen(riverbed)", True),
        ("has(ev_a) and not has(ev_b)", True),
        ("alive(shin) and not alive(nell)", True),
        ("status(nell) == 'killed'", True),
        ('name == "Lena"', True),
        ("knows(shin) and not knows(nell)", True),
        ("alive_count() + fallen_count() == 2", True),
        ("deduced(de_x)", False),
        ("trust == -1 + 4", True),
        ("true and not false", True),
    ],
)
def test_evaluates(source: str, expected: bool) -> None:
    assert compile_expression(source, SCOPE)(Facts()) is expected


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("trsut > 1", 0, "did you mean 'trust'"),
        ("trust && closed", 6, "use 'and'"),
        ("trust = 3", 6, "'=='"),
        ("trust and closed", 6, "joins true/false"),
        ("closed + 1", 7, "integers"),
        ("name < 3", 5, "compares integers"),
        ("trust == name", 6, "cannot compare"),
        ("has(ev_c)", 4, "no evidence 'ev_c'"),  # the id, not its function
        ("alive(intro)", 6, "no pilot 'intro'"),
        ("sean(intro)", 0, "did you mean 'seen'"),
        ("seen()", 0, "takes 1 argument"),
        ("1 < 2 < 3", 6, "do not chain"),
        ("(trust > 1", 10, "expected ')'"),
        ("", 0, "empty"),
        ("trust", 0, "must be a true/false"),
        ("__import__('os')", 0, "unknown function '__import__'"),
    ],
)
def test_rejects_with_column(source: str, column: int, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        compile_expression(source, SCOPE)
    assert fragment in info.value.message
    assert info.value.column == column


def test_int_expression_for_danger() -> None:
    expression = compile_expression("standing - trust + 1", SCOPE, "int")
    assert expression(Facts()) == 3
    with pytest.raises(ConditionError):
        compile_expression("closed", SCOPE, "int")


def test_no_code_path_runs_code_from_data() -> None:
    """No module calls eval/exec/compile, pickle or marshal loads, or an unsafe YAML loader."""
    import ast
    import pathlib

    banned_calls = {"eval", "exec", "compile", "__import__"}
    banned_attributes = {
        ("pickle", "load"),
        ("pickle", "loads"),
        ("marshal", "load"),
        ("marshal", "loads"),
        ("yaml", "unsafe_load"),
        ("yaml", "full_load"),
        ("shelve", "open"),
    }
    banned_names = {"UnsafeLoader", "FullLoader", "Loader", "CLoader", "CUnsafeLoader", "CFullLoader"}
    package = pathlib.Path(__file__).parents[1] / "game"
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in banned_calls, f"{path}:{node.lineno} calls {node.func.id}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                pair = (node.value.id, node.attr)
                assert pair not in banned_attributes, f"{path}:{node.lineno} uses {pair}"
                if node.value.id == "yaml":
                    assert node.attr not in banned_names, f"{path}:{node.lineno} uses yaml.{node.attr}"
            if isinstance(node, ast.ImportFrom) and node.module == "yaml":
                for alias in node.names:
                    assert alias.name not in banned_names, f"{path}:{node.lineno} imports {alias.name}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name not in ("pickle", "marshal", "shelve"), f"{path}:{node.lineno}"
