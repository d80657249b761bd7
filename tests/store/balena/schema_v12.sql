-- A balena supervisor v12.10 database: target-state v2 app rows (no uuid,
-- class, isHost, rejected columns; no appUuid, commit on image rows),
-- apiSecret by serviceName, the currentCommit table (balena-database.md
-- §3.3, §3.4: the shape by version).
CREATE TABLE `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime);
CREATE TABLE `config` (`key` varchar(255), `value` varchar(255), primary key (`key`));
CREATE TABLE `app` (`id` integer not null primary key autoincrement, `name` varchar(255), `releaseId` integer, `commit` varchar(255), `appId` integer, `services` json, `networks` json, `volumes` json, `source` varchar(255));
CREATE TABLE `deviceConfig` (`targetValues` json);
CREATE TABLE `currentCommit` (`id` integer, `appId` integer not null, `commit` varchar(255) not null, primary key (`id`));
CREATE TABLE IF NOT EXISTS "apiSecret" (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `appId` integer, `key` varchar(255), `scopes` varchar(255), `serviceName` varchar(255));
CREATE TABLE `image` (`id` integer not null primary key autoincrement, `name` varchar(255), `appId` integer, `serviceId` integer, `serviceName` varchar(255), `imageId` integer, `releaseId` integer, `dependent` integer, `dockerImageId` varchar(255));
INSERT INTO knex_migrations (name, batch, migration_time) VALUES
  ('20171129013519_legacy.js', 1, 1), ('20171129064057_multicontainer.js', 1, 1),
  ('20171214172530_image_docker_id.js', 1, 1), ('20180516164000-endpoint-specific-apps.js', 1, 1),
  ('20181907164000-endpoint-specific-logschannel.js', 1, 1), ('M00000.js', 1, 1), ('M00001.js', 1, 1),
  ('M00002.js', 1, 1), ('M00003.js', 1, 1), ('M00004.js', 1, 1), ('20190619152500-engine-snapshot.js', 2, 2),
  ('M00005.js', 3, 3), ('M00006.js', 3, 3), ('M00007.js', 4, 4);
INSERT INTO deviceConfig (targetValues) VALUES ('{}');
