// The local-mode target body the balena CLI sends (POST /v2/local/target-state).
#include <catch2/catch.hpp>

#include "reconcile/json.hpp"

namespace {

reconcile::LocalTargetState parse(const char* text) {
  auto parsed = reconcile::parse_local_target_state(nlohmann::json::parse(text));
  if (!parsed.ok()) FAIL(parsed.error().to_string());
  return std::move(parsed).value();
}

std::string error_of(const char* text) {
  auto parsed = reconcile::parse_local_target_state(nlohmann::json::parse(text));
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().to_string();
}

}  // namespace

TEST_CASE("the CLI's local target becomes a target state") {
  const auto state = parse(R"({"local": {"name": "Home", "config": {"SUPERVISOR_LOCAL_MODE": "1"},
    "apps": {"1": {"name": "localapp", "commit": "localcommit", "releaseId": "1",
      "services": {
        "1": {"serviceName": "one", "serviceId": 1, "imageId": 1, "image": "local_image_one:latest",
              "environment": {}, "labels": {}, "running": true, "ports": ["80:80"]},
        "2": {"serviceName": "two", "serviceId": 2, "imageId": 2, "image": "local_image_two:latest",
              "environment": {"A": "1"}, "labels": {}, "network_mode": "service:one"}},
      "volumes": {"data": {}}, "networks": {"backend": {"driver": "bridge"}}}}},
    "force": "1"})");
  CHECK(state.name == "Home");
  CHECK(state.config.at("SUPERVISOR_LOCAL_MODE") == "1");
  CHECK(state.force);
  REQUIRE(state.target.apps.size() == 1);
  const auto& app = state.target.apps[0];
  CHECK(app.app_id == 1);
  CHECK(app.app_uuid == "1");
  CHECK(app.commit == "localcommit");
  REQUIRE(app.services.size() == 2);
  const auto& one = app.services[0];
  CHECK(one.service_name == "one");
  CHECK(one.release_id == 1);
  CHECK(one.commit == "localcommit");
  CHECK(one.image == "local_image_one:latest");
  CHECK_THAT(one.config().composition, Catch::Matchers::Contains(R"("ports":["80:80"])"));
  CHECK(app.services[1].config().depends_on == std::vector<std::string>{"one"});
  REQUIRE(app.volumes.size() == 1);
  CHECK(app.volumes[0].name == "data");
  REQUIRE(app.networks.size() == 1);
  CHECK(app.networks[0].config.driver == "bridge");
}

TEST_CASE("a local target without apps empties the device; without a name keeps it") {
  const auto state = parse(R"({"local": {"apps": {}}})");
  CHECK_FALSE(state.name.has_value());
  CHECK(state.target.apps.empty());
  CHECK_FALSE(state.force);
}

TEST_CASE("a malformed local target names the field") {
  CHECK(error_of(R"({"apps": {}})") == "(document): needs a 'local' object");
  CHECK(error_of(R"({"local": {"apps": {"x": {}}}})") ==
        "/local/apps/x: must be an id from 0 to 9007199254740991, not \"x\"");
  CHECK(error_of(R"({"local": {"apps": {"1": {"services": {"1": {"image": "a"}}}}}})") ==
        "/local/apps/1/services/1: needs a serviceName");
  CHECK(error_of(R"({"local": {"apps": {"1": {"services": {"1": {"serviceName": "a", "image": "a",
        "running": "yes"}}}}}})") == "/local/apps/1/services/1/running: must be true or false, not a string");
  CHECK(error_of(R"({"local": {"apps": {"1": {"releaseId": "one"}}}})") ==
        "/local/apps/1/releaseId: must be an id from 0 to 9007199254740991, not \"one\"");
}
