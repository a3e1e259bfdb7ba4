"""统计报表 (reports) dialog."""
