"""Township reports computed from the records (no Qt): 政治生日 lists, 一月一分析.

Each report is a plain data object (``rows`` of dicts, JSON-safe) built in one read-only session;
``services/reports/output.py`` writes any of them to xlsx (through services/excel's verified atomic
writer) or PDF (with services/printing's fonts and layout).
"""
