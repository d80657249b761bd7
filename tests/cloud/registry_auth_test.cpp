#include "engine/cloud/registry_auth.hpp"

#include <catch2/catch.hpp>

namespace cloud = engine::cloud;

TEST_CASE("registry host: Docker's rule for the first path component", "[registry]") {
  CHECK(cloud::registry_host("registry2.balena-cloud.com/v2/abc@sha256:aa") ==
        std::optional<std::string>("registry2.balena-cloud.com"));
  CHECK(cloud::registry_host("127.0.0.1:5000/some/image") == std::optional<std::string>("127.0.0.1:5000"));
  CHECK(cloud::registry_host("localhost/x") == std::optional<std::string>("localhost"));
  CHECK_FALSE(cloud::registry_host("nginx").has_value());
  CHECK_FALSE(cloud::registry_host("library/nginx:1.25").has_value());
}

TEST_CASE("registry auth: d_<uuid> and the current key, anonymous without a host", "[registry]") {
  cloud::ConfigJson config;
  config.uuid = "abc";
  config.device_api_key = "device";
  CHECK(cloud::registry_auth(config, "127.0.0.1:5000/some/image") ==
        std::optional<cloud::RegistryAuth>(cloud::RegistryAuth{"d_abc", "device", "127.0.0.1:5000"}));
  config.api_key = "provisioning";  // not provisioned yet: the provisioning key is current
  CHECK(cloud::registry_auth(config, "127.0.0.1:5000/some/image")->password == "provisioning");
  CHECK_FALSE(cloud::registry_auth(config, "nginx").has_value());
  config.uuid.reset();
  CHECK_FALSE(cloud::registry_auth(config, "127.0.0.1:5000/some/image").has_value());
}

TEST_CASE("user agent with and without the OS parts", "[registry]") {
  CHECK(cloud::user_agent("19.0.5", std::string("balenaOS 5.3.10"), std::string("prod")) ==
        "Supervisor/19.0.5 (Linux; balenaOS 5.3.10; prod)");
  CHECK(cloud::user_agent("19.0.5", std::string("balenaOS 5.3.10"), std::nullopt) ==
        "Supervisor/19.0.5 (Linux; balenaOS 5.3.10)");
  CHECK(cloud::user_agent("19.0.5", std::nullopt, std::string("prod")) == "Supervisor/19.0.5");
}
