"""notebooks/quickstart.ipynb, executed as a user runs it: in JupyterLab with the extension, by a
kernel that the server started (so its magics use the server's REST API), on the local index."""

from __future__ import annotations

import tomllib
import zipfile

import nbformat
import pytest

from tests.jupyter_fixtures import QUICKSTART, RunningServer, execute_notebook, start_jupyter_server


@pytest.fixture(scope="module")
def lab(tmp_path_factory, local_index) -> RunningServer:
    server = start_jupyter_server(tmp_path_factory.mktemp("lab"), local_index.url, app="jupyterlab")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def executed(lab: RunningServer) -> nbformat.NotebookNode:
    return execute_notebook(lab, QUICKSTART)


def outputs(notebook: nbformat.NotebookNode, source_start: str) -> list:
    (cell,) = [cell for cell in notebook.cells if cell.source.startswith(source_start)]
    return cell.outputs


def text(output) -> str:
    return output.get("text") or output.get("data", {}).get("text/plain", "")


def test_the_quickstart_runs_green_against_the_server(executed, lab):
    requirements = outputs(executed, "%ol_requirements")
    assert "six" in requirements[-1].data["text/html"] and "1.17.0" in requirements[-1].data["text/html"]

    printed, result = outputs(executed, 'hello({"name": "notebook"})')
    assert printed.text == "greeting notebook\n"
    assert result.data["text/plain"] == "{'greeting': 'hello notebook', 'six': '1.17.0'}"

    printed, side_by_side = outputs(executed, '{"hello sees six"')
    assert printed.text == "greeting world\n"
    assert side_by_side.data["text/plain"] == "{'hello sees six': '1.17.0', 'legacy sees six': '1.16.0'}"

    (error,) = outputs(executed, 'hello("not an object")')
    assert error.output_type == "error" and error.ename == "LambdaError"
    assert "AttributeError" in error.evalue and "get" in error.evalue
    assert any('File "%%ol_lambda hello", line 5, in f' in line for line in error.traceback)

    countdown = outputs(executed, "countdown(3)")
    assert "".join(output.text for output in countdown if output.output_type == "stream") == "3\n2\n1\n"
    assert text(countdown[-1]) == "'liftoff'"

    assert "'greeting': 'hello JSON'" in text(outputs(executed, "%ol_invoke")[-1])
    logs = "".join(text(output) for output in outputs(executed, "%ol_logs"))
    assert logs.startswith("last 4 invocations of hello") and "greeting JSON" in logs and "AttributeError" in logs


def test_a_forgotten_requirement_is_added_and_handles_come_back_without_a_deploy(executed, lab):
    deployed = "".join(text(output) for output in outputs(executed, "%%ol_lambda reader"))
    assert "version 1 deployed with pyyaml added for its imports" in deployed.lower()
    assert text(outputs(executed, 'reader("greeting: hello")')[-1]) == "'greeting: hello'"  # the index's stand-in

    printed, result = outputs(executed, "%ol_handle hello")
    assert printed.text == "greeting again\n" and "'hello again'" in text(result)
    assert text(outputs(executed, "import ol_notebook")[-1]) == "'1.16.0'"


def test_the_kernel_used_the_servers_engine(executed, lab):
    """The lambdas live in the server's registry: the magics went through its REST API."""
    lambdas = {item["name"]: item["pins"] for item in lab.request("GET", "ol/lambdas")["lambdas"]}
    assert lambdas == {"hello": ["six==1.17.0"], "legacy": ["six==1.16.0"], "countdown": ["six==1.17.0"],
                       "reader": ["pyyaml==6.0.1"]}
    assert sorted(path.name for path in lab.registry_dir.iterdir()) == ["countdown", "hello", "legacy", "reader"]
    assert lab.request("GET", "ol/lambdas/hello/logs")["logs"][-1]["ok"] is True
    assert lab.request("GET", "ol/lambdas/hello")["version"] == 2  # section 7 deployed it again, for a rollback


def test_hello_is_exported_for_aws_lambda_on_arm64_beside_the_notebook(executed, lab):
    shown = "".join(text(output) + output.get("data", {}).get("text/html", "")
                    for output in outputs(executed, "%ol_export hello"))
    assert "six" in shown and "1.17.0" in shown and "arm64" in shown
    with zipfile.ZipFile(lab.root_dir / "exports" / "hello.zip") as bundle:
        names = bundle.namelist()
        lock = tomllib.loads(bundle.read("pylock.toml").decode())
    assert "lambda_function.py" in names and any(name.startswith("six") for name in names)
    assert [package["name"] for package in lock["packages"]] == ["six"]
    assert 'platform_machine == "aarch64"' in lock["environments"][0]
