// Figures of the cloud log stream (docs/logs.md): lines per second to the
// fake cloud with one noisy producer and this process's CPU share while
// sending them, and the bytes on the wire (gzip) per 1,000 typical lines
// next to their raw NDJSON size.
//
//   build/bin/log-stream-bench [lines]        (default 100000)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "engine/cloud/log_queue.hpp"
#include "engine/cloud/log_stream.hpp"
#include "fake_cloud.hpp"

namespace cloud = engine::cloud;
using std::chrono::milliseconds;

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// A web server's access log line, varying as real ones do.
cloud::LogLine typical_line(int i, std::int64_t now_ms) {
  cloud::LogLine line;
  line.message = fmt::format(
      "192.168.{}.{} - - [02/Dec/2026:19:{:02}:{:02} +0000] \"GET /api/items/{} HTTP/1.1\" {} {} \"-\" "
      "\"Mozilla/5.0 (X11; Linux x86_64)\"",
      i % 7, (i * 37) % 255, (i / 60) % 60, i % 60, (i * 7919) % 100000, i % 13 == 0 ? 404 : 200,
      200 + (i * 31) % 4000);
  line.timestamp_ms = now_ms + i;
  line.service_id = 4242;
  line.is_stderr = i % 13 == 0;
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  const int total = argc > 1 ? std::stoi(argv[1]) : 100000;
  cloud_test::FakeCloud fake;
  const char* uuid = "d42adeaa1b24a36d41121ac15c4bd337";
  const char* key = "bench-device-key";
  fake.control("POST", "device", {{"uuid", uuid}, {"api_key", key}});

  cloud::LogStreamOptions options;
  options.base_url = fake.url();
  options.uuid = uuid;
  options.device_api_key = key;
  options.grace = milliseconds(200);
  cloud::LogQueue queue;
  std::atomic<std::uint64_t> sent{0};
  auto stream = cloud::LogStream::create(
      options, queue, [&](const std::vector<cloud::QueuedLine>& lines) { sent += lines.size(); }, nullptr);
  if (!stream) {
    fmt::print(stderr, "{}\n", stream.error().describe());
    return 1;
  }
  stream.value()->start();
  // Open the stream first, so the figures are of sending, not of the grace.
  queue.push(typical_line(0, 1));
  while (sent < 1) std::this_thread::sleep_for(milliseconds(5));
  const auto before = stream.value()->stats();

  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  const std::int64_t now_ms = 1796175043681;
  for (int i = 1; i <= total; ++i) {
    // A producer that never outruns the buffer: the figure is the stream's
    // pace, not the suppression count.
    while (queue.stats().memory_bytes > 192 * 1024) std::this_thread::sleep_for(milliseconds(1));
    queue.push(typical_line(i, now_ms));
  }
  while (sent < static_cast<std::uint64_t>(total) + 1) std::this_thread::sleep_for(milliseconds(2));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  const auto after = stream.value()->stats();
  stream.value()->stop();

  const double raw = static_cast<double>(after.raw_bytes - before.raw_bytes);
  const double wire = static_cast<double>(after.wire_bytes - before.wire_bytes);
  fmt::print("log stream: {} lines in {:.2f} s = {:.0f} lines/s handed to the connection\n", total, wall,
             total / wall);
  fmt::print("log stream: supervisor-side CPU {:.2f} s = {:.0f}% of one core while sending\n", cpu,
             100.0 * cpu / wall);
  fmt::print("log stream: per 1,000 typical lines: {:.0f} B raw NDJSON, {:.0f} B gzip on the wire ({:.1f}%)\n",
             raw * 1000 / total, wire * 1000 / total, 100.0 * wire / raw);
  return 0;
}
