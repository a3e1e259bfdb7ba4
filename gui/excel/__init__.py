"""Excel import and export actions."""
