"""Dark (default) and light themes: a QPalette, a small stylesheet and named colours for custom painting.

"system" follows the desktop's light or dark colour scheme (and its changes while the app runs).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

THEMES: dict[str, dict[str, str]] = {
    "dark": {
        "window": "#1e2127",
        "base": "#16181d",
        "panel": "#252932",
        "canvas": "#111317",
        "text": "#e6e9ef",
        "muted": "#8a93a6",
        "accent": "#4f8cff",
        "border": "#343a46",
        "button": "#2d323c",
        "good": "#3ecf8e",
        "fair": "#9bd35a",
        "warn": "#f5b84a",
        "bad": "#f2646b",
        "track": "#343a46",
    },
    "light": {
        "window": "#f3f4f7",
        "base": "#ffffff",
        "panel": "#ffffff",
        "canvas": "#e4e7ec",
        "text": "#1d2330",
        "muted": "#667085",
        "accent": "#2f6fe4",
        "border": "#d0d5dd",
        "button": "#ffffff",
        "good": "#12a26a",
        "fair": "#6aa52b",
        "warn": "#d68a00",
        "bad": "#d92d3a",
        "track": "#e4e7ec",
    },
}

SYSTEM = "system"
"""The choice that follows the desktop's colour scheme; it resolves to one of :data:`THEMES`."""
CHOICES = ("dark", "light", SYSTEM)
THEME_PROPERTY = "faceswapTheme"
CHOICE_PROPERTY = "faceswapThemeChoice"

STYLESHEET = """
QMainWindow, QDialog {{ background: {window}; }}
QDockWidget {{ color: {text}; font-weight: 600; }}
QDockWidget::title {{ background: {window}; padding: 6px 8px; text-transform: uppercase; }}
QWidget#PanelBody {{ background: {panel}; border: 1px solid {border}; border-radius: 8px; }}
QToolBar {{ background: {window}; border: none; border-bottom: 1px solid {border}; spacing: 4px;
           padding: 4px; }}
QToolButton {{ border-radius: 6px; padding: 4px 6px; color: {text}; }}
QToolButton:hover {{ background: {button}; }}
QToolButton:checked {{ background: {accent}; color: white; }}
QPushButton {{ background: {button}; color: {text}; border: 1px solid {border}; border-radius: 6px;
              padding: 5px 12px; }}
QPushButton:hover {{ border-color: {accent}; }}
QPushButton:checked {{ background: {accent}; color: white; border-color: {accent}; }}
QPushButton#PrimaryButton {{ background: {accent}; color: white; border: none; font-weight: 600; }}
QPushButton:disabled, QPushButton#PrimaryButton:disabled {{ background: {window}; color: {muted};
                                                          border: 1px dashed {border}; }}
QToolButton:disabled {{ color: {muted}; }}
QListWidget {{ background: {base}; border: 1px solid {border}; border-radius: 6px; color: {text}; }}
QListWidget::item:selected {{ background: {accent}; color: white; border-radius: 4px; }}
QComboBox, QSpinBox {{ background: {base}; color: {text}; border: 1px solid {border}; border-radius: 5px;
                      padding: 3px 6px; }}
QSpinBox {{ padding-right: 18px; }}
QSpinBox::up-button, QSpinBox::down-button {{ width: 16px; border: none; }}
QComboBox:disabled, QSpinBox:disabled {{ color: {muted}; }}
QSlider::groove:horizontal {{ height: 4px; background: {track}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {accent}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: white; border: 2px solid {accent}; width: 12px; height: 12px;
                             margin: -6px 0; border-radius: 8px; }}
QProgressBar {{ background: {track}; border: none; border-radius: 4px; height: 8px; text-align: center;
               color: transparent; }}
QProgressBar::chunk {{ background: {accent}; border-radius: 4px; }}
QStatusBar {{ background: {window}; color: {muted}; border-top: 1px solid {border}; }}
QLabel#MutedLabel {{ color: {muted}; }}
QLabel#SectionLabel {{ color: {muted}; font-size: 11px; font-weight: 600; text-transform: uppercase; }}
QFrame#JobRow {{ background: {base}; border: 1px solid {border}; border-radius: 6px; }}
QToolTip {{ background: {panel}; color: {text}; border: 1px solid {border}; padding: 4px; }}
QScrollArea {{ border: none; background: transparent; }}
QFrame#MissingModelBanner {{ background: {base}; border: 1px solid {warn}; border-left: 4px solid {warn};
                            border-radius: 6px; }}
QFrame#MissingModelBanner QLabel {{ color: {text}; }}
QFrame#SectionDivider {{ color: {border}; margin: 6px 8px; }}
QLabel#JudgeNote {{ color: {warn}; font-size: 11px; }}
QLabel#DialogTitle {{ color: {text}; font-size: 17px; font-weight: 600; }}
QTableWidget {{ background: {base}; alternate-background-color: {panel}; color: {text};
               border: 1px solid {border}; border-radius: 6px; selection-background-color: {button}; }}
QTableWidget::item {{ padding: 0px 8px; border: none; }}
QHeaderView::section {{ background: {window}; color: {muted}; border: none; border-bottom: 1px solid {border};
                       padding: 6px 8px; font-weight: 600; }}
"""


def system_theme() -> str:
    """The desktop's colour scheme as one of :data:`THEMES` (dark when the platform does not say)."""
    hints = QGuiApplication.styleHints()
    return "light" if hints.colorScheme() == Qt.ColorScheme.Light else "dark"


def resolve_theme(choice: str) -> str:
    """The theme a choice shows: ``system`` asks the desktop, unknown names fall back to dark."""
    if choice == SYSTEM:
        return system_theme()
    return choice if choice in THEMES else "dark"


def apply_theme(app: QApplication, choice: str) -> None:
    """Switch the whole application to the chosen theme (``dark``, ``light`` or ``system``; unknown
    names fall back to dark). With ``system`` the app follows the desktop's later changes too."""
    name = resolve_theme(choice)
    app.setProperty(CHOICE_PROPERTY, choice if choice in CHOICES else "dark")
    _follow_system(app)
    colours = THEMES[name]
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.Base: "base",
        QPalette.ColorRole.AlternateBase: "panel",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.Button: "button",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.Highlight: "accent",
        QPalette.ColorRole.ToolTipBase: "panel",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.PlaceholderText: "muted",
    }
    for role, key in roles.items():
        palette.setColor(role, QColor(colours[key]))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    app.setStyle("Fusion")
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET.format(**colours))
    app.setProperty(THEME_PROPERTY, name)


def _follow_system(app: QApplication) -> None:
    """Connect once to the desktop's colour scheme changes; they re-apply ``system`` when it is chosen."""
    if app.property("faceswapFollowsSystem"):
        return
    app.setProperty("faceswapFollowsSystem", True)

    def changed(_scheme: Qt.ColorScheme) -> None:
        if app.property(CHOICE_PROPERTY) == SYSTEM:
            apply_theme(app, SYSTEM)

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)


def theme_choice() -> str:
    """The user's choice (``system`` included), as opposed to :func:`current_theme`, what it shows."""
    app = QApplication.instance()
    choice = app.property(CHOICE_PROPERTY) if app is not None else None
    return choice if isinstance(choice, str) and choice in CHOICES else current_theme()


def current_theme() -> str:
    app = QApplication.instance()
    name = app.property(THEME_PROPERTY) if app is not None else None
    return name if isinstance(name, str) and name in THEMES else "dark"


def palette_colour(widget: QWidget | None, key: str) -> QColor:
    """A named colour of the current theme, for custom-painted widgets."""
    return QColor(THEMES[current_theme()][key])
