"""foundation-eval: evaluation and analytics for domestic-abuse perpetrator programmes."""
import os as _os

# polars' allocator (jemalloc) keeps freed pages for half a second by default; a national extract is
# validated table after table, so hand them back within 10 ms (peak 3.1 -> 2.8 GiB for about 1 s more;
# benchmarks/README.md). Polars reads this when it is imported, so it only takes effect when this
# package is imported first (as the command line does); polars appends its own defaults before it.
_os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10,muzzy_decay_ms:0")

__version__ = "0.1.0"
