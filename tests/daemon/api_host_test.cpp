// The host and cloud routes of the local API over real HTTP on loopback
// (local-api.md §3-4): /v1/blink, /v1/device/host-config, /v2/device/tags,
// /v2/cleanup-volumes, /v2/journal-logs. Bad input answers 400 naming what
// is wrong, and the device is asked nothing.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "api/server.hpp"
#include "quiet_device.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;

// A connection that sent `request` and read the start of the answer.
int open_stream(std::uint16_t port, const std::string& request, std::string& start) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (sock < 0 || ::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
  timeval timeout{3, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::send(sock, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) return -1;
  char buffer[256] = {};
  const ssize_t got = ::recv(sock, buffer, sizeof buffer - 1, 0);
  start = got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : std::string();
  return sock;
}
using supervisor::testing::QuietDevice;
using supervisor::testing::TempDir;

struct Fixture {
  QuietDevice device;
  supervisor::api::Server server{device, {"127.0.0.1", 0, std::chrono::minutes(1)}};
  std::unique_ptr<httplib::Client> client;
  Fixture() {
    device.local_mode = true;  // no key needed: api_auth_test.cpp covers keys
    std::string error;
    REQUIRE(server.start(error));
    client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
    client->set_read_timeout(10, 0);
  }
  httplib::Result patch(const std::string& path, const std::string& body) {
    return client->Patch(path.c_str(), body, "application/json");
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    return client->Post(path.c_str(), body, "application/json");
  }
};

}  // namespace

TEST_CASE("POST /v1/blink answers at once, LED or not") {
  Fixture f;
  auto blink = f.client->Post("/v1/blink");
  REQUIRE(blink);
  CHECK(blink->status == 200);
  CHECK(blink->body == "OK");
  f.device.has_led = false;
  auto again = f.client->Post("/v1/blink");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(f.device.blinks == 2);
}

TEST_CASE("GET /v1/device/host-config: the hostname, and the proxy only when one is set") {
  Fixture f;
  auto plain = f.client->Get("/v1/device/host-config");
  REQUIRE(plain);
  CHECK(plain->status == 200);
  CHECK(json::parse(plain->body) == json{{"network", {{"hostname", "quiet00"}}}});
  f.device.host.proxy = supervisor::HostProxy{"socks5", "192.168.0.199", 8123, "u", "p", {"10.0.0.0/8"}, "1.1.1.1:53"};
  auto proxied = f.client->Get("/v1/device/host-config");
  REQUIRE(proxied);
  CHECK(json::parse(proxied->body) ==
        json::parse(R"({"network":{"hostname":"quiet00","proxy":{"type":"socks5","ip":"192.168.0.199","port":8123,
                    "login":"u","password":"p","noProxy":["10.0.0.0/8"],"dns":"1.1.1.1:53"}}})"));
}

TEST_CASE("PATCH /v1/device/host-config: force is read at the top level only") {
  Fixture f;
  auto done = f.patch("/v1/device/host-config", R"({"network": {"hostname": "my-box", "force": true}})");
  REQUIRE(done);
  CHECK(done->status == 200);
  CHECK(done->body == "OK");
  REQUIRE(f.device.host_patches.size() == 1);
  CHECK(f.device.host_patches[0].first.hostname == std::optional<std::string>("my-box"));
  CHECK_FALSE(f.device.host_patches[0].first.proxy);
  CHECK(f.device.host_patches[0].second == engine::Force::No);
  REQUIRE(f.patch("/v1/device/host-config", R"({"network": {"proxy": {}}, "force": true})")->status == 200);
  REQUIRE(f.device.host_patches.size() == 2);
  CHECK(f.device.host_patches[1].second == engine::Force::Yes);
  CHECK(f.device.host_patches[1].first.proxy->remove);
}

TEST_CASE("PATCH /v1/device/host-config: a port as a decimal string is taken, as balena does") {
  Fixture f;
  auto done = f.patch("/v1/device/host-config",
                      R"({"network": {"proxy": {"type": "http-connect", "ip": "10.0.0.1", "port": "3128"}}})");
  REQUIRE(done);
  INFO(done->body);
  CHECK(done->status == 200);
  REQUIRE(f.device.host_patches.size() == 1);
  CHECK(f.device.host_patches[0].first.proxy->port == std::optional<std::int64_t>(3128));
}

