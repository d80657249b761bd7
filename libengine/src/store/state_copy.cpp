// The state copy's format and its atomic write (state_copy.hpp).
#include "state_copy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>

#include "crc32.hpp"
#include "reconcile/json.hpp"

namespace engine::store::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "supervisor-state-copy";
constexpr int kVersion = 1;
constexpr std::string_view kDecode = "read state copy";

Error damaged(std::string message) {
  return Error{ErrorKind::StoredData, std::string(kDecode), std::move(message), 0};
}

Error file_error(std::string_view operation, const fs::path& path, int error) {
  return Error{ErrorKind::FileSystem, std::string(operation),
               fmt::format("{}: {}", path.string(), std::strerror(error)), 0};
}

nlohmann::json config_json(const std::map<std::string, std::string>& values) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : values) object[key] = value;
  return object;
}

// A JSON object of strings; nullopt when it is anything else.
std::optional<std::map<std::string, std::string>> string_map(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) return std::nullopt;
    values.emplace(key, value.get<std::string>());
  }
  return values;
}

// Parses the unsigned decimal or hexadecimal number that is all of `text`.
template <class T>
std::optional<T> number(std::string_view text, int base) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Writes all of `text`, however many calls it takes.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// Syncs a folder, so that a rename in it survives a power cut.
int sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

fs::path copy_path(const fs::path& database) { return fs::path(database.string() + "-state"); }

std::string encode_copy(const KeptState& state) {
  nlohmann::json body = {{"config", config_json(state.config)}, {"target", nullptr}};
  if (state.target) {
    nlohmann::json apps = nlohmann::json::array();
    for (const reconcile::App& app : state.target->state.apps) apps.push_back(reconcile::to_json(app));
    body["target"] = {{"name", state.target->device_name},
                      {"config", config_json(state.target->device_config)},
                      {"apps", std::move(apps)}};
  }
  const std::string text = body.dump();
  return fmt::format("{} {} {} {:08x}\n{}", kMagic, kVersion, text.size(), crc32(text), text);
}

Result<KeptState> decode_copy(std::string_view text) {
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return damaged("no header line");
  const std::string_view header = text.substr(0, newline);
  const std::string_view body = text.substr(newline + 1);
  // "<magic> <version> <length> <crc>"
  std::vector<std::string_view> fields;
  for (std::size_t start = 0; start <= header.size();) {
    const auto space = header.find(' ', start);
    const auto end = space == std::string_view::npos ? header.size() : space;
    fields.push_back(header.substr(start, end - start));
    start = end + 1;
  }
  if (fields.size() != 4 || fields[0] != kMagic) return damaged("the header line is not a state copy's");
  const auto version = number<int>(fields[1], 10);
  if (version != kVersion) return damaged(fmt::format("unknown format version '{}'", fields[1]));
  const auto length = number<std::size_t>(fields[2], 10);
  const auto checksum = number<std::uint32_t>(fields[3], 16);
  if (!length || !checksum) return damaged("the header line does not read");
  // Only the form encode_copy writes: "0A" or "+1" would read as numbers,
  // and a flipped bit that keeps the value must still count as damage (this
  // also holds the checksum to its 8 digits). The values are copied out of
  // the optionals first: GCC's -Os inlining otherwise warns, wrongly, that
  // the checksum may be used uninitialized.
  const std::size_t header_length = *length;
  const std::uint32_t header_checksum = *checksum;
  if (header != fmt::format("{} {} {} {:08x}", kMagic, kVersion, header_length, header_checksum)) {
    return damaged("the header line does not read");
  }
  if (*length != body.size()) {
    return damaged(fmt::format("the body has {} bytes, the header says {} (torn or truncated)", body.size(), *length));
  }
  if (crc32(body) != *checksum) return damaged(fmt::format("the body's CRC-32 is {:08x}, the header says {:08x}",
                                                           crc32(body), *checksum));

  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return damaged("the body is not a JSON object");
  KeptState state;
  const auto config = string_map(json.value("config", nlohmann::json()));
  if (!config) return damaged("config is not an object of strings");
  state.config = std::move(*config);
  const nlohmann::json& target = json.contains("target") ? json.at("target") : nlohmann::json();
  if (target.is_null()) return state;
  if (!target.is_object() || !target.contains("name") || !target.at("name").is_string()) {
    return damaged("target is not an object with a name");
  }
  const auto device_config = string_map(target.value("config", nlohmann::json()));
  if (!device_config) return damaged("target.config is not an object of strings");
  auto parsed = reconcile::parse_plan_request(
      nlohmann::json{{"target", {{"apps", target.value("apps", nlohmann::json::array())}}}});
  if (!parsed.ok()) return damaged(fmt::format("target.apps does not parse: {}", parsed.error().to_string()));
  state.target = Target{target.at("name").get<std::string>(), std::move(*device_config),
                        std::move(parsed).value().target};
  return state;
}

Status write_atomically(const fs::path& path, std::string_view text, std::string_view operation) {
  const fs::path temporary(path.string() + ".tmp");
  // 0600: the copy holds the local API key.
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return file_error(operation, temporary, errno);
  int error = write_all(fd, text) ? 0 : errno;
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temporary.c_str());
    return file_error(operation, temporary, error);
  }
  if (const int synced = sync_folder(path.parent_path()); synced != 0) {
    return file_error(operation, path.parent_path(), synced);
  }
  return std::nullopt;
}

Result<std::optional<std::string>> read_whole(const fs::path& path, std::string_view operation) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) {
      return Error{ErrorKind::FileSystem, std::string(operation), fmt::format("{}: {}", path.string(), ec.message()),
                   0};
    }
    return std::optional<std::string>();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error(operation, path, errno);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return file_error(operation, path, errno);
  return std::optional<std::string>(std::move(text));
}

}  // namespace engine::store::detail
