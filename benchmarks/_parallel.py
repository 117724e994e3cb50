"""Run one replicate function over many seeds: a local process pool, or a Dask distributed cluster."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from functools import partial


def run_seeds(fn, seeds: list[int], jobs: int, dask: bool = False, scheduler: str | None = None, **kwargs) -> list:
    """``[fn(seed, **kwargs) for seed in seeds]`` in parallel, in seed order.

    With ``dask`` the work goes to the scheduler at ``scheduler`` or, without one, to a
    ``LocalCluster`` of ``jobs`` single-threaded workers (dask is imported only here).
    """
    if dask:
        from dask.distributed import Client, LocalCluster

        cluster = None if scheduler else LocalCluster(n_workers=jobs, threads_per_worker=1)
        client = Client(scheduler or cluster)
        try:
            return client.gather(client.map(fn, seeds, **kwargs))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(partial(fn, **kwargs), seeds))