TEST_CASE("PATCH /v1/device/host-config: bad input is a 400 naming the field, and nothing is written") {
  Fixture f;
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"{}", "network"},
      {R"({"network": 1})", "network"},
      {R"({"network": {"hostname": 5}})", "network.hostname"},
      {R"({"network": {"hostname": "../etc"}})", "network.hostname"},
      {R"({"network": {"hostname": "a\nb"}})", "network.hostname"},
      {R"({"network": {"proxy": []}})", "network.proxy"},
      {R"({"network": {"proxy": {"type": "bogus"}}})", "network.proxy.type"},
      {R"({"network": {"proxy": {"port": 70000}}})", "network.proxy.port"},
      {R"({"network": {"proxy": {"port": "eighty"}}})", "network.proxy.port"},
      {R"({"network": {"proxy": {"ip": "1.2.3.4; local_ip = 0.0.0.0"}}})", "network.proxy.ip"},
      {R"({"network": {"proxy": {"login": "a\"b"}}})", "network.proxy.login"},
      {R"({"network": {"proxy": {"password": 7}}})", "network.proxy.password"},
      {R"({"network": {"proxy": {"noProxy": "10.0.0.0/8"}}})", "network.proxy.noProxy"},
      {R"({"network": {"proxy": {"noProxy": ["ok", "not ok"]}}})", "network.proxy.noProxy[1]"},
      {R"({"network": {"proxy": {"dns": 53}}})", "network.proxy.dns"},
      {R"({"network": {"proxy": {"dns": "1.1.1.1"}}})", "network.proxy.dns"},
  };
  for (const auto& [body, field] : cases) {
    INFO(body);
    auto answer = f.patch("/v1/device/host-config", body);
    REQUIRE(answer);
    CHECK(answer->status == 400);
    CHECK(answer->body.starts_with(std::string(field) + ":"));
  }
  auto not_json = f.patch("/v1/device/host-config", "{");
  REQUIRE(not_json);
  CHECK(not_json->status == 400);
  CHECK(f.device.host_patches.empty());
}

TEST_CASE("PATCH /v1/device/host-config: a lock is a 423, an incomplete proxy a 400, other failures 503, as text") {
  Fixture f;
  const auto answer_for = [&](engine::ErrorKind kind) {
    f.device.host_failure = engine::Error{kind, "why"};
    auto answer = f.patch("/v1/device/host-config", R"({"network": {"hostname": "x"}})");
    REQUIRE(answer);
    CHECK(answer->body == "why");
    return answer->status;
  };
  CHECK(answer_for(engine::ErrorKind::Locked) == 423);
  CHECK(answer_for(engine::ErrorKind::Invalid) == 400);
  CHECK(answer_for(engine::ErrorKind::FileSystem) == 503);
}

