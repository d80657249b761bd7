// The balena supervisor's database read once at a switch-over: files built
// from the reference's schema (tests/store/balena/*.sql) with realistic
// rows, v19 and older shapes, and the damaged, missing and newer files that
// must import nothing.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/store/balena_import.hpp"
#include "engine/store/store.hpp"
#include "reconcile/json.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;
namespace fs = std::filesystem;

namespace {

const std::string kAppUuid = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const std::string kCommit = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const std::string kEndpoint = "https://api.balena-cloud.com";
const std::string kServiceKey = "5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5";
const std::string kGlobalKey = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";

fs::path fixture(const std::string& name) { return fs::path(BALENA_FIXTURES_DIR) / name; }

std::string services_json() {
  nlohmann::json common = {{"appId", 1234567}, {"appUuid", kAppUuid}, {"releaseId", 2345678}, {"commit", kCommit}};
  auto service = [&](const std::string& name, int id, nlohmann::json fields) {
    nlohmann::json out = common;
    out["serviceName"] = name;
    out["serviceId"] = id;
    out["imageId"] = id + 1000;
    for (const auto& [key, value] : fields.items()) out[key] = value;
    return out;
  };
  return nlohmann::json::array(
             {service("api", 11,
                      {{"image", "registry2.balena-cloud.com/v2/aaa@sha256:" + std::string(64, 'a')},
                       {"environment", {{"PORT", "8080"}}},
                       {"labels", {{"io.balena.features.supervisor-api", "1"}}},
                       {"running", true},
                       {"composition", {{"volumes", {"data:/data"}}, {"networks", {"backend"}}, {"restart", "always"}}}}),
              service("worker", 12,
                      {{"image", "registry2.balena-cloud.com/v2/bbb@sha256:" + std::string(64, 'b')},
                       {"environment", nlohmann::json::object()},
                       {"labels", nlohmann::json::object()},
                       {"running", true},
                       {"composition", {{"networks", {"backend"}}, {"command", "sleep infinity"}}}}),
              service("cache", 13,
                      {{"image", "registry2.balena-cloud.com/v2/ccc@sha256:" + std::string(64, 'c')},
                       {"environment", nlohmann::json::object()},
                       {"labels", nlohmann::json::object()},
                       {"running", false},
                       {"composition", nlohmann::json::object()}})})
      .dump();
}

std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A v19 database of a managed device: one fleet app with three services,
// a volume and a network, settled on its release.
void write_v19(const fs::path& path) {
  RawDb db(path);
  db.exec(read_file(fixture("schema_v19.sql")));
  db.exec("INSERT INTO app (name, releaseId, `commit`, appId, services, networks, volumes, source, uuid, class, isHost, rejected) "
          "VALUES ('fleet-one', 2345678, " + quote(kCommit) + ", 1234567, " + quote(services_json()) +
          ", '{\"backend\":{}}', '{\"data\":{}}', " + quote(kEndpoint) + ", " + quote(kAppUuid) + ", 'fleet', 0, 0)");
  db.exec("INSERT INTO app (name, releaseId, `commit`, appId, services, networks, volumes, source, uuid, class, isHost, rejected) "
          "VALUES ('old-endpoint-app', 1, 'c0ffee', 99, '[]', '{}', '{}', 'https://api.old.example', "
          "'ffffffffffffffffffffffffffffffff', 'fleet', 0, 0)");
  db.exec("UPDATE config SET value = 'false' WHERE key = 'localMode'");
  db.exec("INSERT INTO config (key, value) VALUES ('name', 'gateway-7'), ('targetStateSet', 'true'), "
          "('initialConfigSaved', 'true'), ('initialConfigReported', " + quote(kEndpoint) + "), "
          "('delta', 'true'), ('deltaVersion', '3'), ('lockOverride', 'false'), "
          "('pinDevice', '{\"commit\":\"" + kCommit + "\",\"app\":1234567}')");
  db.exec("UPDATE deviceConfig SET targetValues = '{\"SUPERVISOR_DELTA\":\"1\",\"HOST_CONFIG_gpu_mem\":\"16\"}'");
  db.exec("INSERT INTO currentCommit (appId, `commit`) VALUES (1234567, " + quote(kCommit) + ")");
  db.exec("INSERT INTO apiSecret (appId, key, scopes, serviceName) VALUES "
          "(0, " + quote(kGlobalKey) + ", '[{\"type\":\"global\"}]', NULL), "
          "(1234567, " + quote(kServiceKey) + ", '[{\"type\":\"app\",\"appId\":1234567}]', 'api')");
  for (const auto& [name, id, letter] : {std::tuple{"api", 11, 'a'}, {"worker", 12, 'b'}, {"cache", 13, 'c'}}) {
    const std::string repo = std::string("registry2.balena-cloud.com/v2/") + std::string(3, letter);
    db.exec(fmt::format("INSERT INTO image (name, appId, serviceId, serviceName, imageId, releaseId, dockerImageId, "
                        "appUuid, `commit`) VALUES ('{}@sha256:{}', 1234567, {}, '{}', {}, 2345678, 'sha256:{}', '{}', '{}')",
                        repo, std::string(64, letter), id, name, id + 1000, std::string(64, letter), kAppUuid, kCommit));
  }
}

BalenaImport read_ok(const fs::path& path, const std::string& endpoint = kEndpoint) {
  auto read = read_balena_database(path, BalenaImportOptions{endpoint});
  if (!read) FAIL(read.error().describe());
  return std::move(read).value();
}

std::string file_bytes(const fs::path& path) { return read_file(path); }

const reconcile::Service& service_named(const reconcile::App& app, const std::string& name) {
  for (const auto& service : app.services) {
    if (service.service_name == name) return service;
  }
  FAIL("no service " << name);
  return app.services.front();
}

}  // namespace

