"""Device choice and the per-GPU slot allocator for concurrent training jobs.

Snakemake's `--resources gpu=N` only counts GPUs (snakemake/snakemake#281); it does not
say which one a job gets. Each job therefore takes an exclusive `flock` on one lock file
per GPU, held for the life of the process (the kernel releases it even on SIGKILL), and
exports CUDA_VISIBLE_DEVICES before CUDA is initialised.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

_held_slot = None  # the open lock file: kept referenced so the lock lives as long as we do


def visible_gpu_count() -> int:
    """GPUs on this machine, counted without initialising CUDA in this process."""
    if os.environ.get("CIFARLAB_NUM_GPUS"):
        return int(os.environ["CIFARLAB_NUM_GPUS"])
    if shutil.which("nvidia-smi") is None:
        return 0
    out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False)
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


def acquire_gpu_slot(
    n_gpus: int, lock_dir: str | os.PathLike | None = None, wait_s: float = 3600.0
) -> int | None:
    """Lock a free GPU slot, set CUDA_VISIBLE_DEVICES to it and return its index.

    Returns None (and changes nothing) when CUDA_VISIBLE_DEVICES is already set by the
    caller or there are no GPUs. Waits up to ``wait_s`` seconds for a slot.
    """
    global _held_slot
    if n_gpus <= 0 or "CUDA_VISIBLE_DEVICES" in os.environ or _held_slot is not None:
        return None
    lock_dir = Path(lock_dir or os.environ.get("CIFARLAB_GPU_LOCK_DIR", tempfile.gettempdir()))
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        for index in range(n_gpus):
            handle = open(lock_dir / f"cifarlab-gpu-{index}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _held_slot = handle
            os.environ["CUDA_VISIBLE_DEVICES"] = str(index)
            return index
        if time.monotonic() > deadline:
            raise TimeoutError(f"no free GPU slot in {lock_dir} after {wait_s:.0f} s")
        time.sleep(1.0)


def resolve_device(requested: str) -> str:
    """'cpu', 'cuda' or 'auto' -> the torch device string to use (claims a GPU slot)."""
    if requested == "cpu":
        return "cpu"
    acquire_gpu_slot(visible_gpu_count())
    import torch  # after CUDA_VISIBLE_DEVICES is set

    if torch.cuda.is_available():
        return "cuda"
    if requested == "cuda":
        raise RuntimeError(
            "profile asks for device 'cuda' but no CUDA device is available; "
            "use the quick profile (device: cpu) or set the profile's device to 'auto'"
        )
    return "cpu"
