// Compose normalization edge cases that the conformance cases do not pin
// down: port folding, environment precedence, image defaults, refusals.
#include <catch2/catch.hpp>

#include "reconcile/compose_json.hpp"

using nlohmann::json;
namespace compose = reconcile::compose;

namespace {

json service_with(json composition) {
  return {{"serviceName", "main"}, {"appId", 7},       {"appUuid", "uuid7"}, {"serviceId", 3},
          {"imageId", 4},          {"releaseId", 5},   {"commit", "c0ffee"}, {"image", "img"},
          {"composition", std::move(composition)}};
}

json normalized(json composition, const compose::ServiceOptions& options = {}) {
  auto parsed = compose::normalize_service(service_with(std::move(composition)), options);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

json ports_of(json ports) { return normalized({{"ports", std::move(ports)}})["composition"]["ports"]; }

}  // namespace

TEST_CASE("ports: overlapping and duplicate mappings fold once") {
  CHECK(ports_of({"80", "80:80", "81"}) == json({"80-81:80-81/tcp"}));
}

TEST_CASE("ports: a host IP and an unbound host port are kept in the canonical string") {
  CHECK(ports_of({"127.0.0.1:8080:80/udp"}) == json({"127.0.0.1:8080:80/udp"}));
  CHECK(ports_of({"127.0.0.1::80"}) == json({"127.0.0.1::80/tcp"}));
}

TEST_CASE("ports: runs stop where the host port does not follow") {
  CHECK(ports_of({"80:80", "81:90"}) == json({"80:80/tcp", "81:90/tcp"}));
}

TEST_CASE("ports: malformed strings are refused with the field named") {
  for (const char* bad : {"80-90:80-85", "abc", "80/icmp", "90-80"}) {
    auto parsed = compose::normalize_service(service_with({{"ports", {bad}}}), {});
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().pointer == "/composition/ports/0");
  }
}

TEST_CASE("environment: feature variables beat the user's, the user's beat the supervisor's and the image's") {
  compose::ServiceOptions options;
  options.device_api_key = "device-key";
  options.image_info = {{"Config", {{"Env", {"PATH=/bin", "USER=image", "A=image"}}}}};
  const json env = normalized({{"environment", {{"BALENA_API_KEY", "mine"}, {"USER", "me"}, {"DOCKER_HOST", "tcp://x"}}},
                               {"labels", {{"io.balena.features.balena-api", "1"},
                                           {"io.balena.features.balena-socket", "1"}}}},
                              options)["composition"]["environment"];
  CHECK(env["BALENA_API_KEY"] == "device-key");
  CHECK(env["USER"] == "me");
  CHECK(env["PATH"] == "/bin");
  CHECK(env["A"] == "image");
  CHECK(env["DOCKER_HOST"] == "tcp://x");
}

TEST_CASE("labels: legacy io.resin names are renamed, resin-api included") {
  const json labels = normalized({{"labels", {{"io.resin.features.resin-api", "1"}}}})["composition"]["labels"];
  CHECK(labels.contains("io.balena.features.balena-api"));
  CHECK_FALSE(labels.contains("io.resin.features.resin-api"));
}

TEST_CASE("command: a string is split like a shell would") {
  CHECK(normalized({{"command", "sh -c 'echo hi there' \"a b\""}})["composition"]["command"] ==
        json({"sh", "-c", "echo hi there", "a b"}));
}

TEST_CASE("memory: an unknown unit is refused") {
  auto parsed = compose::normalize_service(service_with({{"mem_limit", "64x"}}), {});
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().pointer == "/composition/mem_limit");
}

TEST_CASE("create body: network_mode service: needs the other service's container") {
  const json service = service_with({{"network_mode", "service:db"}});
  CHECK_FALSE(compose::service_to_container_create(service, {}).ok());
  compose::ServiceOptions options;
  options.container_ids = {{"db", "abc"}};
  auto body = compose::service_to_container_create(service, options);
  REQUIRE(body.ok());
  CHECK(body.value()["HostConfig"]["NetworkMode"] == "container:abc");
  CHECK(body.value()["NetworkingConfig"]["EndpointsConfig"].empty());
}

