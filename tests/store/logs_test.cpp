// The bounded log buffer.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "engine/store/store.hpp"
#include "support.hpp"

using namespace engine::store;
using namespace store_test;

namespace {

LogEntry line(std::int64_t n) {
  return LogEntry{1000 + n, n % 2 == 0 ? 0 : 3, n % 2 == 0 ? "" : "api",
                  n % 2 == 0 ? LogStream::System : LogStream::Stderr, fmt::format("line {}", n)};
}

}  // namespace

TEST_CASE("log lines read back in order after a sequence number") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  auto first = opened.store.append_log(line(1));
  REQUIRE(first);
  auto last = opened.store.append_logs({line(2), line(3)});
  REQUIRE(last);
  CHECK(last.value() == first.value() + 2);

  auto all = opened.store.logs_since(0, 100);
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK(all->at(0).entry == line(1));
  CHECK(all->at(2).entry == line(3));
  CHECK(all->at(2).seq == last.value());

  auto after = opened.store.logs_since(first.value(), 1);
  REQUIRE(after);
  REQUIRE(after->size() == 1);
  CHECK(after->front().entry == line(2));
}

TEST_CASE("the log buffer keeps the newest lines up to its capacity") {
  TempDir dir;
  auto options = options_for(dir.file("db.sqlite"));
  options.log_capacity = 5;
  auto opened = open_store(options);
  std::vector<LogEntry> batch;
  for (int n = 1; n <= 8; ++n) batch.push_back(line(n));
  REQUIRE(opened.store.append_logs(batch));
  REQUIRE(opened.store.append_log(line(9)));

  auto kept = opened.store.logs_since(0, 100);
  REQUIRE(kept);
  REQUIRE(kept->size() == 5);
  CHECK(kept->front().entry == line(5));
  CHECK(kept->back().entry == line(9));
  // Sequence numbers go on from the dropped ones: never reused.
  CHECK(kept->back().seq == 9);
}

TEST_CASE("a smaller capacity at the next open trims on the next append") {
  TempDir dir;
  const auto path = dir.file("db.sqlite");
  {
    auto opened = open_store(path);
    std::vector<LogEntry> batch;
    for (int n = 1; n <= 10; ++n) batch.push_back(line(n));
    REQUIRE(opened.store.append_logs(batch));
  }
  auto options = options_for(path);
  options.log_capacity = 3;
  auto opened = open_store(options);
  REQUIRE(opened.store.append_log(line(11)));
  auto kept = opened.store.logs_since(0, 100);
  REQUIRE(kept);
  REQUIRE(kept->size() == 3);
  CHECK(kept->front().entry == line(9));
}

TEST_CASE("appending nothing writes nothing") {
  TempDir dir;
  auto opened = open_store(dir.file("db.sqlite"));
  const auto changes = opened.store.total_changes();
  auto none = opened.store.append_logs({});
  REQUIRE(none);
  CHECK(none.value() == 0);
  CHECK(opened.store.total_changes() == changes);
}
