#include "engine/cloud/config_json.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "temp_dir.hpp"

using engine::cloud::ConfigJson;
using engine::cloud::ErrorKind;
using cloud_test::TempDir;

namespace {

const char* const kDevice = R"({
  "applicationName": "testfleet",
  "applicationId": "1",
  "deviceType": "generic-amd64",
  "userId": 2,
  "uuid": "d42adeaa1b24a36d41121ac15c4bd337",
  "apiKey": "provisioning",
  "deviceApiKey": "devicekey",
  "apiEndpoint": "https://api.example.com",
  "registryEndpoint": "registry2.example.com",
  "deltaEndpoint": "https://delta.example.com",
  "appUpdatePollInterval": "600000",
  "listenPort": 48484,
  "persistentLogging": "true",
  "developmentMode": 1,
  "vpnPort": 443,
  "os": {"network": {"wifi": {}}}
})";

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void spit(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

}  // namespace

TEST_CASE("config.json is read with its loose types", "[config]") {
  auto parsed = engine::cloud::parse_config_json(kDevice);
  REQUIRE(parsed.ok());
  const ConfigJson& config = parsed.value();
  CHECK(config.uuid == std::optional<std::string>("d42adeaa1b24a36d41121ac15c4bd337"));
  CHECK(config.application_id == std::optional<std::int64_t>(1));
  CHECK(config.user_id == std::optional<std::int64_t>(2));
  CHECK(config.app_update_poll_interval == std::optional<std::int64_t>(600000));
  CHECK(config.poll_interval() == std::chrono::milliseconds(600000));
  CHECK(config.persistent_logging == std::optional<bool>(true));
  CHECK(config.development_mode == std::optional<bool>(true));
  CHECK(config.api_port() == 48484);
  CHECK(config.bootstrap_delay() == std::chrono::milliseconds(30000));
  CHECK(config.managed());
  CHECK_FALSE(config.provisioned());
}

TEST_CASE("booleans accept true/false, 1/0 and on/off spellings", "[config]") {
  for (const char* yes : {"true", "\"true\"", "\"1\"", "1", "\"on\"", "\"ON\""}) {
    auto parsed = engine::cloud::parse_config_json(fmt::format(R"({{"persistentLogging": {}}})", yes));
    REQUIRE(parsed.ok());
    CHECK(parsed->persistent_logging == std::optional<bool>(true));
  }
  for (const char* no : {"false", "\"false\"", "\"0\"", "0", "\"off\""}) {
    auto parsed = engine::cloud::parse_config_json(fmt::format(R"({{"persistentLogging": {}}})", no));
    REQUIRE(parsed.ok());
    CHECK(parsed->persistent_logging == std::optional<bool>(false));
  }
}

TEST_CASE("a bad value is a Config error naming the key", "[config]") {
  struct Case {
    const char* text;
    const char* key;
  };
  for (const auto& bad : {Case{R"({"applicationId": "twelve"})", "applicationId"},
                          Case{R"({"uuid": 12})", "uuid"},
                          Case{R"({"persistentLogging": "maybe"})", "persistentLogging"},
                          Case{R"({"listenPort": 4.5})", "listenPort"},
                          Case{R"({"deviceId": true})", "deviceId"}}) {
    auto parsed = engine::cloud::parse_config_json(bad.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::Config);
    CHECK(parsed.error().message.rfind(bad.key, 0) == 0);
  }
  auto not_json = engine::cloud::parse_config_json("{\"uuid\": ");
  REQUIRE_FALSE(not_json.ok());
  CHECK(not_json.error().kind == ErrorKind::Config);
  auto array = engine::cloud::parse_config_json("[]");
  REQUIRE_FALSE(array.ok());
}

