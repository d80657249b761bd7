// The host and cloud actions of the daemon's LocalApi (the DeviceApi the
// server calls): host config under every app's update locks, tags stored,
// the volume cleanup by scope, the LED. Files live in a directory of the
// test; the engine is a fake reader.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "engine/cloud/provision.hpp"
#include "local_api.hpp"
#include "temp_dir.hpp"

namespace {

using supervisor::testing::TempDir;

class OneAppReader : public engine::StateReader {
 public:
  bool engine_down = false;
  engine::Status read(engine::Snapshot& out) override {
    if (engine_down) return engine::Status::failure(engine::ErrorKind::Unavailable, "cannot reach the engine");
    out = {};
    reconcile::App app;
    app.app_id = 1;
    reconcile::Service service;
    service.app_id = 1;
    service.service_name = "one";
    service.container_id = "c1";
    app.services = {service};
    out.current.apps = {app};
    return engine::Status::success();
  }
};

class NoSteps : public engine::StepExecutor {
 public:
  engine::Status run(const reconcile::Step&, const engine::CancelFlag&, const engine::ProgressFn&) override {
    return engine::Status::success();
  }
};

class NoPower : public supervisor::HostPower {
 public:
  engine::Status request(supervisor::api::PowerAction) override { return engine::Status::success(); }
};

class FakeVolumes : public supervisor::EngineVolumes {
 public:
  supervisor::VolumeInventory engine;
  std::vector<std::string> removed;
  engine::Status inventory(supervisor::VolumeInventory& out) override {
    out = engine;
    return engine::Status::success();
  }
  engine::Status remove(const std::string& name) override {
    removed.push_back(name);
    std::erase(engine.volumes, name);
    return engine::Status::success();
  }
};

class FakeUnits : public supervisor::HostUnits {
 public:
  int restarts = 0;
  std::optional<engine::Error> refusal;
  engine::Result<std::vector<std::string>> restart_proxy() override {
    ++restarts;
    if (refusal) return *refusal;
    return std::vector<std::string>{"balena-proxy-config.service", "redsocks.service"};
  }
};

struct Device {
  TempDir dir{"local-api-host-test"};
  supervisor::Config config = [this] {
    supervisor::Config c;
    c.data_dir = dir.path.string();
    c.config_json_path = (dir.path / "config.json").string();
    c.proxy_dir = (dir.path / "system-proxy").string();
    c.led_file = (dir.path / "no-led").string();
    return c;
  }();
  supervisor::DeviceIdentity identity{"d42adeaa1b24a36d41121ac15c4bd337", "global_key", "dev"};
  supervisor::Logger log{supervisor::Level::Error};
  std::optional<engine::store::Store> store;
  std::optional<supervisor::ApiKeys> keys;
  OneAppReader reader;
  NoSteps executor;
  std::optional<supervisor::ApplyLoop> loop;
  engine::UpdateLocks locks{(dir.path / "locks").string()};
  NoPower power;
  std::optional<supervisor::LocalApi> api;
  FakeVolumes* volumes = nullptr;
  FakeUnits* units = nullptr;

  Device() {
    engine::store::StoreOptions options;
    options.path = dir.path / "db.sqlite";
    auto opened = engine::store::Store::open(options);
    REQUIRE(opened.ok());
    store.emplace(std::move(opened.value().store));
    keys.emplace(*store, identity.api_key, engine::cloud::urandom_hex());
    loop.emplace(reader, executor, log, supervisor::ApplyOptions{});
    api.emplace(config, identity, log, supervisor::LocalApi::Parts{*store, *keys, reader, *loop, locks, power});
    auto fake = std::make_unique<FakeVolumes>();
    volumes = fake.get();
    api->set_engine_volumes(std::move(fake));
    auto fake_units = std::make_unique<FakeUnits>();
    units = fake_units.get();
    api->set_host_units(std::move(fake_units));
  }

  // A lockfile of the user's service, as balena's lockfile tools make it.
  void user_lock() const {
    std::filesystem::create_directories(dir.path / "locks/1/one");
    std::ofstream(dir.path / "locks/1/one/updates.lock") << "";
  }
};

supervisor::HostConfigPatch hostname(const std::string& name) {
  supervisor::HostConfigPatch patch;
  patch.hostname = name;
  return patch;
}

}  // namespace

TEST_CASE("host config: written under every app's update locks, which are given back") {
  Device d;
  REQUIRE(d.api->set_host_config(hostname("box"), engine::Force::No).ok());
  CHECK(nlohmann::json::parse(d.dir.read("config.json"))["hostname"] == "box");
  auto held = d.locks.held();
  REQUIRE(held.ok());
  CHECK(held.value().empty());
  auto read = d.api->host_config();
  REQUIRE(read.ok());
  CHECK(read->hostname == "box");
}

TEST_CASE("host config: a service's update lock refuses the change (Locked, nothing written) unless forced") {
  Device d;
  d.user_lock();
  auto refused = d.api->set_host_config(hostname("box"), engine::Force::No);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == engine::ErrorKind::Locked);
  CHECK_FALSE(std::filesystem::exists(d.dir.path / "config.json"));
  REQUIRE(d.api->set_host_config(hostname(""), engine::Force::Yes).ok());
  CHECK(nlohmann::json::parse(d.dir.read("config.json"))["hostname"] == "d42adea");
}

