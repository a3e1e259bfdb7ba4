"""Printed archives: bound yearly branch booklets and meeting-record forms as PDF (reportlab).

``booklet.build_branch_booklet`` / ``booklet.build_meeting_form`` make the bytes,
``output.write_pdf`` writes them atomically and verifies them. Ledger sections are a registry
(``sections.register_section``) so later ledgers add themselves without touching the booklet.
"""
