-- The target state, image records, running commits and config values.
-- Apps are stored one row each, their services, networks and volumes as JSON
-- arrays in the plan-request form (docs/plan-request.md).

-- Device-level fields of the target. The row exists once a target was
-- stored: its absence means first boot (nothing to apply offline).
CREATE TABLE target_device (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL
);

-- Device configuration variables of the target (names without the
-- BALENA_/RESIN_ prefix).
CREATE TABLE target_config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE target_app (
  app_id INTEGER PRIMARY KEY,
  position INTEGER NOT NULL,  -- the app's place in the target, to read it back in order
  app_uuid TEXT NOT NULL,
  name TEXT NOT NULL,
  is_host INTEGER NOT NULL CHECK (is_host IN (0, 1)),
  is_rejected INTEGER NOT NULL CHECK (is_rejected IN (0, 1)),
  commit_hash TEXT,           -- NULL: the target names no release
  release_id INTEGER,
  services TEXT NOT NULL,     -- JSON array
  networks TEXT NOT NULL,     -- JSON array
  volumes TEXT NOT NULL       -- JSON array
);

-- Images the supervisor pulled or adopted. A record is keyed by every field
-- but docker_image_id, which is filled in once the engine has the image.
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

-- The release each app runs, written by the updateCommit step once the app
-- has settled.
CREATE TABLE current_commit (
  app_id INTEGER PRIMARY KEY,
  commit_hash TEXT NOT NULL
);

-- Config values held in the database rather than config.json
-- (targetStateSet, name, pinDevice, ...). Objects are stored as JSON text.
CREATE TABLE config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
