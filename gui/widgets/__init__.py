"""Shared widget helpers: form fields and save logic, window fitting, file pickers, translations."""
