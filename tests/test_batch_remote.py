"""A batch on a Dask cluster started as users start one (`dask scheduler` and two `dask worker` processes on
loopback) whose workers cannot see the client's folder: the workers send each chunk's files back, the client
writes them, and the folder is the one a local batch writes, byte for byte.

Each worker runs in its own mount namespace with an empty tmpfs over the test's folder (`unshare -m`), which
needs root, as CI runs."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT

from sim.experiments.batch import run_batch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.name != "posix" or os.geteuid() != 0 or shutil.which("unshare") is None,
        reason="needs root and unshare(1) to hide the folder from the workers",
    ),
]
DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def hidden_cluster(tmp_path: Path):
    """The scheduler's address; its two workers see an empty tmpfs where tmp_path is."""
    pytest.importorskip("distributed")
    from dask.distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = tmp_path / "logs"
    logs.mkdir()
    started = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=(logs / "scheduler.log").open("w"),
        )
    ]
    for k in range(2):
        hide = 'mount -t tmpfs none "$1" && exec "$2" worker "$3" --nthreads 1 --no-dashboard --local-directory /tmp'
        started.append(
            subprocess.Popen(
                ["unshare", "-m", "sh", "-c", hide, "sh", str(tmp_path), str(DASK), address],
                stdout=subprocess.DEVNULL,
                stderr=(logs / f"worker{k}.log").open("w"),
            )
        )
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            seen = client.run(os.listdir, str(tmp_path))
        assert len(seen) == 2 and all(found == [] for found in seen.values()), seen  # the folder is hidden
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _digests(out: Path) -> dict[str, str]:
    files = sorted(p for d in ("outcomes.parquet", "trajectories") if (out / d).is_dir() for p in (out / d).iterdir())
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.parametrize("store", ["outcomes", "trajectories"])
def test_workers_that_cannot_see_the_folder_stream_their_chunks_back(
    hidden_cluster: str, tmp_path: Path, store: str
) -> None:
    short = tmp_path / "short.yaml"
    short.write_text(f"name: short\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\nend: 2023-12\n")
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(
        f"name: hidden\nscenario: {short}\nruns: 20\nseed: 3\nchunk_runs: 15\nstore: {store}\n"
        "parameters:\n  shock_scale: [0.02, 0.06]\n"
    )
    assert run_batch(experiment, tmp_path / "remote", executor="dask", scheduler=hidden_cluster).status == "complete"
    assert run_batch(experiment, tmp_path / "local", workers=1).status == "complete"
    remote, local = _digests(tmp_path / "remote"), _digests(tmp_path / "local")
    assert len(remote) == (3 if store == "outcomes" else 6) and remote == local
    records = [sorted((tmp_path / name / "chunks.jsonl").read_text().splitlines()) for name in ("remote", "local")]
    assert records[0] == records[1]


def test_a_worker_writing_into_the_folder_would_write_where_the_client_cannot_see(
    hidden_cluster: str, tmp_path: Path
) -> None:
    """The check that makes the test above mean something: a file a worker writes stays in its tmpfs."""
    from dask.distributed import Client

    with Client(hidden_cluster, timeout="30s") as client:
        client.submit(Path.write_text, tmp_path / "from-worker.txt", "x", pure=False).result()
    time.sleep(0.1)
    assert not (tmp_path / "from-worker.txt").exists()
