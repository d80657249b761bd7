#include "engine/cloud/provision.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "fake_cloud.hpp"
#include "temp_dir.hpp"

namespace cloud = engine::cloud;
using cloud::ProvisionAction;
using cloud::ProvisionState;
using cloud_test::FakeCloud;
using cloud_test::TempDir;

namespace {

cloud::ConfigJson config_with(std::optional<std::int64_t> registered_at, std::optional<std::int64_t> device_id,
                              std::optional<std::string> api_key) {
  cloud::ConfigJson config;
  config.registered_at = registered_at;
  config.device_id = device_id;
  config.api_key = std::move(api_key);
  return config;
}

// Hex strings "aaa...1", "aaa...2", ...: repeatable identities. The count
// is shared by every source, so two sources never hand out the same value.
cloud::HexSource counting_hex() {
  return [](std::size_t chars) -> cloud::Result<std::string> {
    static int next = 0;
    const std::string digits = fmt::format("{:x}", ++next);
    return fmt::format("{}{}", std::string(chars - digits.size(), 'a'), digits);
  };
}

cloud::HttpClient client_for(const std::string& url) {
  cloud::HttpOptions options;
  options.base_url = url;
  options.total_timeout = std::chrono::seconds(10);
  auto client = cloud::HttpClient::create(options);
  REQUIRE(client.ok());
  return std::move(client).value();
}

cloud::DeviceInfo device_info() {
  cloud::DeviceInfo device;
  device.device_type = "generic-amd64";
  device.supervisor_version = "19.0.5";
  device.os_version = "balenaOS 6.0.10";
  device.os_variant = "prod";
  return device;
}

// A config.json for the fake cloud's fleet (id 1), with a provisioning key.
cloud::ConfigJson fresh_config(const FakeCloud& fake, const std::filesystem::path& path) {
  {
    std::ofstream out(path);
    out << fmt::format(R"({{"applicationId":"1","apiEndpoint":"{}","apiKey":"pk","bootstrapRetryDelay":"5000",)"
                       R"("deviceType":"generic-amd64","vpnPort":443}})",
                       fake.url());
  }
  auto config = cloud::read_config_json(path);
  REQUIRE(config.ok());
  cloud::ConfigJson value = config.value();
  auto changed = cloud::ensure_identity(value, counting_hex());
  REQUIRE(changed.ok());
  REQUIRE(changed.value());
  REQUIRE(cloud::save_config_json(path, value).ok());
  return value;
}

cloud::ConfigJson reread(const std::filesystem::path& path) {
  auto config = cloud::read_config_json(path);
  REQUIRE(config.ok());
  return config.value();
}

}  // namespace

TEST_CASE("the provision decision table of §2.2", "[provision]") {
  CHECK(cloud::decide_provision(config_with(1, 7, std::nullopt)) == ProvisionAction::None);
  CHECK(cloud::decide_provision(config_with(std::nullopt, std::nullopt, "pk")) == ProvisionAction::Register);
  CHECK(cloud::decide_provision(config_with(std::nullopt, 7, "pk")) == ProvisionAction::Register);
  CHECK(cloud::decide_provision(config_with(0, 7, "pk")) == ProvisionAction::Register);
  CHECK(cloud::decide_provision(config_with(1, std::nullopt, "pk")) == ProvisionAction::KeyExchangeWithRegenerate);
  CHECK(cloud::decide_provision(config_with(1, std::nullopt, std::nullopt)) ==
        ProvisionAction::KeyExchangeWithRegenerate);
  CHECK(cloud::decide_provision(config_with(1, 7, "pk")) == ProvisionAction::KeyExchangeWithoutRegenerate);
  CHECK(cloud::decide_provision(config_with(1, 7, "")) == ProvisionAction::None);
}

