"""Installing many wheels with one uv run in one sandbox, each still published as its own entry."""

from ol_notebook.install.archives import ArchiveMemo
from ol_notebook.install.batcher import Batcher
from ol_notebook.install.split import SplitError, split_target

__all__ = ["ArchiveMemo", "Batcher", "SplitError", "split_target"]
