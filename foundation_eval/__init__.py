"""foundation-eval: evaluation and analytics for domestic-abuse perpetrator programmes."""
import os as _os

# polars' allocator (jemalloc) keeps freed pages for reuse by default; a national extract is validated
# table after table, so hand them back at once (it lowers the peak by about a tenth; see benchmarks/).
# Read when polars first allocates, so only effective when this package is imported before polars.
_os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

__version__ = "0.1.0"
