#include "api/gateway_listener.hpp"

#include <net/if.h>

#include <fmt/format.h>

namespace supervisor::api {

GatewayListener::GatewayListener(DeviceApi& device, ServerOptions options, Logger& log)
    : device_(device), options_(std::move(options)), log_(log) {}

GatewayListener::~GatewayListener() { stop(); }

void GatewayListener::start(std::chrono::milliseconds retry) {
  thread_ = std::thread([this, retry] {
    bool told = false;
    unsigned bound_index = 0;  // the interface the server is bound to; 0: none
    for (;;) {
      // A socket bound to a device follows that device's index: when
      // supervisor0 is removed and made anew (by hand, or because it was
      // wrong) the old listener hears nothing, so it is bound again.
      const unsigned index = if_nametoindex(options_.interface.c_str());
      if (bound_index != 0 && index != bound_index) {
        log_.info("api", "supervisor0 was made anew; listening on it again", {});
        close_server();
        bound_index = 0;
      }
      if (bound_index == 0 && index != 0) {
        auto server = std::make_unique<Server>(device_, options_);
        std::string error;
        if (server->start(error)) {
          const std::lock_guard<std::mutex> lock(mutex_);
          server_ = std::move(server);
          bound_index = index;
          told = false;
          log_.info("api", "serving on supervisor0 too, for services with the supervisor-api feature",
                    {{"address", fmt::format("{}:{}", options_.address, server_->port())}});
        } else if (!told) {
          // Until the apply loop makes supervisor0 the address does not
          // exist: said once, not at every try.
          log_.log(Level::Debug, "api", "cannot listen on supervisor0 yet; trying again", {{"error", error}});
          told = true;
        }
      }
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, retry, [this] { return stopping_; })) return;
    }
  });
}

void GatewayListener::close_server() {
  std::unique_ptr<Server> server;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    server = std::move(server_);
  }
  if (server) server->stop();
}

void GatewayListener::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  close_server();
}

bool GatewayListener::serving() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return server_ != nullptr;
}

}  // namespace supervisor::api
