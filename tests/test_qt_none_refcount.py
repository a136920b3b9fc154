"""Regression guard for PySide6 6.12.0 on CPython 3.11: a model whose ``data()`` returns None
many thousands of times corrupted the refcount of None and aborted the interpreter with
"Fatal Python error: none_dealloc". Every model in the window returns None for roles it does
not handle, so this must hold for the installed PySide6.

The check runs in a subprocess: an abort there fails this test instead of killing pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    class NoneModel(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else 200

        def columnCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else 10

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            return None  # every role, every cell

        def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
            return None

    app = QApplication([])
    model = NoneModel()
    view = QTableView()
    view.setModel(model)
    view.resize(800, 600)
    view.show()
    before = sys.getrefcount(None)
    calls = 0
    for _ in range(50):
        for r in range(200):
            idx = model.index(r, r % 10)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole):
                assert idx.data(role) is None
                calls += 1
        view.viewport().repaint()  # the view asks data() for every visible cell and role
        app.processEvents()
    # immortal in 3.12+, counted in 3.11: it must not have drifted down
    assert sys.getrefcount(None) >= before - 100, (before, sys.getrefcount(None))
    print("calls", calls)
    """
)


def test_model_data_returning_none_many_times_does_not_abort() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "none_dealloc" not in proc.stderr
    assert int(proc.stdout.split()[-1]) == 20_000