TEST_CASE("equality: a changed environment variable or an extra capability means recreate") {
  const json base = normalized({{"environment", {{"A", "1"}}}, {"cap_add", {"NET_ADMIN"}}});
  CHECK(compose::same_service_config(base, base, {}));
  CHECK_FALSE(compose::same_service_config(base, normalized({{"environment", {{"A", "2"}}}, {"cap_add", {"NET_ADMIN"}}}), {}));
  CHECK_FALSE(compose::same_service_config(base, normalized({{"environment", {{"A", "1"}}}}), {}));
}

TEST_CASE("equality: dns keeps its order") {
  CHECK_FALSE(compose::same_service_config(normalized({{"dns", {"1.1.1.1", "8.8.8.8"}}}),
                                           normalized({{"dns", {"8.8.8.8", "1.1.1.1"}}}), {}));
}

TEST_CASE("options: wrong types are refused with the field named") {
  auto parsed = compose::parse_service_options({{"listenPort", "x"}});
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().pointer == "/listenPort");
}

TEST_CASE("container name: service names with underscores and missing commits") {
  const json inspect = {{"Id", "abc"},
                        {"Name", "/my_service_12_34"},
                        {"Config", {{"Labels", {{"io.balena.app-id", "1"}, {"io.balena.service-id", "2"},
                                                {"io.balena.service-name", "my_service"}}}}}};
  auto parsed = compose::service_from_container(inspect);
  REQUIRE(parsed.ok());
  CHECK(parsed.value()["imageId"] == 12);
  CHECK(parsed.value()["releaseId"] == 34);
  CHECK_FALSE(parsed.value().contains("commit"));
}

TEST_CASE("refusals: unknown restart policies and sizes that overflow") {
  auto restart = compose::normalize_service(service_with({{"restart", "sometimes"}}), {});
  REQUIRE_FALSE(restart.ok());
  CHECK(restart.error().pointer == "/composition/restart");
  auto huge = compose::normalize_service(service_with({{"mem_limit", "999999999999999g"}}), {});
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().pointer == "/composition/mem_limit");
}

TEST_CASE("supervisor-api: a service on another's network stack does not join supervisor0") {
  const json composition = normalized({{"network_mode", "service:db"},
                                       {"labels", {{"io.balena.features.supervisor-api", "1"}}}})["composition"];
  CHECK_FALSE(composition.contains("networks"));
}

TEST_CASE("create body from a planner Service: identity, composition and the engine image id") {
  reconcile::Service service;
  service.service_name = "web";
  service.app_id = 9;
  service.app_uuid = "u9";
  service.docker_image_id = "sha256:feed";
  reconcile::ServiceConfig config;
  config.composition = R"({"ports":["80"],"environment":{"A":"1"}})";
  service.set_config(config);
  auto body = compose::service_to_container_create(service, {});
  REQUIRE(body.ok());
  CHECK(body.value()["Image"] == "sha256:feed");
  CHECK(body.value()["HostConfig"]["PortBindings"].contains("80/tcp"));
  CHECK(body.value()["Labels"]["io.balena.service-name"] == "web");
  CHECK(body.value()["HostConfig"]["NetworkMode"] == "u9_default");
}

TEST_CASE("create body: SELinux label= security options are dropped, the others kept") {
  const json service = service_with(
      {{"security_opt", {"label=disable", "no-new-privileges", "label=type:svirt_apache_t", "apparmor=unconfined"}}});
  auto body = compose::service_to_container_create(service, {});
  REQUIRE(body.ok());
  CHECK(body.value()["HostConfig"]["SecurityOpt"] == json({"no-new-privileges", "apparmor=unconfined"}));
}
