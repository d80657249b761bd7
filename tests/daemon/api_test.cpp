// The local HTTP API over real HTTP on loopback, against a fake device.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "api/server.hpp"

namespace {

using nlohmann::json;
using supervisor::api::DeviceInfo;

class FakeDevice : public supervisor::api::DeviceApi {
 public:
  bool local_mode = false;
  bool instant_updates = true;  // SUPERVISOR_INSTANT_UPDATE_TRIGGER
  supervisor::ApplyStatus status;
  std::optional<reconcile::State> stored;
  std::vector<std::string> actions;
  supervisor::Logger logger{supervisor::Level::Error};

  DeviceInfo info() override {
    DeviceInfo info;
    info.name = "dev";
    info.supervisor_version = "0.1.0";
    info.local_mode = local_mode;
    info.device_type = "generic-amd64";
    info.arch = "amd64";
    return info;
  }
  engine::Result<std::optional<supervisor::api::KeyScope>> authorize(const std::string& key) override {
    if (key == "secret_key") return std::optional<supervisor::api::KeyScope>{supervisor::api::KeyScope{}};
    return std::optional<supervisor::api::KeyScope>{};
  }
  engine::Result<std::string> regenerate_key(const std::string&) override {
    return engine::Error{engine::ErrorKind::NotFound, "no such key"};
  }
  engine::Status purge_app(std::int64_t app_id, engine::Force) override {
    actions.push_back(fmt::format("purge {}", app_id));
    return engine::Status::success();
  }
  engine::Status power(supervisor::api::PowerAction, engine::Force) override { return engine::Status::success(); }
  std::optional<reconcile::State> target() override { return stored; }
  std::map<std::string, std::string> target_config() override { return {}; }
  engine::Status set_target(const reconcile::LocalTargetState& target) override {
    stored = target.target;
    return engine::Status::success();
  }
  engine::Status current(engine::Snapshot& out) override {
    reconcile::Service service;
    service.container_id = "c0ffee";
    out.current.apps.resize(1);
    out.current.apps[0].commit = "r1";
    out.current.apps[0].services = {service};
    return engine::Status::success();
  }
  supervisor::ApplyStatus apply_status() override { return status; }
  bool trigger_update(engine::Force force, bool) override {
    actions.push_back(force == engine::Force::Yes ? "update!" : "update");
    return instant_updates || force == engine::Force::Yes;
  }
  engine::Status restart_app(std::int64_t app_id, engine::Force force) override {
    actions.push_back(fmt::format("restart {}{}", app_id, force == engine::Force::Yes ? "!" : ""));
    if (app_id == 2) return engine::Status::failure(engine::ErrorKind::Locked, "Updates are locked");
    if (app_id != 1) return engine::Status::failure(engine::ErrorKind::NotFound, "App not found");
    return engine::Status::success();
  }
  engine::Status service_action(std::int64_t app_id, supervisor::api::ServiceAction, const std::string& service,
                                engine::Force) override {
    actions.push_back(fmt::format("service {} {}", app_id, service));
    if (app_id == 3) return engine::Status::failure(engine::ErrorKind::Unavailable, "the engine is down");
    return engine::Status::success();
  }
  // Not what these tests are about (api_host_test.cpp is).
  bool blink() override { return false; }
  engine::Result<supervisor::HostConfig> host_config() override { return supervisor::HostConfig{}; }
  engine::Status set_host_config(const supervisor::HostConfigPatch&, engine::Force) override {
    return engine::Status::success();
  }
  engine::Result<std::vector<supervisor::api::DeviceTag>> device_tags() override {
    return std::vector<supervisor::api::DeviceTag>{};
  }
  engine::Status set_device_tags(const std::map<std::string, std::string>&) override { return engine::Status::success(); }
  engine::Result<std::vector<std::string>> cleanup_volumes(const supervisor::api::KeyScope&) override {
    return std::vector<std::string>{};
  }
  engine::Result<std::unique_ptr<supervisor::ChildOutput>> journal(const std::vector<std::string>&) override {
    return engine::Error{engine::ErrorKind::Unavailable, "no journal here"};
  }
  supervisor::Logger& log() override { return logger; }
};

struct Fixture {
  FakeDevice device;
  supervisor::api::Server server{device, {"127.0.0.1", 0, std::chrono::minutes(1)}};
  std::unique_ptr<httplib::Client> client;
  Fixture() {
    std::string error;
    REQUIRE(server.start(error));
    client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
    client->set_read_timeout(5, 0);
  }
};

}  // namespace

