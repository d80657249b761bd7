// Target intake (issue 12 items 4 and 8): every value of a target that
// becomes an engine name, a label or a path is refused where it arrives,
// with the JSON pointer of the bad value; ids outside 0..2^53-1 are refused,
// not wrapped; JSON text nested too deep is refused before it is parsed.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>

#include "reconcile/json.hpp"
#include "reconcile/json_text.hpp"

namespace {

struct BadCase {
  const char* what;
  std::string body;     // the inner part, spliced into a whole target
  std::string pointer;  // of the bad value
  std::string says;     // a part of the message
};

// A local target (POST /v2/local/target-state) with one app "1" and one
// service "1"; `app` and `service` are extra members spliced in.
std::string local_body(const std::string& app, const std::string& service, const std::string& local = "") {
  return fmt::format(R"({{"local": {{{}"apps": {{"1": {{"commit": "abc", "releaseId": 1, {}
      "services": {{"1": {{"serviceName": "web", "image": "web:1", "imageId": 1, {} "running": true}}}}}}}}}}}})",
                     local, app, service);
}

// A cloud v3 target for device "u" with app "a", release "c", service "web".
std::string v3_body(const std::string& app, const std::string& release, const std::string& service,
                    const std::string& device = "") {
  return fmt::format(R"({{"u": {{{} "apps": {{"a": {{"id": 1, {} "releases": {{"c": {{"id": 2, {}
      "services": {{"web": {{"id": 3, "image_id": 4, "image": "web:1" {}}}}}}}}}}}}}}}}})",
                     device, app, release, service);
}

std::string error_of_local(const std::string& body) {
  auto parsed = reconcile::parse_local_target_state(nlohmann::json::parse(body));
  if (parsed.ok()) return "accepted";
  return parsed.error().pointer + " | " + parsed.error().message;
}

std::string error_of_v3(const std::string& body) {
  auto parsed = reconcile::parse_target_state_v3(nlohmann::json::parse(body), "u");
  if (parsed.ok()) return "accepted";
  return parsed.error().pointer + " | " + parsed.error().message;
}

void check_refused(const std::string& error, const BadCase& bad) {
  INFO(bad.what << "\n  body: " << bad.body << "\n  error: " << error);
  REQUIRE(error != "accepted");
  CHECK(error.substr(0, error.find(" | ")) == bad.pointer);
  CHECK_THAT(error, Catch::Matchers::Contains(bad.says));
}

const std::string kService = "/local/apps/1/services/1";

// `text` with its one `from` replaced by `to`.
std::string swapped(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the bodies the bad cases are made from are accepted as they are") {
  CHECK(error_of_local(local_body("", "")) == "accepted");
  CHECK(error_of_v3(v3_body("", "", "")) == "accepted");
}

