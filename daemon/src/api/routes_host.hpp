// The routes that reach the host or the cloud for the device (local-api.md
// §3-4, scope "D" unless noted): /v1/blink, /v1/device/host-config,
// /v2/device/tags, /v2/cleanup-volumes ("F": what the key covers) and
// /v2/journal-logs. Decisions are in docs/local-api.md.
#pragma once

namespace httplib {
class Server;
}

namespace supervisor::api {

class DeviceApi;

void add_host_routes(httplib::Server& http, DeviceApi& device);

}  // namespace supervisor::api
