// Lock paths stay under the lock directory (issue 12 item 5): a service
// named `../../../../tmp/x` once made the daemon create directories and
// lockfiles outside its data directory. The target readers refuse such
// names; UpdateLocks refuses them again, whatever reaches it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/locks/update_locks.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/lock-path-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

TEST_CASE("a service name that would leave the lock directory is refused with an Invalid error, creating nothing") {
  TempDir base;
  const fs::path root = base.path / "locks";
  engine::UpdateLocks locks(root.string());
  const std::string escapes[] = {"../../../../tmp/x", "../escape", "..", ".", "", "a/b", "/abs", std::string("a\0b", 3)};
  for (const std::string& service : escapes) {
    INFO("service: " << service);
    const auto dir = locks.lock_dir(1, service);
    REQUIRE_FALSE(dir.ok());
    CHECK(dir.error().kind == engine::ErrorKind::Invalid);
    CHECK_THAT(dir.error().message, Catch::Matchers::Contains("would leave"));
    // A lock for it fails the same way, taking none of the others.
    const engine::Status taken = locks.take(1, {"web", service}, engine::Force::No);
    REQUIRE_FALSE(taken.ok());
    CHECK(taken.error().kind == engine::ErrorKind::Invalid);
  }
  CHECK_FALSE(fs::exists(root));  // not even the lock root was made
  CHECK_FALSE(fs::exists(base.path / "escape"));
  CHECK(fs::is_empty(base.path));
}

TEST_CASE("a plain service name gives <root>/<appId>/<service>") {
  TempDir base;
  engine::UpdateLocks locks((base.path / "locks").string());
  const auto dir = locks.lock_dir(7, "web_1.x-y");
  REQUIRE(dir.ok());
  CHECK(dir.value() == (base.path / "locks" / "7" / "web_1.x-y").string());
  CHECK(dir.value() == locks.service_dir(7, "web_1.x-y"));
  // A root written with a trailing slash or dots is the same root.
  engine::UpdateLocks dotted((base.path / "locks" / "." ).string() + "/");
  REQUIRE(dotted.lock_dir(7, "web").ok());
  CHECK(dotted.lock_dir(7, "web").value() == (base.path / "locks" / "7" / "web").string());
}
