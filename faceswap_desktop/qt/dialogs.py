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
        self.continue_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.continue_button.setText("Continue")
        # The theme draws a disabled button greyed and dashed (it looked enabled before); the tooltip and
        # the hint under the box say what enables it.
        self.continue_button.setObjectName("PrimaryButton")
        self.hint = QLabel("Tick the box above to continue.")
        self.hint.setObjectName("MutedLabel")
        self.confirm.toggled.connect(self._on_confirm_toggled)
        self._on_confirm_toggled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.confirm)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def _on_confirm_toggled(self, checked: bool) -> None:
        self.continue_button.setEnabled(checked)
        self.continue_button.setToolTip("" if checked else "Tick the consent box first")
        self.hint.setVisible(not checked)
