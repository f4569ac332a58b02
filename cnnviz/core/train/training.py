"""Training, one name for what its modules hold (kept so that ``cnnviz.core.train.training`` imports keep working).

The ideas live in their own modules: config.py (TrainingConfig, augmentation, loss/optimizer helpers), events.py
(what a session emits), prepared.py (arrays or pipelines ready for Keras), session.py (``fit`` with a stop flag),
run.py (the one Run used by the Training tab and ``cnnviz-cli train``).
"""
from __future__ import annotations

from cnnviz.core.train.config import (LOSS_EXPLANATIONS, LOSSES, OPTIMIZERS, AugmentConfig,  # noqa: F401
                                      TrainingConfig, TrainingError, augment_batch, augmentation_layers,
                                      compatibility_problems, make_optimizer, resolve_loss)
from cnnviz.core.train.events import (HISTORY_KEYS, BatchProgress, EpochResult, TrainingFinished,  # noqa: F401
                                      TrainingStarted)
from cnnviz.core.train.prepared import PreparedData, StreamedData, prepare_data, to_float  # noqa: F401
from cnnviz.core.train.session import TrainingSession  # noqa: F401
