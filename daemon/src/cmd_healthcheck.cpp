// `supervisor healthcheck`: asks the running daemon's /v1/healthy, for
// container HEALTHCHECKs and monitoring scripts. Exit 0 healthy, 1 not.
#include <httplib.h>

#include <cstdio>

#include "commands.hpp"
#include "config.hpp"

namespace supervisor {

int cmd_healthcheck(std::span<const std::string_view> args) {
  const auto loaded = config_from_args(args, "healthcheck");
  if (!loaded) return 2;
  const Config& config = *loaded;
  const std::string host = config.listen_address == "0.0.0.0" ? "127.0.0.1" : config.listen_address;
  httplib::Client client(host, config.listen_port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  const auto response = client.Get("/v1/healthy");
  if (!response) {
    std::fprintf(stderr, "supervisor healthcheck: no answer from %s:%u: %s\n", host.c_str(), config.listen_port,
                 httplib::to_string(response.error()).c_str());
    return 1;
  }
  std::printf("%d %s\n", response->status, response->body.c_str());
  return response->status == 200 ? 0 : 1;
}

}  // namespace supervisor
