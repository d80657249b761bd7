// A container's output stream.
#include <fmt/format.h>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "stream.hpp"
#include "url.hpp"

namespace engine::docker {
namespace {

// The engine's framing for containers without a terminal: a header of
// [stream, 0, 0, 0, size as 4 big-endian bytes], then `size` bytes of output.
class Demultiplexer {
 public:
  template <class OnLine>
  void feed(std::string_view chunk, OnLine&& on_line) {
    buffer_.append(chunk);
    std::size_t at = 0;
    while (buffer_.size() - at >= 8) {
      const auto* header = reinterpret_cast<const unsigned char*>(buffer_.data() + at);
      const std::size_t size = (std::size_t{header[4]} << 24) | (std::size_t{header[5]} << 16) |
                               (std::size_t{header[6]} << 8) | std::size_t{header[7]};
      if (buffer_.size() - at - 8 < size) break;
      const OutputStream stream = header[0] == 2 ? OutputStream::stderr_stream : OutputStream::stdout_stream;
      detail::LineSplitter& lines = stream == OutputStream::stderr_stream ? err_ : out_;
      lines.feed(std::string_view(buffer_).substr(at + 8, size),
                 [&](std::string_view line) { on_line(stream, line); });
      at += 8 + size;
    }
    buffer_.erase(0, at);
  }

 private:
  std::string buffer_;
  detail::LineSplitter out_;
  detail::LineSplitter err_;
};

}  // namespace

Status Client::stream_logs(const std::string& id, const LogOptions& options, const LogLineFn& on_line,
                           const CancelFlag* cancel) const {
  const std::string call = fmt::format("stream logs of container '{}'", id);
  detail::Request request;
  request.method = detail::Method::get;
  request.path = detail::object_path("containers", id, "/logs");
  request.query = {{"stdout", "1"}, {"stderr", "1"}, {"follow", options.follow ? "1" : "0"}};
  if (options.since_ns) {
    // The engine reads "<seconds>.<nanoseconds>" and keeps lines at or after it.
    request.query.emplace_back("since", fmt::format("{}.{:09}", *options.since_ns / 1'000'000'000,
                                                    *options.since_ns % 1'000'000'000));
  } else if (options.since) {
    request.query.emplace_back("since", fmt::to_string(*options.since));
  }
  if (options.timestamps) request.query.emplace_back("timestamps", "1");
  request.timeout = options.max_duration;
  request.cancel = cancel;

  detail::LineSplitter raw;
  Demultiplexer framed;
  request.on_data = [&](std::string_view chunk) {
    if (options.tty) {
      raw.feed(chunk, [&](std::string_view line) { on_line(OutputStream::stdout_stream, line); });
    } else {
      framed.feed(chunk, on_line);
    }
    return detail::StreamFlow::proceed;
  };

  auto response = detail::perform(options_, request, call);
  if (!response.ok()) {
    const ErrorKind kind = response.error().kind;
    if (kind == ErrorKind::cancelled) return {};
    if (kind == ErrorKind::timeout && options.max_duration.count() > 0 && response.error().http_status == 200) {
      return {};
    }
    return response.error();
  }
  if (response->status < 200 || response->status >= 300) return detail::http_error(call, response.value());
  if (options.tty && !raw.rest().empty()) on_line(OutputStream::stdout_stream, raw.rest());
  return {};
}

}  // namespace engine::docker
