#include "engine/cloud/http.hpp"

#include "curl_handle.hpp"
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <mutex>
#include <range/v3/algorithm/find_if.hpp>

#include "codec.hpp"

namespace engine::cloud {
namespace {


bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return text;
}

// State shared with the C callbacks of one exchange.
struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse response;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  exchange->response.body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::string_view line(data, size * count);
  // A new status line (after "100 Continue") starts a new header block:
  // only the final answer's headers are kept.
  if (line.rfind("HTTP/", 0) == 0) {
    exchange->response.headers.clear();
    return line.size();
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    exchange->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                            std::string(trim(line.substr(colon + 1))));
  }
  return line.size();
}

// curl calls this about once a second even while idle, so a set flag ends
// a stalled exchange promptly.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* exchange = static_cast<const Exchange*>(user);
  const auto* cancel = exchange->request->cancel;
  return cancel != nullptr && cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

ErrorKind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return ErrorKind::Dns;
    case CURLE_OPERATION_TIMEDOUT: return ErrorKind::Timeout;
    case CURLE_ABORTED_BY_CALLBACK: return ErrorKind::Cancelled;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED: return ErrorKind::Tls;
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY: return ErrorKind::BadResponse;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return ErrorKind::Config;
    default:
      // Refused, reset, nothing received, send/receive errors: the
      // connection failed, which callers treat as "cloud unreachable".
      return ErrorKind::Connect;
  }
}

const char* method_name(Method method) {
  switch (method) {
    case Method::Get: return "GET";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Patch: return "PATCH";
    case Method::Delete: return "DELETE";
  }
  return "GET";
}

long to_long(std::chrono::milliseconds ms) { return static_cast<long>(ms.count()); }

std::optional<long> parse_long(std::string_view text) {
  text = trim(text);
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "scheme://host[:port]" of the base URL, or nullopt when it is not http(s).
std::optional<std::string> origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const auto scheme = url.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return std::nullopt;
  auto rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.empty()) return std::nullopt;
  return fmt::format("{}://{}", scheme, rest);
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const auto it = ranges::find_if(headers, [&](const auto& header) { return iequals(header.first, name); });
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

struct ShareDeleter {
  void operator()(CURLSH* share) const { curl_share_cleanup(share); }
};

struct HttpClient::Impl {
  HttpOptions options;
  std::string origin;
  std::string ca_bundle;  // system bundle + extra root, when an extra root is given
  std::mutex mutex;  // one exchange at a time: the share has no lock callbacks
  // Connections, TLS sessions and DNS answers outlive the easy handle, which
  // is new for every exchange: libcurl 7.88 keeps a pointer to the previous
  // answer's freed header list in the handle, and an answer whose first
  // header line is folded (starts with a space) then reads freed memory
  // (docs/fuzzing.md, cloud_answer).
  std::unique_ptr<CURLSH, ShareDeleter> share;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> bytes_received{0};

