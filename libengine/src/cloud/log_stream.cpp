#include "engine/cloud/log_stream.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

#include "curl_handle.hpp"

namespace engine::cloud {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kCall = "log stream";

Error stream_error(ErrorKind kind, long status, std::string message) {
  return Error{kind, status, std::string(kCall), std::move(message), std::nullopt};
}

// "scheme://host[:port]" of a base URL, or nullopt when it is not http(s).
std::optional<std::string> origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https") return std::nullopt;
  auto rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.empty()) return std::nullopt;
  return fmt::format("{}://{}", scheme, rest);
}

// The kind of a failed transfer, as HttpClient names them.
ErrorKind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return ErrorKind::Dns;
    case CURLE_OPERATION_TIMEDOUT: return ErrorKind::Timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED: return ErrorKind::Tls;
    default: return ErrorKind::Connect;
  }
}

// One request: the body's compressed bytes waiting for curl, and what the
// cloud answered (if it did).
struct Request {
  curl::Easy easy;
  curl::HeaderList headers;
  z_stream gzip{};
  bool gzip_ready = false;
  std::string out;          // compressed bytes not yet taken by curl, from out_at
  std::size_t out_at = 0;
  bool ending = false;      // the gzip stream is finished: the body ends once `out` is taken
  bool paused = false;
  long status = 0;          // the answer's status, once its status line arrived
  std::string answer;       // its body, for the error message

  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() {
    if (gzip_ready) deflateEnd(&gzip);
  }
  [[nodiscard]] bool drained() const { return out_at >= out.size(); }
};

size_t read_body(char* buffer, size_t size, size_t count, void* user) {
  auto* request = static_cast<Request*>(user);
  const std::size_t available = request->out.size() - request->out_at;
  if (available > 0) {
    const std::size_t taken = std::min(available, size * count);
    std::copy_n(request->out.data() + request->out_at, taken, buffer);
    request->out_at += taken;
    if (request->drained()) {
      request->out.clear();
      request->out_at = 0;
    }
    return taken;
  }
  if (request->ending) return 0;  // the last chunk: the body ends
  request->paused = true;
  return CURL_READFUNC_PAUSE;
}

size_t on_answer_header(char* data, size_t size, size_t count, void* user) {
  auto* request = static_cast<Request*>(user);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    const auto space = line.find(' ');
    if (space != std::string_view::npos) {
      long status = 0;
      for (std::size_t i = space + 1; i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])); ++i) {
        status = status * 10 + (line[i] - '0');
      }
      request->status = status;
    }
  }
  return line.size();
}

size_t on_answer_body(char* data, size_t size, size_t count, void* user) {
  auto* request = static_cast<Request*>(user);
  if (request->answer.size() < 4096) request->answer.append(data, size * count);
  return size * count;
}

// Compresses `text` into the request's gzip stream with the given flush.
bool compress(Request& request, std::string_view text, int flush) {
  request.gzip.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));  // NOLINT: zlib is not const-correct
  request.gzip.avail_in = static_cast<uInt>(text.size());
  std::array<char, 16384> chunk{};
  while (true) {
    request.gzip.next_out = reinterpret_cast<Bytef*>(chunk.data());
    request.gzip.avail_out = static_cast<uInt>(chunk.size());
    const int code = deflate(&request.gzip, flush);
    if (code == Z_STREAM_ERROR) return false;
    request.out.append(chunk.data(), chunk.size() - request.gzip.avail_out);
    if (flush == Z_FINISH ? code == Z_STREAM_END : request.gzip.avail_out != 0) return true;
  }
}

}  // namespace

