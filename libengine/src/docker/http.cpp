#include "http.hpp"

#include "curl_handle.hpp"

#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <range/v3/view/transform.hpp>
#include <string_view>

#include "url.hpp"

namespace engine::docker::detail {
namespace {


// State shared with the C callbacks of one exchange.
struct Exchange {
  CURL* handle = nullptr;
  const Request* request = nullptr;
  std::string body;
  bool stopped_by_sink = false;
  std::string callback_failure;  // an exception thrown by the caller's sink
};

bool is_success(long status) { return status >= 200 && status < 300; }

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(exchange->handle, CURLINFO_RESPONSE_CODE, &status);
  // Error answers are collected even for streams: they carry the message.
  if (!exchange->request->on_data || !is_success(status)) {
    exchange->body.append(data, bytes);
    return bytes;
  }
  try {
    if (exchange->request->on_data(std::string_view(data, bytes)) == StreamFlow::stop) {
      exchange->stopped_by_sink = true;
      return 0;  // makes curl end the transfer (CURLE_WRITE_ERROR)
    }
  } catch (const std::exception& e) {
    // Exceptions must not cross libcurl's C frames.
    exchange->callback_failure = e.what();
    return 0;
  } catch (...) {
    exchange->callback_failure = "unknown exception";
    return 0;
  }
  return bytes;
}

// Called by curl about once a second even when no data moves, so a set
// cancel flag ends an idle event stream or a stalled pull promptly.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* exchange = static_cast<const Exchange*>(user);
  const CancelFlag* cancel = exchange->request->cancel;
  return cancel != nullptr && cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

std::string build_url(const ClientOptions& options, const Request& request) {
  const std::string_view host =
      options.endpoint.kind == Endpoint::Kind::tcp ? std::string_view(options.endpoint.host_port) : "localhost";
  std::string url = options.api_version.empty()
                        ? fmt::format("http://{}{}", host, request.path)
                        : fmt::format("http://{}/{}{}", host, options.api_version, request.path);
  if (request.query.empty()) return url;
  const auto parameters = request.query | ranges::views::transform([](const auto& parameter) {
    return fmt::format("{}={}", percent_encode(parameter.first), percent_encode(parameter.second));
  });
  return fmt::format("{}?{}", url, fmt::join(parameters, "&"));
}

long to_long(std::chrono::milliseconds ms) { return static_cast<long>(ms.count()); }

Error curl_failure(const std::string& call, CURLcode code, const char* detail) {
  std::string message = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_ABORTED_BY_CALLBACK:
      return Error{ErrorKind::cancelled, 0, call, "cancelled"};
    case CURLE_OPERATION_TIMEDOUT:
      return Error{ErrorKind::timeout, 0, call, message};
    default:
      return Error{ErrorKind::transport, 0, call, message};
  }
}

}  // namespace

Result<Response> perform(const ClientOptions& options, const Request& request,
                         const std::string& call) {
  curl::Easy handle = curl::make_easy();
  if (!handle) return Error{ErrorKind::transport, 0, call, "curl_easy_init failed"};
  CURL* curl = handle.get();

  Exchange exchange;
  exchange.handle = curl;
  exchange.request = &request;
  char error_buffer[CURL_ERROR_SIZE] = {};

  const std::string url = build_url(options, request);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (options.endpoint.kind == Endpoint::Kind::unix_socket) {
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, options.endpoint.socket_path.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // we run on many threads
  curl_easy_setopt(curl, CURLOPT_PROXY, "");     // never through a proxy from the env
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, to_long(options.connect_timeout));
  if (request.timeout.count() > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, to_long(request.timeout));
  if (request.stall_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout.count()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &exchange);

  curl_slist* raw_headers = nullptr;
  // No "Expect: 100-continue" round trip for larger bodies.
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  if (request.json_body) raw_headers = curl_slist_append(raw_headers, "Content-Type: application/json");
  for (const auto& header : request.headers) raw_headers = curl_slist_append(raw_headers, header.c_str());
  curl::HeaderList headers(raw_headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  switch (request.method) {
    case Method::get:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      break;
    case Method::post: {
      const std::string& body = request.json_body ? *request.json_body : std::string();
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, body.c_str());
      break;
    }
    case Method::del:
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
      break;
  }

  const CURLcode code = curl_easy_perform(curl);
  Response response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(exchange.body);
  if (!exchange.callback_failure.empty()) {
    return Error{ErrorKind::bad_response, response.status, call,
                 fmt::format("stream handler failed: {}", exchange.callback_failure)};
  }
  if (code == CURLE_WRITE_ERROR && exchange.stopped_by_sink) return response;
  if (code != CURLE_OK) {
    Error error = curl_failure(call, code, error_buffer);
    if (code == CURLE_OPERATION_TIMEDOUT && request.stall_timeout.count() > 0 &&
        error.message.find("too slow") != std::string::npos) {
      error.message = fmt::format("no data for {} s", request.stall_timeout.count());
    }
    error.http_status = response.status;
    return error;
  }
  return response;
}

Error http_error(const std::string& call, const Response& response) {
  ErrorKind kind = ErrorKind::engine;
  switch (response.status) {
    case 400: kind = ErrorKind::bad_request; break;
    case 404: kind = ErrorKind::not_found; break;
    case 409: kind = ErrorKind::conflict; break;
    default: break;
  }
  std::string message;
  const auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("message") && json["message"].is_string()) {
    message = json["message"].get<std::string>();
  } else {
    message = response.body;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  }
  if (message.empty()) message = "the engine gave no message";
  return Error{kind, response.status, call, std::move(message)};
}

Status expect_success(const std::string& call, const Result<Response>& response,
                      std::initializer_list<long> also_ok) {
  if (!response.ok()) return response.error();
  const long status = response.value().status;
  if (is_success(status)) return {};
  for (long ok_status : also_ok) {
    if (status == ok_status) return {};
  }
  return http_error(call, response.value());
}

}  // namespace engine::docker::detail
