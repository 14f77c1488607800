"""IPython magics: `%load_ext ol_notebook`, then `%ol_requirements`, `%%ol_lambda NAME`, `%ol_invoke`,
`%ol_handle`, `%ol_lambdas`, `%ol_packages`, `%ol_logs`, `%ol_rm`.

Layout: magics (the magics themselves); client (the one interface to the engine, and the choice
between rest, the Jupyter server's API, and local, a Worker in this process); handle (a lambda
as a callable); lambdas (the deployed lambdas' handles, `ol_notebook.lambdas`, and binding them
to variables); script (PEP 723 blocks); progress (live progress in a cell); views (tables);
errors (how errors are shown).
"""

from typing import Any

from ol_notebook.magics.magics import OLMagics


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(OLMagics(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Stop the engine the magics started (its lambda sandboxes) or close their server connections."""
    magics = ipython.magics_manager.registry.get(OLMagics.__name__)
    if magics is not None:
        magics.close()
