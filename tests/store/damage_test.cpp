// A damaged database file does not take the target and the config values
// with it: the state copy beside it (docs/store.md, "The state copy") puts
// them back, or, without a usable copy, SQLite reads them out of the damaged
// file when their tables still check out. Regression: issue 15 item 1, a
// corrupt store forgot the release (`apps: {}` after the recovery).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>

#include "engine/store/store.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kPage = 4096;

const std::map<std::string, std::string> kConfig = {
    {"uuid", "0123456789abcdef0123456789abcdef"}, {"apiKey", "the-local-api-key"}, {"name", "gateway"}};

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

fs::path copy_of(const fs::path& database) { return database.string() + "-state"; }

// A database as a device has it: a target, the identity in config, and
// enough log lines to span many pages; closed, so the WAL is checkpointed
// into the file and removed.
void fill(const fs::path& path) {
  auto opened = open_store(path);
  REQUIRE(opened.store.set_target(sample_target()));
  REQUIRE(opened.store.set_config(kConfig));
  std::vector<LogEntry> lines;
  for (int n = 0; n < 500; ++n) {
    lines.push_back({n, 1, "api", LogStream::Stdout, fmt::format("a log line long enough to fill pages {}", n)});
  }
  REQUIRE(opened.store.append_logs(lines));
}

StoreOptions fixed_clock(const fs::path& path) {
  auto options = options_for(path);
  options.now = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1767323045)); };
  return options;
}

// The root page (1-based) of a table, read before the damage.
std::size_t root_page(const fs::path& path, const std::string& table) {
  RawDb db(path);
  return static_cast<std::size_t>(
      db.integer(fmt::format("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = '{}'", table)));
}

void scribble(std::string& bytes, std::size_t from, std::size_t to, char value) {
  REQUIRE(to <= bytes.size());
  for (std::size_t i = from; i < to; ++i) bytes[i] = value;
}

void check_state_intact(Store& store) {
  auto target = store.target();
  REQUIRE(target);
  REQUIRE(target.value().has_value());
  CHECK(*target.value() == sample_target());
  auto config = store.config_values();
  REQUIRE(config);
  CHECK(config.value() == kConfig);
}

ino_t inode(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_ino;
}

struct Damage {
  const char* name;
  std::function<void(std::string&)> apply;
};

}  // namespace

TEST_CASE("the target and config survive damage anywhere in the database file") {
  const std::vector<Damage> damages = {
      {"the header (first 100 bytes) overwritten", [](std::string& b) { scribble(b, 0, 100, '\xA5'); }},
      {"page 1 (the schema) overwritten after the header", [](std::string& b) { scribble(b, 100, kPage, '\x5A'); }},
      {"a page in the middle overwritten", [](std::string& b) {
         const std::size_t middle = (b.size() / kPage / 2) * kPage;
         scribble(b, middle, middle + kPage, '\xA5');
       }},
      {"the last page overwritten", [](std::string& b) { scribble(b, b.size() - kPage, b.size(), '\0'); }},
      {"every page's b-tree header overwritten", [](std::string& b) {
         for (std::size_t page = kPage; page < b.size(); page += kPage) scribble(b, page, page + 48, '\xA5');
       }},
      {"truncated to half", [](std::string& b) { b.resize(b.size() / 2); }},
      {"truncated to one page", [](std::string& b) { b.resize(kPage); }},
      {"truncated inside the header", [](std::string& b) { b.resize(50); }},
      {"replaced by text", [](std::string& b) { b = std::string(3 * kPage, 'x'); }},
  };
  for (const Damage& damage : damages) {
    DYNAMIC_SECTION(damage.name) {
      TempDir dir;
      const auto path = dir.file("db.sqlite");
      fill(path);
      std::string bytes = read_file(path);
      REQUIRE(bytes.size() > 8 * kPage);
      damage.apply(bytes);
      write_file(path, bytes);
      const std::string copy_before = read_file(copy_of(path));

      auto opened = open_store(fixed_clock(path));
      REQUIRE(opened.recovery);  // the damage was found and the file moved aside
      CHECK(read_file(opened.recovery->moved_to) == bytes);
      CHECK(opened.copy.action == CopyAction::Restored);
      check_state_intact(opened.store);
      // The copy was already right: restoring from it does not rewrite it.
      CHECK(read_file(copy_of(path)) == copy_before);
      // And the restored database works and keeps the copy in step.
      Target next = sample_target();
      next.device_name = "renamed";
      REQUIRE(opened.store.set_target(next));
      REQUIRE(opened.store.target().value() == std::optional<Target>(next));
    }
  }
}