milliseconds log_stream_backoff(int failures, milliseconds base, milliseconds max) {
  milliseconds delay = base;
  for (int i = 0; i < failures && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

struct LogStream::Impl {
  LogStreamOptions options;
  std::string url;
  std::string ca_bundle;
  LogQueue& queue;
  SentFn on_sent;
  EventFn on_event;
  CURLM* multi = nullptr;
  std::thread thread;
  std::atomic<bool> stopping{false};
  int failures = 0;
  std::optional<SteadyClock::time_point> last_attempt;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> lines_sent{0};
  std::atomic<std::uint64_t> raw_bytes{0};
  std::atomic<std::uint64_t> wire_bytes{0};

  Impl(LogStreamOptions options_in, LogQueue& queue_in, SentFn sent, EventFn event)
      : options(std::move(options_in)), queue(queue_in), on_sent(std::move(sent)), on_event(std::move(event)) {}
  ~Impl() {
    if (multi != nullptr) curl_multi_cleanup(multi);
  }

  void run();
  // Waits until `deadline` or stop; false when stopped.
  bool wait_until(SteadyClock::time_point deadline);
  void session();
  std::optional<Error> open(Request& request);
  void emit(LogStreamEventKind kind, std::optional<Error> error = std::nullopt, milliseconds delay = {}) {
    if (on_event) on_event(LogStreamEvent{kind, std::move(error), delay});
  }
  void setup_failed(Error error) {
    ++failures;
    emit(LogStreamEventKind::SetupFailed, std::move(error),
         log_stream_backoff(failures, options.backoff_base, options.backoff_max));
  }
};

LogStream::LogStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LogStream::~LogStream() { stop(); }

Result<std::unique_ptr<LogStream>> LogStream::create(LogStreamOptions options, LogQueue& queue, SentFn on_sent,
                                                     EventFn on_event) {
  curl::init_once();
  const auto origin = origin_of(options.base_url);
  if (!origin) {
    return stream_error(ErrorKind::Config, 0,
                        fmt::format("the logs endpoint \"{}\" is not an http(s)://host[:port] URL", options.base_url));
  }
  if (options.uuid.empty() || options.device_api_key.empty()) {
    return stream_error(ErrorKind::Config, 0, "the device's uuid and key are not known yet");
  }
  auto impl = std::make_unique<Impl>(std::move(options), queue, std::move(on_sent), std::move(on_event));
  impl->url = fmt::format("{}/device/v2/{}/log-stream", *origin, impl->options.uuid);
  impl->multi = curl_multi_init();
  if (impl->multi == nullptr) return stream_error(ErrorKind::Connect, 0, "curl_multi_init failed");
  if (impl->options.extra_ca_pem) {
    // As HttpClient: the extra root is trusted besides the system bundle.
    curl::Easy probe = curl::make_easy();
    char* default_bundle = nullptr;
    if (probe) curl_easy_getinfo(probe.get(), CURLINFO_CAINFO, &default_bundle);
    std::string system;
    if (default_bundle != nullptr) {
      std::ifstream in(default_bundle, std::ios::binary);
      std::ostringstream text;
      if (in) text << in.rdbuf();
      system = text.str();
    }
    impl->ca_bundle = fmt::format("{}\n{}", system, *impl->options.extra_ca_pem);
  }
  return std::unique_ptr<LogStream>(new LogStream(std::move(impl)));
}

void LogStream::start() {
  Impl* impl = impl_.get();
  impl->queue.set_on_push([impl] { curl_multi_wakeup(impl->multi); });
  impl->thread = std::thread([impl] { impl->run(); });
}

void LogStream::stop() {
  if (!impl_) return;
  impl_->stopping = true;
  curl_multi_wakeup(impl_->multi);
  impl_->queue.wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->queue.set_on_push(nullptr);
}

LogStreamStats LogStream::stats() const {
  return LogStreamStats{impl_->requests.load(), impl_->lines_sent.load(), impl_->raw_bytes.load(),
                        impl_->wire_bytes.load()};
}

bool LogStream::Impl::wait_until(SteadyClock::time_point deadline) {
  while (!stopping && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::min<SteadyClock::duration>(deadline - SteadyClock::now(), milliseconds(200)));
  }
  return !stopping;
}

void LogStream::Impl::run() {
  while (!stopping) {
    if (auto spilled = queue.maintain()) {
      emit(LogStreamEventKind::Broken, stream_error(ErrorKind::FileSystem, 0, spilled->message));
      wait_until(SteadyClock::now() + milliseconds(1000));  // the disk may come back
    }
    if (!queue.has_lines()) {
      queue.wait(SteadyClock::now() + milliseconds(1000), LogQueue::WaitFor::Lines);
      continue;
    }
    // §6.3 step 5: measured from the previous attempt.
    if (last_attempt) {
      const auto next = *last_attempt + log_stream_backoff(failures, options.backoff_base, options.backoff_max);
      if (SteadyClock::now() < next) {
        // Maintenance (the spill) goes on while waiting.
        queue.wait(std::min(next, SteadyClock::now() + milliseconds(1000)), LogQueue::WaitFor::Maintenance);
        continue;
      }
    }
    last_attempt = SteadyClock::now();
    session();
  }
}

std::optional<Error> LogStream::Impl::open(Request& request) {
  request.easy = curl::make_easy();
  if (!request.easy) return stream_error(ErrorKind::Connect, 0, "curl_easy_init failed");
  if (deflateInit2(&request.gzip, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return stream_error(ErrorKind::Config, 0, "zlib: deflateInit2 failed");
  }
  request.gzip_ready = true;
  CURL* curl = request.easy.get();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &read_body);
  curl_easy_setopt(curl, CURLOPT_READDATA, &request);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_answer_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &request);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_answer_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &request);
  if (!ca_bundle.empty()) {
    curl_blob blob{};
    blob.data = ca_bundle.data();
    blob.len = ca_bundle.size();
    blob.flags = CURL_BLOB_COPY;
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  // Exactly the captured headers (31): no User-Agent, no Accept, no
  // 100-continue round trip.
  curl_slist* list = nullptr;
  const std::string authorization = fmt::format("Authorization: Bearer {}", options.device_api_key);
  for (const char* header : {authorization.c_str(), "Content-Type: application/x-ndjson", "Content-Encoding: gzip",
                             "Transfer-Encoding: chunked", "Accept:", "Expect:"}) {
    list = curl_slist_append(list, header);
  }
  request.headers.reset(list);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  if (curl_multi_add_handle(multi, curl) != CURLM_OK) {
    return stream_error(ErrorKind::Connect, 0, "curl_multi_add_handle failed");
  }
  ++requests;
  return std::nullopt;
}

