"""Lambda settings are checked for type and range wherever they are built (CLI, REST, files)."""

import math

import pytest

from ol_notebook.registry import InvalidLambda, InvalidSettings, LambdaSettings


@pytest.mark.parametrize(("changes", "named"), [
    ({"memory": -1}, "'memory'"),
    ({"memory": 10**30}, "'memory'"),
    ({"memory": None}, "'memory'"),
    ({"timeout": math.inf}, "'timeout'"),
    ({"timeout": math.nan}, "'timeout'"),
    ({"timeout": -1.0}, "'timeout'"),
    ({"timeout": "5"}, "'timeout'"),
    ({"instances": 0}, "'instances'"),
    ({"instances": 2.0}, "'instances'"),
    ({"queue": -1}, "'queue'"),
    ({"processes": 10**9}, "'processes'"),
    ({"processes": 4, "instances": 4}, "'processes'"),
    ({"network": "hostile"}, "network"),
    ({"network": 1}, "network"),
    ({"env": {1: "x"}}, "1"),
    ({"env": {"K": b"x"}}, "'K'"),
    ({"env": {"": "x"}}, "''"),
    ({"env": {"A=B": "x"}}, "'A=B'"),
    ({"env": {"A\0": "x"}}, "'A\\x00'"),
    ({"env": {"K": "x\0"}}, "K"),
    ({"env": {"K": "\udcff"}}, "'K'"),
    ({"env": "A=B"}, "'env'"),
])
def test_a_setting_out_of_range_is_refused_naming_it(changes, named):
    with pytest.raises(InvalidSettings) as raised:
        LambdaSettings(**changes)
    assert named in str(raised.value) and isinstance(raised.value, InvalidLambda)


def test_the_bounds_themselves_and_the_network_modes_are_accepted():
    LambdaSettings(timeout=86400, memory=16 << 20, processes=2, instances=1, queue=0)
    LambdaSettings(memory=1 << 40, processes=1 << 16, instances=1024, queue=1 << 16)
    assert LambdaSettings(timeout=5).timeout == 5.0 and isinstance(LambdaSettings(timeout=5).timeout, float)
    assert [LambdaSettings(network=mode).host_network for mode in (True, False, "host")] == [False, False, True]


def test_settings_read_back_from_a_file_are_checked_too():
    with pytest.raises(InvalidSettings, match="unknown lambda settings: colour"):
        LambdaSettings.from_dict({"colour": "red"})
    with pytest.raises(InvalidSettings, match="'memory'"):
        LambdaSettings.from_dict({**LambdaSettings().to_dict(), "memory": -1})
