// The cloud log stream (cloud-protocol §6): line form, the bounded queue,
// and the stream's lifecycle against the fake cloud.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "engine/cloud/log_line.hpp"
#include "engine/cloud/log_queue.hpp"
#include "engine/cloud/log_stream.hpp"
#include "fake_cloud.hpp"
#include "temp_dir.hpp"

namespace cloud = engine::cloud;
using cloud_test::FakeCloud;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

const char* const kUuid = "d42adeaa1b24a36d41121ac15c4bd337";
const char* const kKey = "devicekey0123456789abcdef0123456";

cloud::LogLine system_line(std::string message, std::int64_t at, bool error = false) {
  cloud::LogLine line;
  line.message = std::move(message);
  line.timestamp_ms = at;
  line.is_system = true;
  line.is_stderr = error;
  return line;
}

cloud::LogLine service_line(std::string message, std::int64_t at, std::int64_t service_id, bool error = false) {
  cloud::LogLine line;
  line.message = std::move(message);
  line.timestamp_ms = at;
  line.is_stderr = error;
  line.service_id = service_id;
  return line;
}

// An in-memory spill with the store's behaviour: increasing sequence
// numbers, a bound that drops the oldest.
class MemorySpill final : public cloud::LogSpill {
 public:
  explicit MemorySpill(std::size_t capacity) : capacity_(capacity) {}
  engine::Result<std::int64_t> append(const std::vector<cloud::LogLine>& lines) override {
    for (const auto& line : lines) rows_.emplace_back(++seq_, line);
    std::int64_t dropped = 0;
    while (rows_.size() > capacity_) {
      rows_.erase(rows_.begin());
      ++dropped;
    }
    return dropped;
  }
  engine::Result<std::vector<std::pair<std::int64_t, cloud::LogLine>>> oldest(std::size_t limit) override {
    return std::vector<std::pair<std::int64_t, cloud::LogLine>>(
        rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(std::min(limit, rows_.size())));
  }
  engine::Status remove_through(std::int64_t seq) override {
    std::erase_if(rows_, [seq](const auto& row) { return row.first <= seq; });
    return engine::Status::success();
  }
  [[nodiscard]] std::size_t size() const { return rows_.size(); }

 private:
  std::size_t capacity_;
  std::int64_t seq_ = 0;
  std::vector<std::pair<std::int64_t, cloud::LogLine>> rows_;
};

// A spill whose every write takes a while, as a synced SQLite transaction
// on a slow disk does; or fails, as on a full one.
class SlowSpill final : public cloud::LogSpill {
 public:
  explicit SlowSpill(milliseconds write_time, bool fails = false) : write_time_(write_time), fails_(fails) {}
  engine::Result<std::int64_t> append(const std::vector<cloud::LogLine>& lines) override {
    std::this_thread::sleep_for(write_time_);
    if (fails_) return engine::Error{engine::ErrorKind::Store, "disk full"};
    return disk_.append(lines);
  }
  engine::Result<std::vector<std::pair<std::int64_t, cloud::LogLine>>> oldest(std::size_t limit) override {
    return disk_.oldest(limit);
  }
  engine::Status remove_through(std::int64_t seq) override { return disk_.remove_through(seq); }

 private:
  milliseconds write_time_;
  bool fails_;
  MemorySpill disk_{100000};
};

std::vector<std::string> messages(const std::vector<cloud::QueuedLine>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) out.push_back(line.line.message);
  return out;
}

// Sends everything the queue holds, as the stream would.
std::vector<std::string> drain(cloud::LogQueue& queue) {
  std::vector<std::string> sent;
  for (int rounds = 0; rounds < 1000 && queue.has_lines(); ++rounds) {
    auto batch = queue.front(256);
    if (batch.empty()) continue;
    for (auto& message : messages(batch)) sent.push_back(message);
    REQUIRE_FALSE(queue.pop(batch));
  }
  return sent;
}

cloud::LogStreamOptions fast_options(const std::string& url) {
  cloud::LogStreamOptions options;
  options.base_url = url;
  options.uuid = kUuid;
  options.device_api_key = kKey;
  options.grace = milliseconds(300);
  options.flush_interval = milliseconds(50);
  options.idle_close = milliseconds(1500);
  options.backoff_base = milliseconds(300);
  options.backoff_max = milliseconds(2000);
  return options;
}