void LogStream::Impl::session() {
  Request request;
  if (auto error = open(request)) {
    setup_failed(std::move(*error));
    return;
  }
  CURL* curl = request.easy.get();
  const auto started = SteadyClock::now();
  bool streaming = false;
  auto last_write = started;
  auto last_flush = started - options.flush_interval;
  std::vector<QueuedLine> in_flight;

  // Ends the request: the outcome decides the event; lines not handed over
  // stay queued.
  auto finish = [&](std::optional<Error> error, LogStreamEventKind kind) {
    curl_multi_remove_handle(multi, curl);
    if (!in_flight.empty()) queue.release();
    if (!error) {
      emit(kind);
    } else if (kind == LogStreamEventKind::SetupFailed) {
      setup_failed(std::move(*error));
    } else {
      emit(kind, std::move(error));
    }
  };
  auto answer_error = [&](long status) {
    return stream_error(ErrorKind::HttpStatus, status,
                        request.answer.empty() ? std::string("empty body") : request.answer);
  };

  while (true) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    std::optional<CURLcode> done;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == curl) done = message->data.result;
    }
    const auto now = SteadyClock::now();
    if (done) {
      if (request.ending && *done == CURLE_OK && request.status >= 200 && request.status < 300) {
        return finish(std::nullopt, LogStreamEventKind::Closed);
      }
      std::optional<Error> error;
      if (request.status >= 400 || (*done == CURLE_OK && request.status > 0)) {
        error = answer_error(request.status);
      } else {
        error = stream_error(*done == CURLE_OK ? ErrorKind::Connect : kind_of(*done), request.status,
                             *done == CURLE_OK ? std::string("the connection ended") : curl_easy_strerror(*done));
      }
      return finish(std::move(error), streaming ? LogStreamEventKind::Broken : LogStreamEventKind::SetupFailed);
    }
    // §6.3 step 2: any answer before the body ends is a refusal.
    if (request.status > 0 && !request.ending) {
      return finish(answer_error(request.status),
                    streaming ? LogStreamEventKind::Broken : LogStreamEventKind::SetupFailed);
    }
    if (stopping) {
      return finish(stream_error(ErrorKind::Cancelled, 0, "stopping"), LogStreamEventKind::Broken);
    }
    if (!streaming && now - started >= options.grace) {
      streaming = true;
      failures = 0;
      last_write = now;
      emit(LogStreamEventKind::Opened);
    }
    if (streaming && !request.ending) {
      if (!in_flight.empty() && request.drained()) {
        lines_sent += in_flight.size();
        if (on_sent) on_sent(in_flight);
        if (auto error = queue.pop(in_flight)) {
          emit(LogStreamEventKind::Broken, stream_error(ErrorKind::FileSystem, 0, error->message));
        }
        in_flight.clear();
      }
      if (in_flight.empty() && now - last_flush >= options.flush_interval) {
        if (auto spilled = queue.maintain()) {
          emit(LogStreamEventKind::Broken, stream_error(ErrorKind::FileSystem, 0, spilled->message));
        }
        in_flight = queue.front(options.batch_bytes);
        if (!in_flight.empty()) {
          std::string text;
          for (const QueuedLine& line : in_flight) text += line.json;
          const std::size_t before = request.out.size();
          if (!compress(request, text, Z_SYNC_FLUSH)) {
            return finish(stream_error(ErrorKind::Config, 0, "zlib: deflate failed"), LogStreamEventKind::Broken);
          }
          raw_bytes += text.size();
          wire_bytes += request.out.size() - before;
          last_flush = now;
          last_write = now;
        }
      }
      if (in_flight.empty() && now - last_write >= options.idle_close) {
        // §6.3 step 4: quiet for a while; the server answers 201 to the end.
        const std::size_t before = request.out.size();
        if (!compress(request, {}, Z_FINISH)) {
          return finish(stream_error(ErrorKind::Config, 0, "zlib: deflate failed"), LogStreamEventKind::Broken);
        }
        wire_bytes += request.out.size() - before;
        request.ending = true;
      }
      if (request.paused && (!request.drained() || request.ending)) {
        request.paused = false;
        curl_easy_pause(curl, CURLPAUSE_CONT);
        continue;  // let curl take the bytes before waiting
      }
    }
    // Sleep until curl has something to do, a line is pushed (wakeup), or
    // the next deadline: the end of the grace period, the next flush, the
    // idle close.
    milliseconds timeout{1000};
    if (!streaming) {
      timeout = std::min(timeout, std::chrono::duration_cast<milliseconds>(options.grace - (now - started)) +
                                      milliseconds(1));
    } else if (!request.ending) {
      if (!in_flight.empty() || queue.has_lines()) {
        timeout = std::min(timeout, std::chrono::duration_cast<milliseconds>(options.flush_interval -
                                                                             (now - last_flush)) +
                                        milliseconds(1));
      } else {
        timeout = std::min(timeout, std::chrono::duration_cast<milliseconds>(options.idle_close -
                                                                             (now - last_write)) +
                                        milliseconds(1));
      }
    }
    timeout = std::max(timeout, milliseconds(1));
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
  }
}

}  // namespace engine::cloud