TEST_CASE("balena v19: the target, images, commit, keys and config values are read") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  write_v19(path);
  const BalenaImport read = read_ok(path);

  REQUIRE(read.state.target);
  const Target& target = *read.state.target;
  CHECK(target.device_name == "gateway-7");
  CHECK(target.device_config == std::map<std::string, std::string>{{"SUPERVISOR_DELTA", "1"},
                                                                   {"HOST_CONFIG_gpu_mem", "16"}});
  // The app of another endpoint is not the target (getTargetApps).
  REQUIRE(target.state.apps.size() == 1);
  const reconcile::App& app = target.state.apps.front();
  CHECK(app.app_id == 1234567);
  CHECK(app.app_uuid == kAppUuid);
  CHECK(app.name == "fleet-one");
  CHECK(app.commit == std::optional<std::string>(kCommit));
  CHECK(app.release_id == std::optional<std::int64_t>(2345678));
  REQUIRE(app.services.size() == 3);
  const auto& api = service_named(app, "api");
  CHECK(api.service_id == 11);
  CHECK(api.image_id == 1011);
  CHECK(api.release_id == 2345678);
  CHECK(api.commit == kCommit);
  CHECK(api.image == "registry2.balena-cloud.com/v2/aaa@sha256:" + std::string(64, 'a'));
  const auto composition = nlohmann::json::parse(api.config().composition);
  CHECK(composition["environment"] == nlohmann::json{{"PORT", "8080"}});
  CHECK(composition["labels"] == nlohmann::json{{"io.balena.features.supervisor-api", "1"}});
  CHECK(composition["volumes"] == nlohmann::json{"data:/data"});
  CHECK_FALSE(service_named(app, "cache").running);
  REQUIRE(app.volumes.size() == 1);
  CHECK(app.volumes.front().name == "data");
  CHECK(std::any_of(app.networks.begin(), app.networks.end(), [](const auto& n) { return n.name == "backend"; }));
  // The same target the cloud would send reads the same through the cloud's parser.
  CHECK(std::any_of(read.notes.begin(), read.notes.end(),
                    [](const std::string& note) { return note.find("app 99") != std::string::npos; }));

  REQUIRE(read.state.images.size() == 3);
  CHECK(read.state.images.front().docker_image_id == std::optional<std::string>("sha256:" + std::string(64, 'a')));
  CHECK(read.state.images.front().app_uuid == kAppUuid);
  CHECK(read.state.commits == std::map<reconcile::AppId, std::string>{{1234567, kCommit}});
  REQUIRE(read.state.api_keys.size() == 2);
  CHECK(read.state.api_keys[0] == ApiKey{ApiKeyOwner::global(), kGlobalKey, {{ScopeType::Global, 0}}});
  CHECK(read.state.api_keys[1] ==
        ApiKey{ApiKeyOwner::service(1234567, "api"), kServiceKey, {{ScopeType::App, 1234567}}});
  CHECK(read.state.config.at("SUPERVISOR_DELTA") == "true");
  CHECK(read.state.config.at("SUPERVISOR_DELTA_VERSION") == "3");
  CHECK(read.state.config.at("SUPERVISOR_LOCAL_MODE") == "false");
  CHECK(read.state.config.at("SUPERVISOR_OVERRIDE_LOCK") == "false");
  CHECK(read.state.config.at("pinDevice") == "{\"commit\":\"" + kCommit + "\",\"app\":1234567}");
  CHECK(read.state.config.at("initialConfigReported") == kEndpoint);
  CHECK(read.state.config.at("apiKey") == kGlobalKey);
  CHECK(read.migrations.size() == 19);
}

