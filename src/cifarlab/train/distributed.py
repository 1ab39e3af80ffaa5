"""One experiment on several GPUs: torchrun processes with DistributedDataParallel.

An experiment with ``gpus: k > 1`` keeps the command both front ends run
(``python workflow/scripts/train.py --experiment E``): that process takes its k GPU slots
and re-executes itself under ``torch.distributed.run`` (torchrun) with one worker per GPU,
which inherit the slots (``cifarlab.device``). On the CPU (``device: cpu``) the k workers
use the gloo backend, so the multi-process path is testable without a GPU.

Inside fit(): the recipe's ``batch_size`` stays the global batch; each rank takes its
1/k of every global batch of the one permutation all ranks draw from (seed, epoch)
(``DeviceLoader(rank=, world_size=)``), so no sample is seen twice and none is dropped
beyond the global drop_last. DDP averages the gradients, so a step equals the
one-process step on the same global batch. Epoch statistics are reduced over ranks,
rank 0 alone writes checkpoints, history and the resume state (plain module keys, no
``module.`` prefix), and every rank resumes from that state.

Functions import torch lazily; the package's __init__ imports it anyway, which only a
multi-GPU job's launcher pays for once on top of its workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Sequence

from cifarlab.errors import CifarlabError

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

    from cifarlab.train.loop import EpochStats


class DistributedRunError(CifarlabError, RuntimeError):
    """A torchrun worker failed; its own message is in the log above."""


def world_size() -> int:
    """Processes in this run (torchrun's WORLD_SIZE; 1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def in_worker() -> bool:
    """True inside a torchrun worker (whatever its world size)."""
    return "LOCAL_RANK" in os.environ and "TORCHELASTIC_RUN_ID" in os.environ


def is_main() -> bool:
    """Rank 0 (or the only process): the one that writes files."""
    return rank() == 0


def relaunch(nproc: int, argv: Sequence[str], keep_fds: Sequence[int] = ()) -> None:
    """Run ``argv`` (a script and its arguments) as ``nproc`` torchrun workers; wait.

    ``keep_fds`` (the GPU slot locks) stay open in torchrun's agent, so the slots stay
    held while any worker lives even if this process is killed. Raises
    DistributedRunError when a worker fails.
    """
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", *argv]
    # Workers re-enter the same CLI; tqdm and logs stay on the parent's stderr.
    code = subprocess.call(cmd, pass_fds=tuple(keep_fds))
    if code != 0:
        raise DistributedRunError(
            f"{nproc}-process run of {' '.join(argv)} failed (exit {code}); see the "
            "worker's message above; a rerun resumes from the last completed epoch")


def init(device: str) -> str:
    """Join the process group (nccl on CUDA, gloo on the CPU); the device of this rank."""
    import torch
    import torch.distributed as dist

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.set_device(local_rank())
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return f"cuda:{local_rank()}" if cuda else "cpu"


def active() -> bool:
    """A process group with more than one rank is up."""
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def shutdown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if active():
        import torch.distributed as dist

        dist.barrier()


def convert_sync_batchnorm(model: "nn.Module", device: str, key: str) -> "nn.Module":
    """BatchNorm -> SyncBatchNorm (state_dict keys unchanged); CUDA only in torch."""
    from torch import nn

    if not device.startswith("cuda"):
        raise CifarlabError(f"{key}: SyncBatchNorm runs on CUDA devices only (torch); "
                            "set it to false for a CPU run")
    return nn.SyncBatchNorm.convert_sync_batchnorm(model)


def wrap(model: "nn.Module", device: "torch.device") -> "nn.Module":
    """The DDP wrapper over the parameters that train now (call again after freezing)."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def sync_buffers(model: "nn.Module") -> None:
    """Rank 0's buffers (BatchNorm running statistics) to every rank, before evaluating:
    each rank updated them on its own part of the batch in its last step."""
    import torch.distributed as dist

    for buf in model.buffers():
        dist.broadcast(buf, src=0)


def reduce_stats(stats: "EpochStats", samples: int) -> "EpochStats":
    """Per-rank means -> the means over all ranks' samples (identical on every rank)."""
    import torch
    import torch.distributed as dist

    from cifarlab.train.loop import EpochStats

    # float64 sums on the CPU work with gloo and nccl alike (nccl needs CUDA tensors).
    backend_cuda = dist.get_backend() == "nccl"
    t = torch.tensor([stats.loss * samples, stats.acc * samples, float(samples)],
                     dtype=torch.float64, device="cuda" if backend_cuda else "cpu")
    dist.all_reduce(t)
    loss, acc, n = t.tolist()
    return EpochStats(loss / n, acc / n)
