// journalctl's arguments from a /v2/journal-logs body, and the child
// process seam (host_journal.hpp).
#include <signal.h>

#include <catch2/catch.hpp>

#include "host_journal.hpp"
#include "temp_dir.hpp"

using nlohmann::json;
using supervisor::ChildOutput;
using supervisor::HostJournal;
using supervisor::journal_arguments;

namespace {

std::vector<std::string> args_of(const char* body) {
  auto args = journal_arguments(json::parse(body));
  REQUIRE(args.ok());
  return args.value();
}

std::string read_all(ChildOutput& child) {
  std::string all;
  std::string chunk;
  for (int i = 0; i < 100; ++i) {
    const auto read = child.read(chunk, 4096, std::chrono::milliseconds(100));
    if (read == ChildOutput::Read::End) break;
    all += chunk;
  }
  return all;
}

}  // namespace

TEST_CASE("journal arguments: each field maps to its option, format defaults to short") {
  CHECK(args_of("{}") == std::vector<std::string>{"-o", "short"});
  CHECK(args_of(R"({"all": true, "follow": true, "count": 10, "unit": "u", "containerId": "c", "since": "s",
                    "until": "t", "format": "json"})") ==
        std::vector<std::string>{"-a", "--follow", "-n", "10", "-u", "u", "-t", "c", "-S", "s", "-U", "t", "-o", "json"});
  // The API's truthy rule; an integer id may be a string or end in .0 (local-api.md §1).
  CHECK(args_of(R"({"all": "TRUE", "follow": 0, "count": "7"})") == std::vector<std::string>{"-a", "-n", "7", "-o", "short"});
  CHECK(args_of(R"({"count": 3.0, "all": null})") == std::vector<std::string>{"-n", "3", "-o", "short"});
  // Text is one argument each, whatever it holds: no shell ever reads it.
  CHECK(args_of(R"({"unit": "a b; rm -rf /"})") == std::vector<std::string>{"-u", "a b; rm -rf /", "-o", "short"});
}

TEST_CASE("journal arguments: wrong types are refused naming the field") {
  for (const auto& [body, field] : std::vector<std::pair<const char*, const char*>>{
           {R"({"all": []})", "all"}, {R"({"count": true})", "count"}, {R"({"count": 0})", "count"},
           {R"({"unit": "-x"})", "unit"}, {R"({"format": 1})", "format"}}) {
    INFO(body);
    auto args = journal_arguments(json::parse(body));
    REQUIRE_FALSE(args.ok());
    CHECK(args.error().kind == engine::ErrorKind::Invalid);
    CHECK(args.error().message.starts_with(std::string(field) + ":"));
  }
}

TEST_CASE("the journal binary: looked up on PATH, its stdout read to the end, absent is Unavailable") {
  HostJournal echo("printf");  // on PATH everywhere; prints its arguments as the format says
  REQUIRE(echo.resolve());
  auto child = echo.open({"%s %s %s %s\n", "-n", "5", "-o", "short"});
  REQUIRE(child.ok());
  CHECK(read_all(*child.value()) == "-n 5 -o short\n");

  HostJournal missing("no-such-journalctl-here");
  CHECK_FALSE(missing.resolve());
  auto refused = missing.open({});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == engine::ErrorKind::Unavailable);
}

TEST_CASE("stop_all kills the running children and starts no more") {
  supervisor::testing::TempDir dir("journal-stop-test");
  const auto script = dir.write("forever", "#!/bin/sh\nexec sleep 60\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  HostJournal journal(script.string());
  auto child = journal.open({});
  REQUIRE(child.ok());
  std::string chunk;
  CHECK(child.value()->read(chunk, 16, std::chrono::milliseconds(50)) == ChildOutput::Read::Idle);
  journal.stop_all();
  CHECK(child.value()->read(chunk, 16, std::chrono::seconds(5)) == ChildOutput::Read::End);
  CHECK_FALSE(journal.open({}).ok());
}
