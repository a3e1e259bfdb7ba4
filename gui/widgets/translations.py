"""Qt's own texts in Chinese: standard buttons (确定/取消), file and colour dialogs, context menus.

The app's words are Chinese in the source already; only Qt's built-in strings need ``qtbase_zh_CN.qm``,
which ships with PySide6 and is the one Qt translation build.spec keeps in the bundle.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

_INSTALLED = "ledger_qt_translations"


def install_qt_translations(app: QCoreApplication, locale: QLocale | None = None) -> bool:
    """Load Qt's base translation for ``locale`` (default: the default locale) once per application."""
    if app.property(_INSTALLED):
        return True
    translator = QTranslator(app)  # parented to the app, so it lives as long as the app
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(locale or QLocale(), "qtbase", "_", folder):
        return False
    app.installTranslator(translator)
    app.setProperty(_INSTALLED, True)
    return True


def qt_ok_text() -> str:
    """What Qt's standard OK button says right now (确定 when the translation is in force)."""
    return QCoreApplication.translate("QPlatformTheme", "OK")
