"""Printing: the booklet and PDF preview."""
