"""foundation-eval: evaluation and analytics for domestic-abuse perpetrator programmes."""

__version__ = "0.1.0"