TEST_CASE("a local target with a name, commit, id or value that cannot be an engine name is refused at its pointer") {
  const std::string long_name(256, 'a');
  const BadCase cases[] = {
      {"service name with a path", local_body("", R"("serviceName": "../../etc",)"), kService + "/serviceName",
       "not a valid service name"},
      {"service name deep path", local_body("", R"("serviceName": "../../../../tmp/x",)"), kService + "/serviceName",
       "not a valid service name"},
      {"service name with unicode", local_body("", R"("serviceName": "wéb",)"), kService + "/serviceName",
       "not a valid service name"},
      {"service name with a slash", local_body("", R"("serviceName": "a/b",)"), kService + "/serviceName",
       "not a valid service name"},
      {"empty service name", local_body("", R"("serviceName": "",)"), kService + "/serviceName",
       "not a valid service name"},
      {"service name starting with a dot", local_body("", R"("serviceName": ".web",)"), kService + "/serviceName",
       "not a valid service name"},
      {"service name too long", local_body("", fmt::format(R"("serviceName": "{}",)", long_name)),
       kService + "/serviceName", "at most 255"},
      {"commit with a slash", local_body(R"("commit": "a/b",)", ""), "/local/apps/1/commit", "not a valid commit"},
      {"commit with an underscore (splits container names)", local_body(R"("commit": "a_b",)", ""),
       "/local/apps/1/commit", "not a valid commit"},
      {"commit of the wrong type", local_body(R"("commit": 5,)", ""), "/local/apps/1/commit", "must be a string"},
      {"releaseId 2^63", local_body(R"("releaseId": 9223372036854775808,)", ""), "/local/apps/1/releaseId",
       "must be an id from 0 to 9007199254740991, not 9223372036854775808"},
      {"releaseId 2^64-1", local_body(R"("releaseId": 18446744073709551615,)", ""), "/local/apps/1/releaseId",
       "must be an id"},
      {"negative releaseId", local_body(R"("releaseId": -1,)", ""), "/local/apps/1/releaseId", "must be an id"},
      {"releaseId 2^53 as text", local_body(R"("releaseId": "9007199254740992",)", ""), "/local/apps/1/releaseId",
       "must be an id"},
      {"releaseId with a sign", local_body(R"("releaseId": "+1",)", ""), "/local/apps/1/releaseId", "must be an id"},
      {"imageId too large", local_body("", R"("imageId": 9007199254740992,)"), kService + "/imageId", "must be an id"},
      {"serviceId a fraction", local_body("", R"("serviceId": 1.5,)"), kService + "/serviceId", "must be an id"},
      {"app key too large", R"({"local": {"apps": {"99999999999999999999": {}}}})",
       "/local/apps/99999999999999999999", "must be an id"},
      {"negative service key", R"({"local": {"apps": {"1": {"services": {"-1": {"serviceName": "a", "image": "a"}}}}}})",
       "/local/apps/1/services/-1", "must be an id"},
      {"network name with a path", local_body(R"("networks": {"../x": {}},)", ""), "/local/apps/1/networks/..~1x",
       "not a valid network name"},
      {"volume name with a space", local_body(R"("volumes": {"a b": {}},)", ""), "/local/apps/1/volumes/a b",
       "not a valid volume name"},
      {"a service on a network with a bad name", local_body("", R"("networks": ["../n"],)"), kService + "/networks",
       "not a valid network name"},
      {"a service's named volume with a bad name", local_body("", R"("volumes": ["da/ta:/data"],)"),
       kService + "/volumes", "not a valid volume name"},
      {"environment value a number", local_body("", R"("environment": {"A": 1},)"), kService + "/environment/A",
       "must be a string, not a number"},
      {"environment value a list", local_body("", R"("environment": {"A": ["x"]},)"), kService + "/environment/A",
       "must be a string, not a list"},
      {"environment value null", local_body("", R"("environment": {"A": null},)"), kService + "/environment/A",
       "must be a string, not null"},
      {"environment as a KEY=VALUE list", local_body("", R"("environment": ["A=1"],)"), kService + "/environment",
       "must be an object of strings, not a list"},
      {"environment variable name", local_body("", R"("environment": {"1A": "x"},)"), kService + "/environment/1A",
       "not a valid environment variable name"},
      {"label name with a space", local_body("", R"("labels": {"a b": "x"},)"), kService + "/labels/a b",
       "not a valid label name"},
      {"label value a number", local_body("", R"("labels": {"l": 5},)"), kService + "/labels/l",
       "must be a string, not a number"},
      {"config value a number", local_body("", "", R"("config": {"X": 1},)"), "/local/config/X",
       "must be a string, not a number"},
      {"device name on two lines", local_body("", "", R"("name": "a\nb",)"), "/local/name", "on one line"},
      {"empty image", local_body("", R"("image": "",)"), kService + "/image", "1 to 255 characters"},
  };
  for (const BadCase& bad : cases) check_refused(error_of_local(bad.body), bad);
}

