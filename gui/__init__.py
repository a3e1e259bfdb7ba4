"""PySide6 screens. Thin: every action calls ``services`` through ``gui.ops``."""
