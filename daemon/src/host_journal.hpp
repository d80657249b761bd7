// POST /v2/journal-logs (local-api.md §4): the body's fields become
// journalctl arguments (an argument vector, never a shell), and the
// process's stdout is what the route streams. The process is killed when
// the reader is done with it (the client went, or the server stops).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/error.hpp"
#include "engine/common/result.hpp"

namespace supervisor {

// journalctl's arguments for a request body: all -> -a, follow -> --follow,
// count -> -n N, unit -> -u U, containerId -> -t ID, since -> -S, until ->
// -U, format -> -o F (default short). Invalid naming the field when a value
// has the wrong type (a flag that is not a boolean or balena's truthy
// string, a count that is not a positive integer, a text field that is not a
// string or starts with '-').
[[nodiscard]] engine::Result<std::vector<std::string>> journal_arguments(const nlohmann::json& body);

// The children still running, so that a daemon going down can end the
// streams that wait on them (HostJournal::stop_all).
struct LiveChildren {
  std::mutex mutex;
  std::set<pid_t> pids;
  bool stopping = false;
};

// A child's stdout, read until it ends; the child is killed (SIGKILL) and
// reaped when this is destroyed.
class ChildOutput {
 public:
  ChildOutput(pid_t pid, int fd, std::shared_ptr<LiveChildren> live = nullptr)
      : pid_(pid), fd_(fd), live_(std::move(live)) {}
  ~ChildOutput();
  ChildOutput(const ChildOutput&) = delete;
  ChildOutput& operator=(const ChildOutput&) = delete;

  enum class Read { Data, Idle, End };
  // Up to `max` bytes into `out` (replaced); Idle when nothing came within
  // `wait`; End at end of output.
  [[nodiscard]] Read read(std::string& out, std::size_t max, std::chrono::milliseconds wait);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
  int fd_;
  std::shared_ptr<LiveChildren> live_;
};

class HostJournal {
 public:
  // `binary`: a path, or a name looked up on PATH.
  explicit HostJournal(std::string binary) : binary_(std::move(binary)) {}
  virtual ~HostJournal() = default;

  // Starts the binary with `arguments`, stdin and stderr on /dev/null.
  // Unavailable when the binary is not there.
  [[nodiscard]] virtual engine::Result<std::unique_ptr<ChildOutput>> open(const std::vector<std::string>& arguments);
  // The binary's path, or none when it cannot be found.
  [[nodiscard]] std::optional<std::string> resolve() const;
  // Kills every child still running (their streams end) and starts no more.
  void stop_all();

 private:
  std::string binary_;
  std::shared_ptr<LiveChildren> live_ = std::make_shared<LiveChildren>();
};

}  // namespace supervisor
