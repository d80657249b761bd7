#include "host_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "engine/cloud/config_json.hpp"

namespace supervisor {
namespace {

using nlohmann::json;

constexpr const char* kProxyTypes[] = {"socks4", "socks5", "http-connect", "http-relay"};

engine::Error invalid(const std::string& field, const std::string& what) {
  return engine::Error{engine::ErrorKind::Invalid, fmt::format("{}: {}", field, what)};
}

// A host name as the OS takes it: dot-separated labels of letters, digits
// and hyphens, none starting or ending with a hyphen, 253 characters at most.
bool valid_hostname(const std::string& name) {
  static const std::regex label(R"(^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$)");
  if (name.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string part = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!std::regex_match(part, label)) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// An address, a host name or a CIDR: nothing that could end a redsocks
// statement or a no_proxy line.
bool valid_address(const std::string& text) {
  static const std::regex address(R"(^[A-Za-z0-9.:/_-]{1,255}$)");
  return std::regex_match(text, address);
}

// login and password are written between double quotes.
bool valid_quoted(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](unsigned char c) { return c == '"' || c == '\\' || c < 0x20 || c == 0x7f; });
}

engine::Result<ProxyPatch> parse_proxy(const json& proxy, std::vector<std::string>& warnings) {
  if (!proxy.is_object()) return invalid("network.proxy", "must be an object");
  ProxyPatch patch;
  if (proxy.empty()) {
    patch.remove = true;
    return patch;
  }
  for (const auto& [key, value] : proxy.items()) {
    if (key == "type") {
      if (!value.is_string() ||
          std::find(std::begin(kProxyTypes), std::end(kProxyTypes), value.get<std::string>()) == std::end(kProxyTypes)) {
        return invalid("network.proxy.type", "must be one of socks4, socks5, http-connect, http-relay");
      }
      patch.type = value.get<std::string>();
    } else if (key == "ip") {
      if (!value.is_string() || !valid_address(value.get<std::string>())) {
        return invalid("network.proxy.ip", "must be an address (letters, digits, '.', ':', '-')");
      }
      patch.ip = value.get<std::string>();
    } else if (key == "port") {
      std::int64_t port = -1;
      if (value.is_number_integer()) {
        port = value.get<std::int64_t>();
      } else if (const std::string digits = value.is_string() ? value.get<std::string>() : std::string();
                 !digits.empty() && digits.size() <= 5 &&
                 std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        // balena accepts the right shape with a loose type, and logs it.
        port = std::stoll(digits);
        warnings.push_back(fmt::format("network.proxy.port is a string ({}); taken as a number", value.dump()));
      }
      if (port < 1 || port > 65535) return invalid("network.proxy.port", "must be a port number (1-65535)");
      patch.port = port;
    } else if (key == "login" || key == "password") {
      if (!value.is_string() || !valid_quoted(value.get<std::string>())) {
        return invalid(fmt::format("network.proxy.{}", key), "must be a string without quotes, backslashes or control characters");
      }
      (key == "login" ? patch.login : patch.password) = value.get<std::string>();
    } else if (key == "noProxy") {
      if (!value.is_array()) return invalid("network.proxy.noProxy", "must be a list of addresses or CIDRs");
      std::vector<std::string> list;
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string() || !valid_address(value[i].get<std::string>())) {
          return invalid(fmt::format("network.proxy.noProxy[{}]", i), "must be an address or a CIDR");
        }
        list.push_back(value[i].get<std::string>());
      }
      patch.no_proxy = std::move(list);
    } else if (key == "dns") {
      if (value.is_boolean()) {
        patch.dns_change = value.get<bool>() ? ProxyPatch::Dns::Set : ProxyPatch::Dns::Remove;
        if (value.get<bool>()) patch.dns = "8.8.8.8:53";
      } else if (value.is_string() && valid_address(value.get<std::string>()) &&
                 value.get<std::string>().rfind(':') != std::string::npos &&
                 value.get<std::string>().rfind(':') + 1 < value.get<std::string>().size()) {
        patch.dns_change = ProxyPatch::Dns::Set;
        patch.dns = value.get<std::string>();
      } else {
        return invalid("network.proxy.dns", "must be true, false or \"ADDR:PORT\"");
      }
    } else {
      warnings.push_back(fmt::format("network.proxy.{} is not a proxy setting; dropped", key));
    }
  }
  return patch;
}

std::string unquote(std::string value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') return value.substr(1, value.size() - 2);
  return value;
}

