// `supervisor run`: the daemon. Keeps the device on its target until SIGTERM.
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>

#include "balena_switch.hpp"
#include "commands.hpp"
#include "config.hpp"
#include "device.hpp"
#include "log.hpp"
#include "systemd_notify.hpp"
#include "version.hpp"

namespace supervisor {

int cmd_run(std::span<const std::string_view> args) {
  const auto loaded = config_from_args(args, "run");
  if (!loaded) return 2;
  const Config& config = *loaded;

  // Signals are taken synchronously by this thread; every other thread is
  // started with them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that goes away must not kill us

  Logger log(config.log_level);
  log.info("start", "supervisor starting", {{"version", kDaemonVersion}, {"balena_api", kSupervisorVersion},
                                            {"data_dir", config.data_dir},
                                            {"docker_host", config.docker_host}});
  // Before the store is opened: a switch-over fills it from the balena
  // supervisor's database first (docs/switch-over.md).
  import_balena_at_first_start(config, log);
  std::string error;
  auto device = Device::open(config, log, error);
  if (!device) {
    log.error("start", error);
    return 1;
  }
  if (!device->start(error)) {
    log.error("start", error);
    return 1;
  }
  log.info("ready", "serving the local API",
           {{"address", config.listen_address}, {"port", fmt::to_string(config.listen_port)}});
  if (auto notified = systemd::notify_ready(); !notified) {
    log.warn("systemd", "cannot tell systemd the daemon is ready", {{"error", notified.error().describe()}});
  }

  int received = 0;
  sigwait(&signals, &received);
  log.info("stop", "stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  if (auto notified = systemd::notify_stopping(); !notified) {
    log.warn("systemd", "cannot tell systemd the daemon is stopping", {{"error", notified.error().describe()}});
  }
  device->stop();
  log.info("stop", "stopped");
  return 0;
}

}  // namespace supervisor
