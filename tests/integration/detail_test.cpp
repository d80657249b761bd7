// The client's pure helpers (private headers of libengine/src/docker): image
// references, encodings, stream splitting, pull percentages, lenient parsing
// and error texts. No engine needed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "http.hpp"
#include "parse.hpp"
#include "stream.hpp"
#include "url.hpp"

using namespace engine::docker;
using namespace engine::docker::detail;

TEST_CASE("image references split into repository and tag the way image-create wants") {
  struct Case {
    const char* reference;
    const char* repository;
    const char* tag;
  };
  const Case cases[] = {
      {"busybox", "busybox", "latest"},
      {"busybox:1.36", "busybox", "1.36"},
      {"127.0.0.1:5000/a/b", "127.0.0.1:5000/a/b", "latest"},
      {"127.0.0.1:5000/a/b:v2", "127.0.0.1:5000/a/b", "v2"},
      {"registry2.balena-cloud.com/v2/abc@sha256:0123", "registry2.balena-cloud.com/v2/abc", "sha256:0123"},
      {"host:5000/img:tag@sha256:0123", "host:5000/img", "sha256:0123"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.reference);
    const auto split = split_reference(c.reference);
    CHECK(split.repository == c.repository);
    CHECK(split.tag == c.tag);
  }
}

TEST_CASE("base64url follows RFC 4648 with padding") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg==");
  CHECK(base64url("fo") == "Zm8=");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url("foobar") == "Zm9vYmFy");
  CHECK(base64url("\xfb\xff") == "-_8=");
}

TEST_CASE("registry auth is base64url JSON, a token replacing the password") {
  const auto decode_check = [](const RegistryAuth& auth, const char* expected_json) {
    CHECK(registry_auth_header(auth) == base64url(expected_json));
  };
  decode_check(RegistryAuth{"d_uuid", "key", "registry2.example", ""},
               R"({"password":"key","serveraddress":"registry2.example","username":"d_uuid"})");
  decode_check(RegistryAuth{"", "", "", "tok"}, R"({"registrytoken":"tok"})");
}

TEST_CASE("query values and filters are percent-encoded; image paths keep their slashes") {
  CHECK(percent_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
  CHECK(path_part("127.0.0.1:5000/a/b:tag") == "127.0.0.1:5000/a/b:tag");
  CHECK(path_part("a b") == "a%20b");
  CHECK(filters_json({{"label", {"a", "b=c"}}, {"type", {"container"}}}) ==
        R"({"label":["a","b=c"],"type":["container"]})");
}

TEST_CASE("a stream split at any byte still yields whole lines") {
  const std::string stream = "{\"a\":1}\r\n{\"b\":2}\n\n{\"c\":3}\n{\"tail\":";
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    CAPTURE(chunk);
    LineSplitter splitter;
    std::vector<std::string> lines;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      splitter.feed(std::string_view(stream).substr(at, chunk),
                    [&](std::string_view line) { lines.emplace_back(line); });
    }
    CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
    CHECK(splitter.rest() == "{\"tail\":");
  }
}

TEST_CASE("pull percentages average the layers and never step back") {
  PullTracker tracker;
  const auto step = [&](const char* status, const char* layer, std::int64_t current = 0,
                        std::int64_t total = 0) {
    PullProgress progress;
    progress.status = status;
    progress.layer = layer;
    progress.current = current;
    progress.total = total;
    tracker.update(progress);
    return progress.percent;
  };
  CHECK(step("Pulling from a/b", "latest") == -1);
  CHECK(step("Pulling fs layer", "l1") == 0);
  CHECK(step("Pulling fs layer", "l2") == 0);
  CHECK(step("Downloading", "l1", 50, 100) == 25);
  CHECK(step("Download complete", "l1") == 50);
  CHECK(step("Extracting", "l1", 10, 100) == 50);
  CHECK(step("Already exists", "l2") == 100);
  CHECK(step("Digest: sha256:00", "") == 100);
}

TEST_CASE("engine documents with nulls and missing fields parse to defaults") {
  const auto container = parse_container_summary(nlohmann::json::parse(
      R"({"Id":"abc","Names":["/web_1"],"Labels":null,"State":"running","Created":17})"));
  CHECK(container.id == "abc");
  CHECK(container.name == "web_1");
  CHECK(container.labels.empty());
  CHECK(container.created == 17);

  const auto info = parse_container_info(nlohmann::json::parse(
      R"({"Id":"abc","Name":"/web_1","State":{"Status":"exited","Running":false,"ExitCode":3},
          "Config":{"Labels":{"io.balena.supervised":"true","n":1}},"HostConfig":null})"));
  CHECK(info.name == "web_1");
  CHECK(info.status == "exited");
  CHECK(info.exit_code == 3);
  CHECK(info.labels == Labels{{"io.balena.supervised", "true"}});
  CHECK(info.restart_policy.empty());

  const auto event = parse_event(nlohmann::json::parse(
      R"({"Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"exitCode":"0"}},"timeNano":5})"));
  CHECK(event.action == "die");
  CHECK(event.actor_id == "abc");
  CHECK(event.attributes.at("exitCode") == "0");
  CHECK(event.time_nano == 5);

  CHECK(parse_volume(nlohmann::json::array()).name.empty());
}

TEST_CASE("HTTP errors carry the engine's message and a kind from the status") {
  const auto error = http_error("stop container 'x'", Response{404, R"({"message":"No such container: x"})"});
  CHECK(error.kind == ErrorKind::not_found);
  CHECK(error.describe() == "stop container 'x': No such container: x (HTTP 404)");
  CHECK(http_error("c", Response{409, "{}"}).kind == ErrorKind::conflict);
  CHECK(http_error("c", Response{400, "bad\n"}).message == "bad");
  CHECK(http_error("c", Response{500, ""}).describe() == "c: the engine gave no message (HTTP 500)");
  CHECK(Error{ErrorKind::timeout, 0, "c", "too slow"}.describe() == "c: timeout: too slow");
}