TEST_CASE("ping and healthy need no key") {
  Fixture f;
  auto ping = f.client->Get("/ping");
  REQUIRE(ping);
  CHECK(ping->status == 200);
  CHECK(ping->body == "OK");
  auto healthy = f.client->Get("/v1/healthy");
  REQUIRE(healthy);
  CHECK(healthy->status == 200);
}

TEST_CASE("every other endpoint needs the API key unless in local mode") {
  Fixture f;
  auto none = f.client->Get("/v2/version");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->body == "Unauthorized");
  CHECK(f.client->Get("/v2/version?apikey=wrong")->status == 401);
  auto query = f.client->Get("/v2/version?apikey=secret_key");
  CHECK(query->status == 200);
  CHECK(json::parse(query->body)["version"] == "0.1.0");
  CHECK(f.client->Get("/v2/version", {{"Authorization", "Bearer secret_key"}})->status == 200);
  CHECK(f.client->Get("/v2/version", {{"Authorization", "apikey secret_key"}})->status == 200);
  CHECK(f.client->Get("/v2/version", {{"Authorization", "Basic secret_key"}})->status == 401);
  f.device.local_mode = true;
  CHECK(f.client->Get("/v2/version")->status == 200);
}

TEST_CASE("a malformed or invalid local target is a 400 naming the problem; a good one is stored") {
  Fixture f;
  f.device.local_mode = true;
  auto bad_json = f.client->Post("/v2/local/target-state", "{\"local\": ", "application/json");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  CHECK_THAT(bad_json->body, Catch::Matchers::Contains("not valid JSON"));
  auto bad_field = f.client->Post("/v2/local/target-state",
                                  R"({"local": {"apps": {"1": {"services": {"1": {"serviceName": "a",
                                     "image": "a", "running": "yes"}}}}}})",
                                  "application/json");
  CHECK(bad_field->status == 400);
  CHECK_THAT(json::parse(bad_field->body)["message"].get<std::string>(),
             Catch::Matchers::Contains("/local/apps/1/services/1/running"));
  CHECK_FALSE(f.device.stored.has_value());
  auto good = f.client->Post("/v2/local/target-state",
                             R"({"local": {"apps": {"1": {"services": {"1": {"serviceName": "a", "image": "a"}}}}}})",
                             "application/json");
  CHECK(good->status == 200);
  REQUIRE(f.device.stored.has_value());
  CHECK(f.device.stored->apps.at(0).services.at(0).service_name == "a");
  auto read_back = f.client->Get("/v2/local/target-state");
  CHECK(json::parse(read_back->body)["state"]["local"]["apps"]["1"]["services"][0]["serviceName"] == "a");
}

TEST_CASE("setting a target outside local mode is refused") {
  Fixture f;
  auto refused = f.client->Post("/v2/local/target-state?apikey=secret_key", R"({"local": {}})", "application/json");
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK_FALSE(f.device.stored.has_value());
}

TEST_CASE("healthy turns unhealthy only when an apply makes no progress") {
  Fixture f;
  f.device.status.applying = true;
  f.device.status.last_progress_ms = supervisor::now_ms();
  CHECK(f.client->Get("/v1/healthy")->status == 200);
  f.device.status.last_progress_ms = supervisor::now_ms() - 2 * 60 * 1000;
  auto stuck = f.client->Get("/v1/healthy");
  CHECK(stuck->status == 500);
  CHECK(stuck->body == "Unhealthy");
}

