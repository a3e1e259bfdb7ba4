"""The county desk (县级接收): county database and mode, receiving a folder of packages, 待补, conflict
merges and the return channel (notices and handbook pack updates inside acknowledgements).

Public entry points (no Qt; the county screens in ``gui/county/`` call these):
``mode.is_county``, ``mode.init_county``, ``receive.receive_folder``, ``pending.pending_by_township``,
``services.sync.conflicts.merge``, ``outbox.publish_pack``, ``outbox.publish_notice``.
"""
