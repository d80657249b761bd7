// Network and volume calls against the real engine.
#include <catch2/catch.hpp>

#include "engine/docker/json.hpp"
#include "support.hpp"

using namespace engine::docker;
using testenv::client;

TEST_CASE("a network is created, listed by label, joined, inspected and removed") {
  const std::string name = testenv::unique_name("net");
  const nlohmann::json spec = {{"Name", name}, {"Driver", "bridge"}, {"CheckDuplicate", true},
                               {"Internal", true}, {"Labels", testenv::labels()}};
  auto id = client().create_network(body(spec));
  REQUIRE(id.ok());
  testenv::Cleanup cleanup([&] { (void)client().remove_network(id.value()); });

  auto inspected = client().inspect_network(name);
  REQUIRE(inspected.ok());
  CHECK(inspected->id == id.value());
  CHECK(inspected->driver == "bridge");
  CHECK(inspected->labels == testenv::labels());

  auto listed = client().list_networks(testenv::label_filter());
  REQUIRE(listed.ok());
  bool found = false;
  for (const auto& network : listed.value()) found = found || network.name == name;
  CHECK(found);

  // A second network with the same name is refused (CheckDuplicate).
  const auto duplicate = client().create_network(body(spec));
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.error().describe().find("create network '" + name + "'") == 0);

  {
    // Created on the first network, then joined to a second one.
    const nlohmann::json container_spec = {{"Image", testenv::env().busybox_image},
                                           {"Labels", testenv::labels()},
                                           {"HostConfig", {{"NetworkMode", name}}}};
    const std::string user_name = testenv::unique_name("netuser");
    auto user = client().create_container(user_name, body(container_spec));
    REQUIRE(user.ok());
    testenv::Cleanup remove_user([&] { testenv::remove_container_quietly(user.value()); });

    const nlohmann::json second_spec = {{"Name", testenv::unique_name("net2")}, {"Internal", true},
                                        {"Labels", testenv::labels()}};
    auto second = client().create_network(body(second_spec));
    REQUIRE(second.ok());
    testenv::Cleanup remove_second([&] { (void)client().remove_network(second.value()); });
    REQUIRE(client()
                .connect_network(second.value(), user.value(),
                                 body(nlohmann::json{{"Aliases", {"web"}}}))
                .ok());
    auto joined = client().inspect_container(user.value());
    REQUIRE(joined.ok());
    const auto networks = parse_raw(joined->raw)["NetworkSettings"]["Networks"];
    CHECK(networks.contains(name));
    CHECK(networks.contains(second_spec["Name"].get<std::string>()));

    // A network with a running container on it cannot be removed.
    REQUIRE(client().start_container(user.value()).ok());
    const auto in_use = client().remove_network(second.value());
    REQUIRE_FALSE(in_use.ok());
    CHECK_FALSE(in_use.is_not_found());
  }

  REQUIRE(client().remove_network(id.value()).ok());
  CHECK(client().inspect_network(id.value()).error().is_not_found());
  CHECK(client().remove_network(id.value()).is_not_found());
}

TEST_CASE("a volume is created, listed by label, inspected and removed") {
  const std::string name = testenv::unique_name("vol");
  const nlohmann::json spec = {{"Name", name}, {"Driver", "local"}, {"Labels", testenv::labels()}};
  auto created = client().create_volume(body(spec));
  REQUIRE(created.ok());
  testenv::Cleanup cleanup([&] { (void)client().remove_volume(name, Force::yes); });
  CHECK(created->name == name);
  CHECK(created->driver == "local");
  CHECK(created->labels == testenv::labels());

  auto inspected = client().inspect_volume(name);
  REQUIRE(inspected.ok());
  CHECK_FALSE(inspected->mountpoint.empty());

  auto listed = client().list_volumes(testenv::label_filter());
  REQUIRE(listed.ok());
  bool found = false;
  for (const auto& volume : listed.value()) found = found || volume.name == name;
  CHECK(found);

  REQUIRE(client().remove_volume(name, Force::no).ok());
  CHECK(client().inspect_volume(name).error().is_not_found());
  CHECK(client().remove_volume(name, Force::no).is_not_found());
}

TEST_CASE("listing by a label nobody uses finds nothing") {
  const Filters filters = {{"label", {"io.reconcile.test.nobody=" + testenv::unique_name("x")}}};
  auto volumes = client().list_volumes(filters);
  REQUIRE(volumes.ok());
  CHECK(volumes->empty());
  auto networks = client().list_networks(filters);
  REQUIRE(networks.ok());
  CHECK(networks->empty());
  auto containers = client().list_containers(filters, ListScope::all);
  REQUIRE(containers.ok());
  CHECK(containers->empty());
}
