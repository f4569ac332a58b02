"""The plain events a training session emits: small frozen dataclasses of numbers, safe to pass between threads."""
from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class TrainingStarted:
    epochs: int
    initial_epoch: int
    steps_per_epoch: int
    train_samples: int
    val_samples: int
    precision: str = "float32"   # the dtype policy most layers compute with


@dataclass(frozen=True)
class BatchProgress:
    """Throttled: at most one every ``batch_interval_s`` seconds (and the last batch of each epoch)."""

    epoch: int            # 0-based, counting across "train more" runs
    batch: int            # 1-based within the epoch
    steps: int
    loss: float
    accuracy: float
    images_per_s: float
    elapsed_s: float
    eta_s: float


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float
    batches: int = 0   # batches trained in this epoch; fewer than ``steps`` when a Stop cut it short
    steps: int = 0

    @property
    def partial(self) -> bool:
        """A stopped epoch: it saw only some of the training images (its numbers are of those batches)."""
        return 0 < self.batches < self.steps


@dataclass(frozen=True)
class TrainingFinished:
    """``reason``: "completed", "stopped" (user asked), or "diverged" (NaN/inf loss; last good weights kept)."""

    reason: str
    epochs_done: int
    message: str


HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")
