"""数据同步: making and receiving sync packages."""
