"""A local package index that tests build and serve themselves, so no test depends on PyPI.

Usable as a pytest plugin (``tests.localindex.plugin``: fixtures ``local_index`` and ``canary``) and as a
library, e.g. for a benchmark serving a directory of real wheels::

    with IndexServer(Path("wheels")) as server:
        run(["uv", "pip", "install", "--no-config", "--index-url", server.url, ...])
"""

from .canary import Canary
from .catalogue import build_catalogue
from .layouts import make_bandersnatch_mirror, write_simple_tree
from .server import IndexServer

__all__ = ["Canary", "IndexServer", "build_catalogue", "make_bandersnatch_mirror", "write_simple_tree"]
