// What the engine would report for a container created from a body: the
// image's Config fills what the body leaves out, as the engine does, so a
// container another supervisor created can be compared with it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/runtime/adoption.hpp"

using nlohmann::json;

namespace {

const json kImage = {{"Id", "sha256:img"},
                     {"Config",
                      {{"Env", {"PATH=/usr/bin", "LANG=C"}},
                       {"Labels", {{"from.image", "1"}, {"shared", "image"}}},
                       {"Cmd", {"sh"}},
                       {"Entrypoint", nullptr},
                       {"WorkingDir", "/app"},
                       {"Volumes", {{"/cache", json::object()}}}}}};

}  // namespace

TEST_CASE("adoption: the image's Env, Labels, Cmd and WorkingDir fill what the body leaves out") {
  const json body = {{"Image", "sha256:img"},
                     {"Env", {"LANG=en_US", "ROLE=api"}},
                     {"Labels", {{"shared", "body"}, {"io.balena.supervised", "true"}}},
                     {"HostConfig", {{"Binds", {"/tmp/x:/tmp/balena"}}}},
                     {"NetworkingConfig", {{"EndpointsConfig", {{"1_default", {{"Aliases", {"api"}}}}}}}}};
  const json inspect = engine::inspect_as_created(body, kImage, "api_1_1_abc", "cid");
  CHECK(inspect["Name"] == "/api_1_1_abc");
  CHECK(inspect["Image"] == "sha256:img");
  CHECK(inspect["Config"]["Env"] == json({"PATH=/usr/bin", "LANG=en_US", "ROLE=api"}));
  CHECK(inspect["Config"]["Labels"] ==
        json({{"from.image", "1"}, {"shared", "body"}, {"io.balena.supervised", "true"}}));
  CHECK(inspect["Config"]["Cmd"] == json({"sh"}));
  CHECK(inspect["Config"]["WorkingDir"] == "/app");
  CHECK(inspect["Config"]["Volumes"].contains("/cache"));
  CHECK(inspect["HostConfig"]["Binds"] == json({"/tmp/x:/tmp/balena"}));
  CHECK(inspect["NetworkSettings"]["Networks"]["1_default"]["Aliases"] == json({"api"}));
  CHECK_FALSE(inspect["Config"].contains("HostConfig"));
}

TEST_CASE("adoption: an entrypoint in the body drops the image's command, as the engine does") {
  const json body = {{"Image", "sha256:img"}, {"Entrypoint", {"/init"}}};
  const json inspect = engine::inspect_as_created(body, kImage, "/main_1_1_abc", "cid");
  CHECK(inspect["Name"] == "/main_1_1_abc");
  CHECK(inspect["Config"]["Entrypoint"] == json({"/init"}));
  CHECK_FALSE(inspect["Config"].contains("Cmd"));
}