TEST_CASE("GET /v2/device/tags: the cloud's tags, or a 500 envelope") {
  Fixture f;
  f.device.cloud_tags = {{188303, "DeviceLocation", "warehouse #3"}};
  auto tags = f.client->Get("/v2/device/tags");
  REQUIRE(tags);
  CHECK(tags->status == 200);
  CHECK(json::parse(tags->body) ==
        json::parse(R"({"status":"success","tags":[{"id":188303,"name":"DeviceLocation","value":"warehouse #3"}]})"));
  f.device.tags_failure = engine::Error{engine::ErrorKind::Unavailable, "the device is not managed"};
  auto failed = f.client->Get("/v2/device/tags");
  REQUIRE(failed);
  CHECK(failed->status == 500);
  CHECK(json::parse(failed->body) == json{{"status", "failed"}, {"message", "the device is not managed"}});
}

TEST_CASE("PATCH /v2/device/tags: stored and accepted with 202; bad bodies are 400s that store nothing") {
  Fixture f;
  auto done = f.patch("/v2/device/tags", R"({"location": "lab", "rack": "3"})");
  REQUIRE(done);
  CHECK(done->status == 202);
  CHECK(json::parse(done->body) == json{{"status", "success"}});
  CHECK(f.device.stored_tags == std::map<std::string, std::string>{{"location", "lab"}, {"rack", "3"}});

  const std::string shape = "Invalid tags body, must be an object like `{[tagKey: string]: string}`";
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"[1, 2]", shape},
      {R"("text")", shape},
      {"{", shape},
      {R"({"location": 3})", shape},
      {R"({"location": null})", shape},
      {R"({"ok": "x", "nested": {"a": "b"}})", shape},
      {R"({"has space": "x"})", "Tag keys cannot contain whitespace"},
      {R"({"tab\there": "x"})", "Tag keys cannot contain whitespace"},
      {R"({"": "x"})", "Tag keys must be 1 to 100 characters long: \"\""},
  };
  for (const auto& [body, message] : cases) {
    INFO(body);
    auto answer = f.patch("/v2/device/tags", body);
    REQUIRE(answer);
    CHECK(answer->status == 400);
    CHECK(json::parse(answer->body) == json{{"status", "failed"}, {"message", message}});
  }
  auto too_long = f.patch("/v2/device/tags", json{{std::string(101, 'k'), "v"}}.dump());
  REQUIRE(too_long);
  CHECK(too_long->status == 400);
  CHECK(f.device.stored_tags.size() == 2);
}

TEST_CASE("GET /v2/cleanup-volumes answers success") {
  Fixture f;
  auto done = f.client->Get("/v2/cleanup-volumes");
  REQUIRE(done);
  CHECK(done->status == 200);
  CHECK(json::parse(done->body) == json{{"status", "success"}});
  REQUIRE(f.device.cleanups.size() == 1);
  CHECK(f.device.cleanups[0].is_global());
}

TEST_CASE("POST /v2/journal-logs: the body's fields become journalctl's arguments, its output the body") {
  Fixture f;
  auto all = f.post("/v2/journal-logs", R"({"all": true, "follow": false, "count": 5, "unit": "balena.service",
      "containerId": "c0ffee", "since": "2026-12-03 07:00:00", "until": "now", "format": "json"})");
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(all->body == "-a -n 5 -u balena.service -t c0ffee -S 2026-12-03 07:00:00 -U now -o json\n");
  auto defaults = f.post("/v2/journal-logs", "");
  REQUIRE(defaults);
  CHECK(defaults->body == "-o short\n");
  auto truthy = f.post("/v2/journal-logs", R"({"follow": "on", "all": "no", "count": "20"})");
  REQUIRE(truthy);
  CHECK(truthy->body == "--follow -n 20 -o short\n");
}

TEST_CASE("POST /v2/journal-logs: a field of the wrong type is a 400 naming it, and nothing runs") {
  Fixture f;
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"all": {}})", "all"},         {R"({"follow": [true]})", "follow"}, {R"({"follow": 2})", "follow"},
      {R"({"count": 0})", "count"},      {R"({"count": -3})", "count"},      {R"({"count": "ten"})", "count"},
      {R"({"count": 1.5})", "count"},    {R"({"unit": 5})", "unit"},         {R"({"unit": "--merge"})", "unit"},
      {R"({"containerId": ""})", "containerId"}, {R"({"since": true})", "since"}, {R"({"until": []})", "until"},
      {R"({"format": {"a": 1}})", "format"},
  };
  for (const auto& [body, field] : cases) {
    INFO(body);
    auto answer = f.post("/v2/journal-logs", body);
    REQUIRE(answer);
    CHECK(answer->status == 400);
    const json message = json::parse(answer->body);
    CHECK(message["status"] == "failed");
    CHECK(message["message"].get<std::string>().starts_with(std::string(field) + ":"));
  }
  CHECK(f.device.journal_calls.empty());
}

TEST_CASE("POST /v2/journal-logs: a host without journalctl answers 503") {
  Fixture f;
  f.device.journal_binary = "/nonexistent/journalctl";
  auto answer = f.post("/v2/journal-logs", "{}");
  REQUIRE(answer);
  CHECK(answer->status == 503);
  CHECK(json::parse(answer->body)["message"] == "journalctl is not available on this host (/nonexistent/journalctl not found)");
}

