import json
import os

import pytest

from ol_notebook.registry import InvalidLambda, LambdaSettings, Registry, RegistryError
from ol_notebook.resolve import Artifact, Closure, Pin

WHEEL = Artifact("alpha-1.0-py3-none-any.whl", "u", "0" * 64)
CLOSURE = Closure(
    requirements=("alpha==1.0",),
    pins=(Pin("alpha", "1.0", "http://index/simple/", wheels=(WHEEL,)),),
    runtime_id="cp311-cp311-linux_x86_64",
    python_version="3.11.7",
    index="http://index/simple/",
)


def _deploy(registry: Registry, code: str, name: str = "scraper", **settings):
    version = registry.stage(name, code, "alpha==1.0\n", CLOSURE, LambdaSettings(**settings))
    registry.activate(version)
    return version


def test_stage_does_not_serve_until_activated(tmp_path):
    registry = Registry(tmp_path)
    version = registry.stage("scraper", "def f(event):\n    return 1\n", "alpha==1.0\n", CLOSURE, LambdaSettings())
    assert registry.current("scraper") is None and registry.names() == []
    registry.activate(version)
    current = registry.require("scraper")
    assert (current.number, current.code, current.requirements) == (1, "def f(event):\n    return 1\n", "alpha==1.0\n")
    assert current.closure == CLOSURE and current.settings == LambdaSettings()
    assert registry.names() == ["scraper"] and current.id == "scraper@1"


def test_versions_history_and_rollback(tmp_path):
    registry = Registry(tmp_path)
    for n in range(1, 4):
        _deploy(registry, f"def f(event):\n    return {n}\n", timeout=float(n))
    assert registry.require("scraper").number == 3
    assert registry.rollback("scraper").version.number == 2
    assert registry.require("scraper").settings.timeout == 2.0
    assert registry.rollback("scraper", 3).version.number == 3
    with pytest.raises(RegistryError, match=r"has no version 9 \(kept: 1, 2, 3\)"):
        registry.rollback("scraper", 9)


def test_history_is_pruned_but_never_the_current(tmp_path):
    registry = Registry(tmp_path)
    for n in range(1, 9):
        _deploy(registry, f"def f(e): return {n}\n")
    assert [v.number for v in registry.history("scraper")] == [4, 5, 6, 7, 8]


def test_invalid_code_stores_nothing(tmp_path):
    registry = Registry(tmp_path)
    _deploy(registry, "def f(e): return 1\n")
    with pytest.raises(InvalidLambda, match="syntax error at line 1"):
        registry.stage("scraper", "def f(:\n", "", CLOSURE, LambdaSettings())
    assert [v.number for v in registry.history("scraper")] == [1]
    assert sorted(os.listdir(tmp_path / "scraper")) == ["activations.json", "current", "lock", "versions"]


def test_a_failure_while_writing_leaves_the_current_version_alone(tmp_path):
    registry = Registry(tmp_path)
    _deploy(registry, "def f(e): return 1\n")
    broken = Closure(CLOSURE.requirements, CLOSURE.pins, CLOSURE.runtime_id, CLOSURE.python_version, index=object())
    with pytest.raises(TypeError):
        registry.stage("scraper", "def f(e): return 2\n", "", broken, LambdaSettings())
    assert registry.require("scraper").code == "def f(e): return 1\n"
    assert sorted(os.listdir(tmp_path / "scraper")) == ["activations.json", "current", "lock", "versions"]


def test_discard_drops_a_staged_version_but_not_the_current(tmp_path):
    registry = Registry(tmp_path)
    first = _deploy(registry, "def f(e): return 1\n")
    second = registry.stage("scraper", "def f(e): return 2\n", "", CLOSURE, LambdaSettings())
    registry.discard(second)
    registry.discard(first)
    assert [v.number for v in registry.history("scraper")] == [1]


def test_a_version_that_never_served_is_not_history_and_rollback_cannot_reach_it(tmp_path):
    """A deploy killed between stage and activate leaves its version marked as staged."""
    registry = Registry(tmp_path)
    _deploy(registry, "def f(e): return 1\n")
    _deploy(registry, "def f(e): return 2\n")
    registry.stage("scraper", "def f(e): return 3\n", "", CLOSURE, LambdaSettings())  # never activated
    assert [v.number for v in registry.history("scraper")] == [1, 2]
    with pytest.raises(RegistryError, match=r"has no version 3 \(kept: 1, 2\)"):
        registry.rollback("scraper", 3)
    assert registry.rollback("scraper").version.number == 1
    served_once = registry.require("scraper")
    registry.discard(registry.history("scraper")[-1])  # version 2 served: a discard leaves it
    assert [v.number for v in registry.history("scraper")] == [1, 2] and served_once.number == 1
    fourth = _deploy(registry, "def f(e): return 4\n")
    assert fourth.number == 4 and [v.number for v in registry.history("scraper")] == [1, 2, 4]


