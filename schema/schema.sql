-- The supervisor's database after every migration in schema/migrations/, in
-- one file to read. The migrations are what the store runs;
-- tests/store/migrations_test.cpp checks that replaying them gives exactly
-- this schema. A new migration NNNN_<name>.sql changes this file too.

-- Applied migrations, one row each (written by the store, not a migration).
CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL  -- seconds since the Unix epoch
);

-- 0001_core -------------------------------------------------------------

-- Device-level fields of the target; no row: no target stored yet.
CREATE TABLE target_device (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL
);

-- Device configuration variables of the target (without BALENA_/RESIN_).
CREATE TABLE target_config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per target app; services, networks and volumes are JSON arrays in
-- the plan-request form.
CREATE TABLE target_app (
  app_id INTEGER PRIMARY KEY,
  position INTEGER NOT NULL,
  app_uuid TEXT NOT NULL,
  name TEXT NOT NULL,
  is_host INTEGER NOT NULL CHECK (is_host IN (0, 1)),
  is_rejected INTEGER NOT NULL CHECK (is_rejected IN (0, 1)),
  commit_hash TEXT,
  release_id INTEGER,
  services TEXT NOT NULL,
  networks TEXT NOT NULL,
  volumes TEXT NOT NULL
);

-- Images the supervisor owns, keyed by every field but docker_image_id.
CREATE TABLE image (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  app_id INTEGER NOT NULL,
  app_uuid TEXT NOT NULL,
  service_name TEXT NOT NULL,
  service_id INTEGER NOT NULL,
  image_id INTEGER NOT NULL,
  release_id INTEGER NOT NULL,
  commit_hash TEXT NOT NULL,
  docker_image_id TEXT,
  UNIQUE (name, app_id, app_uuid, service_name, service_id, image_id, release_id, commit_hash)
);

-- The release each app runs (updateCommit).
CREATE TABLE current_commit (
  app_id INTEGER PRIMARY KEY,
  commit_hash TEXT NOT NULL
);

-- Config values held in the database.
CREATE TABLE config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- 0002_api_keys ---------------------------------------------------------

CREATE TABLE api_key (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL,
  service_name TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  UNIQUE (app_id, service_name),
  CHECK ((app_id = 0) = (service_name = ''))
);

-- 0003_log_buffer -------------------------------------------------------

CREATE TABLE log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp_ms INTEGER NOT NULL,
  app_id INTEGER NOT NULL,
  service_name TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('system', 'stdout', 'stderr')),
  message TEXT NOT NULL,
  -- 0004_log_stream: added columns
  service_id INTEGER NOT NULL DEFAULT 0,
  container_id TEXT NOT NULL DEFAULT '',
  engine_time_ns INTEGER NOT NULL DEFAULT 0
);

-- 0004_log_stream -------------------------------------------------------

CREATE TABLE log_cursor (
  container_id TEXT PRIMARY KEY,
  engine_time_ns INTEGER NOT NULL
);
