// The debug line per API request (issue 15 item 3): method, path, status and
// duration, and never the API key.
#include <httplib.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "api/request_log.hpp"
#include "api/server.hpp"
#include "quiet_device.hpp"

namespace {

using supervisor::api::RequestRecord;

// The "api" lines the server logs, as written.
struct ApiLines {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::string> lines;

  void add(const supervisor::LogEvent& event) {
    if (event.event != "api") return;
    const std::lock_guard<std::mutex> lock(mutex);
    lines.push_back(supervisor::Logger::format(event));
    arrived.notify_all();
  }
  // The server logs after the answer is sent: wait (at most 5 s) for it.
  std::vector<std::string> wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex);
    arrived.wait_for(lock, std::chrono::seconds(5), [&] { return lines.size() >= count; });
    return lines;
  }
};

}  // namespace

TEST_CASE("the logged path keeps the query but no apikey, in any spelling") {
  RequestRecord request;
  request.path = "/v2/containerId";
  request.params = {{"serviceName", "web"}, {"apikey", "k1"}, {"APIKEY", "k2"}, {"apiKey", "k3"}};
  CHECK(supervisor::api::logged_path(request) == "/v2/containerId?serviceName=web");
  request.params = {{"apikey", "k1"}};
  CHECK(supervisor::api::logged_path(request) == "/v2/containerId");
  request.params = {{"a", "1"}, {"b", "2"}};
  CHECK(supervisor::api::logged_path(request) == "/v2/containerId?a=1&b=2");
}

TEST_CASE("every request is a debug line with method, path, status and duration, and no key") {
  supervisor::testing::QuietDevice device;
  ApiLines api;
  device.logger.subscribe([&](const supervisor::LogEvent& event) { api.add(event); });
  supervisor::api::Server server(device, {"127.0.0.1", 0, std::chrono::minutes(1)});
  std::string error;
  REQUIRE(server.start(error));
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(5, 0);

  // The key in the query (percent-encoded, as a client may send it) and in
  // the header; then a wrong key, refused.
  REQUIRE(client.Get("/v2/containerId?api%6Bey=secret_key&serviceName=web",
                     {{"Authorization", "Bearer secret_key"}}));
  const auto refused = client.Get("/v2/version?apikey=wrong_key");
  REQUIRE(refused);
  CHECK(refused->status == 401);

  auto lines = api.wait_for(2);
  // A line is written once its answer went out: the client may have its
  // answer, and ask again, before the first line is written. Either order.
  std::sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
    return a.find("/v2/containerId") < b.find("/v2/containerId");  // npos (not found) last
  });
  // (QuietDevice has no container: 503. A value with '=' in it is quoted.)
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], Catch::Matchers::Matches(
                           R"(\S+ debug api method=GET path="/v2/containerId\?serviceName=web" status=503 duration_ms=\d+)"));
  CHECK_THAT(lines[1],
             Catch::Matchers::Matches(R"(\S+ debug api method=GET path=/v2/version status=401 duration_ms=\d+)"));
  for (const auto& line : lines) {
    CHECK(line.find("secret_key") == std::string::npos);
    CHECK(line.find("wrong_key") == std::string::npos);
    CHECK(line.find("Bearer") == std::string::npos);
  }
}
