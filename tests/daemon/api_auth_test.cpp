// The local API's authentication and scopes (local-api.md §2) over real
// HTTP on loopback: every route against every kind of key. A managed device
// (keys checked) runs apps 1 and 2; the keys are the global key, the key of
// a service of app 1 and the key of a service of app 2.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "api/server.hpp"
#include "quiet_device.hpp"

namespace {

using nlohmann::json;
using supervisor::api::KeyScope;

reconcile::App app_with_service(std::int64_t app_id, const std::string& service_name) {
  reconcile::App app;
  app.app_id = app_id;
  app.commit = fmt::format("commit{}", app_id);
  reconcile::Service service;
  service.app_id = app_id;
  service.service_name = service_name;
  service.image_id = app_id * 10;
  service.container_id = fmt::format("container{}", app_id);
  app.services = {service};
  return app;
}

class TwoAppDevice : public supervisor::testing::QuietDevice {
 public:
  std::vector<std::string> actions;

  engine::Result<std::optional<KeyScope>> authorize(const std::string& key) override {
    if (key == "global_key") return std::optional<KeyScope>{KeyScope{}};
    if (key == "app1_key") return std::optional<KeyScope>{KeyScope{1}};
    if (key == "app2_key") return std::optional<KeyScope>{KeyScope{2}};
    if (key == "broken_store") return engine::Error{engine::ErrorKind::Store, "database is locked"};
    return std::optional<KeyScope>{};
  }
  engine::Result<std::string> regenerate_key(const std::string& key) override { return key + "_renewed"; }
  engine::Status current(engine::Snapshot& out) override {
    out.current.apps = {app_with_service(1, "one"), app_with_service(2, "two")};
    return engine::Status::success();
  }
  std::optional<reconcile::State> target() override {
    reconcile::State state;
    state.apps = {app_with_service(1, "one"), app_with_service(2, "two")};
    return state;
  }
  engine::Status restart_app(std::int64_t app_id, engine::Force) override { return record("restart", app_id); }
  engine::Status purge_app(std::int64_t app_id, engine::Force) override { return record("purge", app_id); }
  engine::Status service_action(std::int64_t app_id, supervisor::api::ServiceAction, const std::string&,
                                engine::Force) override {
    return record("service", app_id);
  }
  engine::Status power(supervisor::api::PowerAction, engine::Force) override { return record("power", 0); }

 private:
  engine::Status record(const char* what, std::int64_t app_id) {
    actions.push_back(fmt::format("{} {}", what, app_id));
    return engine::Status::success();
  }
};

struct Route {
  const char* method;
  const char* path;
  const char* body;
  int success;       // with a key that covers what the route acts on
  int out_of_scope;  // with the key of app 2's service (0: the route is not app 1's)
};

// Every route but the log stream (it never ends; its key check is the same
// pre-routing step, tested below). App routes act on app 1.
const std::vector<Route> kRoutes = {
    {"GET", "/ping", "", 200, 0},
    {"GET", "/v1/healthy", "", 200, 0},
    {"GET", "/v2/version", "", 200, 0},
    {"GET", "/v1/device", "", 200, 0},
    {"GET", "/v2/device/name", "", 200, 0},
    {"GET", "/v2/device/vpn", "", 200, 0},
    {"POST", "/v1/update", "{}", 204, 0},
    {"POST", "/v1/regenerate-api-key", "", 200, 0},
    {"POST", "/v1/reboot", "{}", 202, 0},
    {"POST", "/v1/shutdown", "{}", 202, 0},
    {"GET", "/v2/state/status", "", 200, 0},
    {"GET", "/v2/applications/state", "", 200, 0},
    {"GET", "/v2/containerId", "", 200, 0},
    {"GET", "/v2/local/target-state", "", 200, 0},
    {"GET", "/v2/local/device-info", "", 200, 0},
    {"POST", "/v2/local/target-state", "{}", 400, 0},  // not in local mode
    {"POST", "/v1/restart", R"({"appId": 1})", 200, 401},
    {"POST", "/v1/purge", R"({"appId": 1})", 200, 401},
    {"POST", "/v1/apps/1/stop", "{}", 200, 401},
    {"POST", "/v1/apps/1/start", "{}", 200, 401},
    {"GET", "/v1/apps/1", "", 200, 401},
    {"POST", "/v2/applications/1/restart", "{}", 200, 401},
    {"POST", "/v2/applications/1/purge", "{}", 200, 401},
    {"POST", "/v2/applications/1/restart-service", R"({"serviceName": "one"})", 200, 401},
    {"POST", "/v2/applications/1/stop-service", R"({"serviceName": "one"})", 200, 401},
    {"POST", "/v2/applications/1/start-service", R"({"serviceName": "one"})", 200, 401},
    {"GET", "/v2/applications/1/state", "", 200, 409},
    // The host and the cloud (device-level, "D"), and the volume cleanup ("F").
    {"POST", "/v1/blink", "", 200, 0},
    {"GET", "/v1/device/host-config", "", 200, 0},
    {"PATCH", "/v1/device/host-config", R"({"network": {"hostname": "abc"}})", 200, 0},
    {"GET", "/v2/device/tags", "", 200, 0},
    {"PATCH", "/v2/device/tags", R"({"location": "lab"})", 202, 0},
    {"GET", "/v2/cleanup-volumes", "", 200, 0},
    {"POST", "/v2/journal-logs", R"({"count": 1})", 200, 0},
};

struct Fixture {
  TwoAppDevice device;
  supervisor::api::Server server{device, {"127.0.0.1", 0, std::chrono::minutes(1)}};
  std::unique_ptr<httplib::Client> client;
  Fixture() {
    std::string error;
    REQUIRE(server.start(error));
    client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
    client->set_read_timeout(5, 0);
  }