def test_remove_and_unknown_names(tmp_path):
    registry = Registry(tmp_path)
    _deploy(registry, "def f(e): return 1\n", name="a")
    registry.remove("a")
    assert registry.names() == [] and not (tmp_path / "a").exists()
    with pytest.raises(RegistryError, match=r"there is no lambda named 'a' \(deployed: none yet\)"):
        registry.require("a")
    with pytest.raises(InvalidLambda):
        registry.current("../etc")


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="unknown lambda settings: colour"):
        LambdaSettings.from_dict({"colour": "red"})


def test_rollback_returns_to_the_version_that_served_before_not_the_previous_number(tmp_path):
    registry = Registry(tmp_path)
    _deploy(registry, "def f(e): return 1\n")
    _deploy(registry, "def f(e): return 2\n")
    assert registry.rollback("scraper", 1).message == "scraper now serves version 1 (as asked, in place of version 2)"
    _deploy(registry, "def f(e): return 3\n")
    rolled = registry.rollback("scraper")
    assert (rolled.version.number, rolled.replaced) == (1, 3)
    assert rolled.message == "scraper now serves version 1 (the version current before version 3)"
    assert registry.require("scraper").number == 1
    again = registry.rollback("scraper")  # a second rollback undoes the first
    assert again.version.number == 3 and again.reason == "the version current before version 1"
    assert rolled.to_dict() == {"from": 3, "to": 1, "message": rolled.message}


def test_a_pruned_rollback_target_falls_back_to_the_newest_kept_version_before_the_current(tmp_path):
    registry = Registry(tmp_path)
    for n in range(1, 6):
        _deploy(registry, f"def f(e): return {n}\n")
    registry.rollback("scraper", 1)
    _deploy(registry, "def f(e): return 6\n")  # prunes version 1, which served just before
    assert [v.number for v in registry.history("scraper")] == [2, 3, 4, 5, 6]
    rolled = registry.rollback("scraper")
    assert rolled.version.number == 5
    assert rolled.message == ("scraper now serves version 5 (version 1, current before version 6, is no longer kept: "
                              "version 5 is the newest kept version before 6)")


def test_nothing_to_roll_back_to_is_a_clear_error(tmp_path):
    registry = Registry(tmp_path)
    _deploy(registry, "def f(e): return 1\n")
    with pytest.raises(RegistryError, match=r"cannot roll back: no version served before version 1 \(kept: 1\)"):
        registry.rollback("scraper")


def test_the_activation_history_is_replaced_whole_and_a_crash_before_the_switch_is_harmless(tmp_path):
    """activations.json is written to a temporary file renamed over it; a deploy killed after recording
    its version but before switching `current` leaves a recorded version that never served: skipped."""
    from ol_notebook.registry import activations

    registry = Registry(tmp_path)
    _deploy(registry, "def f(e): return 1\n")
    _deploy(registry, "def f(e): return 2\n")
    staged = registry.stage("scraper", "def f(e): return 3\n", "", CLOSURE, LambdaSettings())
    activations.record(tmp_path / "scraper", staged.number)  # what activate does first; then the crash
    assert json.loads((tmp_path / "scraper" / "activations.json").read_text()) == {"activations": [1, 2, 3]}
    assert not [path for path in (tmp_path / "scraper").iterdir() if path.name.startswith(".activations-")]
    assert registry.require("scraper").number == 2
    assert registry.rollback("scraper").version.number == 1
    _deploy(registry, "def f(e): return 4\n")
    assert registry.rollback("scraper").message == "scraper now serves version 1 (the version current before version 4)"


def test_a_registry_without_activation_history_rolls_back_by_version_order(tmp_path):
    """Registries written before activations were recorded (or with the file damaged)."""
    registry = Registry(tmp_path)
    for n in range(1, 4):
        _deploy(registry, f"def f(e): return {n}\n")
    (tmp_path / "scraper" / "activations.json").write_text("{not json")
    rolled = registry.rollback("scraper")
    assert rolled.message == "scraper now serves version 2 (the newest kept version before version 3)"
