// Target poll and state report against the fake cloud.
#include <catch2/catch.hpp>

#include "engine/cloud/json.hpp"
#include "engine/cloud/state_report.hpp"
#include "engine/cloud/target_poll.hpp"
#include "fake_cloud.hpp"

namespace cloud = engine::cloud;
using cloud_test::FakeCloud;
using nlohmann::json;

namespace {

const char* const kUuid = "d42adeaa1b24a36d41121ac15c4bd337";
const char* const kKey = "devicekey0123456789abcdef0123456";
const char* const kFleet = "5ec89b5d09ed4bc5a9913915d93d9834";
const char* const kCommit = "8eb1e41d97874f659c6e11ac9c4caa71";

json fleet_app() {
  return json::parse(fmt::format(R"({{"id": 1, "name": "testfleet", "is_host": false, "class": "fleet",
    "releases": {{"{}": {{"id": 1, "services": {{"frontend": {{"id": 1, "image_id": 1,
      "image": "127.0.0.1:5000/some/image", "environment": {{}}, "labels": {{}},
      "composition": {{"image": "127.0.0.1:5000/some/image", "restart": "always"}}}}}}}}}}}})",
                                 kCommit));
}

cloud::HttpClient client_for(const std::string& url, std::chrono::milliseconds total = std::chrono::seconds(10)) {
  cloud::HttpOptions options;
  options.base_url = url;
  options.total_timeout = total;
  auto client = cloud::HttpClient::create(options);
  REQUIRE(client.ok());
  return std::move(client).value();
}

// The fake cloud with device A registered and the fleet's target set.
void set_up(FakeCloud& fake) {
  fake.control("POST", "device", {{"uuid", kUuid}, {"api_key", kKey}});
  fake.control("POST", "target", {{"apps", {{kFleet, fleet_app()}}}});
}

cloud::PollRequest poll_request(std::optional<std::string> etag = std::nullopt) {
  return cloud::PollRequest{kUuid, kKey, std::move(etag)};
}

}  // namespace

TEST_CASE("target poll against the fake cloud", "[poll][fake-cloud]") {
  if (!FakeCloud::available()) {
    WARN("tests/fake_cloud/fake_cloud.py missing: skipped");
    return;
  }
  FakeCloud fake;
  set_up(fake);
  auto api = client_for(fake.url());

  SECTION("200 with a weak ETag, then 304 with it, then 200 after a fleet config change") {
    auto first = cloud::poll_target_state(api, poll_request());
    REQUIRE(first.ok());
    REQUIRE(std::holds_alternative<cloud::NewTarget>(first.value()));
    const auto target = std::get<cloud::NewTarget>(first.value());
    CHECK(target.etag.rfind("W/\"", 0) == 0);
    auto parsed = cloud::parse_target(target, kUuid);
    INFO((parsed.ok() ? std::string("parsed") : parsed.error().describe()));
    REQUIRE(parsed.ok());
    CHECK(cloud::poll_interval_from_config(parsed->config, cloud::kDefaultPollInterval) ==
          std::chrono::milliseconds(600000));

    auto second = cloud::poll_target_state(api, poll_request(target.etag));
    REQUIRE(second.ok());
    REQUIRE(std::holds_alternative<cloud::NotModified>(second.value()));
    CHECK(std::get<cloud::NotModified>(second.value()).etag == target.etag);

    fake.control("POST", "target", {{"apps", {{kFleet, fleet_app()}}},
                                    {"config", {{"BALENA_SUPERVISOR_POLL_INTERVAL", "700000"}}}});
    auto third = cloud::poll_target_state(api, poll_request(target.etag));
    REQUIRE(third.ok());
    REQUIRE(std::holds_alternative<cloud::NewTarget>(third.value()));
    const auto changed = std::get<cloud::NewTarget>(third.value());
    CHECK(changed.etag != target.etag);
    auto reparsed = cloud::parse_target(changed, kUuid);
    REQUIRE(reparsed.ok());
    CHECK(cloud::poll_interval_from_config(reparsed->config, cloud::kDefaultPollInterval) ==
          std::chrono::milliseconds(700000));

    // The poll sent the If-None-Match and the bearer key.
    const auto requests = fake.control("GET", "requests");
    REQUIRE(requests.size() >= 2);
    const auto& conditional = requests[1];
    CHECK(conditional["path"] == fmt::format("/device/v3/{}/state", kUuid));
    CHECK(conditional["headers"]["If-None-Match"] == target.etag);
    CHECK(conditional["headers"]["Authorization"] == fmt::format("Bearer {}", kKey));
  }

  SECTION("304 for an unknown device without a cached ETag is an error") {
    auto result = cloud::poll_target_state(api, cloud::PollRequest{"0123456789abcdef0123456789abcdef", kKey, {}});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == cloud::ErrorKind::HttpStatus);
    CHECK(result.error().http_status == 304);
  }

  SECTION("a wrong key is HttpStatus 401") {
    auto result = cloud::poll_target_state(api, cloud::PollRequest{kUuid, "wrong", {}});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().http_status == 401);
    CHECK(cloud::to_engine_error(result.error()).kind == engine::ErrorKind::Refused);
  }

  SECTION("faults: 500 is HttpStatus, drop is Connect, not-json parses to BadResponse, hang is Timeout") {
    fake.control("POST", "fault", {{"path", "/device/v3/"}, {"fault", "500"}, {"count", 1}});
    auto failed = cloud::poll_target_state(api, poll_request());
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().kind == cloud::ErrorKind::HttpStatus);
    CHECK(failed.error().http_status == 500);

    // Two drops: curl retries a request once on a fresh connection when a
    // reused one turns out closed.
    fake.control("POST", "fault", {{"path", "/device/v3/"}, {"fault", "drop"}, {"count", 2}});
    auto dropped = cloud::poll_target_state(api, poll_request());
    REQUIRE_FALSE(dropped.ok());
    CHECK(dropped.error().kind == cloud::ErrorKind::Connect);

    fake.control("POST", "fault", {{"path", "/device/v3/"}, {"fault", "not-json"}, {"count", 1}});
    auto garbage = cloud::poll_target_state(api, poll_request());
    REQUIRE(garbage.ok());
    REQUIRE(std::holds_alternative<cloud::NewTarget>(garbage.value()));
    auto parsed = cloud::parse_target(std::get<cloud::NewTarget>(garbage.value()), kUuid);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == cloud::ErrorKind::BadResponse);

    fake.control("POST", "fault", {{"path", "/device/v3/"}, {"fault", "hang"}, {"count", 1}, {"seconds", 3}});
    auto impatient = client_for(fake.url(), std::chrono::milliseconds(500));
    auto hung = cloud::poll_target_state(impatient, poll_request());
    REQUIRE_FALSE(hung.ok());
    CHECK(hung.error().kind == cloud::ErrorKind::Timeout);
  }

  SECTION("bytes per 304 poll on a reused connection stay small") {
    auto first = cloud::poll_target_state(api, poll_request());
    REQUIRE(first.ok());
    const auto etag = std::get<cloud::NewTarget>(first.value()).etag;
    api.reset_counters();
    for (int i = 0; i < 5; ++i) REQUIRE(cloud::poll_target_state(api, poll_request(etag)).ok());
    const auto counters = api.counters();
    CHECK(counters.requests == 5);
    CHECK(counters.bytes_sent / 5 < 400);
    CHECK(counters.bytes_received / 5 < 400);
  }
}

