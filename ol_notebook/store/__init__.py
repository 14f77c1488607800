"""The package store: `packages/NAME==VERSION/files` per runtime, published atomically.

Entries are immutable once visible; everything that writes goes through a staging
directory and a rename, under a per-entry lock shared across processes.
"""

from ol_notebook.store.distinfo import DistInfo, read_dist_info
from ol_notebook.store.metadata import EntryMetadata
from ol_notebook.store.store import Corruption, Entry, GcReport, Store, StoreError, entry_key

__all__ = [
    "Corruption",
    "DistInfo",
    "Entry",
    "EntryMetadata",
    "GcReport",
    "Store",
    "StoreError",
    "entry_key",
    "read_dist_info",
]
