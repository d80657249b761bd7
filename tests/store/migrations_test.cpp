// The numbered migrations: compiled in, applied in order at open, and equal
// to schema/schema.sql when replayed on an empty database.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "engine/store/migrations.hpp"
#include "engine/store/store.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

TEST_CASE("the compiled-in migrations are numbered 1..N without gaps, named after their files") {
  const auto all = migrations();
  REQUIRE(all.size() >= 3);
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].version == static_cast<int>(i) + 1);
    CHECK(all[i].sql.find("CREATE TABLE") != std::string_view::npos);
  }
  CHECK(all[0].name == "0001_core");
}

TEST_CASE("the compiled-in migrations are the files under schema/migrations, byte for byte") {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(STORE_MIGRATIONS_DIR)) {
    if (entry.path().extension() == ".sql") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const auto all = migrations();
  REQUIRE(files.size() == all.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    INFO(files[i]);
    CHECK(files[i].stem().string() == all[i].name);
    CHECK(read_file(files[i]) == all[i].sql);
  }
}

TEST_CASE("replaying the migrations on an empty database gives exactly schema.sql") {
  TempDir dir;
  {
    auto opened = open_store(dir.file("migrated.sqlite"));
    CHECK(opened.migrations_applied.size() == migrations().size());
    CHECK_FALSE(opened.recovery);
  }
  RawDb migrated(dir.file("migrated.sqlite"));
  RawDb declared(dir.file("declared.sqlite"));
  declared.exec(read_file(STORE_SCHEMA_SQL));

  const std::string expected = declared.normalized_schema();
  // The dump covers every table, so an empty or partial dump cannot pass.
  for (const char* table : {"schema_migrations", "target_device", "target_config", "target_app", "image",
                            "current_commit", "config", "api_key", "log"}) {
    INFO(table);
    CHECK(expected.find(std::string("table ") + table + " on ") != std::string::npos);
  }
  CHECK(migrated.normalized_schema() == expected);
}

TEST_CASE("the schema comparison sees a difference the text alone would hide") {
  // Guards the test above: a missing CHECK or a changed column type must
  // make the normalized schemas differ.
  TempDir dir;
  RawDb a(dir.file("a.sqlite"));
  RawDb b(dir.file("b.sqlite"));
  a.exec("CREATE TABLE t (x INTEGER NOT NULL CHECK (x > 0)) -- comment\n;");
  b.exec("CREATE TABLE t (\n  x   INTEGER NOT NULL CHECK (x > 0)  -- other comment\n);");
  CHECK(a.normalized_schema() == b.normalized_schema());
  RawDb c(dir.file("c.sqlite"));
  c.exec("CREATE TABLE t (x INTEGER NOT NULL)");
  CHECK(a.normalized_schema() != c.normalized_schema());
}

TEST_CASE("open records each migration once and applies none the second time") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  {
    auto opened = open_store(path);
    REQUIRE(opened.migrations_applied == std::vector<int>{1, 2, 3, 4});
    auto versions = opened.store.schema_versions();
    REQUIRE(versions);
    CHECK(versions.value() == std::vector<int>{1, 2, 3, 4});
  }
  auto again = open_store(path);
  CHECK(again.migrations_applied.empty());
  CHECK(again.store.total_changes() == 0);
}

TEST_CASE("a database at an older version gets only the migrations it lacks, and keeps its rows") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  {
    // What a supervisor that knew only migration 1 left behind.
    RawDb old(path);
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at INTEGER NOT NULL)");
    old.exec(std::string(migrations()[0].sql));
    old.exec("INSERT INTO schema_migrations VALUES (1, '0001_core', 0)");
    old.exec("INSERT INTO config VALUES ('name', 'kept')");
  }
  auto opened = open_store(path);
  CHECK(opened.migrations_applied == std::vector<int>{2, 3, 4});
  auto name = opened.store.config("name");
  REQUIRE(name);
  CHECK(name.value() == "kept");
  auto key = opened.store.set_api_key(ApiKey{ApiKeyOwner::global(), "secret", {{ScopeType::Global, 0}}});
  REQUIRE(key);

  RawDb migrated(path);
  RawDb declared(dir.file("declared.sqlite"));
  declared.exec(read_file(STORE_SCHEMA_SQL));
  CHECK(migrated.normalized_schema() == declared.normalized_schema());
}

TEST_CASE("a database migrated by a newer supervisor is refused and left as it is") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  { (void)open_store(path); }
  {
    RawDb db(path);
    db.exec("INSERT INTO schema_migrations VALUES (99, '0099_future', 0)");
  }
  const auto before = read_file(path);
  auto opened = Store::open(options_for(path));
  REQUIRE_FALSE(opened);
  CHECK(opened.error().kind == ErrorKind::NewerSchema);
  CHECK(opened.error().describe().find("99") != std::string::npos);
  CHECK(read_file(path) == before);
  CHECK_FALSE(std::filesystem::exists(path.string() + ".corrupt"));
}

TEST_CASE("a failing migration is rolled back whole and reported by name") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  {
    // A table in the way of migration 3: its CREATE TABLE fails.
    RawDb old(path);
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at INTEGER NOT NULL)");
    old.exec(std::string(migrations()[0].sql));
    old.exec(std::string(migrations()[1].sql));
    old.exec("INSERT INTO schema_migrations VALUES (1, '0001_core', 0), (2, '0002_api_keys', 0)");
    old.exec("CREATE TABLE log (x)");
  }
  auto opened = Store::open(options_for(path));
  REQUIRE_FALSE(opened);
  CHECK(opened.error().operation.find("0003_log_buffer") != std::string::npos);
  CHECK(opened.error().message.find("already exists") != std::string::npos);
  RawDb db(path);
  CHECK(db.integer("SELECT count(*) FROM schema_migrations") == 2);
  CHECK(db.integer("SELECT count(*) FROM pragma_table_info('log')") == 1);
}
