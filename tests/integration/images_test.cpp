// Image calls against the real engine and the local registry.
#include <atomic>
#include <catch2/catch.hpp>
#include <set>

#include "engine/docker/json.hpp"
#include "support.hpp"

using namespace engine::docker;
using testenv::client;

namespace {

void remove_image_quietly(const std::string& name) { (void)client().remove_image(name, Force::yes); }

}  // namespace

TEST_CASE("a pull from the local registry downloads the image and reports progress") {
  const std::string image = testenv::env().pull_image;
  // up.sh leaves it only in the registry; a failed earlier run may not have.
  remove_image_quietly(image);
  testenv::Cleanup cleanup([&] { remove_image_quietly(image); });
  REQUIRE(client().inspect_image(image).error().is_not_found());

  std::vector<PullProgress> messages;
  const auto pulled = client().pull_image(image, PullOptions{},
                                          [&](const PullProgress& p) { messages.push_back(p); }, nullptr);
  REQUIRE(pulled.ok());
  REQUIRE_FALSE(messages.empty());
  std::set<std::string> statuses;
  for (const auto& message : messages) statuses.insert(message.status);
  CHECK(statuses.count("Pull complete") == 1);
  CHECK(messages.back().percent == 100);
  // Percentages never step back.
  int last = -1;
  for (const auto& message : messages) {
    CHECK(message.percent >= last);
    last = message.percent;
  }

  auto inspected = client().inspect_image(image);
  REQUIRE(inspected.ok());
  CHECK(inspected->repo_tags == std::vector<std::string>{image});
  CHECK(inspected->labels.count("io.reconcile.test.image") == 1);

  // Tag, find by the new name, untag.
  const std::string repo = "reconcile-test/" + testenv::unique_name("tagged");
  REQUIRE(client().tag_image(image, repo, "v1").ok());
  auto tagged = client().inspect_image(repo + ":v1");
  REQUIRE(tagged.ok());
  CHECK(tagged->id == inspected->id);
  auto listed = client().list_images({{"reference", {repo}}});
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().id == inspected->id);
  REQUIRE(client().remove_image(repo + ":v1", Force::no).ok());
  CHECK(client().inspect_image(repo + ":v1").error().is_not_found());

  REQUIRE(client().remove_image(image, Force::no).ok());
  CHECK(client().inspect_image(image).error().is_not_found());
}

TEST_CASE("a pull sends registry credentials when given them") {
  // The test registry has no auth and ignores the header; this checks the
  // header is well-formed enough for the engine to accept the pull.
  const std::string image = testenv::env().registry_busybox_image;
  testenv::Cleanup cleanup([&] { (void)client().remove_image(image, Force::no); });
  PullOptions options;
  options.auth = RegistryAuth{"d_test", "api-key", testenv::env().registry, ""};
  const auto pulled = client().pull_image(image, options, nullptr, nullptr);
  REQUIRE(pulled.ok());
  CHECK(client().inspect_image(image).ok());
}

TEST_CASE("pulling an image the registry does not have says which and why") {
  const std::string image = testenv::env().registry + "/reconcile-test/absent:never";
  const auto pulled = client().pull_image(image, PullOptions{}, nullptr, nullptr);
  REQUIRE_FALSE(pulled.ok());
  const std::string text = pulled.error().describe();
  CAPTURE(text);
  CHECK(pulled.error().is_not_found());
  CHECK(text.find("pull image '" + image + "'") == 0);
  CHECK(text.find("manifest unknown") != std::string::npos);
}

TEST_CASE("a pull whose cancel flag is set stops as cancelled") {
  const std::string image = testenv::env().pull_image;
  testenv::Cleanup cleanup([&] { remove_image_quietly(image); });
  CancelFlag cancel{true};
  const auto pulled = client().pull_image(image, PullOptions{}, nullptr, &cancel);
  REQUIRE_FALSE(pulled.ok());
  CHECK(pulled.error().kind == ErrorKind::cancelled);
}

TEST_CASE("inspecting an image that does not exist is a 404") {
  const auto inspected = client().inspect_image("reconcile-test/absent:never");
  REQUIRE_FALSE(inspected.ok());
  CHECK(inspected.error().is_not_found());
  CHECK(inspected.error().describe().find("inspect image 'reconcile-test/absent:never'") == 0);
  CHECK(client().remove_image("reconcile-test/absent:never", Force::no).is_not_found());
}
