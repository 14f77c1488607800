"""Handles of deployed lambdas without deploying again: `ol_notebook.lambdas`, `%ol_handle`,
`%ol_lambdas --bind`; on both paths, in this process and in a kernel that was restarted."""

import os
import subprocess
import sys

import pytest

import ol_notebook
from ol_notebook.magics.handle import LambdaHandle
from ol_notebook.magics.lambdas import UnknownLambda
from ol_notebook.magics.magics import OLMagics
from tests.jupyter_fixtures import running_kernel
from tests.magics.cells import cell, line, run_cell

GREET = "def f(event):\n    print('hi', event)\n    return f'hello {event}'\n"


def deployed(ipython, name: str) -> LambdaHandle:
    """Deploy GREET as `name`, then forget its handle as a restarted kernel would."""
    handle = cell(ipython, "ol_lambda", f"{name} --requirements ''", GREET).value
    del ipython.user_ns[name.replace("-", "_")]
    return handle


def test_lambdas_is_a_mapping_of_the_deployed_lambdas_handles(ipython):
    deployed(ipython, "greet-me")
    lambdas = ol_notebook.lambdas
    assert "greet-me" in lambdas and "nobody" not in lambdas and "greet-me" in list(lambdas)
    assert len(lambdas) == len(line(ipython, "ol_lambdas").value.rows)
    handle = lambdas["greet-me"]
    assert isinstance(handle, LambdaHandle) and handle("you") == "hello you"
    magics = ipython.magics_manager.registry[OLMagics.__name__]
    assert handle._client is magics.client  # the loaded extension's connection, not a second engine
    assert "greet-me" in repr(lambdas) and magics.client.where in repr(lambdas)

    with pytest.raises(KeyError) as caught:
        lambdas["nobody"]
    assert isinstance(caught.value, UnknownLambda)
    assert str(caught.value).startswith(f"there is no lambda named 'nobody' on {magics.client.where} (deployed: ")
    assert "greet-me" in str(caught.value)


def test_ol_handle_binds_the_handle_like_a_deploy_without_a_new_version(ipython):
    deployed(ipython, "greet-me")
    ran = line(ipython, "ol_handle", "greet-me")
    assert ran.value is ipython.user_ns["greet_me"] and ran.stderr == ""
    assert run_cell(ipython, "greet_me('cell')").value.result == "hello cell"
    assert ran.value.describe()["version"] == 1

    shown = run_cell(ipython, "%ol_handle nobody")
    assert shown.stdout.startswith("UnknownLambda: there is no lambda named 'nobody' on ")
    assert "Traceback" not in shown.stdout


def test_ol_lambdas_bind_binds_every_handle_and_says_which(ipython):
    deployed(ipython, "greet-me")
    deployed(ipython, "other")
    ipython.user_ns["other"] = [1, 2, 3]  # a variable the user made since
    ran = line(ipython, "ol_lambdas", "--bind")
    assert isinstance(ipython.user_ns["greet_me"], LambdaHandle)
    assert ipython.user_ns["other"] == [1, 2, 3]
    bound = ran.stdout.splitlines()[0]
    assert bound.startswith("bound ") and "greet_me" in bound and "other" not in bound
    assert ('warning: other not bound: it would replace the variable other, which held a list; '
            'the handle: ol_notebook.lambdas["other"]') in ran.stderr.splitlines()
    assert {"greet-me", "other"} <= {row[0] for row in ran.value.rows}  # still the table


def test_lambdas_without_the_extension_connect_like_the_magics(ipython, path):
    """In a process with no IPython at all (a script): the same lambdas, through the same engine."""
    deployed(ipython, "greet-me")
    script = ("import sys, ol_notebook\n"
              "handle = ol_notebook.lambdas['greet-me']\n"
              "print(handle('script'), 'IPython' in sys.modules, 'greet-me' in ol_notebook.lambdas)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["hi script", "hello script False True"]


RESTART_NAME = "restarted-hello"


def test_a_handle_is_recovered_after_a_kernel_restart(ipython):
    """A real kernel: deploy, restart, and the handle comes back (twice: by the mapping, by %ol_handle),
    its version unchanged."""
    with running_kernel() as (manager, client):
        run = Kernel(client)
        run("%load_ext ol_notebook")
        run(f"%%ol_lambda {RESTART_NAME} --requirements ''\n{GREET}")
        assert run("restarted_hello('before')") == ["hi before\n", "'hello before'"]

        manager.restart_kernel(now=False)
        client.wait_for_ready(timeout=60)
        assert run("restarted_hello", error=True) == "NameError"
        assert run(f"import ol_notebook\nol_notebook.lambdas[{RESTART_NAME!r}]('mapping')") == [
            "hi mapping\n", "'hello mapping'"]
        run("%load_ext ol_notebook")
        run(f"%ol_handle {RESTART_NAME}")
        assert run("restarted_hello('after')") == ["hi after\n", "'hello after'"]
        assert run("restarted_hello.describe()['version']") == ["1"]
        run(f"%ol_rm {RESTART_NAME}")


class Kernel:
    """Run a cell in a kernel: its printed text and results, or its error's name."""

    def __init__(self, client):
        self.client = client

    def __call__(self, code: str, error: bool = False):
        outputs = []
        reply = self.client.execute_interactive(code, timeout=120, output_hook=outputs.append)
        content = reply["content"]
        if error:
            assert content["status"] == "error", content
            return content["ename"]
        assert content["status"] == "ok", (code, content, outputs)
        return [_text(message) for message in outputs if _text(message) is not None]


def _text(message) -> str | None:
    kind, content = message["msg_type"], message["content"]
    if kind == "stream":
        return content["text"]
    if kind == "execute_result":
        return content["data"]["text/plain"]
    return None
