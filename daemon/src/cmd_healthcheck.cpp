// `supervisor healthcheck`: asks the running daemon's /v1/healthy, for
// container HEALTHCHECKs and monitoring scripts. Exit 0 healthy, 1 not.
#include <fmt/format.h>
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
    fmt::print(stderr, "supervisor healthcheck: no answer from {}:{}: {}\n", host, config.listen_port,
               httplib::to_string(response.error()));
    return 1;
  }
  fmt::print("{} {}\n", response->status, response->body);
  return response->status == 200 ? 0 : 1;
}

}  // namespace supervisor
