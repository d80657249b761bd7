// The debug line the local API writes for every request it answers:
//   ... debug api method=GET path="/v2/containerId?serviceName=web" status=200 duration_ms=3
// What a client asked, never how it proved who it is: no `apikey` query
// parameter and no header (Authorization carries the key too) is logged.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace supervisor {
class Logger;
}

namespace supervisor::api {

struct RequestRecord {
  std::string method;
  std::string path;                                // decoded, without the query
  std::multimap<std::string, std::string> params;  // decoded, as the server read them
  int status = 0;
  // Headers read to answer written (a log stream: until it ended); absent
  // for a request that never reached routing (malformed: httplib answers
  // 400 itself).
  std::optional<std::chrono::milliseconds> duration;
};

// The path and query of the line: the query rebuilt from the parameters as
// the server decoded them, so that no spelling of the key survives
// (`api%6Bey` is `apikey` to the server; `APIKEY` is not honoured but is
// dropped all the same, it may be a key).
[[nodiscard]] std::string logged_path(const RequestRecord& request);

void log_request(Logger& log, const RequestRecord& request);

}  // namespace supervisor::api