TEST_CASE("state, container ids and actions") {
  Fixture f;
  f.device.local_mode = true;
  auto status = json::parse(f.client->Get("/v2/state/status")->body);
  CHECK(status["appState"] == "applied");
  CHECK(status["release"] == "r1");
  CHECK(status["containers"][0]["containerId"] == "c0ffee");
  CHECK(json::parse(f.client->Get("/v2/containerId?serviceName=main")->body)["containerId"] == "c0ffee");
  CHECK(f.client->Get("/v2/containerId?serviceName=nope")->status == 503);
  CHECK(f.client->Post("/v1/update", R"({"force": "1"})", "application/json")->status == 204);
  // Instant updates off: ignored without force, with 202 "Accepted" (balena's sendStatus(202)).
  f.device.instant_updates = false;
  auto ignored = f.client->Post("/v1/update", "{}", "application/json");
  CHECK(ignored->status == 202);
  CHECK(ignored->body == "Accepted");
  CHECK(f.client->Post("/v1/update", R"({"force": true})", "application/json")->status == 204);
  CHECK(f.client->Post("/v1/restart", R"({"appId": "1", "force": true})", "application/json")->status == 200);
  CHECK(f.client->Post("/v1/restart", R"({})", "application/json")->status == 400);
  CHECK(f.client->Post("/v2/applications/4/restart", "", "application/json")->status == 404);
  CHECK(f.client->Post("/v2/applications/1/restart-service", R"({"serviceName": "main"})", "application/json")
            ->status == 200);
  CHECK(f.client->Post("/v2/applications/1/stop-service", R"({})", "application/json")->status == 400);
  CHECK(f.device.actions ==
        std::vector<std::string>{"update!", "update", "update!", "restart 1!", "restart 4", "service 1 main"});
}

TEST_CASE("a failed action's kind decides its HTTP status: a held lock is 423, the engine down 503") {
  Fixture f;
  f.device.local_mode = true;
  const auto locked = f.client->Post("/v2/applications/2/restart", "", "application/json");
  CHECK(locked->status == 423);
  CHECK(json::parse(locked->body)["message"] == "Updates are locked");
  CHECK(f.client->Post("/v2/applications/3/stop-service", R"({"serviceName": "main"})", "application/json")
            ->status == 503);
  CHECK(supervisor::api::http_status_of(engine::ErrorKind::FileSystem) == 500);
  CHECK(supervisor::api::http_status_of(engine::ErrorKind::NotFound) == 404);
}

TEST_CASE("local logs stream balena's system lines and failures, not the daemon's internal events") {
  Fixture f;
  f.device.local_mode = true;
  std::string received;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    f.device.logger.info("plan", "running a batch");
    f.device.logger.system(supervisor::Level::Info, "step", "its configuration changed",
                           "Killing service 'main example/main:1'");
    f.device.logger.error("snapshot", "cannot read the device's state");
  });
  f.client->Get("/v2/local/logs", [&](const char* data, size_t length) {
    received.append(data, length);
    return received.find("cannot read") == std::string::npos;  // stop once the last event arrived
  });
  writer.join();
  std::vector<json> lines;
  for (std::size_t at = 0, end; (end = received.find('\n', at)) != std::string::npos; at = end + 1) {
    lines.push_back(json::parse(received.substr(at, end - at)));
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == json{{"message", "Streaming logs"}, {"isSystem", true}});
  CHECK(lines[1]["message"] == "Killing service 'main example/main:1'");
  CHECK(lines[1]["isSystem"] == true);
  CHECK_FALSE(lines[1].contains("isStdErr"));
  CHECK(lines[2]["message"] == "cannot read the device's state");
  CHECK(lines[2]["isStdErr"] == true);
}
