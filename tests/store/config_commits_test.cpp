// Config values and running commits: set, read, remove, and no write when
// the value is already there.
#include <catch2/catch.hpp>

#include "engine/store/store.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

TEST_CASE("config values are stored, replaced, removed and survive a restart") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  {
    auto opened = open_store(path);
    REQUIRE(opened.store.set_config("name", "first"));
    REQUIRE(opened.store.set_config("name", "gateway"));
    REQUIRE(opened.store.set_config("targetStateSet", "true"));
    REQUIRE(opened.store.set_config("pinDevice", R"({"app":1,"commit":"abc"})"));
    auto removed = opened.store.remove_config("pinDevice");
    REQUIRE(removed);
    CHECK(removed.value() == Change::Changed);
  }
  auto opened = open_store(path);
  auto name = opened.store.config("name");
  REQUIRE(name);
  CHECK(name.value() == std::optional<std::string>("gateway"));
  auto missing = opened.store.config("pinDevice");
  REQUIRE(missing);
  CHECK_FALSE(missing.value().has_value());
  auto all = opened.store.config_values();
  REQUIRE(all);
  CHECK(all.value() == std::map<std::string, std::string>{{"name", "gateway"}, {"targetStateSet", "true"}});
}

TEST_CASE("setting a config value to what it is writes nothing") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto opened = open_store(path);
  REQUIRE(opened.store.set_config("name", "gateway"));
  RawDb observer(path);
  const auto version = observer.data_version();
  const auto changes = opened.store.total_changes();

  auto same = opened.store.set_config("name", "gateway");
  REQUIRE(same);
  CHECK(same.value() == Change::Unchanged);
  auto same_many = opened.store.set_config(std::map<std::string, std::string>{{"name", "gateway"}});
  REQUIRE(same_many);
  CHECK(same_many.value() == Change::Unchanged);
  CHECK(opened.store.total_changes() == changes);
  CHECK(observer.data_version() == version);

  auto different = opened.store.set_config("name", "other");
  REQUIRE(different);
  CHECK(different.value() == Change::Changed);
  CHECK(observer.data_version() != version);
}

TEST_CASE("several config values are set in one transaction") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto opened = open_store(path);
  RawDb saboteur(path);
  saboteur.exec("CREATE TRIGGER fail_b BEFORE INSERT ON config WHEN NEW.key = 'b' "
                "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  auto set = opened.store.set_config(std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  REQUIRE_FALSE(set);
  CHECK(set.error().operation == "set_config: b");
  auto a = opened.store.config("a");
  REQUIRE(a);
  CHECK_FALSE(a.value().has_value());  // rolled back with b
}

TEST_CASE("running commits are recorded per app and an equal commit writes nothing") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  {
    auto opened = open_store(path);
    auto first = opened.store.set_commit(1, "aaa");
    REQUIRE(first);
    CHECK(first.value() == Change::Changed);
    REQUIRE(opened.store.set_commit(2, "bbb"));
    REQUIRE(opened.store.set_commit(1, "ccc"));
    const auto changes = opened.store.total_changes();
    auto same = opened.store.set_commit(1, "ccc");
    REQUIRE(same);
    CHECK(same.value() == Change::Unchanged);
    CHECK(opened.store.total_changes() == changes);
  }
  auto opened = open_store(path);
  auto one = opened.store.commit(1);
  REQUIRE(one);
  CHECK(one.value() == std::optional<std::string>("ccc"));
  auto none = opened.store.commit(3);
  REQUIRE(none);
  CHECK_FALSE(none.value().has_value());
  REQUIRE(opened.store.remove_commit(2));
  auto all = opened.store.commits();
  REQUIRE(all);
  CHECK(all.value() == std::map<reconcile::AppId, std::string>{{1, "ccc"}});
}
