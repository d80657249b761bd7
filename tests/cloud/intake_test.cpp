// What arrives from the cloud or as apps.json goes through the same intake
// as the local API (issue 12 items 4 and 8): the bounded JSON parse and the
// v3 reader's name rules, with errors naming the limit or the field.
#include <catch2/catch.hpp>

#include <string>

#include "engine/cloud/json.hpp"
#include "engine/cloud/supervisor_config.hpp"
#include "engine/cloud/target_poll.hpp"

TEST_CASE("a cloud target nested deeper than the limit is a bad response naming the limit") {
  const std::string deep = R"({"u": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto parsed = engine::cloud::parse_target(engine::cloud::NewTarget{"", deep}, "u");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().kind == engine::cloud::ErrorKind::BadResponse);
  CHECK_THAT(parsed.error().message, Catch::Matchers::Contains("deeper than 64 levels"));
}

TEST_CASE("a cloud target with a service name Docker refuses is a bad response naming the field") {
  const std::string body = R"({"u": {"apps": {"a": {"id": 1, "releases": {"c": {"services":
      {"../../etc": {"image": "i"}}}}}}}})";
  const auto parsed = engine::cloud::parse_target(engine::cloud::NewTarget{"", body}, "u");
  REQUIRE_FALSE(parsed);
  CHECK_THAT(parsed.error().message, Catch::Matchers::Contains("/u/apps/a/releases/c/services/..~1..~1etc"));
}

TEST_CASE("apps.json goes through the same reader: bad names and deep nesting are refused") {
  const auto bad_name = engine::cloud::parse_preload(
      R"({"apps": {"a": {"id": 1, "releases": {"a/b": {"services": {}}}}}})", "u");
  REQUIRE_FALSE(bad_name);
  CHECK_THAT(bad_name.error().message, Catch::Matchers::Contains("/u/apps/a/releases/a~1b"));
  const auto deep = engine::cloud::parse_preload(R"({"apps": )" + std::string(1000, '[') + std::string(1000, ']') + "}",
                                                 "u");
  REQUIRE_FALSE(deep);
  CHECK_THAT(deep.error().message, Catch::Matchers::Contains("deeper than 64 levels"));
}
