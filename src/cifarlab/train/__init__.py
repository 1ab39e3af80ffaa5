"""Training: ``TrainSettings`` in, ``fit()`` out (checkpoints, history, resume).

One small module per concern: settings (validated dataclasses), schedule (lr as a closed
form of the epoch, phase plan), early_stopping, trainable (head/all freezing), optim,
precision (AMP/channels_last on CUDA), loop (one epoch, NaN guard), checkpoint (files and
resume state), trainer (fit(): the orchestration).
"""

from cifarlab.train.early_stopping import EarlyStopping
from cifarlab.train.trainer import HISTORY_COLUMNS, FitResult, fit
from cifarlab.train.loop import NonFiniteLossError, batch_loss
from cifarlab.train.schedule import lr_at, plan_phases
from cifarlab.train.settings import Phase, TrainSettings
from cifarlab.train.trainable import find_head

__all__ = [
    "HISTORY_COLUMNS", "EarlyStopping", "FitResult", "NonFiniteLossError", "Phase",
    "TrainSettings", "batch_loss", "find_head", "fit", "lr_at", "plan_phases",
]
