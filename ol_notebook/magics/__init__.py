"""IPython magics: `%load_ext ol_notebook`, then `%ol_requirements`, `%%ol_lambda NAME`, `%ol_invoke`,
`%ol_handle`, `%ol_lambdas`, `%ol_packages`, `%ol_logs`, `%ol_rm`, `%ol_lock`, `%ol_export`.

Layout: magics (the magics themselves); client (the one interface to the engine, and the choice
between rest, the Jupyter server's API, and local, a Worker in this process); handle (a lambda
as a callable); lambdas (the deployed lambdas' handles, `ol_notebook.lambdas`, and binding them
to variables); script (PEP 723 blocks); progress (live progress in a cell); views (tables); export
(`%ol_export` and its summary); errors (how errors are shown). IPython is imported by the magics
module only, when the extension is loaded: `ol_notebook.lambdas` works in a script without it.
"""

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    from ol_notebook.magics.magics import OLMagics

    ipython.register_magics(OLMagics(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Stop the engine the magics started (its lambda sandboxes) or close their server connections."""
    from ol_notebook.magics.magics import OLMagics

    magics = ipython.magics_manager.registry.get(OLMagics.__name__)
    if magics is not None:
        magics.close()
