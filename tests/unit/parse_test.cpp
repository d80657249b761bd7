// The plan request reader: defaults, and errors that name the bad field.
#include "support.hpp"

namespace {

std::string error_of(const std::string& text) {
  auto parsed = reconcile::parse_plan_request_text(text);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().to_string();
}

}  // namespace

TEST_CASE("an empty request is an empty device with an empty target") {
  const auto r = test::request("{}");
  CHECK(r.current.apps.empty());
  CHECK(r.target.apps.empty());
  CHECK(r.context.now == *reconcile::parse_time("2026-01-01T00:30:00Z"));
  CHECK(r.context.boot_time == r.context.now - 1800);
}

TEST_CASE("service fields take the documented defaults") {
  const auto r = test::request(R"({"current": {"apps": [{"services": [{}]}]}})");
  const auto& s = r.current.apps.at(0).services.at(0);
  CHECK(s.service_name == "main");
  CHECK(s.app_id == 1);
  CHECK(s.app_uuid == "appuuid");
  CHECK(s.commit == "main-commit");
  CHECK(s.image == "test-image");
  CHECK(s.running);
  CHECK(s.status == reconcile::ServiceStatus::Running);
  CHECK(s.created_at == r.context.now - 1800);
  CHECK(s.config().networks.count("default") == 1);
  // availableImages absent: the current services' images are available.
  REQUIRE(r.context.available_images.size() == 1);
  CHECK(r.context.available_images[0].name == "test-image");
}

TEST_CASE("shortcut keys on the service mean the same as inside composition, which wins") {
  const auto r = test::request(R"({"target": {"apps": [{"services": [
    {"running": false, "labels": {"io.balena.update.strategy": "kill-then-download"},
     "composition": {"running": true, "network_mode": "service:db"}}]}]}})");
  const auto& s = r.target.apps.at(0).services.at(0);
  CHECK(s.running);
  CHECK(s.config().strategy == reconcile::UpdateStrategy::KillThenDownload);
  CHECK(s.config().depends_on == std::vector<std::string>{"db"});
  CHECK(s.config().networks.empty());
}

TEST_CASE("compose list and map forms read alike") {
  const auto r = test::request(R"({"target": {"apps": [{"services": [
    {"serviceName": "a", "composition": {"environment": ["A=1", "B=2"], "depends_on": {"b": {}},
      "volumes": ["data:/data", "/host:/host", "anon", {"type": "volume", "source": "logs", "target": "/l"}]}},
    {"serviceName": "b", "composition": {"environment": {"B": "2", "A": "1"}}}]}]}})");
  const auto& a = r.target.apps[0].services[0];
  CHECK(a.config().depends_on == std::vector<std::string>{"b"});
  CHECK(a.config().named_volumes == std::vector<std::string>{"data", "logs"});
  CHECK_THAT(a.config().composition, Catch::Matchers::Contains(R"("environment":{"A":"1","B":"2"})"));
}

TEST_CASE("a field of the wrong type is named by its JSON pointer") {
  CHECK(error_of(R"({"current": {"apps": [{"services": [{"appId": "one"}]}]}})") ==
        "/current/apps/0/services/0/appId: must be an integer, not a string");
  CHECK(error_of(R"({"target": {"apps": [{"services": [{"composition": {"running": "yes"}}]}]}})") ==
        "/target/apps/0/services/0/composition/running: must be true or false, not a string");
  CHECK(error_of(R"({"context": {"locksHeld": [1, "2"]}})") ==
        "/context/locksHeld/1: must be an integer, not a string");
  CHECK(error_of(R"({"target": {"apps": [{"networks": [{"config": {}}]}]}})") ==
        "/target/apps/0/networks/0: needs a name");
  CHECK(error_of(R"([])") == "(document): must be an object, not an array");
  CHECK(error_of(R"({"context": {"engineImages": [{"references": ["a:1"]}]}})") ==
        "/context/engineImages/0: needs an id");
  CHECK(error_of(R"({"context": {"engineImages": [{"id": "sha256:1", "references": "a:1"}]}})") ==
        "/context/engineImages/0/references: must be an array, not a string");
}