TEST_CASE("balena v19: the file is read without being changed and without files beside it") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  write_v19(path);
  const std::string before = file_bytes(path);
  const auto mtime = fs::last_write_time(path);
  (void)read_ok(path);
  CHECK(file_bytes(path) == before);
  CHECK(fs::last_write_time(path) == mtime);
  for (const char* suffix : {"-journal", "-wal", "-shm"}) CHECK_FALSE(fs::exists(path.string() + suffix));
}

TEST_CASE("balena import: written to the store in one transaction and read back the same") {
  TempDir dir;
  const auto balena = dir.file("database.sqlite");
  write_v19(balena);
  const BalenaImport read = read_ok(balena);
  {
    auto opened = open_store(dir.file("store.sqlite"));
    auto imported = opened.store.import_state(read.state);
    REQUIRE(imported);
    CHECK(imported.value() == Change::Changed);
  }
  auto opened = open_store(dir.file("store.sqlite"));
  auto target = opened.store.target();
  REQUIRE(target);
  REQUIRE(target.value());
  CHECK(*target.value() == *read.state.target);
  auto key = opened.store.api_key(ApiKeyOwner::service(1234567, "api"));
  REQUIRE(key);
  REQUIRE(key.value());
  CHECK(key.value()->key == kServiceKey);
  auto found = opened.store.find_api_key(kGlobalKey);
  REQUIRE(found);
  CHECK(found.value().has_value());
  auto images = opened.store.images();
  REQUIRE(images);
  CHECK(images.value() == read.state.images);
  auto commit = opened.store.commit(1234567);
  REQUIRE(commit);
  CHECK(commit.value() == std::optional<std::string>(kCommit));
  auto pin = opened.store.config("pinDevice");
  REQUIRE(pin);
  CHECK(pin.value() == read.state.config.at("pinDevice"));
}

TEST_CASE("balena import: a write that fails half-way leaves the store as it was") {
  TempDir dir;
  const auto balena = dir.file("database.sqlite");
  write_v19(balena);
  BalenaImport read = read_ok(balena);
  auto opened = open_store(dir.file("store.sqlite"));
  // Another owner already holds the service key's secret: the key write
  // fails (UNIQUE) after the target, images and config were written.
  REQUIRE(opened.store.set_api_key(ApiKey{ApiKeyOwner::service(5, "other"), kServiceKey, {{ScopeType::App, 5}}}));
  auto imported = opened.store.import_state(read.state);
  REQUIRE_FALSE(imported);
  auto target = opened.store.target();
  REQUIRE(target);
  CHECK_FALSE(target.value().has_value());
  auto images = opened.store.images();
  REQUIRE(images);
  CHECK(images.value().empty());
  auto config = opened.store.config("pinDevice");
  REQUIRE(config);
  CHECK_FALSE(config.value().has_value());
}

