"""Device choice and the per-GPU slot allocator for concurrent training jobs.

Snakemake's `--resources gpu=N` only counts GPUs (snakemake/snakemake#281); it does not
say which one a job gets. Each job therefore takes, before CUDA is initialised, ``k``
free slots on ``k`` distinct GPUs with a non-blocking ``flock`` on one lock file per slot,
held for the life of the process (the kernel releases it even on SIGKILL), and exports
``CUDA_VISIBLE_DEVICES`` to the GPUs it holds.

Which GPUs: the list the user's environment gives. A preset ``CUDA_VISIBLE_DEVICES`` (a
shared server's convention, every SLURM GPU job) is the list; otherwise ``nvidia-smi -L``.
``CIFARLAB_GPUS`` (comma-separated ids) stands in for ``nvidia-smi`` (tests; or to keep a
run off some GPUs). ``CIFARLAB_JOBS_PER_GPU`` (default 1) lets small models share a GPU.

Where the locks live: one folder per machine, never per clone, so two checkouts (or two
users) on one server never share a GPU by accident: ``CIFARLAB_GPU_LOCK_DIR``, else
``/tmp/cifarlab-gpu-locks`` created world-writable and sticky (1777, as /tmp is) with
lock files 0666, so a second user's job can lock a file the first one created. The
default is a fixed path, not ``tempfile.gettempdir()``: TMPDIR differs per user on some
servers (pam_tmpdir's ``/tmp/user/<uid>``), and two folders are two sets of locks.

What a lock names: the device, not the spelling of its id. ``CUDA_VISIBLE_DEVICES`` may
list a GPU by index, by UUID (``GPU-...``, or a unique prefix of it) or a MIG instance by
UUID (``MIG-...``, or the older ``MIG-GPU-<uuid>/<gi>/<ci>``); ``nvidia-smi -L`` maps
each to one key (the GPU's index, or ``<index>-mig<k>`` for its k-th MIG device) so two
users who name one GPU differently lock one file. Indices are nvidia-smi's (PCI bus
order), so a held GPU is exported with ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` unless the user
set another order. An id nvidia-smi does not list keeps its own spelling.
Inside a SLURM job the scheduler already owns the allocation (and with ConstrainDevices
every job sees its GPUs renumbered from 0), so the locks go into a sub-folder per SLURM
job: they then only separate the processes of that one job.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from cifarlab.errors import CifarlabError

LOCK_DIR_ENV = "CIFARLAB_GPU_LOCK_DIR"
GPUS_ENV = "CIFARLAB_GPUS"
JOBS_PER_GPU_ENV = "CIFARLAB_JOBS_PER_GPU"
# Set once slots are held: child processes (torchrun's workers) use the parent's slots
# instead of competing with it for new ones.
HELD_ENV = "CIFARLAB_GPU_SLOTS_HELD"
# Fixed, not tempfile.gettempdir(): see the module docstring.
DEFAULT_LOCK_DIR = Path("/tmp/cifarlab-gpu-locks")
SHARED_MODE = 0o1777
LOCK_MODE = 0o666

_held: list[tuple[str, int]] = []  # (gpu id, open lock fd): the fds keep the locks alive


class GpuSlotError(CifarlabError, RuntimeError):
    """No usable GPU slot: too many GPUs asked for, or none free in time."""


def gpu_ids() -> list[str]:
    """The GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` entries, without CUDA.

    Order of sources: a preset ``CUDA_VISIBLE_DEVICES``, ``CIFARLAB_GPUS``, then the
    indices ``nvidia-smi -L`` lists; no ``nvidia-smi`` means no GPU.
    """
    for var in ("CUDA_VISIBLE_DEVICES", GPUS_ENV):
        if var in os.environ:
            # CUDA stops at the first invalid entry ("-1" hides every GPU); so do we.
            ids: list[str] = []
            for part in os.environ[var].split(","):
                part = part.strip()
                if not part or part.startswith("-"):
                    break
                ids.append(part)
            return ids
    return [str(i) for i, _ in enumerate(l for l in _smi_listing() if l.startswith("GPU "))]


def _smi_listing() -> list[str]:
    """The lines of ``nvidia-smi -L``; [] when there is no nvidia-smi."""
    if shutil.which("nvidia-smi") is None:
        return []
    out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()


_GPU_LINE = re.compile(r"^GPU (\d+):.*\(UUID: (GPU-[^)\s]+)\)")
_MIG_LINE = re.compile(r"^\s+MIG .*Device\s+(\d+):.*\(UUID: (MIG-[^)\s]+)\)")


def device_keys(listing: list[str]) -> dict[str, str]:
    """UUID -> lock key from ``nvidia-smi -L`` lines: a GPU's key is its index, a MIG
    device's ``<gpu index>-mig<k>``; indices map to themselves."""
    keys: dict[str, str] = {}
    gpu = None
    for line in listing:
        if m := _GPU_LINE.match(line):
            gpu = m.group(1)
            keys[gpu] = keys[m.group(2)] = gpu
        elif (m := _MIG_LINE.match(line)) and gpu is not None:
            keys[m.group(2)] = f"{gpu}-mig{m.group(1)}"
    return keys


def slot_key(gpu: str, keys: dict[str, str]) -> str:
    """The lock key of one ``CUDA_VISIBLE_DEVICES`` entry (a UUID may be a unique prefix,
    as CUDA accepts); the entry itself when nvidia-smi does not list it."""
    if gpu in keys:
        return keys[gpu]
    if gpu.startswith(("GPU-", "MIG-")):
        hits = {k for uuid, k in keys.items() if uuid.startswith(gpu)}
        if len(hits) == 1:
            return hits.pop()
    return gpu


def jobs_per_gpu() -> int:
    """``CIFARLAB_JOBS_PER_GPU`` (default 1): concurrent jobs one GPU takes."""
    raw = os.environ.get(JOBS_PER_GPU_ENV, "1")
    if not raw.isdigit() or int(raw) < 1:
        raise GpuSlotError(f"{JOBS_PER_GPU_ENV}={raw!r}: must be an integer >= 1")
    return int(raw)


def lock_dir() -> Path:
    """The machine-wide lock folder (see the module docstring), created if missing."""
    if os.environ.get(LOCK_DIR_ENV):
        path, shared = Path(os.environ[LOCK_DIR_ENV]), False
    else:
        path, shared = DEFAULT_LOCK_DIR, True
    _make_dir(path, shared)
    if os.environ.get("SLURM_JOB_ID"):
        path = path / f"slurm-job-{os.environ['SLURM_JOB_ID']}"
        _make_dir(path, shared)
    return path


def _make_dir(path: Path, shared: bool) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        # Our umask decides mkdir's mode; a shared folder must be 1777 whoever made it.
        if shared and path.stat().st_uid == os.geteuid() and (path.stat().st_mode & 0o7777) != SHARED_MODE:
            path.chmod(SHARED_MODE)
    except OSError as exc:
        raise GpuSlotError(f"{path}: cannot use as GPU lock folder ({exc.strerror})") from None


def _lock_name(gpu: str, slot: int) -> str:
    return f"gpu-{re.sub(r'[^A-Za-z0-9_-]', '_', gpu)}.slot{slot}.lock"


def _open_lock(path: Path) -> int:
    """An fd on ``path`` for flock, whoever created the file.

    Opening an existing file first matters: Linux's fs.protected_regular refuses O_CREAT
    on another user's file in a sticky world-writable folder. flock needs no write
    permission, so a read-only open serves a file an older version made 0644.
    """
    for _ in range(3):
        for flags in (os.O_RDWR, os.O_RDONLY):
            try:
                return os.open(path, flags | os.O_CLOEXEC)
            except PermissionError:
                continue
            except FileNotFoundError:
                break
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, LOCK_MODE)
        except FileExistsError:
            continue  # another job created it just now: open it as an existing file
        os.fchmod(fd, LOCK_MODE)  # the umask took bits off
        return fd
    raise GpuSlotError(f"{path}: cannot open GPU lock file")


def _try_lock(path: Path) -> int | None:
    fd = _open_lock(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise GpuSlotError(f"{path}: cannot lock ({exc.strerror})") from None
    return fd


def _distinct(ids: list[str], keys: dict[str, str]) -> list[str]:
    """``ids`` less later names of a device already listed (``0`` and its UUID are one)."""
    seen: set[str] = set()
    return [g for g in ids if not (slot_key(g, keys) in seen or seen.add(slot_key(g, keys)))]


def _take(ids: list[str], count: int, per_gpu: int, folder: Path,
          keys: dict[str, str]) -> list[tuple[str, int]]:
    """One free slot on each of ``count`` distinct GPUs, or nothing (all released).

    Slot 0 of every GPU is tried before slot 1 of any, so jobs spread over the GPUs
    before they start sharing one. ``ids`` are distinct devices (see :func:`slot_key`).
    """
    taken: dict[str, int] = {}
    for slot in range(per_gpu):
        for gpu in ids:
            if gpu in taken:
                continue
            fd = _try_lock(folder / _lock_name(slot_key(gpu, keys), slot))
            if fd is not None:
                taken[gpu] = fd
                if len(taken) == count:
                    return [(g, taken[g]) for g in ids if g in taken]
    for fd in taken.values():
        os.close(fd)
    return []


def acquire_gpus(count: int = 1, *, wait_s: float = 3600.0, poll_s: float = 1.0) -> list[str]:
    """Hold slots on ``count`` distinct GPUs, set CUDA_VISIBLE_DEVICES to them, return them.

    Returns [] (and changes nothing) when ``count`` is 0 or no GPU is visible. A process
    whose parent already holds slots (``CIFARLAB_GPU_SLOTS_HELD``) uses those. Waits up to
    ``wait_s`` seconds (polling every ``poll_s``) for free slots, then raises GpuSlotError.
    """
    if count <= 0:
        return []
    if _held:
        return [gpu for gpu, _ in _held]
    if os.environ.get(HELD_ENV):
        return os.environ[HELD_ENV].split(",")
    keys = device_keys(_smi_listing())
    ids = _distinct(gpu_ids(), keys)
    if not ids:
        return []
    if count > len(ids):
        raise GpuSlotError(f"asked for {count} GPUs but only {len(ids)} are visible "
                           f"({','.join(ids)}); lower the experiment's `gpus`")
    per_gpu, folder = jobs_per_gpu(), lock_dir()
    deadline = time.monotonic() + wait_s
    while not (taken := _take(ids, count, per_gpu, folder, keys)):
        if time.monotonic() > deadline:
            raise GpuSlotError(f"no {count} free GPU slot(s) among {','.join(ids)} in {folder} "
                               f"after {wait_s:.0f} s ({per_gpu} job(s) per GPU)")
        time.sleep(poll_s)
    _held.extend(taken)
    held = ",".join(gpu for gpu, _ in taken)
    os.environ["CUDA_VISIBLE_DEVICES"] = held
    os.environ.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # indices as nvidia-smi numbers them
    os.environ[HELD_ENV] = held
    return [gpu for gpu, _ in taken]


def held_gpus() -> list[str]:
    """The GPU ids this process (or its parent) holds slots on; [] on the CPU."""
    if _held:
        return [gpu for gpu, _ in _held]
    return [g for g in os.environ.get(HELD_ENV, "").split(",") if g]


def held_fds() -> list[int]:
    """The open lock files behind :func:`held_gpus` (to keep them held in a child)."""
    return [fd for _, fd in _held]


def resolve_device(requested: str, gpus: int = 1) -> str:
    """'cpu', 'cuda' or 'auto' -> the torch device string (claims ``gpus`` GPU slots)."""
    if requested == "cpu":
        return "cpu"
    acquire_gpus(gpus)
    import torch  # after CUDA_VISIBLE_DEVICES is set

    if torch.cuda.is_available():
        return "cuda"
    if requested == "cuda":
        raise GpuSlotError(
            "profile asks for device 'cuda' but no CUDA device is available; "
            "use the quick profile (device: cpu) or set the profile's device to 'auto'"
        )
    return "cpu"
