// A corrupt or unreadable database found at open is moved aside (kept for
// inspection), a fresh one takes its place and the caller is told.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>

#include "engine/store/store.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

// A database with enough in it to span many pages, closed (so the WAL is
// checkpointed into the file).
void fill(const fs::path& path) {
  auto opened = open_store(path);
  REQUIRE(opened.store.set_target(sample_target()));
  REQUIRE(opened.store.set_config("name", "gateway"));
  std::vector<LogEntry> lines;
  for (int n = 0; n < 500; ++n) {
    lines.push_back({n, 1, "api", LogStream::Stdout, fmt::format("a log line long enough to fill pages {}", n)});
  }
  REQUIRE(opened.store.append_logs(lines));
}

StoreOptions fixed_clock(const fs::path& path) {
  auto options = options_for(path);
  // 2026-01-02T03:04:05Z
  options.now = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1767323045)); };
  return options;
}

// The fresh database must be a working store: migrated, writable, readable.
// (What it holds after the recovery is damage_test.cpp's subject.)
void check_fresh_store_works(Store& store) {
  auto versions = store.schema_versions();
  REQUIRE(versions);
  CHECK(versions.value() == std::vector<int>{1, 2, 3, 4});
  Target target = sample_target();
  target.device_name = "after-recovery";
  REQUIRE(store.set_target(target));
  auto read = store.target();
  REQUIRE(read);
  REQUIRE(read.value().has_value());
  CHECK(*read.value() == target);
}

// Nothing to restore from (no state copy, a file SQLite cannot read): the
// device starts as on first boot.
void check_first_boot(Opened& opened) {
  CHECK(opened.copy.action == CopyAction::Lost);
  auto target = opened.store.target();
  REQUIRE(target);
  CHECK_FALSE(target.value().has_value());
}

}  // namespace

TEST_CASE("a healthy database is opened where it is, without a recovery") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  auto opened = open_store(fixed_clock(path));
  CHECK_FALSE(opened.recovery);
  auto name = opened.store.config("name");
  REQUIRE(name);
  CHECK(name.value() == std::optional<std::string>("gateway"));
  CHECK_FALSE(fs::exists(path.string() + ".corrupt-20260102T030405Z"));
}

TEST_CASE("a file that is not a database is moved aside and a fresh store created") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  std::string garbage;
  for (int n = 0; n < 300; ++n) garbage += fmt::format("this is not an SQLite database, line {}\n", n);
  write_file(path, garbage);

  auto opened = open_store(fixed_clock(path));
  REQUIRE(opened.recovery);
  CHECK(opened.recovery->moved_to == fs::path(path.string() + ".corrupt-20260102T030405Z"));
  CHECK(opened.recovery->reason.find("not a database") != std::string::npos);
  CHECK(read_file(opened.recovery->moved_to) == garbage);  // kept as found
  CHECK(opened.migrations_applied == std::vector<int>{1, 2, 3, 4});
  check_first_boot(opened);
  check_fresh_store_works(opened.store);
}

TEST_CASE("a truncated database is moved aside and a fresh store created") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  const auto size = fs::file_size(path);
  REQUIRE(size > 8 * 4096);
  fs::resize_file(path, size / 2);
  const std::string truncated = read_file(path);

  auto opened = open_store(fixed_clock(path));
  REQUIRE(opened.recovery);
  CHECK_FALSE(opened.recovery->reason.empty());
  CHECK(read_file(opened.recovery->moved_to) == truncated);
  CHECK(opened.copy.action == CopyAction::Restored);
  check_fresh_store_works(opened.store);
}

TEST_CASE("a database with scribbled pages fails the integrity check and is moved aside") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  std::string bytes = read_file(path);
  const std::size_t page = 4096;
  REQUIRE(bytes.size() % page == 0);
  // Page 1 (the header and the schema) stays readable, so the damage is only
  // found by looking at the other pages: the b-tree headers of every page
  // after the first are overwritten.
  for (std::size_t offset = page; offset < bytes.size(); offset += page) {
    for (std::size_t i = 0; i < 48; ++i) bytes[offset + i] = static_cast<char>(0xA5);
  }
  write_file(path, bytes);

  auto opened = open_store(fixed_clock(path));
  REQUIRE(opened.recovery);
  // Found by the integrity check itself, which names the damaged pages.
  CHECK(opened.recovery->reason.rfind("integrity_check:", 0) == 0);
  CHECK(opened.recovery->reason.find("Page") != std::string::npos);
  CHECK(read_file(opened.recovery->moved_to) == bytes);
  CHECK(opened.copy.action == CopyAction::Restored);
  check_fresh_store_works(opened.store);
}

TEST_CASE("the quick check also finds scribbled pages") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  std::string bytes = read_file(path);
  for (std::size_t offset = 4096; offset < bytes.size(); offset += 4096) {
    for (std::size_t i = 0; i < 48; ++i) bytes[offset + i] = static_cast<char>(0x5A);
  }
  write_file(path, bytes);
  auto options = fixed_clock(path);
  options.integrity_check = IntegrityCheck::Quick;
  auto opened = open_store(options);
  REQUIRE(opened.recovery);
  CHECK(opened.recovery->reason.rfind("quick_check:", 0) == 0);
}

TEST_CASE("the WAL of a corrupt database moves with it, and a second recovery gets its own name") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  write_file(path, std::string(8192, 'x'));
  write_file(path.string() + "-wal", "not a wal either");
  {
    auto opened = open_store(fixed_clock(path));
    REQUIRE(opened.recovery);
    CHECK(read_file(opened.recovery->moved_to.string() + "-wal") == "not a wal either");
  }
  write_file(path, std::string(8192, 'y'));
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
  auto opened = open_store(fixed_clock(path));
  REQUIRE(opened.recovery);
  CHECK(opened.recovery->moved_to == fs::path(path.string() + ".corrupt-20260102T030405Z-1"));
  CHECK(read_file(opened.recovery->moved_to) == std::string(8192, 'y'));
  CHECK(read_file(path.string() + ".corrupt-20260102T030405Z") == std::string(8192, 'x'));
  check_first_boot(opened);
  check_fresh_store_works(opened.store);
}

TEST_CASE("a database locked by another process is an error, never moved aside") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  RawDb other(path);
  other.exec("PRAGMA journal_mode = WAL");
  other.exec("BEGIN IMMEDIATE");
  other.exec("CREATE TABLE other_process (x)");  // holds the write lock

  auto options = fixed_clock(path);
  options.busy_timeout = std::chrono::milliseconds(50);
  auto opened = Store::open(options);
  REQUIRE_FALSE(opened);
  CHECK((opened.error().sqlite_code & 0xff) == SQLITE_BUSY);
  CHECK(opened.error().kind == ErrorKind::Sqlite);
  CHECK_FALSE(fs::exists(path.string() + ".corrupt-20260102T030405Z"));
  other.exec("ROLLBACK");
}

TEST_CASE("a folder that does not exist is an error, not a crash") {
  TempDir dir;
  auto opened = Store::open(options_for(dir.file("missing") / "db.sqlite"));
  REQUIRE_FALSE(opened);
  CHECK(opened.error().operation.find("open") == 0);
  CHECK_FALSE(opened.error().message.empty());
}
