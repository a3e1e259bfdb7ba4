"""GUI fixtures shared with tests/gui (the app, message boxes recorded instead of shown)."""

from tests.gui.conftest import app, boxes

__all__ = ["app", "boxes"]
