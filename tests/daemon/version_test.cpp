// The version balena's tools read (issue 12 item 1): the CLI refuses
// `balena push` to a local-mode device whose GET /v2/version is below 7.21.4,
// and livepush below 9.7.0.
#include <httplib.h>

#include <catch2/catch.hpp>

#include <array>
#include <charconv>
#include <string_view>

#include "api/server.hpp"
#include "quiet_device.hpp"

namespace {

using Semver = std::array<int, 3>;

// major.minor.patch; anything else fails the test (balena's tools use semver).
Semver semver(std::string_view text) {
  Semver out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out[i]);
    REQUIRE(error == std::errc());
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (i + 1 < out.size()) {
      REQUIRE(text.starts_with('.'));
      text.remove_prefix(1);
    }
  }
  REQUIRE(text.empty());
  return out;
}

}  // namespace

TEST_CASE("GET /v2/version answers a balena supervisor version the CLI accepts for push and livepush") {
  supervisor::testing::QuietDevice device;
  device.local_mode = true;  // as a device the CLI pushes to
  supervisor::api::Server server(device, {"127.0.0.1", 0, std::chrono::minutes(1)});
  std::string error;
  REQUIRE(server.start(error));
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(5, 0);

  const auto answer = client.Get("/v2/version");
  REQUIRE(answer);
  REQUIRE(answer->status == 200);
  const auto body = nlohmann::json::parse(answer->body);
  CHECK(body["status"] == "success");
  const Semver version = semver(body["version"].get<std::string>());
  CHECK(version >= Semver{7, 21, 4});  // multicontainer local mode
  CHECK(version >= Semver{9, 7, 0});   // livepush
  // The daemon's own version rides along, for people; balena ignores it.
  CHECK(body["daemonVersion"] == supervisor::kDaemonVersion);
}
