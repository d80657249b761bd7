// The host config files behind /v1/device/host-config (host_config.hpp):
// config.json's hostname and the redsocks proxy, in a directory of the test.
#include <catch2/catch.hpp>

#include "host_config.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using supervisor::HostConfigFiles;
using supervisor::HostConfigPatch;
using supervisor::HostProxy;
using supervisor::ProxyPatch;
using supervisor::testing::TempDir;

const char* const kUuid = "d42adeaa1b24a36d41121ac15c4bd337";

HostConfigPatch parse(const std::string& text) {
  std::vector<std::string> warnings;
  auto patch = supervisor::parse_host_config_patch(json::parse(text), warnings);
  REQUIRE(patch.ok());
  return std::move(patch).value();
}

struct Host {
  TempDir dir{"host-config-test"};
  HostConfigFiles files{{dir.path / "config.json", dir.path / "system-proxy"}, kUuid};
};

}  // namespace

TEST_CASE("redsocks.conf is written as balena's template and read back") {
  const HostProxy proxy{"socks5", "192.168.0.199", 8123, "u", "p", {}, "1.1.1.1:53"};
  const std::string text = supervisor::render_redsocks(proxy);
  CHECK(text.find("redsocks {\n\ttype = socks5;\n\tip = 192.168.0.199;\n\tport = 8123;\n\tlogin = \"u\";\n"
                  "\tpassword = \"p\";\n\tlocal_ip = 127.0.0.1;\n\tlocal_port = 12345;\n}") != std::string::npos);
  CHECK(text.find("remote_ip = 1.1.1.1;\n\tremote_port = 53;") != std::string::npos);
  CHECK(supervisor::parse_redsocks(text) == proxy);
  CHECK_FALSE(supervisor::parse_redsocks("base {\n}\n"));
}

TEST_CASE("proxy fields merge over the existing ones; {} removes the proxy; an incomplete first proxy is refused") {
  const HostProxy existing{"socks5", "10.0.0.1", 1080, "u", "p", {"10.0.0.0/8"}, "8.8.8.8:53"};
  auto merged = supervisor::merge_proxy(existing, parse(R"({"network":{"proxy":{"port": 9050, "dns": false}}})").proxy.value());
  REQUIRE(merged.ok());
  REQUIRE(merged.value());
  CHECK(merged.value()->port == 9050);
  CHECK(merged.value()->ip == "10.0.0.1");
  CHECK(merged.value()->login == std::optional<std::string>("u"));
  CHECK_FALSE(merged.value()->dns);
  CHECK(merged.value()->no_proxy == std::vector<std::string>{"10.0.0.0/8"});

  auto dns_on = supervisor::merge_proxy(existing, parse(R"({"network":{"proxy":{"dns": true}}})").proxy.value());
  REQUIRE(dns_on.ok());
  CHECK(dns_on.value()->dns == std::optional<std::string>("8.8.8.8:53"));

  auto removed = supervisor::merge_proxy(existing, parse(R"({"network":{"proxy":{}}})").proxy.value());
  REQUIRE(removed.ok());
  CHECK_FALSE(removed.value());

  auto incomplete = supervisor::merge_proxy(std::nullopt, parse(R"({"network":{"proxy":{"ip": "10.0.0.1"}}})").proxy.value());
  REQUIRE_FALSE(incomplete.ok());
  CHECK(incomplete.error().message == "network.proxy: no proxy is set yet: type, port needed");
}

TEST_CASE("the patch keeps hostname and proxy only, and says what it dropped") {
  std::vector<std::string> warnings;
  auto patch = supervisor::parse_host_config_patch(
      json::parse(R"({"network": {"hostname": "box", "force": true, "proxy": {"type": "socks4", "ip": "1.2.3.4", "port": 1, "extra": 1}}})"),
      warnings);
  REQUIRE(patch.ok());
  CHECK(patch->hostname == std::optional<std::string>("box"));
  CHECK(warnings == std::vector<std::string>{"network.force is not a host setting; dropped",
                                             "network.proxy.extra is not a proxy setting; dropped"});
}

TEST_CASE("host config files: hostname in config.json (other keys kept), proxy files written and removed") {
  Host host;
  host.dir.write("config.json", R"({"apiEndpoint":"https://api.example","uuid":"d42adeaa1b24a36d41121ac15c4bd337","listenPort":48484})");
  auto initial = host.files.read();
  REQUIRE(initial.ok());
  CHECK(initial->hostname == "d42adea");  // balenaOS's default: the uuid's first 7 characters
  CHECK_FALSE(initial->proxy);

  REQUIRE(host.files.write(parse(R"({"network": {"hostname": "box-1"}})")).ok());
  auto named = json::parse(host.dir.read("config.json"));
  CHECK(named["hostname"] == "box-1");
  CHECK(named["apiEndpoint"] == "https://api.example");
  CHECK(named["listenPort"] == 48484);
  CHECK(host.files.read()->hostname == "box-1");

  REQUIRE(host.files.write(parse(R"({"network": {"hostname": ""}})")).ok());
  CHECK(json::parse(host.dir.read("config.json"))["hostname"] == "d42adea");

  REQUIRE(host.files.write(parse(R"({"network": {"proxy": {"type": "socks5", "ip": "192.168.0.199", "port": 8123,
      "noProxy": ["10.0.0.0/8", "192.168.1.0/24"]}}})")).ok());
  CHECK(host.dir.read("system-proxy/no_proxy") == "10.0.0.0/8\n192.168.1.0/24\n");
  auto proxied = host.files.read();
  REQUIRE(proxied.ok());
  REQUIRE(proxied->proxy);
  CHECK(proxied->proxy->no_proxy == std::vector<std::string>{"10.0.0.0/8", "192.168.1.0/24"});
  CHECK(supervisor::host_config_json(proxied.value()) ==
        json::parse(R"({"network":{"hostname":"d42adea","proxy":{"type":"socks5","ip":"192.168.0.199","port":8123,
                    "noProxy":["10.0.0.0/8","192.168.1.0/24"]}}})"));

  REQUIRE(host.files.write(parse(R"({"network": {"proxy": {"login": "me", "noProxy": []}}})")).ok());
  auto merged = host.files.read();
  REQUIRE(merged->proxy);
  CHECK(merged->proxy->login == std::optional<std::string>("me"));
  CHECK(merged->proxy->port == 8123);
  CHECK_FALSE(std::filesystem::exists(host.dir.path / "system-proxy/no_proxy"));

  REQUIRE(host.files.write(parse(R"({"network": {"proxy": {}}})")).ok());
  CHECK_FALSE(std::filesystem::exists(host.dir.path / "system-proxy/redsocks.conf"));
  CHECK_FALSE(host.files.read()->proxy);
}

TEST_CASE("host config files: an incomplete proxy writes nothing, not even the hostname") {
  Host host;
  auto refused = host.files.write(parse(R"({"network": {"hostname": "box", "proxy": {"port": 1}}})"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == engine::ErrorKind::Invalid);
  CHECK_FALSE(std::filesystem::exists(host.dir.path / "config.json"));
  CHECK_FALSE(std::filesystem::exists(host.dir.path / "system-proxy"));
}
