// supervisor0 as the supervisor makes it, judged from the engine's inspect
// document (GET /networks/supervisor0).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/runtime/supervisor_network.hpp"

namespace {

using nlohmann::json;

json as_made() {
  return {{"Name", "supervisor0"},
          {"Id", "3f1c0a"},
          {"Driver", "bridge"},
          {"Options", {{"com.docker.network.bridge.name", "supervisor0"}}},
          {"IPAM", {{"Driver", "default"}, {"Config", {{{"Subnet", "10.114.104.0/25"}, {"Gateway", "10.114.104.1"}}}}}}};
}

bool judged(const json& network) { return engine::supervisor_network::is_as_made(network.dump()); }

}  // namespace

TEST_CASE("supervisor0 with balena's bridge name, subnet and gateway is as made") {
  CHECK(judged(as_made()));
}

TEST_CASE("a supervisor0 that differs in any part the supervisor sets is not as made") {
  auto network = as_made();
  SECTION("another driver") { network["Driver"] = "macvlan"; }
  SECTION("the engine's own bridge name") { network["Options"] = json::object(); }
  SECTION("another subnet") { network["IPAM"]["Config"][0]["Subnet"] = "172.30.0.0/16"; }
  SECTION("another gateway") { network["IPAM"]["Config"][0]["Gateway"] = "10.114.104.2"; }
  SECTION("no address config") { network["IPAM"]["Config"] = json::array(); }
  SECTION("a second subnet") { network["IPAM"]["Config"].push_back({{"Subnet", "fd00::/64"}}); }
  SECTION("another name") { network["Name"] = "supervisor1"; }
  CHECK_FALSE(judged(network));
}

TEST_CASE("an inspect document that is not an object is not as made, and does not throw") {
  CHECK_FALSE(engine::supervisor_network::is_as_made(""));
  CHECK_FALSE(engine::supervisor_network::is_as_made("[1, 2]"));
  CHECK_FALSE(engine::supervisor_network::is_as_made(R"({"Name": "supervisor0", "IPAM": 7})"));
}