TEST_CASE("a database file deleted or emptied by hand takes the state from the copy") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  SECTION("deleted") { fs::remove(path); }
  // A zero-length file is an empty database to SQLite, not a corrupt one.
  SECTION("emptied") { fs::resize_file(path, 0); }
  auto opened = open_store(path);
  CHECK_FALSE(opened.recovery);
  CHECK(opened.copy.action == CopyAction::Restored);
  check_state_intact(opened.store);
}

TEST_CASE("a damaged copy is never used: with the database damaged too, the state is salvaged or lost") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  std::string copy = read_file(copy_of(path));
  const auto body = copy.find('\n') + 1;
  // One byte of an image name in the middle of the body: JSON that still
  // parses, a target that still reads, but not the one stored.
  const auto image = copy.find("registry", body);
  REQUIRE(image != std::string::npos);
  copy[image] = 'R';
  write_file(copy_of(path), copy);

  SECTION("the database's header is gone: nothing to read, the device starts as on first boot") {
    std::string bytes = read_file(path);
    scribble(bytes, 0, 100, '\xA5');
    write_file(path, bytes);
    auto opened = open_store(fixed_clock(path));
    REQUIRE(opened.recovery);
    CHECK(opened.copy.action == CopyAction::Lost);
    CHECK(opened.copy.detail.find("CRC-32") != std::string::npos);
    CHECK(opened.copy.detail.find("cannot be read") != std::string::npos);
    auto target = opened.store.target();
    REQUIRE(target);
    CHECK_FALSE(target.value().has_value());
    // The damaged copy is kept beside the damaged database, not overwritten.
    CHECK(read_file(opened.recovery->moved_to.string() + "-state") == copy);
    CHECK_FALSE(fs::exists(copy_of(path)));
  }
  SECTION("only the log buffer is damaged: the target tables check out and are read from the damaged file") {
    const auto log_root = root_page(path, "log");
    std::string bytes = read_file(path);
    scribble(bytes, (log_root - 1) * kPage, log_root * kPage, '\xA5');
    write_file(path, bytes);
    auto opened = open_store(fixed_clock(path));
    REQUIRE(opened.recovery);
    CHECK(opened.copy.action == CopyAction::Salvaged);
    check_state_intact(opened.store);
    // A good copy was written from the salvaged state.
    CHECK(read_file(copy_of(path)) != copy);
    auto again = open_store(path);
    CHECK(again.copy.action == CopyAction::Kept);
  }
}

TEST_CASE("without a copy, a damaged target table is not salvaged: a partial target would remove apps") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  fs::remove(copy_of(path));
  const auto app_root = root_page(path, "target_app");
  std::string bytes = read_file(path);
  scribble(bytes, (app_root - 1) * kPage + 8, app_root * kPage, '\xA5');
  write_file(path, bytes);
  auto opened = open_store(fixed_clock(path));
  REQUIRE(opened.recovery);
  CHECK(opened.copy.action == CopyAction::Lost);
  CHECK(opened.copy.detail.find("there is no state copy") != std::string::npos);
  CHECK(opened.copy.detail.find("integrity_check(target_app)") != std::string::npos);
  CHECK_FALSE(opened.store.target().value().has_value());
}

