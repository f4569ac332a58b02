"""After training: test accuracy, the lecture's grid of 12 test images with predicted labels, a clickable confusion
matrix (a cell lists its images, most confident first; an image opens in the inspector) and per-class accuracy.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPen
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListView, QListWidget,
                               QListWidgetItem, QSizePolicy, QTableView, QVBoxLayout, QWidget)

from .images import to_pixmap, to_qimage

WRONG = QColor("#c62828")
GRID_COUNT = 12


class PredictionGrid(QWidget):
    """The first 12 test images with their predicted labels (wrong ones in red, with the true label)."""

    image_clicked = Signal(int)

    def __init__(self, columns: int = 6, cell: int = 40, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns, self.cell = columns, cell
        self._items: list[tuple] = []   # (QImage, predicted name, true name, correct)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("The first 12 test images with the predicted class; red: wrong (true class in brackets). "
                        "Click one to inspect it.")

    def set_results(self, x: np.ndarray, y: np.ndarray, predicted: np.ndarray, names) -> None:
        n = min(GRID_COUNT, len(x))
        self._items = [(to_qimage(x[i]), names[predicted[i]], names[y[i]], predicted[i] == y[i]) for i in range(n)]
        self.updateGeometry()
        self.update()

    def wrong_count(self) -> int:
        return sum(1 for item in self._items if not item[3])

    def _step(self) -> tuple[int, int]:
        return self.cell + 10, self.cell + self.fontMetrics().height() + 8

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        sx, sy = self._step()
        return QSize(self.columns * sx, 2 * sy)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self.sizeHint()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        sx, sy = self._step()
        fh = self.fontMetrics().height()
        for i, (img, pred, true, ok) in enumerate(self._items):
            r, c = divmod(i, self.columns)
            x, y = c * sx + 5, r * sy + 2
            box = QRectF(x, y, self.cell, self.cell)
            p.drawImage(box, img)
            p.setPen(QPen(QColor("#bbbbbb") if ok else WRONG, 1 if ok else 3))
            p.drawRect(box)
            text = pred if ok else f"{pred} ({true})"
            p.setPen(self.palette().text().color() if ok else WRONG)
            p.drawText(QRectF(x - 5, y + self.cell + 2, self.cell + 10, fh + 2), Qt.AlignmentFlag.AlignCenter, text)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        sx, sy = self._step()
        pos = event.position()
        i = int(pos.y() // sy) * self.columns + int(pos.x() // sx)
        if 0 <= i < len(self._items) and pos.x() < self.columns * sx:
            self.image_clicked.emit(i)


class ConfusionModel(QAbstractTableModel):
    """Rows: true class; columns: predicted class, then the per-class accuracy. Shaded by the row's share."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.matrix = np.zeros((0, 0), np.int64)
        self.per_class = np.zeros(0)
        self.names: tuple[str, ...] = ()

    def set_data(self, matrix: np.ndarray, per_class: np.ndarray, names) -> None:
        self.beginResetModel()
        self.matrix, self.per_class, self.names = np.asarray(matrix), np.asarray(per_class), tuple(names)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self.matrix)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() or not len(self.matrix) else len(self.matrix) + 1

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 (Qt name)
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal and section == len(self.matrix):
                return "acc."
            return self.names[section] if section < len(self.names) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if orientation == Qt.Orientation.Horizontal:
                return "accuracy on this true class" if section == len(self.matrix) else \
                    f"predicted: {self.names[section]}"
            return f"true class: {self.names[section]}"
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if c == len(self.matrix):
            acc = self.per_class[r]
            if role == Qt.ItemDataRole.DisplayRole:
                return "–" if np.isnan(acc) else f"{100 * acc:.0f}%"
            if role == Qt.ItemDataRole.ForegroundRole and not np.isnan(acc) and acc < 0.9:
                return QBrush(WRONG)
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return Qt.AlignmentFlag.AlignCenter
            return None
        count = int(self.matrix[r, c])
        total = max(1, int(self.matrix[r].sum()))
        share = count / total
        if role == Qt.ItemDataRole.DisplayRole:
            return str(count) if count else ""
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.BackgroundRole and count:
            # diagonal (right) in blue, mistakes in red; stronger = a larger share of the true class
            base = (0, 114, 178) if r == c else (198, 40, 40)
            alpha = 0.15 + 0.85 * (share if r == c else min(1.0, 4 * share))
            return QBrush(QColor(*base, int(255 * alpha)))
        if role == Qt.ItemDataRole.ForegroundRole and r == c and share > 0.5:
            return QBrush(QColor("white"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{count} test image(s) of class {self.names[r]} predicted as {self.names[c]} "
                    f"({100 * share:.1f}% of that class). Click to list them.")
        return None


class ResultsView(QWidget):
    """Test accuracy, prediction grid, confusion matrix with per-class accuracy, and the clicked cell's images."""

    inspect_requested = Signal(object, str)   # float32 HWC image, what it is (index, true and predicted class)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.evaluation = None
        self.x_test = np.zeros((0, 1, 1, 1), np.float32)
        self.y_test = np.zeros(0, np.int64)
        self.names: tuple[str, ...] = ()
        self.accuracy_label = QLabel("Test Acc.: –")
        font = QFont(self.accuracy_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.accuracy_label.setFont(font)
        self.grid = PredictionGrid()
        self.grid.image_clicked.connect(self._on_grid_image_clicked)
        self.grid_note = QLabel("")
        self.grid_note.setStyleSheet("color: #555;")
        self.grid_note.setWordWrap(True)

        self.confusion_model = ConfusionModel(self)
        self.table = QTableView()
        self.table.setModel(self.confusion_model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setDefaultSectionSize(23)
            header.setMinimumSectionSize(20)
        self.table.horizontalHeader().setDefaultSectionSize(31)
        self.table.clicked.connect(self._on_table_clicked)
        self.table.setToolTip("Rows: true class, columns: predicted class. Click a cell to see its images.")
        table_box = QVBoxLayout()
        table_box.addWidget(QLabel("<b>Confusion matrix</b> (rows: true class, columns: predicted)"))
        table_box.addWidget(self.table, 1)

        self.cell_title = QLabel("Click a cell of the matrix to list its test images.")
        self.cell_title.setWordWrap(True)
        self.cell_list = QListWidget()
        self.cell_list.setViewMode(QListView.ViewMode.IconMode)
        self.cell_list.setIconSize(QSize(40, 40))
        self.cell_list.setGridSize(QSize(56, 62))
        self.cell_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.cell_list.setMovement(QListView.Movement.Static)
        self.cell_list.itemClicked.connect(self._on_cell_list_item_clicked)
        self.cell_list.setToolTip("Most confident first; click an image to inspect it.")
        left = QVBoxLayout()
        left.addWidget(self.accuracy_label)
        left.addWidget(self.grid)
        left.addWidget(self.grid_note)
        left.addWidget(self.cell_title)
        left.addWidget(self.cell_list, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addLayout(table_box, 1)
        self.clear()

    def clear(self) -> None:
        self.evaluation = None
        self.accuracy_label.setText("Test Acc.: –")
        self.grid.set_results(self.x_test[:0], self.y_test[:0], self.y_test[:0], ())
        self.grid_note.setText("When a run ends, the test images are classified here: the first 12 with their "
                               "predicted class, and every test image in the confusion matrix.")
        self.confusion_model.set_data(np.zeros((0, 0), np.int64), np.zeros(0), ())
        self.cell_list.clear()
        self.cell_title.setText("Click a cell of the matrix to list its test images.")

    def _fit_columns(self) -> None:
        """Every count readable in full (1,135 test images of a class, at any zoom), never '1...'."""
        fm = self.table.fontMetrics()
        matrix = self.confusion_model.matrix
        widest = max([fm.horizontalAdvance(str(int(v))) for v in matrix.ravel()] + [fm.horizontalAdvance("00")])
        names = [fm.horizontalAdvance(str(n)) for n in self.names] or [0]
        width = max(31, widest + 12, max(names) + 12)
        for c in range(len(self.names)):
            self.table.setColumnWidth(c, width)
        self.table.setColumnWidth(len(self.names), max(42, fm.horizontalAdvance("100%") + 12))

    def set_results(self, evaluation, x_test: np.ndarray, y_test: np.ndarray, names) -> None:
        """Show an :class:`~cnnviz.core.model.inference.Evaluation` of float32 NHWC ``x_test`` with labels ``y_test``."""
        self.evaluation, self.x_test, self.y_test, self.names = evaluation, x_test, y_test, tuple(names)
        self.accuracy_label.setText(f"Test Acc.: {100 * evaluation.accuracy:.2f}%")
        self.accuracy_label.setToolTip(f"{int(np.sum(evaluation.predicted == y_test)):,} of {len(y_test):,} test "
                                       "images classified correctly")
        self.grid.set_results(x_test, y_test, evaluation.predicted, self.names)
        wrong = self.grid.wrong_count()
        self.grid_note.setText(f"{wrong} of these {min(GRID_COUNT, len(x_test))} wrong (red, true class in brackets)"
                               if wrong else f"all {min(GRID_COUNT, len(x_test))} predicted correctly")
        self.confusion_model.set_data(evaluation.confusion, evaluation.per_class_accuracy, self.names)
        self._fit_columns()
        self.cell_list.clear()
        self.cell_title.setText("Click a cell of the matrix to list its test images.")

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        """List the test images of one confusion-matrix cell, most confident first."""
        if self.evaluation is None:
            return
        idx = self.evaluation.cell_indices(true_class, predicted_class, self.y_test)
        t, p = self.names[true_class], self.names[predicted_class]
        what = "correct" if true_class == predicted_class else "mistaken"
        self.cell_title.setText(f"<b>true {t}, predicted {p}</b>: {len(idx)} {what} image(s), most confident first")
        self.cell_list.clear()
        for i in idx[:500]:  # a diagonal cell of full MNIST holds ~1,000: the first 500 are plenty to browse
            item = QListWidgetItem(QIcon(to_pixmap(self.x_test[i], 40)), f"{100 * self.evaluation.confidence[i]:.0f}%")
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            item.setToolTip(f"test image #{i}: {100 * self.evaluation.confidence[i]:.1f}% {p}")
            self.cell_list.addItem(item)

    @Slot(QModelIndex)
    def _on_table_clicked(self, index: QModelIndex) -> None:
        if index.column() < len(self.confusion_model.matrix):
            self.show_cell(index.row(), index.column())

    def describe(self, i: int) -> str:
        """What test image ``i`` is, for the Inspector: its index, true class and what the model said."""
        ev, name = self.evaluation, (lambda k: self.names[k] if 0 <= k < len(self.names) else str(k))
        true, said = int(self.y_test[i]), int(ev.predicted[i])
        verdict = "right" if true == said else "wrong"
        return (f"Test image #{i} of the training run: true class {name(true)}, the model said {name(said)} "
                f"({100 * float(ev.confidence[i]):.1f}%, {verdict})")

    def _inspect(self, i: int) -> None:
        self.inspect_requested.emit(np.array(self.x_test[i], np.float32), self.describe(i))

    @Slot(QListWidgetItem)
    def _on_cell_list_item_clicked(self, item: QListWidgetItem) -> None:
        self._inspect(int(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(int)
    def _on_grid_image_clicked(self, i: int) -> None:
        self._inspect(i)
