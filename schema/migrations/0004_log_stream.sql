-- The cloud log stream (docs/logs.md). Lines spilled to the log table keep
-- what the stream sends and what a restart resumes from: the service id, the
-- container and the engine's time of the line (0 and '' for system lines).
ALTER TABLE log ADD COLUMN service_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE log ADD COLUMN container_id TEXT NOT NULL DEFAULT '';
ALTER TABLE log ADD COLUMN engine_time_ns INTEGER NOT NULL DEFAULT 0;

-- Per container, the engine's time of its last line the cloud took: after a
-- restart the container's output is read on from there, once.
CREATE TABLE log_cursor (
  container_id TEXT PRIMARY KEY,
  engine_time_ns INTEGER NOT NULL
);