TEST_CASE("state report against the fake cloud", "[report][fake-cloud]") {
  if (!FakeCloud::available()) {
    WARN("tests/fake_cloud/fake_cloud.py missing: skipped");
    return;
  }
  FakeCloud fake;
  set_up(fake);
  auto api = client_for(fake.url());
  // The device polled once, so its target is known to the API (§5.1).
  REQUIRE(cloud::poll_target_state(api, poll_request()).ok());

  json current = {{kUuid,
                   {{"api_port", 48484},
                    {"os_version", "balenaOS 6.0.10"},
                    {"status", "Idle"},
                    {"ip_address", "192.168.1.20"},
                    {"apps",
                     {{kFleet,
                       {{"release_uuid", kCommit},
                        {"releases",
                         {{kCommit,
                           {{"update_status", "done"},
                            {"services",
                             {{"frontend", {{"image", "127.0.0.1:5000/some/image"}, {"status", "Running"}}}}}}}}}}}}}}}};

  json accepted = json::object();
  const json first = cloud::report_diff(accepted, current);
  auto sent = cloud::send_state_report(api, kKey, first.dump());
  INFO((sent.ok() ? std::string("ok") : sent.error().describe()));
  REQUIRE(sent.ok());
  accepted = cloud::apply_accepted_report(accepted, first);

  current[kUuid]["ip_address"] = "192.168.1.21";
  const json second = cloud::report_diff(accepted, current);
  CHECK(second == json{{kUuid, {{"ip_address", "192.168.1.21"}}}});
  REQUIRE(cloud::send_state_report(api, kKey, second.dump(), cloud::BodyEncoding::Gzip).ok());

  const auto reports = fake.control("GET", "reports");
  REQUIRE(reports.size() == 2);
  CHECK(reports[0]["body"] == first);
  CHECK(reports[1]["body"] == second);

  SECTION("a report the API rejects is HttpStatus 400") {
    json bad = {{kUuid, {{"mac_address", nullptr}}}};  // capture 22
    auto rejected = cloud::send_state_report(api, kKey, bad.dump());
    REQUIRE_FALSE(rejected.ok());
    CHECK(rejected.error().kind == cloud::ErrorKind::HttpStatus);
    CHECK(rejected.error().http_status == 400);
  }
  SECTION("a wrong key is 401") {
    auto refused = cloud::send_state_report(api, "wrong", second.dump());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().http_status == 401);
  }
}
