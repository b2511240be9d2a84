-- The firewall manager each host's collector detected (latest only, like ftp_settings), and how each drop was
-- seen: 'nflog' (group) or 'trace' (ftpscope's observation table), with the verdict a trace names. NULL for
-- rows stored before this migration (they all came from NFLOG).
CREATE TABLE firewall_info (
  host       TEXT PRIMARY KEY REFERENCES hosts(name) ON DELETE CASCADE,
  updated_at INTEGER NOT NULL,
  info       TEXT NOT NULL                        -- JSON FirewallInfo
);
ALTER TABLE drops ADD COLUMN source TEXT;
ALTER TABLE drops ADD COLUMN verdict TEXT;
