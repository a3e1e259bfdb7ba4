"""数据同步 and trust: sync packages, keys, backups."""