// What the stream saw happen, from its callbacks.
struct Recorder {
  std::mutex mutex;
  std::vector<cloud::LogStreamEvent> events;
  std::vector<std::string> sent;
  cloud::LogStream::SentFn sent_fn() {
    return [this](const std::vector<cloud::QueuedLine>& lines) {
      const std::lock_guard<std::mutex> lock(mutex);
      for (const auto& line : lines) sent.push_back(line.line.message);
    };
  }
  cloud::LogStream::EventFn event_fn() {
    return [this](const cloud::LogStreamEvent& event) {
      const std::lock_guard<std::mutex> lock(mutex);
      events.push_back(event);
    };
  }
  std::size_t count(cloud::LogStreamEventKind kind) {
    const std::lock_guard<std::mutex> lock(mutex);
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [kind](const auto& event) { return event.kind == kind; }));
  }
};

// The messages the fake cloud received, in order.
std::vector<std::string> received(FakeCloud& fake) {
  std::vector<std::string> out;
  const json logs = fake.control("GET", "logs");
  for (const auto& record : logs["lines"]) out.push_back(record["line"]["message"].get<std::string>());
  return out;
}

template <class Condition>
bool eventually(Condition condition, milliseconds limit = milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return condition();
}

}  // namespace

TEST_CASE("log lines are written in the captured key orders (capture 31)") {
  CHECK(cloud::log_line_json(system_line("Supervisor starting", 1796175043681)) ==
        "{\"message\":\"Supervisor starting\",\"isSystem\":true,\"timestamp\":1796175043681}\n");
  CHECK(cloud::log_line_json(service_line("something failed", 1796175043684, 1, true)) ==
        "{\"message\":\"something failed\",\"isStdErr\":true,\"timestamp\":1796175043684,\"serviceId\":1}\n");
  CHECK(cloud::log_line_json(cloud::suppressed_line(17, 1796175043685)) ==
        "{\"message\":\"Warning: Suppressed 17 message(s) due to high load\",\"timestamp\":1796175043685,"
        "\"isSystem\":true,\"isStdErr\":true}\n");
  CHECK(cloud::log_line_json(system_line("quote \" and \\ and \n", 1)) ==
        "{\"message\":\"quote \\\" and \\\\ and \\n\",\"isSystem\":true,\"timestamp\":1}\n");
}

TEST_CASE("a message over 10,000 characters keeps 9,995 and ends in [...], counting characters, not bytes") {
  std::string exact;
  for (int i = 0; i < 10000; ++i) exact += "\xc3\xa9";  // é, two bytes
  CHECK(cloud::truncate_log_message(exact) == exact);
  const std::string cut = cloud::truncate_log_message(exact + "x");
  CHECK(cut == exact.substr(0, 2 * 9995) + "[...]");
}

TEST_CASE("setup failures back off min(5 s x 2^n, 300 s)") {
  const milliseconds base(5000);
  const milliseconds max(300000);
  CHECK(cloud::log_stream_backoff(0, base, max) == milliseconds(5000));
  CHECK(cloud::log_stream_backoff(1, base, max) == milliseconds(10000));
  CHECK(cloud::log_stream_backoff(5, base, max) == milliseconds(160000));
  CHECK(cloud::log_stream_backoff(6, base, max) == milliseconds(300000));
  CHECK(cloud::log_stream_backoff(40, base, max) == milliseconds(300000));
}

TEST_CASE("a full memory buffer counts what it drops and says so once it has room") {
  cloud::LogQueue queue(cloud::LogQueueOptions{1000}, [] { return std::int64_t{42}; });
  int pushed = 0;
  while (queue.stats().suppressed_total < 5) {
    queue.push(system_line(fmt::format("line {}", pushed++), 1));
  }
  const auto kept = static_cast<int>(queue.stats().memory_lines);
  CHECK(queue.stats().memory_bytes <= 1000);
  const auto sent = drain(queue);
  REQUIRE(sent.size() == static_cast<std::size_t>(kept) + 1);
  CHECK(sent.front() == "line 0");
  CHECK(sent.back() == "Warning: Suppressed 5 message(s) due to high load");
  CHECK(pushed == kept + 5);
}

TEST_CASE("with a spill the older half goes to disk and is sent first, in order") {
  cloud::LogQueue queue(cloud::LogQueueOptions{1000});
  MemorySpill spill(1000);
  queue.set_spill(&spill);
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    expected.push_back(fmt::format("line {}", i));
    queue.push(system_line(expected.back(), 1));
    REQUIRE_FALSE(queue.maintain());
  }
  CHECK(spill.size() > 0);
  CHECK(queue.stats().suppressed_total == 0);
  CHECK(queue.stats().memory_bytes <= 1000);
  CHECK(drain(queue) == expected);
  CHECK(spill.size() == 0);
}

