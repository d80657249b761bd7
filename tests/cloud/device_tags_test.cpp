// Device tags (cloud-protocol §3.2, §7) against the fake cloud, which holds
// to captures 73-77.
#include <catch2/catch.hpp>

#include "engine/cloud/device_tags.hpp"
#include "fake_cloud.hpp"

namespace cloud = engine::cloud;
using cloud_test::FakeCloud;
using nlohmann::json;

namespace {

const char* const kUuid = "d42adeaa1b24a36d41121ac15c4bd337";
const char* const kKey = "devicekey0123456789abcdef0123456";

cloud::HttpClient tags_client(const std::string& url) {
  cloud::HttpOptions options;
  options.base_url = url;
  options.total_timeout = std::chrono::seconds(10);
  auto client = cloud::HttpClient::create(options);
  REQUIRE(client.ok());
  return std::move(client).value();
}

}  // namespace

TEST_CASE("tags_to_send: only values that differ from the last reported ones", "[tags]") {
  const cloud::TagValues reported = {{"location", "lab"}, {"rack", "3"}, {"gone", "x"}};
  CHECK(cloud::tags_to_send({{"location", "lab"}, {"rack", "3"}}, reported).empty());
  CHECK(cloud::tags_to_send({{"location", "office"}, {"rack", "3"}}, reported) ==
        cloud::TagValues{{"location", "office"}});
  CHECK(cloud::tags_to_send({{"new", ""}}, reported) == cloud::TagValues{{"new", ""}});
  CHECK(cloud::tags_to_send({}, reported).empty());
}

TEST_CASE("device tags written and read back through the fake cloud", "[tags][fake-cloud]") {
  if (!FakeCloud::available()) {
    WARN("tests/fake_cloud/fake_cloud.py missing: skipped");
    return;
  }
  FakeCloud fake;
  const json device = fake.control("POST", "device", {{"uuid", kUuid}, {"api_key", kKey}});
  const std::int64_t device_id = device["id"].get<std::int64_t>();
  auto api = tags_client(fake.url());

  SECTION("no tags yet: an empty list") {
    auto tags = cloud::read_device_tags(api, kKey, device_id);
    REQUIRE(tags.ok());
    CHECK(tags->empty());
  }
  SECTION("a PATCH creates, a second updates one and keeps the other (73, 74, 77)") {
    REQUIRE(cloud::send_device_tags(api, kKey, kUuid, {{"location", "lab"}, {"rack", "3"}}).ok());
    REQUIRE(cloud::send_device_tags(api, kKey, kUuid, {{"location", "office"}}).ok());
    auto tags = cloud::read_device_tags(api, kKey, device_id);
    REQUIRE(tags.ok());
    REQUIRE(tags->size() == 2);
    CHECK(tags->at(0).tag_key == "location");
    CHECK(tags->at(0).value == "office");
    CHECK(tags->at(1).tag_key == "rack");
    CHECK(tags->at(1).value == "3");
    CHECK(tags->at(0).id != tags->at(1).id);
    const json requests = fake.control("GET", "requests");
    bool saw_patch = false;
    for (const json& request : requests) {
      if (request.value("path", "") != "/device/v3/tags") continue;
      saw_patch = true;
      CHECK(request.value("method", "") == "PATCH");
    }
    CHECK(saw_patch);
  }
  SECTION("the cloud's refusals are errors carrying the status (75, 76)") {
    auto empty = cloud::send_device_tags(api, kKey, kUuid, {});
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().http_status == 400);
    auto empty_key = cloud::send_device_tags(api, kKey, kUuid, {{"", "x"}});
    REQUIRE_FALSE(empty_key.ok());
    CHECK(empty_key.error().http_status == 400);
  }
  SECTION("a wrong key is refused") {
    auto wrong = cloud::send_device_tags(api, "wrongkey0123456789abcdef01234567", kUuid, {{"a", "b"}});
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().http_status == 401);
    auto read = cloud::read_device_tags(api, "wrongkey0123456789abcdef01234567", device_id);
    CHECK_FALSE(read.ok());
  }
}
