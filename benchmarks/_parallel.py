"""Run one replicate function over many seeds: a local process pool, or a Dask distributed cluster."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial


def run_seeds(fn, seeds: list[int], jobs: int, dask: bool = False, scheduler: str | None = None, on_result=None,
              **kwargs) -> list:
    """``[fn(seed, **kwargs) for seed in seeds]`` in parallel, in seed order.

    With ``dask`` the work goes to the scheduler at ``scheduler`` or, without one, to a
    ``LocalCluster`` of ``jobs`` single-threaded workers (dask is imported only here). ``on_result(seed,
    value)``, when given, is called as each replicate finishes (to save it before the others are done).
    """
    if dask:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed

        cluster = None if scheduler else LocalCluster(n_workers=jobs, threads_per_worker=1)
        client = Client(scheduler or cluster)
        try:
            futures = client.map(fn, seeds, **kwargs)
            index = {f.key: s for f, s in zip(futures, seeds, strict=True)}
            out = {}
            for f in dask_completed(futures):
                out[index[f.key]] = f.result()
                if on_result is not None:
                    on_result(index[f.key], out[index[f.key]])
            return [out[s] for s in seeds]
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(partial(fn, **kwargs), s): s for s in seeds}
        out = {}
        for f in as_completed(futures):
            out[futures[f]] = f.result()
            if on_result is not None:
                on_result(futures[f], out[futures[f]])
        return [out[s] for s in seeds]
