#include <catch2/catch.hpp>

#include "config.hpp"

using supervisor::parse_config;

TEST_CASE("an empty configuration gives working defaults") {
  const auto result = parse_config("{}", "test");
  REQUIRE(result.config);
  const auto& config = *result.config;
  CHECK(config.listen_port == 48484);
  CHECK(config.data_dir == "/var/lib/supervisor");
  CHECK(config.local_mode);  // unmanaged: local mode
  CHECK_FALSE(config.docker_host.empty());
  CHECK(config.database_path() == "/var/lib/supervisor/database.sqlite");
}

TEST_CASE("configuration keys are read") {
  const auto result = parse_config(R"({"dataDir": "/tmp/x", "listenPort": 4000, "apiKey": "abc_123",
    "apiEndpoint": "https://api.example", "dockerHost": "unix:///run/other.sock",
    "appUpdatePollInterval": 60000, "backoffInitial": 100, "backoffMax": 2000})", "test");
  REQUIRE(result.config);
  CHECK(result.config->listen_port == 4000);
  CHECK(result.config->api_key == "abc_123");
  CHECK_FALSE(result.config->local_mode);  // managed: not local unless asked
  CHECK(result.config->docker_host == "unix:///run/other.sock");
  CHECK(result.config->backoff_max.count() == 2000);
}

TEST_CASE("a bad configuration names the file and the key") {
  CHECK(parse_config("[1]", "/etc/s.json").error == "/etc/s.json: not a JSON object");
  CHECK(parse_config("{", "/etc/s.json").error == "/etc/s.json: not a JSON object");
  CHECK(parse_config(R"({"listenPort": 70000})", "c").error == "c: listenPort must be a port number (1-65535)");
  CHECK(parse_config(R"({"localMode": "yes"})", "c").error == "c: localMode must be true or false");
  CHECK(parse_config(R"({"apiKey": "a b"})", "c").error == "c: apiKey may hold only letters, digits and _");
  CHECK(parse_config(R"({"backoffInitial": 10, "backoffMax": 5})", "c").error ==
        "c: backoffMax must not be below backoffInitial");
  CHECK_FALSE(supervisor::load_config("/nonexistent/config.json").config);
}
