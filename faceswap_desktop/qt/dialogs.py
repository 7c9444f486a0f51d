"""Dialogs: the first-start consent confirmation."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

CONSENT_TEXT = (
    "<h3>Before you start</h3>"
    "<p>faceswap-desktop changes the faces of real people. Only use photos of people who have given you "
    "their consent, and never use the results to deceive, harass or impersonate anyone.</p>"
    "<p>Everything runs on this computer; no photo leaves it.</p>"
)


class ConsentDialog(QDialog):
    """Asks the user to confirm they have the consent of the people whose faces they use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Consent")
        self.setModal(True)
        text = QLabel(CONSENT_TEXT)
        text.setWordWrap(True)
        self.confirm = QCheckBox("I have the consent of the people whose faces I use.")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Continue")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.confirm.toggled.connect(self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
