// write_file_atomically (declared in engine/cloud/config_json.hpp): the
// rename trick, with the fsyncs that make it survive power loss and kill -9.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "engine/cloud/config_json.hpp"

namespace engine::cloud {
namespace {

Error fs_error(const std::string& what, const std::filesystem::path& path, int error_number) {
  return Error{ErrorKind::FileSystem, 0, "write config.json",
               fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number)), std::nullopt};
}

// Closes the descriptor when the scope ends, whatever path leaves it.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  // Closes now, reporting close's error (NFS and some file systems report
  // write errors only there).
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

Status write_all(int fd, std::string_view text, const std::filesystem::path& path) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return fs_error("cannot write", path, errno);
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

}  // namespace

Status write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  // Same directory, so that rename() stays within one file system and is atomic.
  const std::filesystem::path temp =
      directory / fmt::format(".{}.tmp.{}", path.filename().string(), static_cast<long>(::getpid()));

  // Keep the existing file's permissions (config.json holds keys: 0600 for a new one).
  mode_t mode = 0600;
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) mode = existing.st_mode & 07777;

  // A leftover from an earlier crash of this same pid is garbage: replace it.
  ::unlink(temp.c_str());
  Fd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (file.get() < 0) return fs_error("cannot create", temp, errno);

  auto cleanup_after = [&](Status status) {
    ::unlink(temp.c_str());
    return status;
  };
  if (auto written = write_all(file.get(), text, temp); !written) return cleanup_after(written);
  // The data must be on disk before the rename makes it the file, or a
  // power cut could leave the new name pointing at an empty file.
  if (::fsync(file.get()) != 0) return cleanup_after(fs_error("cannot fsync", temp, errno));
  if (file.close() != 0) return cleanup_after(fs_error("cannot close", temp, errno));
  if (::rename(temp.c_str(), path.c_str()) != 0) return cleanup_after(fs_error("cannot rename onto", path, errno));

  // The rename itself lives in the directory: sync it so it survives a power cut.
  Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return fs_error("cannot open directory", directory, errno);
  // Some file systems (vfat boot partitions among them) refuse fsync on a
  // directory with EINVAL; the rename is then as durable as it can be made.
  if (::fsync(dir.get()) != 0 && errno != EINVAL) return fs_error("cannot fsync directory", directory, errno);
  return {};
}

}  // namespace engine::cloud
