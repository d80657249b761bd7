#include "api/request_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "log.hpp"

namespace supervisor::api {
namespace {

bool is_api_key(std::string_view name) {
  constexpr std::string_view kName = "apikey";
  return name.size() == kName.size() && std::equal(name.begin(), name.end(), kName.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

}  // namespace

std::string logged_path(const RequestRecord& request) {
  std::string out = request.path;
  char separator = '?';
  for (const auto& [name, value] : request.params) {
    if (is_api_key(name)) continue;
    out += fmt::format("{}{}={}", separator, name, value);
    separator = '&';
  }
  return out;
}

void log_request(Logger& log, const RequestRecord& request) {
  const std::string path = logged_path(request);
  const std::string status = fmt::to_string(request.status);
  if (request.duration) {
    log.log(Level::Debug, "api", "",
            {{"method", request.method}, {"path", path}, {"status", status},
             {"duration_ms", fmt::to_string(request.duration->count())}});
  } else {
    log.log(Level::Debug, "api", "", {{"method", request.method}, {"path", path}, {"status", status}});
  }
}

}  // namespace supervisor::api