TEST_CASE("host config: SUPERVISOR_OVERRIDE_LOCK in the target overrides a service's lock") {
  Device d;
  d.user_lock();
  engine::store::Target target;
  target.device_config = {{"SUPERVISOR_OVERRIDE_LOCK", "1"}};
  d.api->load_target(target);
  REQUIRE(d.api->set_host_config(hostname("box"), engine::Force::No).ok());
}

TEST_CASE("host config: a new proxy restarts the proxy units; a hostname alone does not; a refusal is an error") {
  Device d;
  REQUIRE(d.api->set_host_config(hostname("box"), engine::Force::No).ok());
  CHECK(d.units->restarts == 0);
  supervisor::HostConfigPatch proxy;
  proxy.proxy = supervisor::ProxyPatch{};
  proxy.proxy->type = "socks5";
  proxy.proxy->ip = "10.0.0.1";
  proxy.proxy->port = 1080;
  REQUIRE(d.api->set_host_config(proxy, engine::Force::No).ok());
  CHECK(d.units->restarts == 1);
  CHECK(std::filesystem::exists(d.dir.path / "system-proxy/redsocks.conf"));
  d.units->refusal = engine::Error{engine::ErrorKind::Refused, "systemd refused to restart redsocks.service"};
  auto refused = d.api->set_host_config(proxy, engine::Force::No);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == engine::ErrorKind::Refused);
  CHECK(d.locks.held().value().empty());  // given back all the same
}

TEST_CASE("the proxy units of a host without systemd's redsocks: nothing to restart") {
  // This machine is no balenaOS: either no system bus or no redsocks unit.
  auto restarted = supervisor::SystemdUnits().restart_proxy();
  REQUIRE(restarted.ok());
  CHECK(restarted.value().empty());
}

TEST_CASE("host config with the engine down: the target's apps' locks are taken; no target, no change") {
  Device d;
  d.reader.engine_down = true;
  auto unknown = d.api->set_host_config(hostname("box"), engine::Force::No);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == engine::ErrorKind::Unavailable);
  CHECK_FALSE(std::filesystem::exists(d.dir.path / "config.json"));

  engine::store::Target target;
  reconcile::App app;
  app.app_id = 1;
  reconcile::Service service;
  service.app_id = 1;
  service.service_name = "one";
  app.services = {service};
  target.state.apps = {app};
  d.api->load_target(target);
  d.user_lock();
  auto locked = d.api->set_host_config(hostname("box"), engine::Force::No);
  REQUIRE_FALSE(locked.ok());
  CHECK(locked.error().kind == engine::ErrorKind::Locked);
  REQUIRE(d.api->set_host_config(hostname("box"), engine::Force::Yes).ok());
  CHECK(nlohmann::json::parse(d.dir.read("config.json"))["hostname"] == "box");
}

TEST_CASE("tags: stored (merged) without a cloud; reading them says there is none") {
  Device d;
  REQUIRE(d.api->set_device_tags({{"location", "lab"}}).ok());
  REQUIRE(d.api->set_device_tags({{"rack", "3"}}).ok());
  supervisor::TagStore stored(*d.store);
  CHECK(stored.target().value() == engine::cloud::TagValues{{"location", "lab"}, {"rack", "3"}});
  auto read = d.api->device_tags();
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().kind == engine::ErrorKind::Unavailable);
}

TEST_CASE("cleanup-volumes: what the target declares stays; a scoped key removes only its app's") {
  Device d;
  d.volumes->engine = {{"1_data", "1_old", "2_old", "other", "1_mounted"}, {"1_mounted"}};
  engine::store::Target target;
  reconcile::App app;
  app.app_id = 1;
  reconcile::Volume volume;
  volume.name = "data";
  volume.app_id = 1;
  app.volumes = {volume};
  target.state.apps = {app};
  d.api->load_target(target);

  auto scoped = d.api->cleanup_volumes(supervisor::api::KeyScope{2});
  REQUIRE(scoped.ok());
  CHECK(d.volumes->removed == std::vector<std::string>{"2_old"});
  auto global = d.api->cleanup_volumes(supervisor::api::KeyScope{});
  REQUIRE(global.ok());
  CHECK(global.value() == std::vector<std::string>{"1_old", "other"});
}

TEST_CASE("blink: no LED file is no LED; a brightness file blinks and ends dark") {
  Device d;
  CHECK_FALSE(d.api->blink());
  const auto led = d.dir.write("led", "0");
  supervisor::SysfsLed::Pattern quick;
  quick.on = std::chrono::milliseconds(20);
  quick.off = std::chrono::milliseconds(20);
  quick.pause = std::chrono::milliseconds(20);
  quick.duration = std::chrono::milliseconds(2000);
  d.api->set_identify_led(std::make_unique<supervisor::SysfsLed>(led, quick));
  const auto asked = std::chrono::steady_clock::now();
  CHECK(d.api->blink());
  // Not waiting for the pattern (2 s), with room for a loaded machine.
  CHECK(std::chrono::steady_clock::now() - asked < std::chrono::milliseconds(1500));
  bool lit = false;
  while (!lit && std::chrono::steady_clock::now() < asked + std::chrono::seconds(2)) {
    lit = d.dir.read("led") == "1";
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(lit);
  // Dark once the pattern is over.
  bool dark = false;
  while (!dark && std::chrono::steady_clock::now() < asked + std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    dark = std::chrono::steady_clock::now() > asked + quick.duration && d.dir.read("led") == "0";
  }
  CHECK(dark);
}
