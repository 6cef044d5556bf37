"""Reading exports: any file format in, canonical tables and problems out."""

from .dataset import Dataset, load_dataset, reconcile
from .schema import KIND_LABELS, KINDS, MEETINGS, MEMBERS, UNITS, USAGE
from .table import Table, load_table

__all__ = [
    "Dataset", "load_dataset", "reconcile", "Table", "load_table",
    "KIND_LABELS", "KINDS", "MEETINGS", "MEMBERS", "UNITS", "USAGE",
]
