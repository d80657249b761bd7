-- The balena supervisor v19.0.5 database schema, verbatim from
-- shared/reference/balena-database.md §1, with the seed rows of a fresh
-- database (§3.2). Used by the importer's unit tests and the switch-over e2e.
CREATE TABLE `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime);
CREATE TABLE `knex_migrations_lock` (`index` integer not null primary key autoincrement, `is_locked` integer);
CREATE TABLE `config` (`key` varchar(255), `value` varchar(255), primary key (`key`));
CREATE TABLE `app` (`id` integer not null primary key autoincrement, `name` varchar(255), `releaseId` integer, `commit` varchar(255), `appId` integer, `services` json, `networks` json, `volumes` json, `source` varchar(255), `uuid` varchar(255), `class` varchar(255) default 'fleet', `isHost` boolean default '0', `rejected` boolean default '0');
CREATE TABLE `deviceConfig` (`targetValues` json);
CREATE TABLE `logsChannelSecret` (`backend` varchar(255), `secret` varchar(255));
CREATE TABLE `engineSnapshot` (`snapshot` varchar(255), `timestamp` varchar(255));
CREATE TABLE `currentCommit` (`id` integer, `appId` integer not null, `commit` varchar(255) not null, primary key (`id`));
CREATE UNIQUE INDEX `currentcommit_appid_unique` on `currentCommit` (`appId`);
CREATE TABLE IF NOT EXISTS "apiSecret" (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `appId` integer, `key` varchar(255), `scopes` varchar(255), `serviceName` varchar(255));
CREATE UNIQUE INDEX `apisecret_appid_servicename_unique` on `apiSecret` (`appId`, `serviceName`);
CREATE UNIQUE INDEX `app_uuid_unique` on `app` (`uuid`);
CREATE TABLE IF NOT EXISTS "image" (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `name` varchar(255), `appId` integer, `serviceId` integer, `serviceName` varchar(255), `imageId` integer, `releaseId` integer, `dockerImageId` varchar(255), `appUuid` varchar(255), `commit` varchar(255));

INSERT INTO knex_migrations (name, batch, migration_time) VALUES
  ('20171129013519_legacy.js', 1, 1700000000000), ('20171129064057_multicontainer.js', 1, 1700000000000),
  ('20171214172530_image_docker_id.js', 1, 1700000000000), ('20180516164000-endpoint-specific-apps.js', 1, 1700000000000),
  ('20181907164000-endpoint-specific-logschannel.js', 1, 1700000000000), ('20190619152500-engine-snapshot.js', 1, 1700000000000),
  ('M00000.js', 1, 1700000000000), ('M00001.js', 1, 1700000000000), ('M00002.js', 1, 1700000000000),
  ('M00003.js', 1, 1700000000000), ('M00004.js', 1, 1700000000000), ('M00005.js', 1, 1700000000000),
  ('M00006.js', 1, 1700000000000), ('M00007.js', 1, 1700000000000), ('M00008.js', 1, 1700000000000),
  ('M00009.js', 1, 1700000000000), ('M00010.js', 1, 1700000000000), ('M00011.js', 1, 1700000000000),
  ('M00012.js', 1, 1700000000000);
INSERT INTO knex_migrations_lock (`index`, is_locked) VALUES (1, 0);
INSERT INTO config (key, value) VALUES ('localMode', 'false');
INSERT INTO deviceConfig (targetValues) VALUES ('{}');
INSERT INTO logsChannelSecret (backend, secret) VALUES ('', NULL);
