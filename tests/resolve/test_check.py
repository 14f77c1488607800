import pytest

from ol_notebook.resolve import ClosureError, check_closure

LINUX = {"python_version": "3.11", "sys_platform": "linux", "platform_system": "Linux"}
REQUIRES = {
    "gamma": ["alpha>=1.1", 'delta; extra == "fast"'],
    "alpha": ["beta>=1.0,<2"],
    "epsilon": ['zeta; python_version < "3.8"', 'eta; sys_platform == "linux"', 'theta; sys_platform == "win32"'],
}


def test_closed_closure_passes():
    check_closure(["gamma"], {"gamma": "1.0", "alpha": "2.0", "beta": "1.5"}, REQUIRES, LINUX)


def test_extras_are_followed():
    expected = r"gamma 1.0 requires delta; extra == \"fast\", but delta is not in the closure"
    with pytest.raises(ClosureError, match=expected):
        check_closure(["gamma[fast]"], {"gamma": "1.0", "alpha": "2.0", "beta": "1.5"}, REQUIRES, LINUX)


def test_markers_are_evaluated_for_the_target():
    pins = {"epsilon": "1.0", "eta": "1.0"}
    check_closure(["epsilon"], pins, REQUIRES, LINUX)
    with pytest.raises(ClosureError, match="theta"):
        check_closure(["epsilon"], pins, REQUIRES, {**LINUX, "sys_platform": "win32"})


def test_wrong_version_is_named():
    with pytest.raises(ClosureError, match=r"alpha 2.0 requires beta<2,>=1.0, but the closure pins beta==2.0"):
        check_closure(["alpha"], {"alpha": "2.0", "beta": "2.0"}, REQUIRES, LINUX)


def test_roots_must_be_pinned():
    with pytest.raises(ClosureError, match=r"your requirements ask for alpha==1.1, but the closure pins alpha==2.0"):
        check_closure(["alpha==1.1"], {"alpha": "2.0", "beta": "1.5"}, REQUIRES, LINUX)


def test_cycles_terminate():
    check_closure(["a"], {"a": "1", "b": "1"}, {"a": ["b"], "b": ["a"]}, LINUX)