  Result<HttpResponse> perform(const HttpRequest& request);
  void count(CURL* curl);
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpClient> HttpClient::create(HttpOptions options) {
  curl::init_once();
  auto origin = origin_of(options.base_url);
  if (!origin) {
    return Error{ErrorKind::Config, 0, "http client",
                 fmt::format("the API endpoint \"{}\" is not an http(s)://host[:port] URL", options.base_url),
                 std::nullopt};
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->origin = std::move(*origin);
  impl->share.reset(curl_share_init());
  if (!impl->share) return Error{ErrorKind::Connect, 0, "http client", "curl_share_init failed", std::nullopt};
  for (const curl_lock_data shared : {CURL_LOCK_DATA_CONNECT, CURL_LOCK_DATA_SSL_SESSION, CURL_LOCK_DATA_DNS}) {
    curl_share_setopt(impl->share.get(), CURLSHOPT_SHARE, shared);
  }
  if (impl->options.extra_ca_pem) {
    // CURLOPT_CAINFO_BLOB replaces libcurl's default CA file (only the CA
    // directory, where built in, is still read), so the blob carries the
    // system bundle too: the extra root is trusted *besides* the system
    // store (cloud-protocol §0.2). A system without a bundle file trusts
    // the extra root (and the CA directory) only, which is what an
    // openBalena with a private CA needs.
    const curl::Easy probe = curl::make_easy();
    if (!probe) return Error{ErrorKind::Connect, 0, "http client", "curl_easy_init failed", std::nullopt};
    char* default_bundle = nullptr;
    curl_easy_getinfo(probe.get(), CURLINFO_CAINFO, &default_bundle);
    std::string system;
    if (default_bundle != nullptr) {
      std::ifstream in(default_bundle, std::ios::binary);
      std::ostringstream text;
      if (in) text << in.rdbuf();
      system = text.str();
    }
    impl->ca_bundle = fmt::format("{}\n{}", system, *impl->options.extra_ca_pem);
  }
  return HttpClient(std::move(impl));
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& request) { return impl_->perform(request); }

TransferCounters HttpClient::counters() const {
  return TransferCounters{impl_->requests.load(), impl_->bytes_sent.load(), impl_->bytes_received.load()};
}

void HttpClient::reset_counters() {
  impl_->requests = 0;
  impl_->bytes_sent = 0;
  impl_->bytes_received = 0;
}

const HttpOptions& HttpClient::options() const { return impl_->options; }

void HttpClient::Impl::count(CURL* curl) {
  long request_size = 0;
  long header_size = 0;
  curl_off_t uploaded = 0;
  curl_off_t downloaded = 0;
  curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_size);
  curl_easy_getinfo(curl, CURLINFO_HEADER_SIZE, &header_size);
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
  requests += 1;
  bytes_sent += static_cast<std::uint64_t>(request_size) + static_cast<std::uint64_t>(uploaded);
  bytes_received += static_cast<std::uint64_t>(header_size) + static_cast<std::uint64_t>(downloaded);
}

Result<HttpResponse> HttpClient::Impl::perform(const HttpRequest& request) {
  auto fail = [&](ErrorKind kind, long status, std::string message) {
    return Error{kind, status, request.call, std::move(message), std::nullopt};
  };
  if (request.cancel != nullptr && request.cancel->load()) return fail(ErrorKind::Cancelled, 0, "cancelled");

  std::optional<std::string> body = request.json_body;
  if (body && request.body_encoding == BodyEncoding::Gzip) {
    body = detail::gzip_compress(*body);
    if (!body) return fail(ErrorKind::Config, 0, "gzip compression of the request body failed");
  }

  const std::lock_guard lock(mutex);
  // A new handle for every exchange (see `share`); the connection and TLS
  // session caches are the share's, so keep-alive still works.
  const curl::Easy handle = curl::make_easy();
  if (!handle) return fail(ErrorKind::Connect, 0, "curl_easy_init failed");
  CURL* curl = handle.get();
  curl_easy_setopt(curl, CURLOPT_SHARE, share.get());

  Exchange exchange;
  exchange.request = &request;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string url = fmt::format("{}{}", origin, request.path);

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // callers run on many threads
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, to_long(options.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, to_long(options.total_timeout));
  // What the supervisor sends (captures 01-09); libcurl inflates the answer.
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_name(request.method));
  if (!options.user_agent.empty()) curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());

  // The extra root plus the system bundle (see create()).
  curl_blob ca_blob{};
  if (options.extra_ca_pem) {
    ca_blob.data = ca_bundle.data();
    ca_blob.len = ca_bundle.size();
    ca_blob.flags = CURL_BLOB_NOCOPY;
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
  }

  curl_slist* raw_headers = nullptr;
  // No "Expect: 100-continue" round trip before larger bodies.
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  const std::string authorization =
      request.bearer ? fmt::format("Authorization: Bearer {}", *request.bearer) : std::string();
  if (request.bearer) raw_headers = curl_slist_append(raw_headers, authorization.c_str());
  if (body) raw_headers = curl_slist_append(raw_headers, "Content-Type: application/json");
  if (body && request.body_encoding == BodyEncoding::Gzip) {
    raw_headers = curl_slist_append(raw_headers, "Content-Encoding: gzip");
  }
  std::vector<std::string> extra;
  extra.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    extra.push_back(fmt::format("{}: {}", name, value));
    raw_headers = curl_slist_append(raw_headers, extra.back().c_str());
  }
  curl::HeaderList headers(raw_headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else if (request.method == Method::Get) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method != Method::Delete) {
    // An explicit empty body, so that the request says Content-Length: 0.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }

  const CURLcode code = curl_easy_perform(curl);
  count(curl);
  HttpResponse response = std::move(exchange.response);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (code != CURLE_OK) {
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    const ErrorKind kind = kind_of(code);
    return fail(kind, response.status, kind == ErrorKind::Cancelled ? std::string("cancelled") : detail);
  }
  // libcurl 7.88 takes a status line such as "HTTP/2 0.21" with status 0:
  // an answer without a status is one no call can read (docs/fuzzing.md).
  if (response.status < 100) return fail(ErrorKind::BadResponse, 0, "an answer without a valid status line");
  if (response.status >= 400) {
    Error error = fail(ErrorKind::HttpStatus, response.status,
                       response.body.empty() ? std::string("empty body") : std::string(trim(response.body)));
    if (auto retry_after = response.header("Retry-After")) error.retry_after = parse_long(*retry_after);
    return error;
  }
  return response;
}

Result<std::string> decode_root_ca(std::string_view base64) {
  auto pem = detail::base64_decode(base64);
  if (!pem) return Error{ErrorKind::Config, 0, "config.json", "balenaRootCA: not base64", std::nullopt};
  if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Error{ErrorKind::Config, 0, "config.json", "balenaRootCA: the decoded text holds no PEM certificate",
                 std::nullopt};
  }
  return std::move(*pem);
}

}  // namespace engine::cloud
