"""Replaces PyInstaller's base PySide6 hook (build.spec puts this folder first on the hook path).

Same as the stock hook, minus Qt's software OpenGL renderer and ANGLE (Windows: ``opengl32sw.dll``
alone is ~20 MB, plus ``libEGL``/``libGLESv2``/``d3dcompiler_*``). Only Qt Quick and OpenGL widgets use
them; this app's widgets paint with the raster engine. ICU DLLs, if a Qt build has them, stay.
On Linux and macOS the stock hook collects nothing extra, so this changes nothing there.
"""

from pathlib import Path

from PyInstaller.utils.hooks import check_requirement
from PyInstaller.utils.hooks.qt import ensure_single_qt_bindings_package, pyside6_library_info

OPENGL_ONLY = ("opengl32sw", "libegl", "libglesv2", "d3dcompiler")

ensure_single_qt_bindings_package("PySide6")

if pyside6_library_info.version is not None:
    hiddenimports = ["shiboken6", "inspect"]
    if check_requirement("PySide6 >= 6.4.0"):
        hiddenimports += ["PySide6.support.deprecated"]  # | and & on Qt enums
    binaries = [
        (src, dest)
        for src, dest in pyside6_library_info.collect_extra_binaries()
        if not Path(src).name.lower().startswith(OPENGL_ONLY)
    ]
