// The target state: stored whole, read back equal after a restart, written
// in one transaction, and not written at all when unchanged.
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/store/store.hpp"
#include "reconcile/json.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

namespace {

std::uintmax_t wal_size(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path.string() + "-wal", ec);
  return ec ? 0 : size;
}

// The sample target as a later release would change it.
Target changed_target() {
  Target target = sample_target();
  target.device_name = "gateway-8";
  target.device_config["SUPERVISOR_POLL_INTERVAL"] = "60000";
  target.device_config.erase("HOST_CONFIG_gpu_mem");
  for (auto& app : target.state.apps) {
    app.commit = "newer-" + app.commit.value_or("");
    for (auto& service : app.services) service.commit = *app.commit;
  }
  return target;
}

}  // namespace

TEST_CASE("a fresh store has no target: first boot") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  auto target = opened.store.target();
  REQUIRE(target);
  CHECK_FALSE(target.value().has_value());
}

TEST_CASE("the target reads back equal after the store is closed and reopened") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  const Target written = sample_target();
  {
    auto opened = open_store(path);
    auto stored = opened.store.set_target(written);
    REQUIRE(stored);
    CHECK(stored.value() == Change::Changed);
  }
  auto reopened = open_store(path);
  auto read = reopened.store.target();
  REQUIRE(read);
  REQUIRE(read.value().has_value());
  const Target& target = *read.value();
  CHECK(target.device_name == "gateway-7");
  CHECK(target.device_config == written.device_config);
  REQUIRE(target.state.apps.size() == 2);
  // App order, services with their compose configuration, networks and
  // volumes all survive.
  CHECK(target.state.apps[0].app_id == written.state.apps[0].app_id);
  CHECK(target.state.apps[1].services.at(0).config().composition ==
        written.state.apps[1].services.at(0).config().composition);
  CHECK(target.state == written.state);
  CHECK(target == written);
}

TEST_CASE("an empty target (no apps) is a stored target, not first boot") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  REQUIRE(opened.store.set_target(Target{}));
  auto read = opened.store.target();
  REQUIRE(read);
  REQUIRE(read.value().has_value());
  CHECK(read.value()->state.apps.empty());
}

TEST_CASE("setting the same target again writes nothing") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto opened = open_store(path);
  REQUIRE(opened.store.set_target(sample_target()));
  RawDb observer(path);
  const auto version = observer.data_version();
  const auto changes = opened.store.total_changes();
  const auto wal = wal_size(path);

  auto again = opened.store.set_target(sample_target());
  REQUIRE(again);
  CHECK(again.value() == Change::Unchanged);
  CHECK(opened.store.total_changes() == changes);
  CHECK(observer.data_version() == version);
  CHECK(wal_size(path) == wal);
}

TEST_CASE("a new target rewrites only the rows that differ and drops removed apps") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  Target target = sample_target();
  REQUIRE(opened.store.set_target(target));
  const auto before = opened.store.total_changes();

  target.state.apps[1].is_rejected = true;  // one app row differs
  auto stored = opened.store.set_target(target);
  REQUIRE(stored);
  CHECK(stored.value() == Change::Changed);
  CHECK(opened.store.total_changes() - before == 1);

  target.state.apps.erase(target.state.apps.begin());
  REQUIRE(opened.store.set_target(target));
  auto read = opened.store.target();
  REQUIRE(read);
  REQUIRE(read.value().has_value());
  CHECK(read.value()->state == target.state);
  CHECK(read.value()->state.apps.at(0).is_rejected);
}

TEST_CASE("a target write that fails half-way leaves the previous target whole") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto opened = open_store(path);
  const Target old_target = sample_target();
  REQUIRE(opened.store.set_target(old_target));

  // A real SQLite failure in the middle of the write: the device row, the
  // config and app 42 are written before app 1011165 fails.
  RawDb saboteur(path);
  saboteur.exec("CREATE TRIGGER fail_write BEFORE INSERT ON target_app WHEN NEW.app_id = 1011165 "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const Target new_target = changed_target();
  auto stored = opened.store.set_target(new_target);
  REQUIRE_FALSE(stored);
  CHECK(stored.error().operation == "set_target: write app 1011165");
  CHECK(stored.error().message.find("injected failure") != std::string::npos);
  CHECK(stored.error().describe().find("sqlite code") != std::string::npos);

  auto read = opened.store.target();
  REQUIRE(read);
  REQUIRE(read.value().has_value());
  CHECK(*read.value() == old_target);
  // And from the outside, too: nothing of the new target is in the file.
  CHECK(saboteur.integer("SELECT count(*) FROM target_device WHERE name = 'gateway-8'") == 0);
  CHECK(saboteur.integer("SELECT count(*) FROM target_app WHERE commit_hash LIKE 'newer-%'") == 0);

  // Once the fault is gone the same write goes through.
  saboteur.exec("DROP TRIGGER fail_write");
  auto retried = opened.store.set_target(new_target);
  REQUIRE(retried);
  auto reread = opened.store.target();
  REQUIRE(reread);
  REQUIRE(reread.value().has_value());
  CHECK(*reread.value() == new_target);
}

