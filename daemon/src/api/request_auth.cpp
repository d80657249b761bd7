#include "api/request_auth.hpp"

namespace supervisor::api {
namespace {

thread_local RequestAuth current;

}  // namespace

void set_request_auth(RequestAuth auth) { current = std::move(auth); }

const RequestAuth& request_auth() { return current; }

}  // namespace supervisor::api