TEST_CASE("balena v19 in local mode: the local rows are the target, whatever the endpoint") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  write_v19(path);
  {
    RawDb db(path);
    db.exec("UPDATE config SET value = 'true' WHERE key = 'localMode'");
    db.exec("INSERT INTO app (name, releaseId, `commit`, appId, services, networks, volumes, source, uuid) VALUES "
            "('localapp', 1, 'deadbeef', 42, '[]', '{}', '{}', 'local', '42')");
  }
  const BalenaImport read = read_ok(path);
  REQUIRE(read.state.target);
  REQUIRE(read.state.target->state.apps.size() == 1);
  CHECK(read.state.target->state.apps.front().app_uuid == "42");
  CHECK(read.state.config.at("SUPERVISOR_LOCAL_MODE") == "true");
}

TEST_CASE("balena v19 without targetStateSet: no target, the rest is imported") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  write_v19(path);
  { RawDb(path).exec("DELETE FROM config WHERE key = 'targetStateSet'"); }
  const BalenaImport read = read_ok(path);
  CHECK_FALSE(read.state.target);
  CHECK(read.state.api_keys.size() == 2);
  CHECK(std::any_of(read.notes.begin(), read.notes.end(),
                    [](const std::string& note) { return note.find("targetStateSet") != std::string::npos; }));
}

TEST_CASE("balena v19: the supervisor's own service and a host app's root services are not the target") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  write_v19(path);
  {
    RawDb db(path);
    db.exec("INSERT INTO app (name, releaseId, `commit`, appId, services, networks, volumes, source, uuid, class) "
            "VALUES ('amd64-supervisor', 7, 'abc1', 1667442, '[{\"serviceName\":\"balena-supervisor\",\"serviceId\":1,"
            "\"imageId\":2,\"image\":\"balena/amd64-supervisor:v19\"},{\"serviceName\":\"core-next\",\"serviceId\":3,"
            "\"imageId\":4,\"image\":\"balena/core-next\"}]', '{}', '{}', " + quote(kEndpoint) +
            ", '52e35121417640b1b28a680504e4039b', 'app')");
    db.exec("INSERT INTO app (name, releaseId, `commit`, appId, services, networks, volumes, source, uuid, class, isHost) "
            "VALUES ('hostapp', 8, 'abc2', 555, '[{\"serviceName\":\"hostapp\",\"serviceId\":5,\"imageId\":6,"
            "\"image\":\"balena/os\",\"labels\":{\"io.balena.image.store\":\"root\"}},{\"serviceName\":\"ext\","
            "\"serviceId\":7,\"imageId\":8,\"image\":\"balena/ext\",\"labels\":{}}]', '{}', '{}', " + quote(kEndpoint) +
            ", 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'app', 1)");
  }
  const BalenaImport read = read_ok(path);
  REQUIRE(read.state.target);
  std::map<std::string, std::vector<std::string>> services;
  for (const auto& app : read.state.target->state.apps) {
    for (const auto& service : app.services) services[app.app_uuid].push_back(service.service_name);
  }
  CHECK(services["52e35121417640b1b28a680504e4039b"] == std::vector<std::string>{"core-next"});
  CHECK(services["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"] == std::vector<std::string>{"ext"});
}

