-- A bounded buffer of log lines (the store drops the oldest beyond its
-- capacity). AUTOINCREMENT so that a sequence number is never reused: readers
-- resume after the last one they saw.
CREATE TABLE log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp_ms INTEGER NOT NULL,
  app_id INTEGER NOT NULL,
  service_name TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('system', 'stdout', 'stderr')),
  message TEXT NOT NULL
);