TEST_CASE("a spill's own bound drops its oldest lines, counted in the warning") {
  cloud::LogQueue queue(cloud::LogQueueOptions{1000});
  MemorySpill spill(10);
  queue.set_spill(&spill);
  for (int i = 0; i < 100; ++i) {
    queue.push(system_line(fmt::format("line {}", i), 1));
    REQUIRE_FALSE(queue.maintain());
  }
  const auto sent = drain(queue);
  const std::int64_t suppressed = queue.stats().suppressed_total;
  CHECK(suppressed > 0);
  CHECK(sent.back() == fmt::format("Warning: Suppressed {} message(s) due to high load", suppressed));
  CHECK(sent.size() == 100 - static_cast<std::size_t>(suppressed) + 1);
  CHECK(sent[sent.size() - 2] == "line 99");
}

namespace {

// A burst of `count` lines into a 1,000-byte queue whose spill takes 20 ms
// a write, with a consumer that maintains it as the stream's thread does.
// What the queue holds at the end, in order.
std::vector<std::string> burst_through_slow_spill(cloud::LogQueue& queue, int count, bool wait_for_room,
                                                  std::vector<std::string>& expected) {
  SlowSpill spill(milliseconds(20));
  queue.set_spill(&spill);
  std::atomic<bool> done{false};
  std::atomic<int> spill_errors{0};  // counted here: Catch's assertions are for the test's own thread
  std::thread consumer([&] {
    while (!done) {
      queue.wait(std::chrono::steady_clock::now() + milliseconds(50), cloud::LogQueue::WaitFor::Maintenance);
      if (queue.maintain()) ++spill_errors;
    }
  });
  for (int i = 0; i < count; ++i) {
    expected.push_back(fmt::format("burst {}", i));
    if (wait_for_room) queue.wait_for_room(std::chrono::steady_clock::now() + milliseconds(10000));
    queue.push(system_line(expected.back(), 1));
  }
  done = true;
  queue.wake();
  consumer.join();
  CHECK(spill_errors == 0);
  auto sent = drain(queue);
  queue.set_spill(nullptr);
  return sent;
}

}  // namespace

TEST_CASE("a producer that waits for room loses nothing of a burst while the spill's slow write runs") {
  std::vector<std::string> expected;
  cloud::LogQueue waiting(cloud::LogQueueOptions{1000});
  CHECK(burst_through_slow_spill(waiting, 300, true, expected) == expected);
  CHECK(waiting.stats().suppressed_total == 0);
  CHECK(waiting.stats().spilled_total > 0);
  // The same burst from a producer that does not wait loses lines: the
  // memory fills while the write runs.
  expected.clear();
  cloud::LogQueue dropping(cloud::LogQueueOptions{1000});
  const auto sent = burst_through_slow_spill(dropping, 300, false, expected);
  CHECK(dropping.stats().suppressed_total > 0);
  CHECK(sent.back().starts_with("Warning: Suppressed"));
}

TEST_CASE("waiting for room: not without a spill, not after a failed spill, not again after a timed-out wait") {
  const auto fill = [](cloud::LogQueue& queue) {
    for (int i = 0; queue.stats().memory_bytes < 800; ++i) queue.push(system_line(fmt::format("line {}", i), 1));
  };
  // Returns within `limit` although the deadline is a minute away.
  const auto returns_at_once = [](cloud::LogQueue& queue) {
    const auto started = std::chrono::steady_clock::now();
    queue.wait_for_room(started + std::chrono::minutes(1));
    return std::chrono::steady_clock::now() - started < std::chrono::seconds(20);
  };
  cloud::LogQueue no_spill(cloud::LogQueueOptions{1000});
  fill(no_spill);
  CHECK(returns_at_once(no_spill));

  cloud::LogQueue failing(cloud::LogQueueOptions{1000});
  SlowSpill broken(milliseconds(0), true);
  failing.set_spill(&broken);
  fill(failing);
  CHECK(failing.maintain().has_value());
  CHECK(returns_at_once(failing));

  // Nobody maintains: the first wait runs to its deadline, the next ones
  // do not wait until a spill succeeds.
  cloud::LogQueue stuck(cloud::LogQueueOptions{1000});
  SlowSpill spill(milliseconds(0));
  stuck.set_spill(&spill);
  fill(stuck);
  const auto started = std::chrono::steady_clock::now();
  stuck.wait_for_room(started + milliseconds(100));
  CHECK(std::chrono::steady_clock::now() - started >= milliseconds(100));
  CHECK(returns_at_once(stuck));
  CHECK_FALSE(stuck.maintain().has_value());
  CHECK(stuck.stats().memory_bytes < 750);
}

