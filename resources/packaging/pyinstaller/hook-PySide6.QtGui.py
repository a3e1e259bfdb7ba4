"""Replaces PyInstaller's PySide6.QtGui hook (build.spec puts this folder first on the hook path).

Same collection, minus Qt plugins a desktop ledger never loads. Filtering here, before PyInstaller
resolves the plugins' own dependencies, also keeps out what only they need: the GTK platform theme alone
drags in GTK, Pango, Cairo and GdkPixbuf (~20 MB); Wayland, EGLFS, VNC and touch-input plugins their libraries.
X11 (xcb), the offscreen platform, image formats and SVG icons stay.
"""

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNUSED_PLUGINS = (
    "/platformthemes/libqgtk3",
    "/platforms/libqwayland",
    "/platforms/libqeglfs",
    "/platforms/libqlinuxfb",
    "/platforms/libqminimalegl",
    "/platforms/libqvnc",
    "/platforms/libqvkkhrdisplay",
    "/wayland-",
    "/egldeviceintegrations/",
    "/generic/",
    "/qmltooling/",
    "/networkinformation/",
    "/tls/",
    "/sqldrivers/",
)


def _wanted(entry: tuple[str, str]) -> bool:
    source = entry[0].replace("\\", "/")
    return not any(part in source for part in UNUSED_PLUGINS)


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [entry for entry in binaries if _wanted(entry)]
