// The key a request came with and what it may act on, set by the server's
// authentication before routing. httplib serves a connection's requests one
// after another on one thread, so the route handlers of a request read what
// its pre-routing step set on the same thread.
#pragma once

#include <string>

#include "api/device_api.hpp"

namespace supervisor::api {

struct RequestAuth {
  KeyScope scope;   // global when the API asks for no key (local mode, unmanaged)
  std::string key;  // as presented; "" when none
};

void set_request_auth(RequestAuth auth);
[[nodiscard]] const RequestAuth& request_auth();

}  // namespace supervisor::api
