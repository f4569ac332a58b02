"""The training set-up form: data (see data_box.py), validation split, hyper-parameters, loss and augmentation.

The augmentation preview needs TensorFlow, so it is computed on the form's task thread (the first one also
imports TensorFlow there) and only while some augmentation is switched on.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QAbstractSpinBox, QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout,
                               QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QRadioButton, QSpinBox,
                               QVBoxLayout, QWidget)

from cnnviz.core.data.dataset import Dataset
from cnnviz.core.train.config import LOSS_EXPLANATIONS, AugmentConfig, TrainingConfig, augment_batch
from cnnviz.core.train.precision import BF16_CPU_FLAGS, EXPLANATIONS as PRECISION_EXPLANATIONS, cpu_flags

SCHEDULE_TITLES = (("constant", "constant"), ("warmup_cosine", "warm-up, then cosine decay"))
PRECISION_TITLES = (("float32", "float32"), ("mixed_bfloat16", "mixed bfloat16 (CPUs with AVX-512 BF16 / AMX)"),
                    ("mixed_float16", "mixed float16 (NVIDIA GPUs)"), ("auto", "auto (from the hardware)"))
from cnnviz.core.train.prepared import to_float

from ..tasks import TaskRunner
from .data_box import CelebASource, DataBox
from .images import ThumbnailStrip

OPTIMIZER_TITLES = (("adam", "Adam"), ("sgd", "SGD with momentum"), ("rmsprop", "RMSprop"))
LOSS_TITLES = (("auto", "auto (fits the labels and the last layer)"),
               ("sparse_categorical_crossentropy", "sparse categorical cross-entropy"),
               ("categorical_crossentropy", "categorical cross-entropy"),
               ("binary_crossentropy", "binary cross-entropy"))
AUGMENT_PREVIEW = 8


def _augment_preview(x: np.ndarray, aug: AugmentConfig, seed: int) -> np.ndarray:
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    return augment_batch(to_float(x), aug, seed)


def _dspin(lo: float, hi: float, step: float, decimals: int, value: float, suffix: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(lo, hi)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


def _spin(lo: int, hi: int, value: int, step: int = 1, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


class SetupForm(QWidget):
    """Everything a run needs besides the model. ``changed()`` after any edit or a new dataset."""

    changed = Signal()
    dataset_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = TaskRunner("training-setup", self)
        self.tasks.task_done.connect(self._on_tasks_task_done)
        self.data_box = DataBox()
        self.data_box.dataset_changed.connect(self._on_data_box_dataset_changed)
        self._aug_token = 0
        self._aug_seed = 1

        # validation
        self.val_count_radio = QRadioButton("images")
        self.val_fraction_radio = QRadioButton("fraction")
        group = QButtonGroup(self)
        group.addButton(self.val_count_radio)
        group.addButton(self.val_fraction_radio)
        self.val_count_spin = _spin(1, 10_000_000, 10_000, 500)
        self.val_fraction_spin = _dspin(0.01, 0.9, 0.05, 2, 0.1)
        self.val_fraction_radio.setChecked(True)
        val_row = QGridLayout()
        val_row.addWidget(self.val_count_radio, 0, 0)
        val_row.addWidget(self.val_count_spin, 0, 1)
        val_row.addWidget(self.val_fraction_radio, 1, 0)
        val_row.addWidget(self.val_fraction_spin, 1, 1)

        # hyper-parameters
        self.batch_spin = _spin(1, 65536, 64)
        self.epochs_spin = _spin(1, 10000, 20)
        self.epochs_spin.setToolTip("How many epochs Train trains a fresh model for (the Train button says it). "
                                    "“Train more” adds the epochs in the box beside it.")
        self.optimizer_combo = QComboBox()
        for key, title in OPTIMIZER_TITLES:
            self.optimizer_combo.addItem(title, key)
        self.lr_spin = _dspin(1e-6, 10.0, 1e-4, 6, 1e-3)
        self.lr_spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.momentum_spin = _dspin(0.0, 0.999, 0.05, 3, 0.9)
        self.beta1_spin = _dspin(0.0, 0.999, 0.05, 3, 0.9)
        self.beta2_spin = _dspin(0.0, 0.9999, 0.001, 4, 0.999)
        for spin, tip in ((self.beta1_spin, "β1: how much of the previous gradient direction Adam keeps (Keras: 0.9)"),
                          (self.beta2_spin, "β2: how long Adam averages squared gradients (Keras: 0.999)")):
            spin.setToolTip(tip)
        betas = QHBoxLayout()
        betas.setContentsMargins(0, 0, 0, 0)
        for w in (QLabel("β1"), self.beta1_spin, QLabel("β2"), self.beta2_spin):
            betas.addWidget(w)
        self.betas_row = QWidget()
        self.betas_row.setLayout(betas)
        self.schedule_combo = QComboBox()
        for key, title in SCHEDULE_TITLES:
            self.schedule_combo.addItem(title, key)
        self.schedule_combo.setToolTip("constant: the learning rate as set. Warm-up, then cosine decay: from a tenth "
                                       "of it up to it over the first 20% of the planned steps, then down to 0 by "
                                       "the last one (the fast-to-99% recipe)")
        self._warmup_fraction = 0.2
        self.precision_combo = QComboBox()
        for key, title in PRECISION_TITLES:
            self.precision_combo.addItem(title, key)
            self.precision_combo.setItemData(self.precision_combo.count() - 1, PRECISION_EXPLANATIONS[key],
                                             Qt.ItemDataRole.ToolTipRole)
        bf16 = sorted(set(BF16_CPU_FLAGS) & cpu_flags())
        self.precision_combo.setToolTip(
            "The dtype layers compute in; weights and the output layer stay float32, exports are float32. "
            + (f"This CPU has {' and '.join(bf16)}: mixed bfloat16 trains about 1.7-2x faster here (more with "
               "bigger batches)." if bf16 else
               "This CPU has no bfloat16 instructions: float32 is fastest here unless a GPU is used."))
        self.loss_combo = QComboBox()
        for key, title in LOSS_TITLES:
            self.loss_combo.addItem(title, key)
        self.loss_help = QLabel()
        self.loss_help.setWordWrap(True)
        self.loss_help.setStyleSheet("color: #555;")
        self.seed_spin = _spin(0, 2**31 - 1, 1)
        self.deterministic_check = QCheckBox("bit-identical reruns (slower)")
        self.deterministic_check.setToolTip("TensorFlow op determinism: the same seed gives exactly the same curves, "
                                            "here and with cnnviz-cli train (stays on until the app restarts)")
        self._chosen: set[str] = set()    # settings the user or a recipe set: datasets no longer suggest them
        self._suggesting = False
        self.suggestion_note = QLabel()
        self.suggestion_note.setWordWrap(True)
        self.suggestion_note.setVisible(False)
        train_box = QGroupBox("Training")
        form = QFormLayout(train_box)
        form.addRow(self.suggestion_note)
        form.addRow("Validation", val_row)
        self._train_form, self._val_row = form, val_row
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Epochs (Train)", self.epochs_spin)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Momentum", self.momentum_spin)
        self._momentum_label = form.labelForField(self.momentum_spin)
        form.addRow("Adam", self.betas_row)
        self._betas_label = form.labelForField(self.betas_row)
        form.addRow("Schedule", self.schedule_combo)
        form.addRow("Precision", self.precision_combo)
        form.addRow("Loss", self.loss_combo)
        form.addRow("", self.loss_help)
        form.addRow("Seed", self.seed_spin)
        form.addRow("", self.deterministic_check)

        # augmentation
        self.flip_check = QCheckBox("flip left-right")
        self.rotation_spin = _spin(0, 180, 0, 5, " °")
        self.shift_spin = _spin(0, 50, 0, 5, " %")
        self.brightness_spin = _spin(0, 100, 0, 5, " %")
        self.contrast_spin = _spin(0, 100, 0, 5, " %")
        self.augment_preview = ThumbnailStrip(columns=AUGMENT_PREVIEW, cell=34,
                                              placeholder="Switch on an augmentation to see what the model will see.")
        self.reshuffle_button = QPushButton("Other random changes")
        self.reshuffle_button.clicked.connect(self._on_reshuffle_button_clicked)
        aug_box = QGroupBox("Data augmentation (training images only)")
        aug_form = QFormLayout(aug_box)
        aug_form.addRow(self.flip_check)
        aug_form.addRow("Rotation up to ±", self.rotation_spin)
        aug_form.addRow("Shift up to ±", self.shift_spin)
        aug_form.addRow("Brightness ±", self.brightness_spin)
        aug_form.addRow("Contrast ±", self.contrast_spin)
        aug_form.addRow(self.augment_preview)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.reshuffle_button)
        aug_form.addRow(row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.data_box)
        layout.addWidget(train_box)
        layout.addWidget(aug_box)
        layout.addStretch(1)

        self._aug_timer = QTimer(self)
        self._aug_timer.setSingleShot(True)
        self._aug_timer.setInterval(250)
        self._aug_timer.timeout.connect(self._on_aug_timer_timeout)
        for spin in (self.val_count_spin, self.val_fraction_spin, self.batch_spin, self.epochs_spin, self.lr_spin,
                     self.momentum_spin, self.seed_spin, self.beta1_spin, self.beta2_spin):
            spin.valueChanged.connect(self._on_field_changed)
        for radio in (self.val_count_radio, self.val_fraction_radio, self.deterministic_check):
            radio.toggled.connect(self._on_field_changed)
        for combo in (self.optimizer_combo, self.loss_combo, self.schedule_combo, self.precision_combo):
            combo.currentIndexChanged.connect(self._on_field_changed)
        self.data_box.limit_spin.valueChanged.connect(self._on_field_changed)
        self.flip_check.toggled.connect(self._on_augment_changed)
        for spin in (self.rotation_spin, self.shift_spin, self.brightness_spin, self.contrast_spin):
            spin.valueChanged.connect(self._on_augment_changed)
        self._update_dependent()

    # --- API ------------------------------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        return self.data_box.dataset

    def images_limit(self) -> int | None:
        return self.data_box.images_limit()

    def augment_config(self) -> AugmentConfig:
        return AugmentConfig(flip_horizontal=self.flip_check.isChecked(),
                             rotation_degrees=float(self.rotation_spin.value()),
                             shift_fraction=self.shift_spin.value() / 100.0,
                             brightness=self.brightness_spin.value() / 100.0,
                             contrast=self.contrast_spin.value() / 100.0)

    def config(self) -> TrainingConfig:
        by_count = self.val_count_radio.isChecked()
        return TrainingConfig(batch_size=self.batch_spin.value(), epochs=self.epochs_spin.value(),
                              optimizer=self.optimizer_combo.currentData(), learning_rate=self.lr_spin.value(),
                              momentum=self.momentum_spin.value(), loss=self.loss_combo.currentData(),
                              seed=self.seed_spin.value(),
                              validation_count=self.val_count_spin.value() if by_count else None,
                              validation_fraction=None if by_count else self.val_fraction_spin.value(),
                              augment=self.augment_config(),
                              deterministic=self.deterministic_check.isChecked(),
                              precision=self.precision_combo.currentData(),
                              schedule=self.schedule_combo.currentData(), warmup_fraction=self._warmup_fraction,
                              beta_1=self.beta1_spin.value(), beta_2=self.beta2_spin.value())

    def apply_recipe(self, training: dict) -> str:
        """Set the fields a preset's training recipe names (TrainingConfig fields); returns what changed, in
        words ('' when the recipe is empty). Fields the recipe does not name keep their values."""
        widgets = {"batch_size": self.batch_spin, "epochs": self.epochs_spin, "learning_rate": self.lr_spin,
                   "beta_1": self.beta1_spin, "beta_2": self.beta2_spin, "momentum": self.momentum_spin}
        combos = {"optimizer": self.optimizer_combo, "schedule": self.schedule_combo,
                  "precision": self.precision_combo, "loss": self.loss_combo}
        said = []
        for key, value in training.items():
            if key in widgets:
                widgets[key].setValue(value)
                said.append(f"{key.replace('_', ' ')} {value:g}" if isinstance(value, float) else
                            f"{key.replace('_', ' ')} {value}")
            elif key in combos:
                combo = combos[key]
                combo.setCurrentIndex(combo.findData(value))
                said.append(f"{key} {combo.currentText()}")
            elif key == "warmup_fraction":
                self._warmup_fraction = float(value)
        return ", ".join(said)

    def problems(self) -> list[str]:
        """What stops a run with these settings on the loaded data (besides the model)."""
        ds = self.dataset
        if ds is None:
            return ["no dataset is loaded"]
        out = self.config().problems()
        if isinstance(ds, CelebASource):   # validation: CelebA's own valid partition, not a split
            n = min(ds.counts["train"], self.images_limit() or ds.counts["train"])
            if n < 2:
                out.append(f"use at least 2 training images, not {n}")
            return out
        n = min(len(ds.x_train), self.images_limit() or len(ds.x_train))
        if self.val_count_radio.isChecked() and self.val_count_spin.value() >= n:
            out.append(f"the validation split ({self.val_count_spin.value():,} images) must be smaller than the "
                       f"{n:,} training images used")
        return out

    def set_locked(self, locked: bool) -> None:
        """Disable editing while a run is in progress."""
        for child in self.findChildren(QGroupBox):
            child.setEnabled(not locked)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        self._aug_timer.stop()
        loads_stopped = self.data_box.shutdown(timeout_ms)
        return self.tasks.shutdown(timeout_ms) and loads_stopped

    # --- slots ----------------------------------------------------------------------------------------
    @Slot()
    def _on_field_changed(self) -> None:
        if not self._suggesting:   # chosen by the user (or a recipe): a dataset no longer suggests it
            sender = self.sender()
            if sender is self.epochs_spin:
                self._chosen.add("epochs")
            elif sender in (self.val_count_spin, self.val_fraction_spin, self.val_count_radio,
                            self.val_fraction_radio):
                self._chosen.add("validation")
        self._update_dependent()
        self.changed.emit()

    @Slot()
    def _on_augment_changed(self) -> None:
        self._aug_timer.start()
        self.changed.emit()

    @Slot()
    def _on_reshuffle_button_clicked(self) -> None:
        self._aug_seed += 1
        self._aug_timer.start()

    @Slot(object)
    def _on_data_box_dataset_changed(self, ds: Dataset | None) -> None:
        """A dataset suggests epochs and a validation split (20 epochs and 10,000 held out for the full MNIST, as
        the lecture does), but only for the settings nobody chose yet; what it changes is said beside the form."""
        celeba = isinstance(ds, CelebASource)
        self._train_form.setRowVisible(self._val_row, not celeba)   # CelebA validates on its valid partition
        said = []
        self._suggesting = True
        try:
            if celeba:
                if "epochs" not in self._chosen and self.epochs_spin.value() != 5:
                    self.epochs_spin.setValue(5)
                    said.append("epochs 5")
            elif ds is not None:
                full_mnist = ds.name == "mnist"
                if "validation" not in self._chosen:
                    count = 10_000 if full_mnist else max(1, len(ds.x_train) // 10)
                    before = (self.val_count_radio.isChecked(), self.val_count_spin.value())
                    self.val_count_radio.setChecked(full_mnist)
                    self.val_fraction_radio.setChecked(not full_mnist)
                    self.val_count_spin.setValue(count)
                    if full_mnist and before != (True, count):
                        said.append(f"validation {count:,} images")
                epochs = 20 if len(ds.x_train) >= 20_000 else 5
                if "epochs" not in self._chosen and self.epochs_spin.value() != epochs:
                    self.epochs_spin.setValue(epochs)
                    said.append(f"epochs {epochs}")
        finally:
            self._suggesting = False
        self.suggestion_note.setText(f"For this dataset: {', '.join(said)} (the lecture's recipe; change them "
                                     "as you like)." if said else "")
        self.suggestion_note.setVisible(bool(said))
        self._aug_timer.start()
        self.dataset_changed.emit(ds)
        self.changed.emit()

    @Slot()
    def _on_aug_timer_timeout(self) -> None:
        aug, ds = self.augment_config(), self.dataset
        if ds is None or not aug.active:
            self._aug_token = 0
            self.augment_preview.set_items([])
            return
        x = ds.x_train[:AUGMENT_PREVIEW]
        self._aug_token = self.tasks.submit(_augment_preview, np.array(x), aug, self._aug_seed)
        self._aug_source = x

    @Slot(int, object)
    def _on_tasks_task_done(self, token: int, result: object) -> None:
        if token != self._aug_token or not self._aug_token:
            return
        items = [(img, "", None) for img in self._aug_source] + [(img, "", "#0072b2") for img in result]
        self.augment_preview.set_items(items)
        self.augment_preview.setToolTip("top: original images; bottom (blue): after random augmentation")

    def _update_dependent(self) -> None:
        sgd = self.optimizer_combo.currentData() == "sgd"
        self.momentum_spin.setVisible(sgd)
        if self._momentum_label is not None:
            self._momentum_label.setVisible(sgd)
        adam = self.optimizer_combo.currentData() == "adam"
        self.betas_row.setVisible(adam)
        if self._betas_label is not None:
            self._betas_label.setVisible(adam)
        self.val_count_spin.setEnabled(self.val_count_radio.isChecked())
        self.val_fraction_spin.setEnabled(self.val_fraction_radio.isChecked())
        loss = self.loss_combo.currentData()
        self.loss_help.setText(LOSS_EXPLANATIONS.get(loss, "sparse categorical cross-entropy for a softmax layer "
                                                           "with one unit per class, binary cross-entropy for "
                                                           "one sigmoid unit"))
