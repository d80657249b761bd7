#include "engine/cloud/http.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "temp_dir.hpp"
#include "test_server.hpp"

using engine::cloud::BodyEncoding;
using engine::cloud::ErrorKind;
using engine::cloud::HttpClient;
using engine::cloud::HttpOptions;
using engine::cloud::HttpRequest;
using engine::cloud::Method;
using cloud_test::TempDir;
using cloud_test::TestServer;

namespace {

HttpClient client_for(const std::string& url, std::chrono::milliseconds total = std::chrono::seconds(10)) {
  HttpOptions options;
  options.base_url = url;
  options.total_timeout = total;
  options.connect_timeout = std::chrono::seconds(5);
  options.user_agent = "Supervisor/19.0.5 (Linux; test; dev)";
  auto client = HttpClient::create(options);
  REQUIRE(client.ok());
  return std::move(client).value();
}

HttpRequest get(std::string path) {
  HttpRequest request;
  request.path = std::move(path);
  request.call = "test get";
  return request;
}

// A port on 127.0.0.1 nobody listens on: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);  // NOLINT
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);  // NOLINT
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A self-signed certificate for 127.0.0.1, or false when openssl is missing.
bool make_certificate(const std::filesystem::path& dir, const std::string& name) {
  const std::string command = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout {0}/{1}.key -out {0}/{1}.pem >/dev/null 2>&1",
      dir.string(), name);
  return std::system(command.c_str()) == 0;
}

}  // namespace

TEST_CASE("a GET sends the bearer key and asks for gzip, and returns status, body and headers", "[http]") {
  TestServer server;
  std::string authorization;
  std::string accept_encoding;
  std::string user_agent;
  server.routes().Get("/device/v3/abc/state", [&](const httplib::Request& req, httplib::Response& res) {
    authorization = req.get_header_value("Authorization");
    accept_encoding = req.get_header_value("Accept-Encoding");
    user_agent = req.get_header_value("User-Agent");
    res.set_header("ETag", "W/\"2-abc\"");
    res.set_content("{}", "application/json");
  });
  server.start();
  auto client = client_for(server.url());
  auto request = get("/device/v3/abc/state");
  request.bearer = "secret";
  auto response = client.perform(request);
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body == "{}");
  CHECK(response->header("etag") == std::optional<std::string>("W/\"2-abc\""));
  CHECK(authorization == "Bearer secret");
  CHECK(accept_encoding.find("gzip") != std::string::npos);
  CHECK(user_agent == "Supervisor/19.0.5 (Linux; test; dev)");
}

TEST_CASE("a path in the base URL is replaced by the request's absolute path", "[http]") {
  TestServer server;
  server.routes().Get("/ping", [](const httplib::Request&, httplib::Response& res) { res.set_content("OK", "text/plain"); });
  server.start();
  auto client = client_for(server.url() + "/some/prefix/");
  auto response = client.perform(get("/ping"));
  REQUIRE(response.ok());
  CHECK(response->body == "OK");
}

TEST_CASE("a gzip answer is inflated, and counted as received compressed", "[http]") {
  TestServer server;
  const std::string big(20000, 'a');
  server.routes().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/json");  // httplib gzips when the client accepts it
  });
  server.start();
  auto client = client_for(server.url());
  auto response = client.perform(get("/big"));
  REQUIRE(response.ok());
  CHECK(response->header("Content-Encoding") == std::optional<std::string>("gzip"));
  CHECK(response->body == big);
  const auto counters = client.counters();
  CHECK(counters.requests == 1);
  CHECK(counters.bytes_received > 0);
  CHECK(counters.bytes_received < big.size());
}

TEST_CASE("a gzip request body arrives with Content-Encoding gzip and inflates to the JSON", "[http]") {
  TestServer server;
  std::string encoding;
  std::string type;
  std::string body;
  server.routes().Patch("/device/v3/state", [&](const httplib::Request& req, httplib::Response& res) {
    encoding = req.get_header_value("Content-Encoding");
    type = req.get_header_value("Content-Type");
    body = req.body;  // httplib inflates gzip request bodies
    res.status = 200;
  });
  server.start();
  auto client = client_for(server.url());
  HttpRequest request;
  request.method = Method::Patch;
  request.path = "/device/v3/state";
  request.json_body = std::string(R"({"uuid":{"status":"Idle"}})");
  request.body_encoding = BodyEncoding::Gzip;
  request.call = "report";
  auto response = client.perform(request);
  REQUIRE(response.ok());
  CHECK(encoding == "gzip");
  CHECK(type == "application/json");
  CHECK(body == R"({"uuid":{"status":"Idle"}})");
}

TEST_CASE("the connection is reused: two calls (each with a new handle) share one connection, and bytes are counted", "[http]") {
  TestServer server;
  std::vector<int> remote_ports;
  server.routes().Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
    remote_ports.push_back(req.remote_port);
    res.set_content("pong", "text/plain");
  });
  server.start();
  auto client = client_for(server.url());
  REQUIRE(client.perform(get("/ping")).ok());
  const auto first = client.counters();
  REQUIRE(client.perform(get("/ping")).ok());
  const auto second = client.counters();
  REQUIRE(remote_ports.size() == 2);
  CHECK(remote_ports[0] == remote_ports[1]);
  CHECK(second.requests == 2);
  // Request line + headers ("GET /ping HTTP/1.1 ...") and status line +
  // headers + "pong" each way.
  CHECK(first.bytes_sent > 40);
  CHECK(first.bytes_received > 40);
  CHECK(second.bytes_sent == 2 * first.bytes_sent);
  client.reset_counters();
  CHECK(client.counters().requests == 0);
}

