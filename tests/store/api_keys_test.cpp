// API keys: the global key and per app+service keys, with scopes.
#include <catch2/catch.hpp>

#include "engine/store/store.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

namespace {

ApiKey global_key(const std::string& secret) {
  return ApiKey{ApiKeyOwner::global(), secret, {{ScopeType::Global, 0}}};
}

ApiKey service_key(reconcile::AppId app, const std::string& service, const std::string& secret) {
  return ApiKey{ApiKeyOwner::service(app, service), secret, {{ScopeType::App, app}, {ScopeType::App, 7}}};
}

}  // namespace

TEST_CASE("global and per-service keys are stored with their scopes and found by secret") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  {
    auto opened = open_store(path);
    REQUIRE(opened.store.set_api_key(global_key("g-secret")));
    REQUIRE(opened.store.set_api_key(service_key(1, "api", "s-secret")));
  }
  auto opened = open_store(path);
  auto found = opened.store.find_api_key("s-secret");
  REQUIRE(found);
  REQUIRE(found.value().has_value());
  CHECK(*found.value() == service_key(1, "api", "s-secret"));
  auto global = opened.store.api_key(ApiKeyOwner::global());
  REQUIRE(global);
  REQUIRE(global.value().has_value());
  CHECK(global.value()->scopes == std::vector<ApiScope>{{ScopeType::Global, 0}});
  auto unknown = opened.store.find_api_key("nope");
  REQUIRE(unknown);
  CHECK_FALSE(unknown.value().has_value());
  auto all = opened.store.api_keys();
  REQUIRE(all);
  CHECK(all.value() == std::vector<ApiKey>{global_key("g-secret"), service_key(1, "api", "s-secret")});
}

TEST_CASE("regenerating a key replaces the owner's old one; the same key writes nothing") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  REQUIRE(opened.store.set_api_key(service_key(1, "api", "old")));
  const auto changes = opened.store.total_changes();
  auto same = opened.store.set_api_key(service_key(1, "api", "old"));
  REQUIRE(same);
  CHECK(same.value() == Change::Unchanged);
  CHECK(opened.store.total_changes() == changes);

  auto regenerated = opened.store.set_api_key(service_key(1, "api", "new"));
  REQUIRE(regenerated);
  CHECK(regenerated.value() == Change::Changed);
  auto old = opened.store.find_api_key("old");
  REQUIRE(old);
  CHECK_FALSE(old.value().has_value());
  auto all = opened.store.api_keys();
  REQUIRE(all);
  CHECK(all->size() == 1);
}

TEST_CASE("a secret another owner holds is refused, and that owner keeps it") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  REQUIRE(opened.store.set_api_key(global_key("shared")));
  auto clash = opened.store.set_api_key(service_key(1, "api", "shared"));
  REQUIRE_FALSE(clash);
  CHECK(clash.error().message.find("UNIQUE") != std::string::npos);
  CHECK(clash.error().operation == "set_api_key: key of app 1 service api");
  auto global = opened.store.api_key(ApiKeyOwner::global());
  REQUIRE(global);
  CHECK(global.value().has_value());
}

TEST_CASE("removing a service's key leaves the others") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  REQUIRE(opened.store.set_api_key(global_key("g")));
  REQUIRE(opened.store.set_api_key(service_key(1, "api", "a")));
  auto removed = opened.store.remove_api_key(ApiKeyOwner::service(1, "api"));
  REQUIRE(removed);
  CHECK(removed.value() == Change::Changed);
  auto all = opened.store.api_keys();
  REQUIRE(all);
  CHECK(all.value() == std::vector<ApiKey>{global_key("g")});
}
