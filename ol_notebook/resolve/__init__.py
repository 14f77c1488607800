"""Requirements -> a pinned, hashed closure for one runtime, and checks on closures."""

from ol_notebook.resolve.check import ClosureError, check_closure
from ol_notebook.resolve.compile import (
    ConflictError,
    IndexUnreachable,
    PackageNotFound,
    ResolveError,
    VersionNotFound,
    compile_requirements,
)
from ol_notebook.resolve.model import Artifact, Closure, Pin
from ol_notebook.resolve.requirements import (
    InvalidRequirementError,
    parse_requirements,
    read_requirements_file,
)

__all__ = [
    "Artifact",
    "Closure",
    "ClosureError",
    "ConflictError",
    "IndexUnreachable",
    "InvalidRequirementError",
    "PackageNotFound",
    "Pin",
    "ResolveError",
    "VersionNotFound",
    "check_closure",
    "compile_requirements",
    "parse_requirements",
    "read_requirements_file",
]
