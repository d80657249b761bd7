// The HTTPS transport to the balena cloud: one libcurl share (connection,
// TLS session and DNS caches) used by every call so that the TLS session
// and the connection survive between polls (a handshake costs more bytes
// than a 304 poll); each call has a new easy handle (libcurl 7.88 reads
// freed memory on a reused one, docs/fuzzing.md). Calls are
// serialised by a mutex, as the supervisor serialises its cloud calls.
//
// Every failure is an Error with a kind: transport problems map from curl's
// codes (Dns, Connect, Tls, Timeout, Cancelled) and any answer with status
// >= 400 is HttpStatus carrying the status and the body text. 1xx-3xx
// answers are returned as they are: each call decides what 304 means.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/cloud/error.hpp"

namespace engine::cloud {

struct HttpOptions {
  // scheme://host[:port], e.g. "https://api.balena-cloud.com". A path or a
  // trailing slash is dropped: the cloud calls are absolute paths
  // (cloud-protocol §0.1).
  std::string base_url;
  // An extra trusted root (PEM text, already base64-decoded from
  // config.json's balenaRootCA), trusted besides the system store.
  std::optional<std::string> extra_ca_pem;
  std::chrono::milliseconds connect_timeout{30000};
  // Whole exchange, apiRequestTimeout (§0.2).
  std::chrono::milliseconds total_timeout{59000};
  // "Supervisor/<version> (Linux; <os>; <variant>)"; empty: curl sends none.
  std::string user_agent;
};

enum class Method { Get, Post, Put, Patch, Delete };

// Whether a request body is sent as is or gzip-compressed (with
// "Content-Encoding: gzip").
enum class BodyEncoding { Identity, Gzip };

struct HttpRequest {
  Method method = Method::Get;
  std::string path;  // absolute, already encoded: "/device/v3/<uuid>/state"
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::optional<std::string> bearer;                          // Authorization: Bearer <key>
  std::optional<std::string> json_body;                       // sent with Content-Type: application/json
  BodyEncoding body_encoding = BodyEncoding::Identity;
  std::string call;  // names the call in errors: "register"
  const std::atomic<bool>* cancel = nullptr;  // set: abandon the exchange soon
};

struct HttpResponse {
  long status = 0;
  std::string body;  // decoded (gzip answers are inflated)
  // Every response header of the final answer, in order, names as sent.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that name (case-insensitive).
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

// Bytes on the wire above TLS: request lines and headers, request bodies
// (compressed size when gzip), response status lines and headers, response
// bodies (as received, before inflating). TLS records and handshakes are not
// counted.
struct TransferCounters {
  std::uint64_t requests = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

class HttpClient {
 public:
  // Fails with Config when the base URL is not http(s)://host[:port].
  [[nodiscard]] static Result<HttpClient> create(HttpOptions options);

  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // One exchange. Statuses >= 400 are HttpStatus errors.
  [[nodiscard]] Result<HttpResponse> perform(const HttpRequest& request);

  [[nodiscard]] TransferCounters counters() const;
  void reset_counters();
  [[nodiscard]] const HttpOptions& options() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Decodes config.json's balenaRootCA (base64 of a PEM). Config error naming
// the key when it is not base64 or not a PEM.
[[nodiscard]] Result<std::string> decode_root_ca(std::string_view base64);

}  // namespace engine::cloud