TEST_CASE("POST /v2/journal-logs: the process is killed when the client goes") {
  Fixture f;
  TempDir dir("journal-test");
  const auto pid_file = dir.path / "pid";
  const auto script = dir.write("journalctl", fmt::format("#!/bin/sh\necho $$ > {}\nwhile true; do echo \"line $*\"; sleep 0.1; done\n",
                                                          pid_file.string()));
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  f.device.journal_binary = script.string();

  std::string received;
  httplib::Request request;
  request.method = "POST";
  request.path = "/v2/journal-logs";
  request.body = R"({"follow": true})";
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    received.append(data, size);
    return received.find('\n') == std::string::npos;  // one line, then hang up
  };
  auto answer = f.client->send(request);
  CHECK_FALSE(answer);  // the client cancelled
  CHECK(received.starts_with("line --follow -o short"));
  std::ifstream pid_in(pid_file);
  pid_t pid = 0;
  pid_in >> pid;
  REQUIRE(pid > 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(::kill(pid, 0) != 0);  // gone and reaped
}

TEST_CASE("POST /v2/journal-logs: a quiet follow stream's process is killed when the client goes") {
  Fixture f;
  TempDir dir("journal-idle-test");
  const auto pid_file = dir.path / "pid";
  const auto script = dir.write("journalctl", fmt::format("#!/bin/sh\necho $$ > {}\necho first\nexec sleep 60\n",
                                                          pid_file.string()));
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  f.device.journal_binary = script.string();
  httplib::Request request;
  request.method = "POST";
  request.path = "/v2/journal-logs";
  request.body = R"({"follow": true})";
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [](const char*, std::size_t, std::uint64_t, std::uint64_t) { return false; };
  CHECK_FALSE(f.client->send(request));
  pid_t pid = 0;
  std::ifstream(pid_file) >> pid;
  REQUIRE(pid > 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("a POST without Content-Length has no body: answered at once, as curl -X POST sends it") {
  Fixture f;
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(f.server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  timeval timeout{2, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string request = "POST /v1/blink HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n";
  REQUIRE(::send(sock, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  const auto sent = std::chrono::steady_clock::now();
  char buffer[512] = {};
  const ssize_t got = ::recv(sock, buffer, sizeof buffer - 1, 0);
  ::close(sock);
  REQUIRE(got > 0);
  CHECK(std::string(buffer).starts_with("HTTP/1.1 200"));
  CHECK(std::chrono::steady_clock::now() - sent < std::chrono::seconds(1));
  CHECK(f.device.blinks == 1);
}

TEST_CASE("POST /v2/journal-logs: at most 4 streams at once; a 5th is a 503 and runs nothing") {
  Fixture f;
  TempDir dir("journal-limit-test");
  const auto script = dir.write("journalctl", "#!/bin/sh\necho started\nexec sleep 30\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  f.device.journal_binary = script.string();
  const std::string body = R"({"follow": true})";
  const std::string request = fmt::format(
      "POST /v2/journal-logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
      body.size(), body);
  std::vector<int> streams;
  for (int i = 0; i < 4; ++i) {
    std::string start;
    const int sock = open_stream(f.server.port(), request, start);
    REQUIRE(sock >= 0);
    streams.push_back(sock);
    CHECK(start.starts_with("HTTP/1.1 200"));
  }
  auto fifth = f.post("/v2/journal-logs", body);
  REQUIRE(fifth);
  CHECK(fifth->status == 503);
  CHECK(json::parse(fifth->body)["message"] == "Too many journal streams open (at most 4)");
  CHECK(f.device.journal_calls.size() == 4);
  for (const int sock : streams) ::close(sock);
  // The slots come back once the streams notice their clients left. (They
  // did not while each journalctl inherited the other connections' sockets:
  // closed here, they stayed open in the children.)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  std::string answer;
  f.device.journal_binary = "true";
  while (std::chrono::steady_clock::now() < deadline) {
    auto again = f.post("/v2/journal-logs", "{}");
    status = again ? again->status : 0;
    answer = again ? again->body : std::string("no answer");
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(answer);
  CHECK(status == 200);
}
