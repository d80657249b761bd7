// The local API's routes, by what they act on (local-api.md §3-4): one app
// (scope "A": the key must cover the app) or the device (scope "D": any
// valid key; the listings, "F", show only what the key covers). The
// server authenticates first and leaves the key's scope in request_auth().
#pragma once

namespace httplib {
class Server;
}

namespace supervisor::api {

class DeviceApi;

void add_app_routes(httplib::Server& http, DeviceApi& device);
void add_device_routes(httplib::Server& http, DeviceApi& device);

}  // namespace supervisor::api
