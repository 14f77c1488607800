"""ol-notebook: notebook code as sandboxed, dependency-pinned serverless functions.

`%load_ext ol_notebook` looks for the IPython hooks here; they import the magics only when
called, so `import ol_notebook` (the CLI, the engine) never pulls in IPython. What a notebook
reaches for is here too, imported on first use (module `__getattr__`): `ol_notebook.lambdas`,
the handles of the deployed lambdas (after a kernel restart: `ol_notebook.lambdas["hello"]`),
and the errors a call raises (`except ol_notebook.LambdaTimeout`). The server extension's entry
point is `ol_notebook.server`.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

# The errors a notebook user catches around a call, and the module that defines them.
ERRORS_MODULE = "ol_notebook.runtime.errors"
ERRORS = ("LambdaRuntimeError", "LambdaError", "LambdaTimeout", "LambdaCrashed", "LambdaCancelled",
          "LambdaStartError", "LambdaStopped", "LambdaBusy")

__all__ = ["ERRORS", "__version__", "lambdas", "load_ipython_extension", "unload_ipython_extension", *ERRORS]


def __getattr__(name: str) -> Any:
    if name == "lambdas":
        from ol_notebook.magics.lambdas import LAMBDAS

        return LAMBDAS
    if name in ERRORS:
        errors = importlib.import_module(ERRORS_MODULE)
        if hasattr(errors, name):
            return getattr(errors, name)
        raise AttributeError(f"ol_notebook.{name} is not defined by this version of {ERRORS_MODULE}")
    raise AttributeError(f"module 'ol_notebook' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def load_ipython_extension(ipython: Any) -> None:
    from ol_notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from ol_notebook.magics import unload_ipython_extension as unload

    unload(ipython)