// The `key = value;` statements of one `name { ... }` section.
std::map<std::string, std::string> section(std::string_view text, const std::string& name) {
  std::map<std::string, std::string> values;
  const std::regex open(fmt::format(R"((^|\n)\s*{}\s*\{{)", name));
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(text.begin(), text.end(), match, open)) return values;
  const auto start = static_cast<std::size_t>(match.position(0) + match.length(0));
  const auto end = text.find('}', start);
  std::istringstream body(std::string(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
  static const std::regex statement(R"(^\s*([A-Za-z_]+)\s*=\s*(.*?)\s*;\s*$)");
  for (std::string line; std::getline(body, line);) {
    std::smatch parts;
    if (std::regex_match(line, parts, statement)) values[parts[1]] = unquote(parts[2]);
  }
  return values;
}

engine::Result<std::optional<std::string>> read_text(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::optional<std::string>{};
  std::ifstream in(path);
  if (!in) return engine::Error{engine::ErrorKind::FileSystem, fmt::format("cannot read {}", path.string())};
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<std::string>{text.str()};
}

engine::Status remove_file(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::remove(path, error);
  if (error) {
    return engine::Status::failure(engine::ErrorKind::FileSystem,
                                   fmt::format("cannot remove {}: {}", path.string(), error.message()));
  }
  return engine::Status::success();
}

engine::Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (auto written = engine::cloud::write_file_atomically(path, text); !written) {
    return engine::Status::failure(engine::ErrorKind::FileSystem, written.error().describe());
  }
  return engine::Status::success();
}

}  // namespace

engine::Result<HostConfigPatch> parse_host_config_patch(const json& body, std::vector<std::string>& warnings) {
  if (!body.is_object() || !body.contains("network")) return invalid("network", "is required");
  const json& network = body["network"];
  if (!network.is_object()) return invalid("network", "must be an object");
  HostConfigPatch patch;
  for (const auto& [key, value] : network.items()) {
    if (key == "hostname") {
      if (!value.is_string()) return invalid("network.hostname", "must be a string");
      const std::string name = value.get<std::string>();
      if (!name.empty() && !valid_hostname(name)) {
        return invalid("network.hostname", "must be a host name (letters, digits, '-' and '.', at most 253)");
      }
      patch.hostname = name;
    } else if (key == "proxy") {
      auto proxy = parse_proxy(value, warnings);
      if (!proxy) return proxy.error();
      patch.proxy = std::move(proxy).value();
    } else {
      // As balena: only hostname and proxy are kept (a network.force too).
      warnings.push_back(fmt::format("network.{} is not a host setting; dropped", key));
    }
  }
  return patch;
}

json host_config_json(const HostConfig& config) {
  json network = {{"hostname", config.hostname}};
  if (config.proxy) {
    const HostProxy& proxy = *config.proxy;
    json out = {{"type", proxy.type}, {"ip", proxy.ip}, {"port", proxy.port}};
    if (proxy.login) out["login"] = *proxy.login;
    if (proxy.password) out["password"] = *proxy.password;
    if (!proxy.no_proxy.empty()) out["noProxy"] = proxy.no_proxy;
    if (proxy.dns) out["dns"] = *proxy.dns;
    network["proxy"] = out;
  }
  return {{"network", network}};
}

engine::Result<std::optional<HostProxy>> merge_proxy(const std::optional<HostProxy>& existing, const ProxyPatch& patch) {
  if (patch.remove) return std::optional<HostProxy>{};
  HostProxy merged = existing.value_or(HostProxy{});
  if (patch.type) merged.type = *patch.type;
  if (patch.ip) merged.ip = *patch.ip;
  if (patch.port) merged.port = *patch.port;
  if (patch.login) merged.login = *patch.login;
  if (patch.password) merged.password = *patch.password;
  if (patch.no_proxy) merged.no_proxy = *patch.no_proxy;
  if (patch.dns_change == ProxyPatch::Dns::Remove) merged.dns.reset();
  if (patch.dns_change == ProxyPatch::Dns::Set) merged.dns = patch.dns;
  std::vector<std::string> missing;
  if (merged.type.empty()) missing.emplace_back("type");
  if (merged.ip.empty()) missing.emplace_back("ip");
  if (merged.port == 0) missing.emplace_back("port");
  if (!missing.empty()) {
    return invalid("network.proxy", fmt::format("no proxy is set yet: {} needed", fmt::join(missing, ", ")));
  }
  return std::optional<HostProxy>{merged};
}