TEST_CASE("a target naming one app twice is refused without writing") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  Target target = sample_target();
  target.state.apps.push_back(target.state.apps.front());
  const auto changes = opened.store.total_changes();
  auto stored = opened.store.set_target(target);
  REQUIRE_FALSE(stored);
  CHECK(stored.error().message.find("appears twice") != std::string::npos);
  CHECK(opened.store.total_changes() == changes);
  auto read = opened.store.target();
  REQUIRE(read);
  CHECK_FALSE(read.value().has_value());
}

TEST_CASE("a stored app whose JSON was damaged is an error naming the app, not a crash") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto opened = open_store(path);
  REQUIRE(opened.store.set_target(sample_target()));
  RawDb db(path);
  db.exec("UPDATE target_app SET services = '{not json' WHERE app_id = 42");
  auto read = opened.store.target();
  REQUIRE_FALSE(read);
  CHECK(read.error().kind == ErrorKind::StoredData);
  CHECK(read.error().operation == "target: read app 42");
}

TEST_CASE("targets from the cloud (v3) and local-mode parsers read back equal") {
  // What the daemon stores comes from these parsers, not from plan requests:
  // services with running: false, labels, environment, contracts, an app
  // without a release.
  auto cloud = reconcile::parse_target_state_v3(nlohmann::json::parse(R"({"uuid1": {
    "name": "gateway-01", "config": {"RESIN_SUPERVISOR_POLL_INTERVAL": "900000"},
    "apps": {
      "d149c5d1551b4286a930d57284a02511": {"id": 1011165, "name": "fleet", "class": "fleet", "is_host": false,
        "releases": {"217d5523": {"id": 557617, "services": {
          "api": {"id": 29396, "image_id": 959262, "image": "registry2.example/api@sha256:1df4",
                  "running": false, "environment": {"LOG_LEVEL": "info"},
                  "labels": {"io.balena.update.strategy": "hand-over"},
                  "composition": {"restart": "always", "ports": ["80:8080"], "volumes": ["data:/data"],
                                  "networks": ["default"]},
                  "contract": {"type": "sw.container"}}},
          "volumes": {"data": {}}, "networks": {"default": {}}}}},
      "52e35121417640b1b28a680504e4039b": {"id": 1667442, "name": "empty", "class": "app", "releases": {}}}}})"),
                                                  "uuid1");
  REQUIRE(cloud.ok());
  auto local = reconcile::parse_local_target_state(nlohmann::json::parse(R"({"local": {"name": "Home",
    "apps": {"1": {"name": "localapp", "commit": "localcommit", "releaseId": "1", "services": {
      "1": {"serviceName": "one", "serviceId": 1, "imageId": 1, "image": "local_image_one:latest",
            "environment": {}, "labels": {}, "running": true, "ports": ["80:80"]},
      "2": {"serviceName": "two", "serviceId": 2, "imageId": 2, "image": "local_image_two:latest",
            "environment": {"A": "1"}, "labels": {}, "network_mode": "service:one"}},
      "volumes": {"data": {}}, "networks": {"backend": {"driver": "bridge"}}}}}})"));
  REQUIRE(local.ok());

  for (const Target& target : {Target{cloud.value().name, cloud.value().config, cloud.value().target},
                               Target{"Home", local.value().config, local.value().target}}) {
    TempDir dir;
    const auto path = dir.file("db.sqlite");
    { REQUIRE(open_store(path).store.set_target(target)); }
    auto reopened = open_store(path);
    auto read = reopened.store.target();
    REQUIRE(read);
    REQUIRE(read.value().has_value());
    CHECK(*read.value() == target);
    auto again = reopened.store.set_target(target);
    REQUIRE(again);
    CHECK(again.value() == Change::Unchanged);
  }
}