TEST_CASE("a cloud v3 target (and apps.json, read by the same reader) with a bad name or id is refused at its pointer") {
  const std::string release = "/u/apps/a/releases/c";
  const BadCase cases[] = {
      {"service name key with a path", R"({"u": {"apps": {"a": {"id": 1, "releases": {"c": {"services":
          {"../../etc": {"image": "i"}}}}}}}})", release + "/services/..~1..~1etc", "not a valid service name"},
      {"service name key with unicode", R"({"u": {"apps": {"a": {"id": 1, "releases": {"c": {"services":
          {"wéb": {"image": "i"}}}}}}}})", release + "/services/wéb", "not a valid service name"},
      {"commit key with a slash", R"({"u": {"apps": {"a": {"id": 1, "releases": {"a/b": {}}}}}})",
       "/u/apps/a/releases/a~1b", "not a valid commit"},
      {"app uuid with a slash", R"({"u": {"apps": {"x/y": {"id": 1}}}})", "/u/apps/x~1y", "not a valid app uuid"},
      {"release id 2^63", swapped(v3_body("", "", ""), R"("id": 2,)", R"("id": 9223372036854775808,)"),
       release + "/id", "must be an id from 0 to 9007199254740991, not 9223372036854775808"},
      {"negative app id", swapped(v3_body("", "", ""), R"("id": 1,)", R"("id": -5,)"), "/u/apps/a/id",
       "must be an id"},
      {"app id as text", swapped(v3_body("", "", ""), R"("id": 1,)", R"("id": "1",)"), "/u/apps/a/id",
       "must be an integer id, not a string"},
      {"image id too large", swapped(v3_body("", "", ""), R"("image_id": 4)", R"("image_id": 1e300)"),
       release + "/services/web/image_id", "must be an id"},
      {"network name key", v3_body("", R"("networks": {"n/x": {}},)", ""), release + "/networks/n~1x",
       "not a valid network name"},
      {"volume name key", v3_body("", R"("volumes": {"..": {}},)", ""), release + "/volumes/..",
       "not a valid volume name"},
      {"a service on a network with a bad name", v3_body("", "", R"(, "composition": {"networks": ["../n"]})"),
       release + "/services/web/composition/networks", "not a valid network name"},
      {"environment value a number", v3_body("", "", R"(, "environment": {"A": 1})"),
       release + "/services/web/environment/A", "must be a string, not a number"},
      {"environment as a list", v3_body("", "", R"(, "environment": ["A=1"])"), release + "/services/web/environment",
       "must be an object of strings"},
      {"label value a list", v3_body("", "", R"(, "labels": {"l": ["x"]})"), release + "/services/web/labels/l",
       "must be a string, not a list"},
      {"image too long", swapped(v3_body("", "", ""), R"("image": "web:1")", fmt::format(R"("image": "{}")",
                                                                                      std::string(256, 'i'))),
       release + "/services/web/image", "1 to 255 characters"},
      {"config value a boolean", v3_body("", "", "", R"("config": {"X": true},)"), "/u/config/X",
       "must be a string, not a boolean"},
  };
  for (const BadCase& bad : cases) check_refused(error_of_v3(bad.body), bad);
}

TEST_CASE("the largest ids, ids as the CLI's text, and every character Docker allows are accepted") {
  const auto local = reconcile::parse_local_target_state(nlohmann::json::parse(
      local_body(R"("releaseId": "9007199254740991", "commit": "0a1B.c-d", "networks": {"n_1.x-y": {}},)",
                 R"("serviceName": "Web_1.x-y", "serviceId": "7",)")));
  REQUIRE(local.ok());
  const auto& app = local.value().target.apps.at(0);
  CHECK(app.release_id == 9007199254740991);
  CHECK(app.commit == "0a1B.c-d");
  CHECK(app.services.at(0).service_name == "Web_1.x-y");
  CHECK(app.services.at(0).service_id == 7);
  const auto v3 = reconcile::parse_target_state_v3(
      nlohmann::json::parse(swapped(v3_body("", "", ""), R"("id": 2,)", R"("id": 9007199254740991,)")), "u");
  REQUIRE(v3.ok());
  CHECK(v3.value().target.apps.at(0).release_id == 9007199254740991);
}

TEST_CASE("a plan request's 2^63 is refused, not wrapped to -2^63") {
  const auto parsed = reconcile::parse_plan_request(nlohmann::json::parse(
      R"({"target": {"apps": [{"appId": 1, "releaseId": 9223372036854775808}]}})"));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().pointer == "/target/apps/0/releaseId");
}

TEST_CASE("JSON text nested deeper than the bound is refused before parsing, naming the limit") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto refused = reconcile::parse_json_text(deep);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Matchers::Contains("deeper than 64 levels"));
  CHECK_THAT(refused.error().message, Catch::Matchers::Contains("at byte 64"));

  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(reconcile::parse_json_text(nested(64)).ok());
  CHECK_FALSE(reconcile::parse_json_text(nested(65)).ok());
  CHECK(reconcile::parse_json_text(nested(3), 3).ok());
  CHECK_FALSE(reconcile::parse_json_text(nested(4), 3).ok());
  // Objects count as arrays do; closing brackets give the depth back.
  CHECK_FALSE(reconcile::parse_json_text(R"({"a": {"b": {"c": {}}}})", 3).ok());
  CHECK(reconcile::parse_json_text(R"([[[]], [[]], {"a": [1]}])", 3).ok());
}

TEST_CASE("brackets inside strings, escaped quotes included, do not count toward the depth") {
  const auto parsed = reconcile::parse_json_text(R"({"a": "[[[[{{{{\"[[[[", "b": ["\\", "]]]]"]})", 2);
  REQUIRE(parsed.ok());
  CHECK(parsed.value()["b"][1] == "]]]]");
}

TEST_CASE("text that is not JSON says so") {
  const auto parsed = reconcile::parse_json_text("{\"local\": ");
  REQUIRE_FALSE(parsed.ok());
  CHECK_THAT(parsed.error().message, Catch::Matchers::StartsWith("not valid JSON"));
  CHECK_FALSE(reconcile::parse_json_text("[1E999]").ok());
}
