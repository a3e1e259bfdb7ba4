"""One module per exportable table; each declares ``EXPORTS: list[ExportSpec]`` (found automatically)."""