TEST_CASE("balena v12 (v2 service shape): columns read by name, the flattened options are the composition") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  {
    RawDb db(path);
    db.exec(read_file(fixture("schema_v12.sql")));
    // Column order differs from v19's: knex rebuilt the table another way.
    const std::string services = R"([{"serviceName":"main","serviceId":3,"imageId":4,"appId":77,"releaseId":5,)"
                                 R"("commit":"feed","image":"registry2.balena-cloud.com/v2/ddd:latest",)"
                                 R"("environment":{"A":"1"},"labels":{"io.balena.features.supervisor-api":"1"},)"
                                 R"("running":true,"privileged":true,"networkMode":"host","restart":"always"}])";
    db.exec("INSERT INTO app (appId, name, `commit`, releaseId, services, networks, volumes, source) VALUES "
            "(77, 'older', 'feed', 5, " + quote(services) + ", '{}', '{}', " + quote(kEndpoint) + ")");
    db.exec("INSERT INTO config (key, value) VALUES ('targetStateSet', 'true'), ('name', 'old-device')");
    db.exec("INSERT INTO currentCommit (appId, `commit`) VALUES (77, 'feed')");
    db.exec("INSERT INTO apiSecret (appId, key, scopes, serviceName) VALUES (0, 'g1', '[{\"type\":\"global\"}]', NULL), "
            "(77, 's1', '[{\"type\":\"app\",\"appId\":77}]', 'main')");
    db.exec("INSERT INTO image (name, appId, serviceId, serviceName, imageId, releaseId, dependent, dockerImageId) "
            "VALUES ('registry2.balena-cloud.com/v2/ddd:latest', 77, 3, 'main', 4, 5, 0, 'sha256:dd')");
  }
  const BalenaImport read = read_ok(path);
  REQUIRE(read.state.target);
  REQUIRE(read.state.target->state.apps.size() == 1);
  const auto& app = read.state.target->state.apps.front();
  CHECK(app.app_uuid == "77");
  REQUIRE(app.services.size() == 1);
  const auto composition = nlohmann::json::parse(app.services.front().config().composition);
  CHECK(composition["network_mode"] == "host");
  CHECK(composition["privileged"] == true);
  CHECK(composition["environment"] == nlohmann::json{{"A", "1"}});
  REQUIRE(read.state.images.size() == 1);
  CHECK(read.state.images.front().app_uuid == "77");
  CHECK(read.state.images.front().commit == "feed");
  CHECK(read.state.commits.at(77) == "feed");
  REQUIRE(read.state.api_keys.size() == 2);
  CHECK(read.state.api_keys[1].owner == ApiKeyOwner::service(77, "main"));
}

TEST_CASE("balena v11: keys by service id, the global key and commit from older places") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  {
    RawDb db(path);
    db.exec(read_file(fixture("schema_v11.sql")));
    const std::string services = R"([{"serviceName":"main","serviceId":3,"imageId":4,"appId":77,"releaseId":5,)"
                                 R"("commit":"feed","image":"ddd:latest","running":true}])";
    db.exec("INSERT INTO app (appId, name, `commit`, releaseId, services, networks, volumes, source) VALUES "
            "(77, 'older', 'feed', 5, " + quote(services) + ", '{}', '{}', " + quote(kEndpoint) + ")");
    db.exec("INSERT INTO config (key, value) VALUES ('targetStateSet', 'true'), ('currentCommit', 'feed')");
    db.exec("INSERT INTO apiSecret (appId, serviceId, key, scopes) VALUES (0, 0, 'g1', '[{\"type\":\"global\"}]'), "
            "(77, 3, 's1', '[{\"type\":\"app\",\"appId\":77}]')");
  }
  const BalenaImport read = read_ok(path);
  CHECK(read.state.commits.at(77) == "feed");
  REQUIRE(read.state.api_keys.size() == 2);
  CHECK(read.state.api_keys[0].owner.is_global());
  CHECK(read.state.api_keys[1].owner == ApiKeyOwner::service(77, "main"));
  REQUIRE(read.state.target);
  CHECK(read.state.target->device_config == std::map<std::string, std::string>{{"SUPERVISOR_DELTA", "1"}});
}

TEST_CASE("balena v10 (before apiSecret): the global key is the config value apiSecret") {
  TempDir dir;
  const auto path = dir.file("database.sqlite");
  {
    RawDb db(path);
    db.exec(read_file(fixture("schema_v11.sql")));
    // What v11.14.4 (M00005) added is not there yet.
    db.exec("DROP TABLE apiSecret; DELETE FROM knex_migrations WHERE name = 'M00005.js'");
    db.exec("INSERT INTO app (appId, name, `commit`, releaseId, services, networks, volumes, source) VALUES "
            "(77, 'older', 'feed', 5, '[]', '{}', '{}', " + quote(kEndpoint) + ")");
    db.exec("INSERT INTO config (key, value) VALUES ('targetStateSet', 'true'), ('apiSecret', 'old-global'), "
            "('currentCommit', 'feed')");
  }
  const BalenaImport read = read_ok(path);
  REQUIRE(read.state.api_keys.size() == 1);
  CHECK(read.state.api_keys.front() == ApiKey{ApiKeyOwner::global(), "old-global", {{ScopeType::Global, 0}}});
  CHECK(read.state.config.at("apiKey") == "old-global");
  CHECK(read.state.commits.at(77) == "feed");
  CHECK(read.migrations.size() == 11);
}

