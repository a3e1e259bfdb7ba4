"""Excel in and out: import templates, roster/meeting import with a row-by-row preview, exports."""
