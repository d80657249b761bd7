// POST /v2/local/target-state with a target that breaks the intake rules
// (issue 12 items 4 and 8), over real HTTP on loopback: a 400 naming the
// bad field or the depth limit, and the device is never handed the target,
// so neither the stored target nor anything running changes.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "api/server.hpp"
#include "quiet_device.hpp"

namespace {

using nlohmann::json;

// A device in local mode that counts the targets it is given.
class CountingDevice : public supervisor::testing::QuietDevice {
 public:
  CountingDevice() { local_mode = true; }
  int targets_set = 0;

  engine::Status set_target(const reconcile::LocalTargetState&) override {
    ++targets_set;
    return engine::Status::success();
  }
};

std::string target_with(const std::string& service) {
  return fmt::format(R"({{"local": {{"apps": {{"1": {{"commit": "abc", "releaseId": 1, "services": {{"1": {}}}}}}}}}}})",
                     service);
}

}  // namespace

TEST_CASE("a local target with a name Docker refuses, a wrapped id or a non-string value is a 400 naming the field; "
          "the device never gets it") {
  CountingDevice device;
  supervisor::api::ServerOptions options;
  options.port = 0;
  supervisor::api::Server server(device, options);
  std::string error;
  REQUIRE(server.start(error));
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(5, 0);

  struct Bad {
    std::string body;
    std::string pointer;
  };
  const std::vector<Bad> cases{
      {target_with(R"({"serviceName": "../../../../tmp/x", "image": "a"})"), "/local/apps/1/services/1/serviceName"},
      {target_with(R"({"serviceName": "wéb", "image": "a"})"), "/local/apps/1/services/1/serviceName"},
      {R"({"local": {"apps": {"1": {"commit": "a/b"}}}})", "/local/apps/1/commit"},
      {R"({"local": {"apps": {"1": {"releaseId": 9223372036854775808}}}})", "/local/apps/1/releaseId"},
      {target_with(R"({"serviceName": "web", "image": "a", "environment": {"A": 1}})"),
       "/local/apps/1/services/1/environment/A"},
      {target_with(R"({"serviceName": "web", "image": "a", "networks": ["../n"]})"),
       "/local/apps/1/services/1/networks"},
  };
  for (const Bad& bad : cases) {
    INFO(bad.body);
    auto answer = client.Post("/v2/local/target-state", bad.body, "application/json");
    REQUIRE(answer);
    CHECK(answer->status == 400);
    CHECK_THAT(json::parse(answer->body).value("message", ""), Catch::Matchers::Contains(bad.pointer + ":"));
  }
  CHECK(device.targets_set == 0);

  // The same body with good names is taken: the refusals above were the names.
  auto good = client.Post("/v2/local/target-state", target_with(R"({"serviceName": "web", "image": "a"})"),
                          "application/json");
  REQUIRE(good);
  CHECK(good->status == 200);
  CHECK(device.targets_set == 1);
  server.stop();
}

TEST_CASE("a body nested deeper than the limit is a 400 naming the limit, for every endpoint that reads a body") {
  CountingDevice device;
  supervisor::api::ServerOptions options;
  options.port = 0;
  supervisor::api::Server server(device, options);
  std::string error;
  REQUIRE(server.start(error));
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(5, 0);

  const std::string deep = R"({"local": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  for (const char* path : {"/v2/local/target-state", "/v1/update", "/v1/restart"}) {
    INFO(path);
    auto answer = client.Post(path, deep, "application/json");
    REQUIRE(answer);
    CHECK(answer->status == 400);
    CHECK_THAT(answer->body, Catch::Matchers::Contains("deeper than 64 levels"));
  }
  CHECK(device.targets_set == 0);
  server.stop();
}
