// ApiKeys on a real store: service keys are created once and kept, scoped
// to their app; regeneration retires the old key at once.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "../cloud/temp_dir.hpp"
#include "api_keys.hpp"

namespace {

// Keys "k0000...", "k0001..." in order, so the test knows each new key.
engine::cloud::HexSource counting_hex() {
  auto next = std::make_shared<int>(0);
  return [next](std::size_t chars) -> engine::cloud::Result<std::string> {
    std::string key = fmt::format("{:04}", (*next)++);
    key.resize(chars, 'a');
    return key;
  };
}

engine::store::Store open_store(const std::filesystem::path& dir) {
  engine::store::StoreOptions options;
  options.path = dir / "database.sqlite";
  auto opened = engine::store::Store::open(options);
  if (!opened) throw std::runtime_error(opened.error().describe());
  return std::move(opened.value().store);
}

struct Fixture {
  cloud_test::TempDir dir;
  engine::store::Store store = open_store(dir.path());
  supervisor::ApiKeys keys{store, "globalkey", counting_hex()};
};

std::optional<supervisor::api::KeyScope> scope(supervisor::ApiKeys& api_keys, const std::string& key) {
  auto found = api_keys.scope_of(key);
  REQUIRE(found);
  return found.value();
}

}  // namespace

TEST_CASE("a service's key is created once, stored, scoped to its app, and the same at every call") {
  Fixture f;
  auto first = f.keys.service_key(7, "web");
  REQUIRE(first);
  CHECK(first.value().size() == 32);
  auto again = f.keys.service_key(7, "web");
  REQUIRE(again);
  CHECK(again.value() == first.value());
  auto other = f.keys.service_key(8, "web");
  REQUIRE(other);
  CHECK(other.value() != first.value());

  const auto web = scope(f.keys, first.value());
  REQUIRE(web);
  CHECK(web->app == 7);
  CHECK(web->allows(7));
  CHECK_FALSE(web->allows(8));
  const auto global = scope(f.keys, "globalkey");
  REQUIRE(global);
  CHECK(global->is_global());
  CHECK_FALSE(scope(f.keys, "nosuchkey").has_value());
  CHECK_FALSE(scope(f.keys, "").has_value());

  // Another ApiKeys on the same store (a restart) gives the stored key.
  supervisor::ApiKeys restarted{f.store, "globalkey", counting_hex()};
  auto kept = restarted.service_key(7, "web");
  REQUIRE(kept);
  CHECK(kept.value() == first.value());
}

TEST_CASE("regenerating a service key retires the old one at once and keeps the scope") {
  Fixture f;
  const std::string old_key = f.keys.service_key(7, "web").value();
  auto renewed = f.keys.regenerate(old_key);
  REQUIRE(renewed);
  CHECK(renewed.value() != old_key);
  CHECK_FALSE(scope(f.keys, old_key).has_value());
  const auto kept = scope(f.keys, renewed.value());
  REQUIRE(kept);
  CHECK(kept->app == 7);
  CHECK(f.keys.service_key(7, "web").value() == renewed.value());
}

TEST_CASE("regenerating the global key stores the new one as the device's key") {
  Fixture f;
  auto renewed = f.keys.regenerate("globalkey");
  REQUIRE(renewed);
  CHECK(f.keys.global_key() == renewed.value());
  CHECK_FALSE(scope(f.keys, "globalkey").has_value());
  CHECK(scope(f.keys, renewed.value())->is_global());
  auto stored = f.store.config("apiKey");
  REQUIRE(stored);
  CHECK(stored.value() == std::optional<std::string>(renewed.value()));
}

TEST_CASE("regenerating an unknown key is NotFound and changes nothing") {
  Fixture f;
  const auto before = f.store.total_changes();
  auto renewed = f.keys.regenerate("nosuchkey");
  REQUIRE_FALSE(renewed);
  CHECK(renewed.error().kind == engine::ErrorKind::NotFound);
  CHECK_FALSE(f.keys.regenerate(""));
  CHECK(f.store.total_changes() == before);
}