TEST_CASE("a healthy database repairs a missing, damaged or stale copy at open, and leaves a good one alone") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  const std::string good = read_file(copy_of(path));

  SECTION("a good copy: nothing written") {
    const auto before = inode(copy_of(path));
    auto opened = open_store(path);
    CHECK(opened.copy.action == CopyAction::Kept);
    CHECK(inode(copy_of(path)) == before);
  }
  SECTION("missing (a database older than the copy, or deleted)") {
    fs::remove(copy_of(path));
    auto opened = open_store(path);
    CHECK(opened.copy.action == CopyAction::Rewritten);
    CHECK(opened.copy.detail == "there was no state copy");
  }
  SECTION("damaged") {
    write_file(copy_of(path), good.substr(0, good.size() - 10));
    auto opened = open_store(path);
    CHECK(opened.copy.action == CopyAction::Rewritten);
    CHECK(opened.copy.detail.find("torn or truncated") != std::string::npos);
  }
  SECTION("stale: an older state, well-formed") {
    {
      auto opened = open_store(path);
      Target older = sample_target();
      older.device_name = "older";
      REQUIRE(opened.store.set_target(older));
      const std::string older_copy = read_file(copy_of(path));
      REQUIRE(opened.store.set_target(sample_target()));
      write_file(copy_of(path), older_copy);
    }
    auto opened = open_store(path);
    CHECK(opened.copy.action == CopyAction::Rewritten);
    CHECK(opened.copy.detail.find("stale") != std::string::npos);
    check_state_intact(opened.store);  // the database wins
  }
  CHECK_FALSE(open_store(path).copy.error);
  CHECK(read_file(copy_of(path)) == good);
}

TEST_CASE("the copy follows every change of the target and config, and nothing else writes it") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto opened = open_store(path);
  // First boot: nothing kept, no copy written.
  CHECK(opened.copy.action == CopyAction::Kept);
  CHECK_FALSE(fs::exists(copy_of(path)));

  REQUIRE(opened.store.set_target(sample_target()));
  REQUIRE(fs::exists(copy_of(path)));
  auto ino = inode(copy_of(path));

  // Equal writes and writes of what the copy does not keep leave it alone.
  CHECK(opened.store.set_target(sample_target()).value() == Change::Unchanged);
  CHECK(opened.store.set_config("name", "gateway").value() == Change::Changed);
  CHECK(inode(copy_of(path)) != ino);
  ino = inode(copy_of(path));
  CHECK(opened.store.set_config("name", "gateway").value() == Change::Unchanged);
  CHECK(opened.store.remove_config("absent").value() == Change::Unchanged);
  REQUIRE(opened.store.set_commit(1, "abc"));
  REQUIRE(opened.store.append_log({1, 0, "", LogStream::System, "a line"}));
  CHECK(inode(copy_of(path)) == ino);

  REQUIRE(opened.store.remove_config("name"));
  CHECK(inode(copy_of(path)) != ino);

  // What the copy holds now is what the database holds: a database lost now
  // comes back as it is.
  opened = open_store(dir.file("other.sqlite"));  // closes the first
  fs::remove(path);
  auto restored = open_store(path);
  CHECK(restored.copy.action == CopyAction::Restored);
  CHECK(restored.store.target().value() == std::optional<Target>(sample_target()));
  CHECK(restored.store.config_values().value().count("name") == 0);
}

TEST_CASE("a copy that cannot be written fails the write, and nothing of it is stored") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto opened = open_store(path);
  REQUIRE(opened.store.set_target(sample_target()));
  // A folder where the temporary file would go: open(O_CREAT) fails.
  fs::create_directory(path.string() + "-state.tmp");
  Target next = sample_target();
  next.device_name = "renamed";
  auto stored = opened.store.set_target(next);
  REQUIRE_FALSE(stored);
  CHECK(stored.error().kind == ErrorKind::FileSystem);
  CHECK(stored.error().operation == "set_target: write state copy");
  CHECK(opened.store.target().value() == std::optional<Target>(sample_target()));
  auto config = opened.store.set_config("uuid", "new");
  REQUIRE_FALSE(config);
  CHECK_FALSE(opened.store.config("uuid").value().has_value());

  fs::remove(path.string() + "-state.tmp");
  REQUIRE(opened.store.set_target(next));
  CHECK(opened.store.target().value() == std::optional<Target>(next));
}

TEST_CASE("a database whose target does not read still opens, and the copy is left as it is") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  fill(path);
  const std::string copy = read_file(copy_of(path));
  {
    RawDb db(path);
    db.exec("UPDATE target_app SET services = '{not json' WHERE app_id = 42");
  }
  auto opened = open_store(path);
  CHECK_FALSE(opened.recovery);
  CHECK(opened.copy.action == CopyAction::Kept);
  REQUIRE(opened.copy.error);
  CHECK(opened.copy.error->kind == ErrorKind::StoredData);
  CHECK(read_file(copy_of(path)) == copy);
  CHECK_FALSE(opened.store.target());  // the daemon hears of it here, as before
}