TEST_CASE("values the planner cannot use are refused with a reason") {
  CHECK_THAT(error_of(R"({"current": {"apps": [{"services": [{"status": "Sleeping"}]}]}})"),
             Catch::Matchers::StartsWith("/current/apps/0/services/0/status: is not a known status"));
  CHECK_THAT(error_of(R"({"context": {"now": "yesterday"}})"),
             Catch::Matchers::StartsWith("/context/now: must be a time"));
  CHECK(error_of(R"({"target": {"apps": [{"services": [{}, {}]}]}})") ==
        "/target/apps/0/services/1: service 'main' appears twice in the target app");
  CHECK(error_of(R"({"target": {"apps": [{"appId": 3}, {"appId": 3}]}})") ==
        "/target/apps/1: appId 3 appears twice");
  CHECK_THAT(error_of(R"({"target": {"apps": [{"services": [
      {"serviceName": "a", "depends_on": ["b"]}, {"serviceName": "b", "depends_on": ["a"]}]}]}})"),
             Catch::Matchers::Contains("depends_on forms a cycle"));
}

TEST_CASE("text that is not JSON is refused without a crash") {
  CHECK_THAT(error_of("{\"current\": "), Catch::Matchers::StartsWith("(document): not valid JSON"));
  CHECK_THAT(error_of(""), Catch::Matchers::StartsWith("(document): not valid JSON"));
  // nlohmann throws out_of_range, not parse_error, for a number too large for a double (found by fuzzing).
  CHECK_THAT(error_of("{\"current\": 1E999}"), Catch::Matchers::StartsWith("(document): not valid JSON"));
}

TEST_CASE("the request form round-trips") {
  const auto r = test::request(R"({
    "current": {"apps": [{"appId": 7, "appUuid": "u7", "commit": "c1", "services": [
      {"serviceName": "s", "appId": 7, "appUuid": "u7", "status": "exited", "containerId": "abc",
       "exitErrorMessage": "boom", "dockerImageId": "sha256:1", "composition": {"restart": "no"}}],
      "networks": [{"name": "n", "config": {"ipam": {"config": [{"subnet": "10.0.0.0/24"}]}}}],
      "volumes": [{"name": "v", "config": {"driver_opts": {"type": "tmpfs"}}}]}]},
    "target": {"apps": [{"appId": 7, "appUuid": "u7", "isRejected": true, "services": [
      {"serviceName": "s", "appId": 7, "appUuid": "u7", "running": false}]}]},
    "context": {"downloading": ["x"], "locksHeld": [7], "force": true, "keepImages": true,
                "containerIds": {"7": {"s": "abc"}}, "rebootBreadcrumbSet": true,
                "engineImages": [{"id": "sha256:1", "references": ["s:1", "reg/s@sha256:9"]}, {"id": "sha256:2"}]}
  })");
  REQUIRE(r.context.engine_images.size() == 2);
  CHECK(r.context.engine_images[0].references == std::vector<std::string>{"s:1", "reg/s@sha256:9"});
  CHECK(r.context.engine_images[1].references.empty());
  const auto again = test::request(reconcile::to_json(r).dump());
  CHECK(again.current == r.current);
  CHECK(again.target == r.target);
  CHECK(again.context == r.context);
}

TEST_CASE("steps carry the engine copy of removeImage and the container a start reuses") {
  reconcile::Image image;
  image.name = "web:0";
  const auto keep = reconcile::to_json(reconcile::Step{reconcile::RemoveImage{image, reconcile::EngineCopy::Keep, "r"}});
  CHECK(keep["engineCopy"] == "keep");
  const auto del = reconcile::to_json(reconcile::Step{reconcile::RemoveImage{image, reconcile::EngineCopy::Delete, "r"}});
  CHECK(del["engineCopy"] == "delete");

  reconcile::Service target;
  CHECK_FALSE(reconcile::to_json(reconcile::Step{reconcile::Start{target, "r"}})["target"].contains("containerId"));
  target.container_id = "c1";
  CHECK(reconcile::to_json(reconcile::Step{reconcile::Start{target, "r"}})["target"]["containerId"] == "c1");
}