TEST_CASE("balena import refuses a missing, damaged, newer or pre-v7 file") {
  TempDir dir;
  SECTION("missing") {
    auto read = read_balena_database(dir.file("nothing.sqlite"), {});
    REQUIRE_FALSE(read);
    CHECK(read.error().kind == BalenaErrorKind::Missing);
  }
  SECTION("not a database") {
    std::ofstream(dir.file("database.sqlite")) << "this is not an SQLite file, just text of some length........";
    auto read = read_balena_database(dir.file("database.sqlite"), {});
    REQUIRE_FALSE(read);
    CHECK(read.error().kind == BalenaErrorKind::Unreadable);
  }
  SECTION("damaged pages") {
    const auto path = dir.file("database.sqlite");
    write_v19(path);
    {
      // Overwrite the second half of the file (the table pages) with junk.
      std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
      const auto size = fs::file_size(path);
      file.seekp(static_cast<std::streamoff>(size / 2));
      const std::string junk(size - size / 2, '\x5a');
      file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    auto read = read_balena_database(path, {kEndpoint});
    REQUIRE_FALSE(read);
    CHECK(read.error().kind == BalenaErrorKind::Unreadable);
  }
  SECTION("an interrupted write (hot journal)") {
    const auto live = dir.file("live.sqlite");
    write_v19(live);
    const auto path = dir.file("database.sqlite");
    {
      // A write caught half-way: the file and its journal copied while the
      // transaction holds changed pages on disk, as a power cut leaves them.
      RawDb db(live);
      db.exec("PRAGMA cache_size = 1; BEGIN; UPDATE app SET name = name || 'x'; "
              "INSERT INTO image (name) SELECT name FROM image; INSERT INTO image (name) SELECT name FROM image; "
              "UPDATE image SET name = name || hex(randomblob(200))");
      fs::copy_file(live, path);
      fs::copy_file(live.string() + "-journal", path.string() + "-journal");
      db.exec("ROLLBACK");
    }
    auto read = read_balena_database(path, {kEndpoint});
    REQUIRE_FALSE(read);
    CHECK(read.error().kind == BalenaErrorKind::Unreadable);
    CHECK(read.error().message.find("interrupted") != std::string::npos);
    CHECK(fs::exists(path.string() + "-journal"));  // left for the balena supervisor to roll back
  }
  SECTION("newer") {
    const auto path = dir.file("database.sqlite");
    write_v19(path);
    { RawDb(path).exec("INSERT INTO knex_migrations (name, batch) VALUES ('M00013.js', 2)"); }
    auto read = read_balena_database(path, {kEndpoint});
    REQUIRE_FALSE(read);
    CHECK(read.error().kind == BalenaErrorKind::Newer);
    CHECK(read.error().describe().find("M00013") != std::string::npos);
  }
  SECTION("pre-v7") {
    const auto path = dir.file("database.sqlite");
    RawDb(path).exec("CREATE TABLE app (id integer primary key, name text, containerName text, `commit` text, "
                     "imageId text, appId text, env text, config text)");
    auto read = read_balena_database(path, {});
    REQUIRE_FALSE(read);
    CHECK(read.error().kind == BalenaErrorKind::Unsupported);
  }
  SECTION("a services column that is not JSON") {
    const auto path = dir.file("database.sqlite");
    write_v19(path);
    { RawDb(path).exec("UPDATE app SET services = '[{broken' WHERE appId = 1234567"); }
    auto read = read_balena_database(path, {kEndpoint});
    REQUIRE_FALSE(read);
    CHECK(read.error().kind == BalenaErrorKind::BadData);
  }
}
