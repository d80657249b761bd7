#include "host_journal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace supervisor {
namespace {

using nlohmann::json;

engine::Error invalid(const std::string& field, const std::string& what) {
  return engine::Error{engine::ErrorKind::Invalid, fmt::format("{}: {}", field, what)};
}

// A flag as the API's truthy rule reads it, or nullopt when the value is no
// flag at all (an object, a list, a number other than 0 or 1).
std::optional<bool> flag(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (number == 0 || number == 1) return number == 1;
    return std::nullopt;
  }
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text == "true" || text == "1" || text == "on";
  }
  return std::nullopt;
}

// A text value handed to journalctl: never one it could read as an option.
engine::Result<std::string> text(const json& value, const char* field) {
  if (!value.is_string()) return invalid(field, "must be a string");
  const std::string out = value.get<std::string>();
  if (out.empty()) return invalid(field, "must not be empty");
  if (out.front() == '-') return invalid(field, "must not start with '-'");
  if (out.find('\0') != std::string::npos) return invalid(field, "must not contain NUL");
  return out;
}

}  // namespace

engine::Result<std::vector<std::string>> journal_arguments(const json& body) {
  if (!body.is_object()) return invalid("body", "must be a JSON object");
  std::vector<std::string> args;
  for (const auto& [field, option] : {std::pair{"all", "-a"}, std::pair{"follow", "--follow"}}) {
    if (!body.contains(field) || body[field].is_null()) continue;
    const auto set = flag(body[field]);
    if (!set) return invalid(field, "must be a boolean");
    if (*set) args.emplace_back(option);
  }
  if (body.contains("count") && !body["count"].is_null()) {
    const json& count = body["count"];
    std::optional<std::int64_t> number;
    if (count.is_number_integer()) number = count.get<std::int64_t>();
    if (count.is_number_float() && count.get<double>() == static_cast<double>(static_cast<std::int64_t>(count.get<double>()))) {
      number = static_cast<std::int64_t>(count.get<double>());
    }
    if (count.is_string() && !count.get<std::string>().empty() && count.get<std::string>().size() <= 12 &&
        count.get<std::string>().find_first_not_of("0123456789") == std::string::npos) {
      number = std::stoll(count.get<std::string>());
    }
    if (!number || *number <= 0) return invalid("count", "must be a positive integer");
    args.emplace_back("-n");
    args.push_back(std::to_string(*number));
  }
  for (const auto& [field, option] : {std::pair{"unit", "-u"}, std::pair{"containerId", "-t"},
                                      std::pair{"since", "-S"}, std::pair{"until", "-U"}}) {
    if (!body.contains(field) || body[field].is_null()) continue;
    auto value = text(body[field], field);
    if (!value) return value.error();
    args.emplace_back(option);
    args.push_back(std::move(value).value());
  }
  std::string format = "short";
  if (body.contains("format") && !body["format"].is_null()) {
    auto value = text(body["format"], "format");
    if (!value) return value.error();
    format = std::move(value).value();
  }
  args.emplace_back("-o");
  args.push_back(format);
  return args;
}

ChildOutput::~ChildOutput() {
  ::close(fd_);
  if (live_) {
    const std::lock_guard<std::mutex> lock(live_->mutex);
    live_->pids.erase(pid_);
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

ChildOutput::Read ChildOutput::read(std::string& out, std::size_t max, std::chrono::milliseconds wait) {
  out.clear();
  pollfd ready{fd_, POLLIN, 0};
  const int polled = ::poll(&ready, 1, static_cast<int>(wait.count()));
  if (polled == 0) return Read::Idle;
  if (polled < 0) return errno == EINTR ? Read::Idle : Read::End;
  out.resize(max);
  const ssize_t got = ::read(fd_, out.data(), max);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
    out.clear();
    return Read::Idle;
  }
  if (got <= 0) {
    out.clear();
    return Read::End;
  }
  out.resize(static_cast<std::size_t>(got));
  return Read::Data;
}

std::optional<std::string> HostJournal::resolve() const {
  std::error_code error;
  if (binary_.find('/') != std::string::npos) {
    if (::access(binary_.c_str(), X_OK) == 0) return binary_;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t colon = dirs.find(':', start);
    const std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    const std::string candidate = (std::filesystem::path(dir.empty() ? "." : dir) / binary_).string();
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate, error)) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return std::nullopt;
}

engine::Result<std::unique_ptr<ChildOutput>> HostJournal::open(const std::vector<std::string>& arguments) {
  const auto binary = resolve();
  if (!binary) {
    return engine::Error{engine::ErrorKind::Unavailable,
                         fmt::format("journalctl is not available on this host ({} not found)", binary_)};
  }
  const std::lock_guard<std::mutex> lock(live_->mutex);
  if (live_->stopping) return engine::Error{engine::ErrorKind::Unavailable, "the daemon is stopping"};
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return engine::Error{engine::ErrorKind::Unavailable, fmt::format("cannot open a pipe: {}", std::strerror(errno))};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  // Nothing else of the daemon's: a connection socket of another client
  // (httplib's are not close-on-exec) kept open in a long-running journalctl
  // would keep that connection from closing, and the store's files too.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<std::string> argv_text;
  argv_text.push_back(*binary);
  argv_text.insert(argv_text.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, binary->c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return engine::Error{engine::ErrorKind::Unavailable,
                         fmt::format("cannot start {}: {}", *binary, std::strerror(spawned))};
  }
  live_->pids.insert(pid);
  return std::make_unique<ChildOutput>(pid, pipe_fds[0], live_);
}

void HostJournal::stop_all() {
  const std::lock_guard<std::mutex> lock(live_->mutex);
  live_->stopping = true;
  // Not reaped yet (their ChildOutput does it), so each pid is still ours.
  for (const pid_t pid : live_->pids) ::kill(pid, SIGKILL);
}

}  // namespace supervisor
