"""Regenerate the reference files used by tests/test_ppit_*.py (not run by pytest).

    .venv/bin/python tests/data/ppit_make_reference.py

1. ppit_tdauc_sim.csv: a seeded censored sample (monthly-rounded times, tied scores) and
   ppit_tdauc_sksurv.json: scikit-survival 0.28.0 ``cumulative_dynamic_auc`` on it, with the
   censoring distribution estimated on the same data.
2. ppit_delong1988_ovarian.csv: the 43 complete records of DeLong, DeLong & Clarke-Pearson
   (1988) as printed in the SAS/STAT PROC LOGISTIC documentation, Example "Comparing
   Receiver Operating Characteristic Curves" (totscore already reversed: 10 - K-G score).

Not regenerated here: ppit_holzinger_swineford1939.csv, columns x1-x9 of the Holzinger &
Swineford (1939) data as distributed with R lavaan (n = 301), copied from the example data of
the MIT-licensed semopy 2.3.11 package (semopy/examples/holzinger_swineford39_data.csv).
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent

OVARIAN = """
3.0 5.8 10 0   3.2 6.3  5 1   3.9 6.8  3 1   2.8 4.8  6 0
3.2 5.8  3 1   0.9 4.0  5 0   2.5 5.7  8 0   1.6 5.6  5 1
3.8 5.7  5 1   3.7 6.7  6 1   3.2 5.4  4 1   3.8 6.6  6 1
4.1 6.6  5 1   3.6 5.7  5 1   4.3 7.0  4 1   3.6 6.7  4 0
2.3 4.4  6 1   4.2 7.6  4 0   4.0 6.6  6 0   3.5 5.8  6 1
3.8 6.8  7 1   3.0 4.7  8 0   4.5 7.4  5 1   3.7 7.4  5 1
3.1 6.6  6 1   4.1 8.2  6 1   4.3 7.0  5 1   4.3 6.5  4 1
3.2 5.1  5 1   2.6 4.7  6 1   3.3 6.8  6 0   1.7 4.0  7 0
3.7 6.1  5 1   3.3 6.3  7 1   4.2 7.7  6 1   3.5 6.2  5 1
2.9 5.7  9 0   2.1 4.8  7 1   2.8 6.2  8 0   4.0 7.0  7 1
3.3 5.7  6 1   3.7 6.9  5 1   3.6 6.6  5 1
"""


def ovarian() -> pd.DataFrame:
    v = np.array(OVARIAN.split(), dtype=float).reshape(-1, 4)
    d = pd.DataFrame(v, columns=["alb", "tp", "totscore", "popind"])
    d["totscore"] = 10 - d["totscore"]
    d["popind"] = d["popind"].astype(int)
    return d


def tdauc_sample() -> pd.DataFrame:
    rng = np.random.default_rng(20240501)
    n = 300
    x = rng.normal(size=n)
    t_event = rng.exponential(np.exp(-0.7 * x)) * 10
    t_cens = rng.uniform(0, 25, n)
    time = np.round(np.minimum(t_event, t_cens)) + 1
    return pd.DataFrame({"time": time, "event": (t_event <= t_cens).astype(int), "score": np.round(x, 1)})


if __name__ == "__main__":
    ovarian().to_csv(HERE / "ppit_delong1988_ovarian.csv", index=False)
    d = tdauc_sample()
    d.to_csv(HERE / "ppit_tdauc_sim.csv", index=False)
    from sksurv import __version__
    from sksurv.metrics import cumulative_dynamic_auc
    from sksurv.util import Surv

    y = Surv.from_arrays(d["event"].astype(bool), d["time"].astype(float))
    times = [3.0, 5.0, 8.0, 12.0]
    auc, mean_auc = cumulative_dynamic_auc(y, y, d["score"].to_numpy(), times)
    out = {"sksurv_version": __version__, "times": times, "auc": auc.tolist(), "mean_auc": float(mean_auc)}
    (HERE / "ppit_tdauc_sksurv.json").write_text(json.dumps(out, indent=2) + "\n")
    print(out)