TEST_CASE("an answer >= 400 is HttpStatus with the status, the body text and Retry-After", "[http]") {
  TestServer server;
  server.routes().Get("/fail", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_header("Retry-After", "60");
    res.set_content("database on fire\n", "text/plain");
  });
  server.routes().Get("/denied", [](const httplib::Request&, httplib::Response& res) { res.status = 401; });
  server.start();
  auto client = client_for(server.url());
  auto failed = client.perform(get("/fail"));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::HttpStatus);
  CHECK(failed.error().http_status == 500);
  CHECK(failed.error().message == "database on fire");
  CHECK(failed.error().call == "test get");
  CHECK(failed.error().retry_after == std::optional<long>(60));
  CHECK(failed.error().describe() == "test get: http status (HTTP 500): database on fire");
  CHECK(engine::cloud::to_engine_error(failed.error()).kind == engine::ErrorKind::Refused);

  auto denied = client.perform(get("/denied"));
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().http_status == 401);
  CHECK(denied.error().message == "empty body");
  CHECK(engine::cloud::to_engine_error(denied.error()).kind == engine::ErrorKind::Refused);
}

TEST_CASE("a 304 is an answer, not an error", "[http]") {
  TestServer server;
  server.routes().Get("/state", [](const httplib::Request&, httplib::Response& res) { res.status = 304; });
  server.start();
  auto client = client_for(server.url());
  auto response = client.perform(get("/state"));
  REQUIRE(response.ok());
  CHECK(response->status == 304);
}

TEST_CASE("connection refused is Connect", "[http]") {
  auto client = client_for(fmt::format("http://127.0.0.1:{}", closed_port()));
  auto response = client.perform(get("/x"));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Connect);
  CHECK(engine::cloud::to_engine_error(response.error()).kind == engine::ErrorKind::Unavailable);
}

TEST_CASE("an unresolvable host is Dns", "[http]") {
  // RFC 6761: .invalid never resolves.
  auto client = client_for("https://api.no-such-host.invalid");
  auto response = client.perform(get("/x"));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Dns);
}

TEST_CASE("a slow answer is Timeout", "[http]") {
  TestServer server;
  server.routes().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  server.start();
  auto client = client_for(server.url(), std::chrono::milliseconds(300));
  auto response = client.perform(get("/slow"));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Timeout);
}

TEST_CASE("a set cancel flag ends the exchange as Cancelled", "[http]") {
  TestServer server;
  server.routes().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    res.set_content("late", "text/plain");
  });
  server.start();
  auto client = client_for(server.url());
  std::atomic<bool> cancel{false};
  auto request = get("/slow");
  request.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = true;
  });
  const auto started = std::chrono::steady_clock::now();
  auto response = client.perform(request);
  canceller.join();
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::Cancelled);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(2500));

  // Already set before the call: nothing is sent.
  auto again = client.perform(request);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::Cancelled);
}

TEST_CASE("a base URL that is not http(s)://host is a Config error", "[http]") {
  for (const char* url : {"", "api.balena-cloud.com", "ftp://host", "https://"}) {
    HttpOptions options;
    options.base_url = url;
    auto client = HttpClient::create(options);
    REQUIRE_FALSE(client.ok());
    CHECK(client.error().kind == ErrorKind::Config);
  }
}

TEST_CASE("TLS: the extra root CA is trusted, an unknown or wrong one is Tls", "[http][tls]") {
  TempDir dir;
  if (!make_certificate(dir.path(), "server") || !make_certificate(dir.path(), "other")) {
    WARN("openssl CLI missing or failing: TLS cases skipped");
    return;
  }
  TestServer server((dir.path() / "server.pem").string(), (dir.path() / "server.key").string());
  server.routes().Get("/ping", [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
  server.start();

  HttpOptions options;
  options.base_url = server.url("https");
  options.total_timeout = std::chrono::seconds(10);

  SECTION("the server's own certificate as balenaRootCA") {
    options.extra_ca_pem = read_file(dir.path() / "server.pem");
    auto client = HttpClient::create(options);
    REQUIRE(client.ok());
    auto response = client.value().perform(get("/ping"));
    REQUIRE(response.ok());
    CHECK(response->body == "pong");
  }
  SECTION("another certificate as balenaRootCA") {
    options.extra_ca_pem = read_file(dir.path() / "other.pem");
    auto client = HttpClient::create(options);
    REQUIRE(client.ok());
    auto response = client.value().perform(get("/ping"));
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().kind == ErrorKind::Tls);
    CHECK(engine::cloud::to_engine_error(response.error()).kind == engine::ErrorKind::Unavailable);
  }
  SECTION("no extra CA: the self-signed certificate is not in the system store") {
    auto client = HttpClient::create(options);
    REQUIRE(client.ok());
    auto response = client.value().perform(get("/ping"));
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().kind == ErrorKind::Tls);
  }
}

TEST_CASE("balenaRootCA decodes from base64 to PEM, and garbage is a Config error", "[http]") {
  // "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
  const std::string pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
  const std::string base64 =
      "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFBPT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
  auto decoded = engine::cloud::decode_root_ca(base64);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == pem);
  auto bad = engine::cloud::decode_root_ca("not base64 at all!");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::Config);
  CHECK(bad.error().message.find("balenaRootCA") != std::string::npos);
  auto not_pem = engine::cloud::decode_root_ca("aGVsbG8=");
  REQUIRE_FALSE(not_pem.ok());
  CHECK(not_pem.error().kind == ErrorKind::Config);
}