TEST_CASE("the stream delivers lines in order with the captured headers, gzip and chunked") {
  if (!FakeCloud::available()) return;
  FakeCloud fake;
  fake.control("POST", "device", {{"uuid", kUuid}, {"api_key", kKey}});
  cloud::LogQueue queue;
  Recorder recorder;
  auto stream = cloud::LogStream::create(fast_options(fake.url()), queue, recorder.sent_fn(), recorder.event_fn());
  REQUIRE(stream.ok());
  stream.value()->start();
  queue.push(system_line("Supervisor starting", 1000));
  // Headers go out before any line: the request is there, its body empty.
  REQUIRE(eventually([&] { return !fake.control("GET", "requests").empty(); }));
  CHECK(received(fake).empty());
  std::vector<std::string> expected = {"Supervisor starting"};
  for (int i = 0; i < 50; ++i) {
    expected.push_back(fmt::format("line {}", i));
    queue.push(service_line(expected.back(), 1001 + i, 7, i % 2 == 0));
  }
  REQUIRE(eventually([&] { return received(fake).size() == expected.size(); }));
  CHECK(received(fake) == expected);
  const json logs = fake.control("GET", "logs");
  for (const auto& record : logs["lines"]) CHECK(record["problem"].is_null());
  const auto request = fake.control("GET", "requests")[0];
  const json headers = request["headers"];
  CHECK(request["path"] == fmt::format("/device/v2/{}/log-stream", kUuid));
  CHECK(headers["Authorization"] == fmt::format("Bearer {}", kKey));
  CHECK(headers["Content-Type"] == "application/x-ndjson");
  CHECK(headers["Content-Encoding"] == "gzip");
  CHECK(headers["Transfer-Encoding"] == "chunked");
  CHECK_FALSE(headers.contains("User-Agent"));
  CHECK_FALSE(headers.contains("Accept"));
  REQUIRE(eventually([&] {
    const std::lock_guard<std::mutex> lock(recorder.mutex);
    return recorder.sent == expected;
  }));
  CHECK(recorder.count(cloud::LogStreamEventKind::Opened) == 1);
  // Quiet for the idle time: the body ends, the cloud answers 201; the next
  // line opens a new request.
  REQUIRE(eventually([&] { return recorder.count(cloud::LogStreamEventKind::Closed) == 1; }));
  CHECK(fake.control("GET", "requests")[0]["status"] == 201);
  queue.push(system_line("after the close", 2000));
  REQUIRE(eventually([&] { return received(fake).size() == expected.size() + 1; }));
  CHECK(fake.control("GET", "requests").size() == 2);
  const auto stats = stream.value()->stats();
  CHECK(stats.lines_sent == expected.size() + 1);
  CHECK(stats.wire_bytes < stats.raw_bytes);
  stream.value()->stop();
}

TEST_CASE("an early refusal is a setup failure: the lines wait, the next attempt backs off and delivers them") {
  if (!FakeCloud::available()) return;
  FakeCloud fake;
  fake.control("POST", "device", {{"uuid", kUuid}, {"api_key", kKey}});
  const std::string path = fmt::format("/device/v2/{}/log-stream", kUuid);
  fake.control("POST", "fault", {{"path", path}, {"fault", "503"}, {"count", 1}});
  fake.control("POST", "fault", {{"path", path}, {"fault", "401"}, {"count", 1}});
  cloud::LogQueue queue;
  Recorder recorder;
  auto stream = cloud::LogStream::create(fast_options(fake.url()), queue, recorder.sent_fn(), recorder.event_fn());
  REQUIRE(stream.ok());
  stream.value()->start();
  queue.push(system_line("kept through refusals", 1));
  REQUIRE(eventually([&] { return received(fake) == std::vector<std::string>{"kept through refusals"}; }));
  {
    const std::lock_guard<std::mutex> lock(recorder.mutex);
    REQUIRE(recorder.events.size() >= 3);
    CHECK(recorder.events[0].kind == cloud::LogStreamEventKind::SetupFailed);
    CHECK(recorder.events[0].error->http_status == 503);
    CHECK(recorder.events[0].delay == milliseconds(600));
    CHECK(recorder.events[1].kind == cloud::LogStreamEventKind::SetupFailed);
    CHECK(recorder.events[1].error->http_status == 401);
    CHECK(recorder.events[1].delay == milliseconds(1200));
    CHECK(recorder.events[2].kind == cloud::LogStreamEventKind::Opened);
  }
  const auto requests = fake.control("GET", "requests");
  REQUIRE(requests.size() == 3);
  // Measured from the previous attempt: 600 ms after the first failure.
  CHECK(requests[2]["time"].get<double>() - requests[1]["time"].get<double>() >= 1.1);
  stream.value()->stop();
}

