"""Loading and validating an extract, and the synthetic programme that stands in for one."""
from foundation_eval.data.load import (
    Dataset,
    Failure,
    ValidationError,
    load_dataset,
    validate_folder,
    write_snapshot,
)

__all__ = ["Dataset", "Failure", "ValidationError", "load_dataset", "validate_folder", "write_snapshot"]
