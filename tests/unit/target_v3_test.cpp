// The cloud's v3 target state.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "reconcile/json.hpp"

namespace {

constexpr const char* kTarget = R"({
  "9f1c2e0d7a3b4c5d8e6f": {
    "name": "gateway-01",
    "config": {"RESIN_SUPERVISOR_POLL_INTERVAL": "900000", "BALENA_HOST_CONFIG_gpu_mem": "16"},
    "apps": {
      "d149c5d1551b4286a930d57284a02511": {
        "id": 1011165, "name": "myfleet", "class": "fleet", "is_host": false,
        "releases": {
          "217d55237092995e4576367e529ebb03": {
            "id": 557617,
            "services": {
              "api": {"id": 29396, "image_id": 959262, "image": "registry2.example/api@sha256:1df4",
                      "running": true, "environment": {"LOG_LEVEL": "info"},
                      "labels": {"io.balena.update.strategy": "download-then-kill"},
                      "composition": {"restart": "always", "ports": ["80:8080"], "volumes": ["data:/data"],
                                      "depends_on": ["db"], "networks": ["default"]},
                      "contract": {"type": "sw.container"}},
              "db": {"id": 29397, "image_id": 959263, "image": "registry2.example/db@sha256:77aa",
                     "environment": {}, "labels": {"io.balena.features.optional": "1"}}
            },
            "volumes": {"data": {}},
            "networks": {"default": {}}
          }
        }
      },
      "52e35121417640b1b28a680504e4039b": {"id": 1667442, "name": "empty", "class": "app", "releases": {}}
    }
  }
})";

reconcile::CloudTargetState parse(const std::string& text, const std::string& uuid = "9f1c2e0d7a3b4c5d8e6f") {
  auto parsed = reconcile::parse_target_state_v3(nlohmann::json::parse(text), uuid);
  if (!parsed.ok()) FAIL(parsed.error().to_string());
  return std::move(parsed).value();
}

std::string error_of(const std::string& text, const std::string& uuid = "u") {
  auto parsed = reconcile::parse_target_state_v3(nlohmann::json::parse(text), uuid);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().to_string();
}

}  // namespace

TEST_CASE("a v3 target state becomes the device's target") {
  const auto state = parse(kTarget);
  CHECK(state.name == "gateway-01");
  CHECK(state.config.at("BALENA_HOST_CONFIG_gpu_mem") == "16");
  REQUIRE(state.target.apps.size() == 2);
  const auto& fleet = state.target.apps[1];  // sorted by uuid: 52e3... first
  CHECK(fleet.app_id == 1011165);
  CHECK(fleet.app_uuid == "d149c5d1551b4286a930d57284a02511");
  CHECK(fleet.commit == "217d55237092995e4576367e529ebb03");
  CHECK(fleet.release_id == 557617);
  REQUIRE(fleet.services.size() == 2);
  const auto& api = fleet.services[0];
  CHECK(api.service_name == "api");
  CHECK(api.service_id == 29396);
  CHECK(api.image_id == 959262);
  CHECK(api.release_id == 557617);
  CHECK(api.commit == "217d55237092995e4576367e529ebb03");
  CHECK(api.config().depends_on == std::vector<std::string>{"db"});
  CHECK(api.config().named_volumes == std::vector<std::string>{"data"});
  CHECK_THAT(api.config().composition, Catch::Matchers::Contains(R"("LOG_LEVEL":"info")"));
  CHECK(fleet.volumes.size() == 1);
  CHECK(fleet.networks.size() == 1);
  CHECK(state.target.apps[0].services.empty());  // no release: nothing to run
}

TEST_CASE("a v3 target state that breaks the rules names the field") {
  CHECK(error_of(R"({"other": {}})") == "(document): has no entry for this device (u)");
  CHECK(error_of(R"({"u": {"name": "a\nb"}})") == "/u/name: must be at most 255 characters on one line");
  CHECK(error_of(R"({"u": {"config": {"1BAD": "x"}}})") ==
        "/u/config/1BAD: \"1BAD\" is not a valid configuration variable name: [A-Za-z_][A-Za-z0-9_:]*, "
        "at most 255 characters");
  CHECK(error_of(R"({"u": {"apps": {"a": {"name": "x"}}}})") == "/u/apps/a: needs an id");
  CHECK(error_of(R"({"u": {"apps": {"a": {"id": 1, "class": "weird"}}}})") ==
        "/u/apps/a/class: must be fleet, app or block, not 'weird'");
  CHECK(error_of(R"({"u": {"apps": {"a": {"id": 1, "releases": {"c": {"services": {"-x": {"image": "i"}}}}}}}})") ==
        "/u/apps/a/releases/c/services/-x: \"-x\" is not a valid service name: Docker allows "
        "[a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 characters");
  CHECK(error_of(R"({"u": {"apps": {"a": {"id": 1, "releases": {"c": {"services": {"x": {"image": "i",
        "environment": {"A-B": "1"}}}}}}}}})") ==
        "/u/apps/a/releases/c/services/x/environment/A-B: \"A-B\" is not a valid environment variable name: "
        "[A-Za-z_][A-Za-z0-9_]*, at most 255 characters");
  CHECK(error_of(R"({"u": {"apps": {"a": {"id": 1}, "b": {"id": 1}}}})") == "/u/apps/b: app id 1 appears twice");
}

TEST_CASE("the balena supervisor's own service and the host OS app's non-data services are never installed") {
  const auto state = parse(R"({"u1": {"apps": {
    "900de4f3cbac4b9bbd232885a35e407b": {"id": 2, "name": "aarch64-supervisor", "class": "app",
      "releases": {"aaaa": {"id": 20, "services": {
        "balena-supervisor": {"id": 21, "image_id": 22, "image": "registry2.example/supervisor:v19"},
        "helper": {"id": 23, "image_id": 24, "image": "registry2.example/helper"}}}}},
    "a0a0a0": {"id": 3, "name": "hostapp", "class": "app", "is_host": true,
      "releases": {"bbbb": {"id": 30, "services": {
        "hostapp": {"id": 31, "image_id": 32, "image": "registry2.example/os",
                    "labels": {"io.balena.image.store": "root"}},
        "updater": {"id": 33, "image_id": 34, "image": "registry2.example/updater",
                    "composition": {"labels": {"io.balena.image.class": "overlay"}}},
        "data-block": {"id": 35, "image_id": 36, "image": "registry2.example/block",
                       "labels": {"io.balena.image.store": "data", "io.balena.image.class": "service"}}}}}},
    "b1b1b1": {"id": 4, "name": "fleet", "releases": {"cccc": {"id": 40, "services": {
        "balena-supervisor": {"id": 41, "image_id": 42, "image": "registry2.example/mine"}}}}}
  }}})",
                           "u1");
  std::map<std::string, std::vector<std::string>> services;
  for (const auto& app : state.target.apps) {
    for (const auto& service : app.services) services[app.name].push_back(service.service_name);
  }
  // A service of that name in any other app is the fleet's own.
  CHECK(services == std::map<std::string, std::vector<std::string>>{
                        {"aarch64-supervisor", {"helper"}}, {"hostapp", {"data-block"}}, {"fleet", {"balena-supervisor"}}});
}
