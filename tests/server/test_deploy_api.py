"""PUT lambdas/NAME: an unchanged deploy says so and creates nothing, "force" redeploys, and
what a deploy added or found missing is in its answer; the server's auto-install default."""

from __future__ import annotations

import pytest

YAML = "import yaml\n\ndef f(event):\n    return yaml.DIST\n"


def put(api, name: str, code: str, requirements: str = "", **body) -> tuple[int, dict]:
    return api.call("PUT", f"lambdas/{name}", {"code": code, "requirements": requirements, **body})


def test_an_unchanged_deploy_is_a_no_op_unless_forced(api):
    code = "def f(event):\n    return event\n"
    status, first = put(api, "echo", code)
    assert status == 200 and (first["version"], first["unchanged"], first["added"], first["missing"]) == (
        1, False, [], [])
    status, again = put(api, "echo", code)
    assert status == 200 and (again["version"], again["unchanged"]) == (1, True)
    status, forced = put(api, "echo", code, force=True)
    assert status == 200 and (forced["version"], forced["unchanged"]) == (2, False)
    assert [item["version"] for item in forced["history"]] == [1, 2]


def test_missing_imports_are_in_the_answer_and_nothing_is_installed_without_the_option(api):
    lazy = "def f(event):\n    import yaml\n    return 1\n"
    status, deployed = put(api, "later", lazy)
    assert status == 200 and deployed["added"] == [] and deployed["pins"] == []
    assert deployed["missing"] == [{"module": "yaml", "distribution": "PyYAML", "line": 2, "lazy": True}]
    status, packages = api.call("GET", "packages")
    assert [entry["key"] for entry in packages["packages"]] == []


def test_auto_install_in_the_settings_adds_and_records(api):
    status, deployed = put(api, "reader", YAML, "alpha==1.1", settings={"auto_install": True})
    assert status == 200, deployed
    assert deployed["added"] == ["PyYAML"] and deployed["requirements"] == "alpha==1.1\nPyYAML\n"
    assert api.call("POST", "run/reader") == (200, "pyyaml")


@pytest.mark.parametrize(("body", "message"), [
    ({"force": "yes"}, "'force' must be bool, not str"),
    ({"settings": {"auto_install": 1}}, "lambda setting 'auto_install' must be true or false, not 1"),
])
def test_bad_fields_are_refused(api, body, message):
    status, error = put(api, "bad", "def f(event):\n    return 1\n", **body)
    assert status == 400 and error["error"]["message"] == message


class TestServerDefault:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config["OLNotebookApp"]["lambda_auto_install"] = True
        return jp_server_config

    def test_the_server_trait_makes_auto_install_the_default(self, api):
        status, deployed = put(api, "reader", YAML)
        assert status == 200, deployed
        assert deployed["added"] == ["PyYAML"] and deployed["settings"]["auto_install"] is True
        status, opted_out = put(api, "plain", YAML, settings={"auto_install": False})
        assert status == 502 and "Hint: yaml is provided by none of its packages" in opted_out["error"]["message"]