TEST_CASE("a stream dropped mid-way is reopened and the lines after the drop arrive") {
  if (!FakeCloud::available()) return;
  FakeCloud fake;
  fake.control("POST", "device", {{"uuid", kUuid}, {"api_key", kKey}});
  fake.control("POST", "fault", {{"path", fmt::format("/device/v2/{}/log-stream", kUuid)},
                                 {"fault", "drop-mid-stream"},
                                 {"lines", 1}});
  cloud::LogQueue queue;
  Recorder recorder;
  auto stream = cloud::LogStream::create(fast_options(fake.url()), queue, recorder.sent_fn(), recorder.event_fn());
  REQUIRE(stream.ok());
  stream.value()->start();
  queue.push(system_line("before the drop", 1));
  REQUIRE(eventually([&] { return recorder.count(cloud::LogStreamEventKind::Opened) == 1; }));
  REQUIRE(eventually([&] { return received(fake).size() == 1; }));
  // The next write meets the closed connection.
  REQUIRE(eventually([&] {
    queue.push(system_line("probe", 2));
    return recorder.count(cloud::LogStreamEventKind::Broken) >= 1;
  }));
  queue.push(system_line("after the drop", 3));
  REQUIRE(eventually([&] {
    const auto got = received(fake);
    return !got.empty() && got.back() == "after the drop";
  }));
  CHECK(fake.control("GET", "requests").size() == 2);
  stream.value()->stop();
}

TEST_CASE("a stream without a uuid or with a bad endpoint is refused at setup") {
  cloud::LogQueue queue;
  auto options = fast_options("ftp://example");
  CHECK(cloud::LogStream::create(options, queue, nullptr, nullptr).error().kind == cloud::ErrorKind::Config);
  options = fast_options("http://127.0.0.1:1");
  options.uuid.clear();
  CHECK(cloud::LogStream::create(options, queue, nullptr, nullptr).error().kind == cloud::ErrorKind::Config);
}

TEST_CASE("over HTTPS with the device's extra root CA the stream delivers; without it the setup fails") {
  if (!FakeCloud::available()) return;
  cloud_test::TempDir dir;
  const std::string command = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout {0}/cloud.key -out {0}/cloud.pem >/dev/null 2>&1",
      dir.path().string());
  if (std::system(command.c_str()) != 0) {
    WARN("openssl CLI missing or failing: TLS case skipped");
    return;
  }
  FakeCloud fake((dir.path() / "cloud.pem").string(), (dir.path() / "cloud.key").string());
  fake.control("POST", "device", {{"uuid", kUuid}, {"api_key", kKey}});
  std::ifstream in(dir.path() / "cloud.pem");
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  SECTION("trusted through the extra root") {
    auto options = fast_options(fake.url());
    options.extra_ca_pem = pem;
    cloud::LogQueue queue;
    Recorder recorder;
    auto stream = cloud::LogStream::create(options, queue, recorder.sent_fn(), recorder.event_fn());
    REQUIRE(stream.ok());
    stream.value()->start();
    queue.push(system_line("over TLS", 1));
    REQUIRE(eventually([&] { return received(fake) == std::vector<std::string>{"over TLS"}; }));
    stream.value()->stop();
  }
  SECTION("the self-signed certificate alone is not trusted") {
    cloud::LogQueue queue;
    Recorder recorder;
    auto stream = cloud::LogStream::create(fast_options(fake.url()), queue, recorder.sent_fn(), recorder.event_fn());
    REQUIRE(stream.ok());
    stream.value()->start();
    queue.push(system_line("not sent", 1));
    REQUIRE(eventually([&] { return recorder.count(cloud::LogStreamEventKind::SetupFailed) >= 1; }));
    stream.value()->stop();
    CHECK(received(fake).empty());
    const std::lock_guard<std::mutex> lock(recorder.mutex);
    CHECK(recorder.events.front().error->kind == cloud::ErrorKind::Tls);
  }
}
