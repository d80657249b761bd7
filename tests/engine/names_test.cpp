#include <catch2/catch.hpp>

#include "engine/runtime/names.hpp"

using engine::names::parse_container_name;

TEST_CASE("container names carry the service's release, as the balena supervisor writes them") {
  reconcile::Service service;
  service.service_name = "my_api";
  service.image_id = 959262;
  service.release_id = 557617;
  service.commit = "217d5523";
  CHECK(engine::names::container_name(service) == "my_api_959262_557617_217d5523");
  const auto parsed = parse_container_name("/my_api_959262_557617_217d5523");
  REQUIRE(parsed);
  CHECK(parsed->service_name == "my_api");
  CHECK(parsed->image_id == 959262);
  CHECK(parsed->release_id == 557617);
  CHECK(parsed->commit == "217d5523");
  CHECK(parse_container_name("old_main_1_2_c")->service_name == "main");
  CHECK_FALSE(parse_container_name("main"));
  CHECK_FALSE(parse_container_name("main_x_2_c"));
  CHECK_FALSE(parse_container_name("_1_2_c"));
}

TEST_CASE("networks are named by app uuid, volumes by app id") {
  reconcile::Network network;
  network.name = "backend";
  network.app_uuid = "d149c5";
  CHECK(engine::names::network_name(network) == "d149c5_backend");
  reconcile::Volume volume;
  volume.name = "data";
  volume.app_id = 1011165;
  CHECK(engine::names::volume_name(volume) == "1011165_data");
  CHECK(engine::names::strip_prefix("1011165_data", "1011165") == "data");
  CHECK_FALSE(engine::names::strip_prefix("1011165data", "1011165"));
}