TEST_CASE("ensure_identity generates a missing uuid and, when managed, a device key", "[provision]") {
  cloud::ConfigJson unmanaged;
  auto changed = cloud::ensure_identity(unmanaged, counting_hex());
  REQUIRE(changed.ok());
  CHECK(changed.value());
  REQUIRE(unmanaged.uuid.has_value());
  CHECK(unmanaged.uuid->size() == 32);
  CHECK_FALSE(unmanaged.device_api_key.has_value());

  cloud::ConfigJson managed;
  managed.api_endpoint = "https://api.example.com";
  managed.uuid = "kept";
  managed.device_api_key = "";
  REQUIRE(cloud::ensure_identity(managed, counting_hex()).value());
  CHECK(managed.uuid == std::optional<std::string>("kept"));
  CHECK(managed.device_api_key->size() == 32);
  CHECK_FALSE(cloud::ensure_identity(managed, counting_hex()).value());

  auto random = cloud::urandom_hex()(32);
  REQUIRE(random.ok());
  CHECK(random.value().size() == 32);
  CHECK(random.value().find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("the register body has the supervisor's keys in its order, absent values left out", "[provision]") {
  cloud::RegisterRequest request{"pk", 1, "uuid1", "key1", device_info()};
  CHECK(cloud::register_body(request) ==
        R"({"application":1,"uuid":"uuid1","device_type":"generic-amd64","api_key":"key1",)"
        R"("supervisor_version":"19.0.5","os_version":"balenaOS 6.0.10","os_variant":"prod"})");
}

TEST_CASE("provision against the fake cloud", "[provision][fake-cloud]") {
  if (!FakeCloud::available()) {
    WARN("tests/fake_cloud/fake_cloud.py missing: skipped");
    return;
  }
  FakeCloud fake;
  fake.control("POST", "provisioning-key", {{"key", "pk"}});
  TempDir dir;
  const auto path = dir.path() / "config.json";
  auto api = client_for(fake.url());

  SECTION("a fresh device registers, and config.json gets registered_at and deviceId, without apiKey") {
    auto config = fresh_config(fake, path);
    const auto outcome = cloud::provision(api, path, config, device_info(), 1700000000000, counting_hex());
    INFO((outcome.error ? outcome.error->describe() : std::string("no error")));
    REQUIRE(outcome.state == ProvisionState::Provisioned);
    CHECK(outcome.action == ProvisionAction::Register);
    const auto saved = reread(path);
    CHECK(saved.registered_at == std::optional<std::int64_t>(1700000000000));
    CHECK(saved.device_id == outcome.device_id);
    CHECK_FALSE(saved.api_key.has_value());
    CHECK(saved.provisioned());
    CHECK(saved.original.find("\"vpnPort\":443") != std::string::npos);  // unknown keys kept
    const auto view = fake.control("GET", fmt::format("device/{}", *saved.uuid));
    CHECK(view.dump().find(*saved.uuid) != std::string::npos);

    // Once provisioned, nothing more happens.
    auto again = saved;
    const auto second = cloud::provision(api, path, again, device_info(), 1700000000001, counting_hex());
    CHECK(second.state == ProvisionState::AlreadyProvisioned);
  }

  SECTION("a 409 whose device key still works: key exchange step 1 finds the device") {
    auto config = fresh_config(fake, path);
    auto first = config;
    REQUIRE(cloud::provision(api, path, first, device_info(), 1, counting_hex()).state == ProvisionState::Provisioned);
    // As if config.json had not been saved after the first registration.
    auto replay = config;
    const auto outcome = cloud::provision(api, path, replay, device_info(), 2, counting_hex());
    INFO((outcome.error ? outcome.error->describe() : std::string("no error")));
    REQUIRE(outcome.state == ProvisionState::Provisioned);
    CHECK(outcome.device_id == first.device_id);
    CHECK_FALSE(outcome.regenerated);
    CHECK(reread(path).uuid == config.uuid);
  }

  SECTION("a 409 for another device's uuid: key exchange fails, a new identity is written") {
    const auto config = fresh_config(fake, path);
    fake.control("POST", "device", {{"uuid", *config.uuid}, {"api_key", "someone-elses-key"}});
    auto attempt = config;
    const auto outcome = cloud::provision(api, path, attempt, device_info(), 3, counting_hex());
    REQUIRE(outcome.state == ProvisionState::RetryLater);
    CHECK(outcome.regenerated);
    CHECK(outcome.retry_delay == std::chrono::milliseconds(5000));
    REQUIRE(outcome.error.has_value());
    CHECK(outcome.error->http_status == 401);  // captures 05/06: the lookups are refused
    const auto saved = reread(path);
    CHECK(saved.uuid != config.uuid);
    CHECK(saved.device_api_key != config.device_api_key);
    CHECK(saved.api_key == std::optional<std::string>("pk"));

    // The next attempt registers a brand-new device.
    auto next = saved;
    const auto retried = cloud::provision(api, path, next, device_info(), 4, counting_hex());
    INFO((retried.error ? retried.error->describe() : std::string("no error")));
    CHECK(retried.state == ProvisionState::Provisioned);
    CHECK(reread(path).provisioned());
  }

  SECTION("a wrong provisioning key is refused: retry later, nothing regenerated") {
    auto config = fresh_config(fake, path);
    config.api_key = "wrong";
    const auto outcome = cloud::provision(api, path, config, device_info(), 5, counting_hex());
    REQUIRE(outcome.state == ProvisionState::RetryLater);
    REQUIRE(outcome.error.has_value());
    CHECK(outcome.error->kind == cloud::ErrorKind::HttpStatus);
    CHECK(outcome.error->http_status == 401);
    CHECK(outcome.error->call == "register");
    CHECK_FALSE(outcome.regenerated);
    CHECK(reread(path).uuid == config.uuid);
  }

  SECTION("a cloud that fails with 500 is retried later, with bootstrapRetryDelay") {
    auto config = fresh_config(fake, path);
    fake.control("POST", "fault", {{"path", "/device/register"}, {"fault", "500"}, {"count", 1}});
    const auto outcome = cloud::provision(api, path, config, device_info(), 6, counting_hex());
    REQUIRE(outcome.state == ProvisionState::RetryLater);
    CHECK(outcome.error->http_status == 500);
    CHECK(outcome.retry_delay == std::chrono::milliseconds(5000));
  }

  SECTION("registered but no deviceId, cloud unreachable: no regeneration on a transport failure") {
    auto config = fresh_config(fake, path);
    config.registered_at = 1;
    fake.control("POST", "fault", {{"path", "/v7/device"}, {"fault", "drop"}, {"count", 5}});
    const auto outcome = cloud::provision(api, path, config, device_info(), 7, counting_hex());
    REQUIRE(outcome.state == ProvisionState::RetryLater);
    CHECK(outcome.action == ProvisionAction::KeyExchangeWithRegenerate);
    CHECK(outcome.error->kind == cloud::ErrorKind::Connect);
    CHECK_FALSE(outcome.regenerated);
  }

  SECTION("the key-exchange lookup answering non-JSON is BadResponse") {
    auto config = fresh_config(fake, path);
    fake.control("POST", "fault", {{"path", "/v7/device"}, {"fault", "not-json"}, {"count", 1}});
    auto id = cloud::lookup_device_id(api, *config.uuid, *config.device_api_key);
    REQUIRE_FALSE(id.ok());
    CHECK(id.error().kind == cloud::ErrorKind::BadResponse);
  }

  SECTION("initial config report creates the vars and names the device") {
    auto config = fresh_config(fake, path);
    REQUIRE(cloud::provision(api, path, config, device_info(), 8, counting_hex()).state ==
            ProvisionState::Provisioned);
    const std::vector<cloud::ConfigVar> vars{{"RESIN_SUPERVISOR_DELTA", "true"}};
    const auto outcome = cloud::report_initial_config(api, *config.device_api_key, *config.device_id, vars,
                                                      std::string("kitchen"));
    INFO((outcome.vars.ok() ? std::string("ok") : outcome.vars.error().describe()));
    CHECK(outcome.vars.ok());
    const auto requests = fake.control("GET", "requests");
    bool posted = false;
    for (const auto& request : requests) {
      if (request["path"] == "/v7/device_config_variable") {
        posted = true;
        CHECK(request["body"]["name"] == "RESIN_SUPERVISOR_DELTA");
        CHECK(request["body"]["device"] == *config.device_id);
      }
    }
    CHECK(posted);
    if (outcome.name_error) WARN(outcome.name_error->describe());
  }
}

TEST_CASE("provision with the cloud down: Connect, retry later", "[provision]") {
  TempDir dir;
  const auto path = dir.path() / "config.json";
  cloud::ConfigJson config;
  config.api_endpoint = "http://127.0.0.1:1";
  config.api_key = "pk";
  config.application_id = 1;
  REQUIRE(cloud::ensure_identity(config, counting_hex()).ok());
  auto api = client_for(*config.api_endpoint);
  const auto outcome = cloud::provision(api, path, config, device_info(), 1, counting_hex());
  REQUIRE(outcome.state == ProvisionState::RetryLater);
  CHECK(outcome.error->kind == cloud::ErrorKind::Connect);
  CHECK(outcome.retry_delay == std::chrono::milliseconds(30000));
}

TEST_CASE("the register body is byte for byte the one of capture 01", "[provision][captures]") {
  const std::filesystem::path capture = std::filesystem::path(CLOUD_TEST_CAPTURES) / "01-register.json";
  if (!std::filesystem::exists(capture)) {
    WARN("captures missing: skipped");
    return;
  }
  std::ifstream in(capture);
  const auto exchange = nlohmann::ordered_json::parse(in);
  const auto& body = exchange["request"]["body"];
  cloud::DeviceInfo device;
  device.device_type = body["device_type"].get<std::string>();
  device.supervisor_version = body["supervisor_version"].get<std::string>();
  device.os_version = body["os_version"].get<std::string>();
  device.os_variant = body["os_variant"].get<std::string>();
  const cloud::RegisterRequest request{"pk", body["application"].get<std::int64_t>(), body["uuid"].get<std::string>(),
                                       body["api_key"].get<std::string>(), device};
  CHECK(cloud::register_body(request) == body.dump());
  CHECK(exchange["request"]["headers"]["Accept-Encoding"] == "gzip, deflate");
}