std::string render_redsocks(const HostProxy& proxy) {
  std::string text =
      "base {\n\tlog_debug = off;\n\tlog_info = on;\n\tlog = stderr;\n\tdaemon = off;\n\tredirector = iptables;\n}\n\n";
  text += fmt::format("redsocks {{\n\ttype = {};\n\tip = {};\n\tport = {};\n", proxy.type, proxy.ip, proxy.port);
  if (proxy.login) text += fmt::format("\tlogin = \"{}\";\n", *proxy.login);
  if (proxy.password) text += fmt::format("\tpassword = \"{}\";\n", *proxy.password);
  text += "\tlocal_ip = 127.0.0.1;\n\tlocal_port = 12345;\n}\n";
  if (proxy.dns) {
    const auto colon = proxy.dns->rfind(':');
    text += fmt::format("\ndnsu2t {{\n\tlocal_ip = 127.0.0.2;\n\tlocal_port = 53;\n\tremote_ip = {};\n\tremote_port = {};\n}}\n",
                        proxy.dns->substr(0, colon), proxy.dns->substr(colon + 1));
  }
  return text;
}

std::optional<HostProxy> parse_redsocks(std::string_view text) {
  const auto values = section(text, "redsocks");
  if (values.empty()) return std::nullopt;
  HostProxy proxy;
  const auto get = [&](const char* key) -> std::optional<std::string> {
    const auto found = values.find(key);
    return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  proxy.type = get("type").value_or("");
  proxy.ip = get("ip").value_or("");
  const std::string port = get("port").value_or("0");
  proxy.port = !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](unsigned char c) {
    return std::isdigit(c) != 0;
  }) ? std::stoll(port) : 0;
  proxy.login = get("login");
  proxy.password = get("password");
  const auto dns = section(text, "dnsu2t");
  if (dns.contains("remote_ip") && dns.contains("remote_port")) {
    proxy.dns = fmt::format("{}:{}", dns.at("remote_ip"), dns.at("remote_port"));
  }
  return proxy;
}

std::string default_hostname(const std::string& uuid) { return uuid.substr(0, 7); }

engine::Result<HostConfig> HostConfigFiles::read() const {
  HostConfig config;
  config.hostname = default_hostname(uuid_);
  std::error_code error;
  if (std::filesystem::exists(paths_.config_json, error)) {
    auto file = engine::cloud::read_config_json(paths_.config_json);
    if (!file) return engine::Error{engine::ErrorKind::FileSystem, file.error().describe()};
    if (file->hostname && !file->hostname->empty()) config.hostname = *file->hostname;
  }
  auto redsocks = read_text(paths_.proxy_dir / "redsocks.conf");
  if (!redsocks) return redsocks.error();
  if (redsocks.value()) config.proxy = parse_redsocks(*redsocks.value());
  if (config.proxy) {
    auto no_proxy = read_text(paths_.proxy_dir / "no_proxy");
    if (!no_proxy) return no_proxy.error();
    std::istringstream lines(no_proxy.value().value_or(""));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) config.proxy->no_proxy.push_back(line);
    }
  }
  return config;
}

engine::Status HostConfigFiles::write(const HostConfigPatch& patch) const {
  if (patch.proxy) {
    auto current = read();
    if (!current) return current.error();
    auto merged = merge_proxy(current->proxy, *patch.proxy);
    if (!merged) return merged.error();
    const auto redsocks = paths_.proxy_dir / "redsocks.conf";
    const auto no_proxy = paths_.proxy_dir / "no_proxy";
    if (!merged.value()) {
      if (auto removed = remove_file(redsocks); !removed.ok()) return removed;
      if (auto removed = remove_file(no_proxy); !removed.ok()) return removed;
    } else {
      if (auto written = write_text(redsocks, render_redsocks(*merged.value())); !written.ok()) return written;
      const auto& list = merged.value()->no_proxy;
      if (list.empty()) {
        if (auto removed = remove_file(no_proxy); !removed.ok()) return removed;
      } else if (auto written = write_text(no_proxy, fmt::format("{}\n", fmt::join(list, "\n"))); !written.ok()) {
        return written;
      }
    }
  }
  if (patch.hostname) {
    engine::cloud::ConfigJson file;
    std::error_code error;
    if (std::filesystem::exists(paths_.config_json, error)) {
      auto read = engine::cloud::read_config_json(paths_.config_json);
      if (!read) return engine::Status::failure(engine::ErrorKind::FileSystem, read.error().describe());
      file = std::move(read).value();
    } else {
      file.original = "{}";
    }
    file.hostname = patch.hostname->empty() ? default_hostname(uuid_) : *patch.hostname;
    if (auto saved = engine::cloud::save_config_json(paths_.config_json, file); !saved) {
      return engine::Status::failure(engine::ErrorKind::FileSystem, saved.error().describe());
    }
  }
  return engine::Status::success();
}

}  // namespace supervisor
