"""The runtime inside a lambda's sandbox: standard library only, relative imports only.

The host binds this directory read-only at /runtime/_ol_runtime and starts
`python -I -S -c BOOT` with it; the same modules are imported on the host as
`ol_notebook.runtime.inside`, so both ends share one definition of the protocol and layout.

Layout: frames (wire format), describe (exceptions as text), capture (a worker's stdout and
stderr), linger (polling between back-to-back calls), worker (the invocation loop), zygote
(sys.path, the handler import, forking workers).
"""

# Where things are inside the sandbox; the host builds its binds from the same names.
RUNTIME_DIR = "/runtime"
PACKAGE = "_ol_runtime"
HANDLER_DIR = "/handler"
HANDLER_MODULE = "handler"
HANDLER_FUNCTION = "f"
PACKAGES_DIR = "/packages"

# What `python -c` runs: the rest of the bootstrap is ordinary modules, compiled once on the host.
BOOT = f"import sys; sys.path.insert(0, {RUNTIME_DIR!r}); from {PACKAGE}.zygote import main; main()"
