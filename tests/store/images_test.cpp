// Image records: add, update the engine id, remove, list.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "engine/store/store.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

namespace {

reconcile::Image image(const std::string& name, std::int64_t image_id) {
  reconcile::Image out;
  out.name = name;
  out.app_id = 1011165;
  out.app_uuid = "d149c5d1551b4286a930d57284a02511";
  out.service_name = "api";
  out.service_id = 29396;
  out.image_id = image_id;
  out.release_id = 557617;
  out.commit = "217d55237092995e4576367e529ebb03";
  return out;
}

}  // namespace

TEST_CASE("image records are added, listed sorted and survive a restart") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  auto b = image("registry.example/b", 2);
  auto a = image("registry.example/a", 1);
  a.docker_image_id = "sha256:aaaa";
  {
    auto opened = open_store(path);
    auto added = opened.store.add_image(b);
    REQUIRE(added);
    CHECK(added.value() == Change::Changed);
    REQUIRE(opened.store.add_image(a));
  }
  auto opened = open_store(path);
  auto listed = opened.store.images();
  REQUIRE(listed);
  CHECK(listed.value() == std::vector<reconcile::Image>{a, b});
}

TEST_CASE("adding a known image writes nothing unless its engine id is new") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  auto record = image("registry.example/a", 1);
  REQUIRE(opened.store.add_image(record));
  const auto changes = opened.store.total_changes();

  auto same = opened.store.add_image(record);
  REQUIRE(same);
  CHECK(same.value() == Change::Unchanged);
  CHECK(opened.store.total_changes() == changes);

  record.docker_image_id = "sha256:1111";
  auto with_id = opened.store.add_image(record);
  REQUIRE(with_id);
  CHECK(with_id.value() == Change::Changed);

  // An unknown id does not erase the known one.
  auto without_id = image("registry.example/a", 1);
  auto again = opened.store.add_image(without_id);
  REQUIRE(again);
  CHECK(again.value() == Change::Unchanged);
  auto listed = opened.store.images();
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().docker_image_id == std::optional<std::string>("sha256:1111"));
}

TEST_CASE("removing an image forgets that record only, whatever its engine id") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  auto kept = image("registry.example/a", 1);
  auto removed = image("registry.example/a", 2);  // same name, other release image
  removed.docker_image_id = "sha256:2222";
  REQUIRE(opened.store.add_image(kept));
  REQUIRE(opened.store.add_image(removed));

  auto gone = opened.store.remove_image(image("registry.example/a", 2));
  REQUIRE(gone);
  CHECK(gone.value() == Change::Changed);
  auto again = opened.store.remove_image(removed);
  REQUIRE(again);
  CHECK(again.value() == Change::Unchanged);
  auto listed = opened.store.images();
  REQUIRE(listed);
  CHECK(listed.value() == std::vector<reconcile::Image>{kept});
}

TEST_CASE("calls from several threads at once are serialized, none lost") {
  // The executor runs a batch's steps (saveImage, updateCommit) in parallel.
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  Store& store = opened.store;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, &failures, t] {
      for (int n = 0; n < 25; ++n) {
        if (!store.add_image(image(fmt::format("registry.example/t{}", t), n))) ++failures;
        if (!store.set_commit(t + 1, fmt::format("commit-{}", n))) ++failures;
        if (!store.images()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  auto listed = store.images();
  REQUIRE(listed);
  CHECK(listed->size() == 100);
  auto commits = store.commits();
  REQUIRE(commits);
  CHECK(commits->size() == 4);
  CHECK(commits->at(1) == "commit-24");
}
