-- Keys of the local API: one global key (app_id 0, service_name '') and one
-- per service with the supervisor-api feature. scopes is a JSON array as the
-- balena supervisor writes it: [{"type":"global"}] or [{"type":"app","appId":1}].
CREATE TABLE api_key (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL,
  service_name TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  UNIQUE (app_id, service_name),
  CHECK ((app_id = 0) = (service_name = ''))
);