  httplib::Result send(const Route& route, const std::string& key) {
    httplib::Headers headers;
    if (!key.empty()) headers.emplace("Authorization", fmt::format("Bearer {}", key));
    if (std::string(route.method) == "GET") return client->Get(route.path, headers);
    if (std::string(route.method) == "PATCH") return client->Patch(route.path, headers, route.body, "application/json");
    return client->Post(route.path, headers, route.body, "application/json");
  }
};

bool open_route(const Route& route) {
  return std::string(route.path) == "/ping" || std::string(route.path) == "/v1/healthy";
}

}  // namespace

TEST_CASE("auth matrix: every route against no key, a wrong key, the global key and both apps' service keys") {
  Fixture f;
  for (const Route& route : kRoutes) {
    INFO(route.method << " " << route.path);
    for (const std::string key : {"", "wrong_key"}) {
      INFO("key '" << key << "'");
      auto answer = f.send(route, key);
      REQUIRE(answer);
      CHECK(answer->status == (open_route(route) ? route.success : 401));
      if (!open_route(route)) CHECK(answer->body == "Unauthorized");
    }
    for (const std::string key : {"global_key", "app1_key"}) {
      INFO("key " << key);
      auto answer = f.send(route, key);
      REQUIRE(answer);
      CHECK(answer->status == route.success);
    }
    INFO("key app2_key");
    auto other_app = f.send(route, "app2_key");
    REQUIRE(other_app);
    CHECK(other_app->status == (route.out_of_scope != 0 ? route.out_of_scope : route.success));
  }
}

TEST_CASE("a key of another app acts on nothing: the device is never asked") {
  Fixture f;
  for (const Route& route : kRoutes) {
    if (route.out_of_scope == 0) continue;
    INFO(route.method << " " << route.path);
    REQUIRE(f.send(route, "app2_key"));
  }
  CHECK(f.device.actions.empty());
  REQUIRE(f.send(kRoutes[16], "app1_key"));  // /v1/restart of app 1
  CHECK(f.device.actions == std::vector<std::string>{"restart 1"});
}

TEST_CASE("listings show only the apps the key covers") {
  Fixture f;
  const auto ids = [&](const std::string& key) {
    return json::parse(f.send({"GET", "/v2/containerId", "", 200, 0}, key)->body)["services"];
  };
  CHECK(ids("global_key") == json{{"one", "container1"}, {"two", "container2"}});
  CHECK(ids("app1_key") == json{{"one", "container1"}});
  CHECK(ids("app2_key") == json{{"two", "container2"}});
  const auto status = json::parse(f.send({"GET", "/v2/state/status", "", 200, 0}, "app2_key")->body);
  REQUIRE(status["containers"].size() == 1);
  CHECK(status["containers"][0]["appId"] == 2);
  const auto apps = json::parse(f.send({"GET", "/v2/applications/state", "", 200, 0}, "app1_key")->body);
  CHECK(apps.size() == 1);
}

TEST_CASE("a key that cannot be checked is a 503, not a 401; the log stream and unknown paths ask for a key first") {
  Fixture f;
  auto broken = f.send({"GET", "/v2/version", "", 200, 0}, "broken_store");
  REQUIRE(broken);
  CHECK(broken->status == 503);
  CHECK(broken->body == "Unexpected error: database is locked");
  CHECK(f.send({"GET", "/v2/local/logs", "", 200, 0}, "")->status == 401);
  CHECK(f.send({"GET", "/v2/no-such-route", "", 200, 0}, "")->status == 401);
  CHECK(f.send({"GET", "/v2/no-such-route", "", 200, 0}, "global_key")->status == 404);
}

TEST_CASE("regenerate-api-key replaces the key the request came with") {
  Fixture f;
  auto renewed = f.send({"POST", "/v1/regenerate-api-key", "", 200, 0}, "app1_key");
  REQUIRE(renewed);
  CHECK(renewed->status == 200);
  CHECK(renewed->body == "app1_key_renewed");
}

TEST_CASE("the volume cleanup acts in the key's scope; host routes take any valid key") {
  Fixture f;
  REQUIRE(f.send({"GET", "/v2/cleanup-volumes", "", 200, 0}, "app2_key")->status == 200);
  REQUIRE(f.send({"GET", "/v2/cleanup-volumes", "", 200, 0}, "global_key")->status == 200);
  REQUIRE(f.device.cleanups.size() == 2);
  CHECK(f.device.cleanups[0].app == std::optional<std::int64_t>(2));
  CHECK(f.device.cleanups[1].is_global());
  // A wrong key reaches none of them.
  REQUIRE(f.send({"PATCH", "/v2/device/tags", R"({"a": "b"})", 202, 0}, "wrong_key")->status == 401);
  REQUIRE(f.send({"PATCH", "/v1/device/host-config", R"({"network": {"hostname": "x"}})", 200, 0}, "")->status == 401);
  CHECK(f.device.stored_tags.empty());
  CHECK(f.device.host_patches.empty());
}
