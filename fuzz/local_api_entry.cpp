// The local API's fuzzed entry (engine_entry_points.hpp): the bytes as one
// raw request to the real server's route table, key check and limits, with
// a device that accepts everything (tests/daemon/quiet_device.hpp), through
// api::Server::answer_raw (no socket, no thread).
#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <string>

#include "api/server.hpp"
#include "engine_entry_points.hpp"
#include "quiet_device.hpp"

namespace reconcile::fuzz {
namespace {

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "local_api: {}\n", fmt::format(format, std::forward<Args>(args)...));
  std::abort();
}

// The status of a raw answer ("HTTP/1.1 200 OK\r\n..."); -1 when there is
// no status line.
int status_of(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return -1;
  const std::string code = answer.substr(9, 3);
  if (code.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(code);
}

// The path of the request line as the server sees it: the target up to
// '?' or '#' (httplib drops a fragment: "/ping#x" is /ping), %XX decoded
// ("/p%69ng" is /ping).
std::string request_path(std::string_view input) {
  const auto start = input.find(' ');
  if (start == std::string_view::npos) return "";
  std::string_view target = input.substr(start + 1);
  target = target.substr(0, target.find_first_of(" ?#\r\n"));
  std::string path;
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto hex = [&](std::size_t at) { return std::isxdigit(static_cast<unsigned char>(target[at])) != 0; };
    if (target[i] == '%' && i + 2 < target.size() && hex(i + 1) && hex(i + 2)) {
      path += static_cast<char>(std::stoi(std::string(target.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      path += target[i];
    }
  }
  return path;
}

}  // namespace

void local_api(std::string_view input) {
  // One server for every input, as one daemon serves every request.
  static supervisor::testing::QuietDevice device;
  static supervisor::api::Server server(device, supervisor::api::ServerOptions{});
  // The first byte chooses the mode: in local mode no key is asked.
  device.local_mode = !input.empty() && (input.front() & 1) != 0;
  if (!input.empty()) input.remove_prefix(1);

  const std::string answer = server.answer_raw(input);
  const int status = status_of(answer);
  // A request line that parses gets an answer with a status; one that does
  // not may be dropped (httplib closes such connections without a word).
  if (answer.empty()) return;
  if (status < 100 || status > 599) fail("an answer without a valid status line: [{}]", answer.substr(0, 80));
  if (answer.find("\r\n\r\n") == std::string::npos) fail("an answer whose headers do not end: [{}]", answer);
  // Without a key and outside local mode only the open endpoints answer.
  const std::string path = request_path(input);
  const bool open = path == "/ping" || path == "/v1/healthy";
  if (!device.local_mode && !open && status / 100 == 2 && input.find("secret_key") == std::string_view::npos) {
    fail("{} answered without the key: [{}]", status, std::string(input.substr(0, 120)));
  }
}

}  // namespace reconcile::fuzz