TEST_CASE("provisioned needs uuid, apiEndpoint, registered_at and deviceId", "[config]") {
  auto parsed = engine::cloud::parse_config_json(
      R"({"uuid":"u","apiEndpoint":"https://a","registered_at":"1700000000000","deviceId":7})");
  REQUIRE(parsed.ok());
  CHECK(parsed->provisioned());
  ConfigJson config = parsed.value();
  config.device_id = 0;  // present but not truthy
  CHECK_FALSE(config.provisioned());
  config.device_id = 7;
  config.api_endpoint = "";
  CHECK_FALSE(config.provisioned());
  CHECK_FALSE(config.managed());
}

TEST_CASE("rendering keeps unknown keys, key order and unchanged spellings", "[config]") {
  auto parsed = engine::cloud::parse_config_json(kDevice);
  REQUIRE(parsed.ok());
  ConfigJson config = parsed.value();
  config.api_key.reset();           // provisioned: the provisioning key goes
  config.device_id = 1;             // new keys are appended
  config.registered_at = 1700000000000;
  config.listen_port = 48485;       // a changed value is rewritten typed
  auto text = engine::cloud::render_config_json(config);
  REQUIRE(text.ok());
  CHECK(text.value() ==
        R"({"applicationName":"testfleet","applicationId":"1","deviceType":"generic-amd64","userId":2,)"
        R"("uuid":"d42adeaa1b24a36d41121ac15c4bd337","deviceApiKey":"devicekey",)"
        R"("apiEndpoint":"https://api.example.com","registryEndpoint":"registry2.example.com",)"
        R"("deltaEndpoint":"https://delta.example.com","appUpdatePollInterval":"600000","listenPort":48485,)"
        R"("persistentLogging":"true","developmentMode":1,"vpnPort":443,"os":{"network":{"wifi":{}}},)"
        R"("registered_at":1700000000000,"deviceId":1})");
}

TEST_CASE("a config built from nothing renders only what is set", "[config]") {
  ConfigJson config;
  config.uuid = "abc";
  config.persistent_logging = false;
  auto text = engine::cloud::render_config_json(config);
  REQUIRE(text.ok());
  CHECK(text.value() == R"({"uuid":"abc","persistentLogging":false})");
}

TEST_CASE("save then read gives back the same config, and the file is replaced whole", "[config]") {
  TempDir dir;
  const auto path = dir.path() / "config.json";
  spit(path, kDevice);
  auto read = engine::cloud::read_config_json(path);
  REQUIRE(read.ok());
  ConfigJson config = read.value();
  config.api_key.reset();
  config.device_id = 9;
  REQUIRE(engine::cloud::save_config_json(path, config).ok());
  auto again = engine::cloud::read_config_json(path);
  REQUIRE(again.ok());
  CHECK_FALSE(again->api_key.has_value());
  CHECK(again->device_id == std::optional<std::int64_t>(9));
  CHECK(again->original == config.original);
  CHECK(slurp(path) == config.original);
  // No temp file is left behind.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("read errors: a missing file is FileSystem, a bad file names the path", "[config]") {
  TempDir dir;
  auto missing = engine::cloud::read_config_json(dir.path() / "nope.json");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::FileSystem);
  spit(dir.path() / "bad.json", R"({"deviceId": "x"})");
  auto bad = engine::cloud::read_config_json(dir.path() / "bad.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::Config);
  CHECK(bad.error().message.find("bad.json: deviceId") != std::string::npos);
}

TEST_CASE("writing into a missing directory is a FileSystem error", "[config]") {
  TempDir dir;
  auto status = engine::cloud::write_file_atomically(dir.path() / "no" / "config.json", "{}");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::FileSystem);
}

TEST_CASE("kill -9 during writes leaves the old or the new file, never a torn one", "[config]") {
  TempDir dir;
  const auto path = dir.path() / "config.json";
  // Two large, different contents, so that a write takes long enough to be interrupted.
  const std::string old_text = fmt::format(R"({{"uuid":"old","pad":"{}"}})", std::string(400000, 'o'));
  const std::string new_text = fmt::format(R"({{"uuid":"new","pad":"{}"}})", std::string(400000, 'n'));
  spit(path, old_text);
  for (int round = 0; round < 20; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      for (int i = 0;; ++i) {
        if (!engine::cloud::write_file_atomically(path, i % 2 == 0 ? new_text : old_text).ok()) ::_exit(1);
      }
    }
    ::usleep(static_cast<useconds_t>(2000 + round * 1500));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    const std::string now = slurp(path);
    const bool whole = now == old_text || now == new_text;
    CHECK(whole);
    REQUIRE(engine::cloud::parse_config_json(now).ok());
  }
}
