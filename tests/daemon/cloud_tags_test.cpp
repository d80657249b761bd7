// Device tags on the daemon's side (cloud_tags.hpp): the wanted and the
// accepted values in the store, and the sender against the fake cloud,
// which holds to the real server's captures 73-77.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>
#include <thread>

#include "../cloud/fake_cloud.hpp"
#include "cloud_tags.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using supervisor::TagSender;
using supervisor::TagStore;
using supervisor::testing::TempDir;

const char* const kUuid = "d42adeaa1b24a36d41121ac15c4bd337";
const char* const kKey = "devicekey0123456789abcdef0123456";

struct StoreInDir {
  TempDir dir{"cloud-tags-test"};
  std::optional<engine::store::Store> store;
  StoreInDir() {
    engine::store::StoreOptions options;
    options.path = dir.path / "db.sqlite";
    auto opened = engine::store::Store::open(options);
    REQUIRE(opened.ok());
    store.emplace(std::move(opened.value().store));
  }
};

engine::cloud::HttpClient client_for(const std::string& url) {
  engine::cloud::HttpOptions options;
  options.base_url = url;
  options.total_timeout = std::chrono::seconds(10);
  auto client = engine::cloud::HttpClient::create(options);
  REQUIRE(client.ok());
  return std::move(client).value();
}

int tag_patches(cloud_test::FakeCloud& fake) {
  int count = 0;
  for (const json& request : fake.control("GET", "requests")) {
    if (request.value("path", "") == "/device/v3/tags") ++count;
  }
  return count;
}

template <class Check>
bool eventually(Check check) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!check()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace

TEST_CASE("tag store: wanted values merge over the stored ones and survive a reopen") {
  StoreInDir s;
  TagStore tags(*s.store);
  REQUIRE(tags.target().ok());
  CHECK(tags.target().value().empty());
  REQUIRE(tags.add_target({{"location", "lab"}, {"rack", "3"}}).ok());
  REQUIRE(tags.add_target({{"location", "office"}}).ok());
  REQUIRE(tags.mark_reported({{"rack", "3"}}).ok());
  TagStore again(*s.store);
  CHECK(again.target().value() == engine::cloud::TagValues{{"location", "office"}, {"rack", "3"}});
  CHECK(again.reported().value() == engine::cloud::TagValues{{"rack", "3"}});
}

TEST_CASE("tag sender: sends what is pending at start, then only values that changed", "[fake-cloud]") {
  if (!cloud_test::FakeCloud::available()) {
    WARN("tests/fake_cloud/fake_cloud.py missing: skipped");
    return;
  }
  cloud_test::FakeCloud fake;
  const json device = fake.control("POST", "device", {{"uuid", kUuid}, {"api_key", kKey}});
  StoreInDir s;
  supervisor::Logger log(supervisor::Level::Error);
  TagStore stored(*s.store);
  // Left by an earlier run: one value already accepted, one not.
  REQUIRE(stored.add_target({{"location", "lab"}, {"rack", "3"}}).ok());
  REQUIRE(stored.mark_reported({{"rack", "3"}}).ok());

  TagSender sender(*s.store, log);
  auto before = sender.read();
  REQUIRE_FALSE(before.ok());
  CHECK(before.error().kind == engine::ErrorKind::Unavailable);

  sender.start(client_for(fake.url()), {kUuid, kKey, device["id"].get<std::int64_t>()},
               [] { return std::chrono::milliseconds(900'000); });
  REQUIRE(eventually([&] { return stored.reported().value().contains("location"); }));
  CHECK(tag_patches(fake) == 1);
  const json cloud_view = fake.control("GET", fmt::format("device/{}", kUuid));
  CHECK(cloud_view["tags"] == json{{"location", "lab"}});  // rack was never sent: the cloud took it before

  // The same value again: nothing to send.
  REQUIRE(stored.add_target({{"location", "lab"}}).ok());
  sender.wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(tag_patches(fake) == 1);

  auto read = sender.read();
  REQUIRE(read.ok());
  REQUIRE(read.value().size() == 1);
  CHECK(read.value()[0].name == "location");
  CHECK(read.value()[0].value == "lab");
  sender.stop();
}
