// Port mappings. Compose writes them many ways ("80", "80-90",
// "1.2.3.4:8080:80/udp", "80:80" three times for a range) and the engine
// reports one binding per container port; both are reduced to one canonical
// list of folded ranges so that equal configurations compare equal.
#include <algorithm>
#include <tuple>

#include "compose/internal.hpp"

namespace reconcile::compose::detail {
namespace {

// One container port published on one host port (host_port -1: the engine
// picks one).
struct Mapping {
  std::string protocol;
  std::string host_ip;
  std::int64_t container_port = 0;
  std::int64_t host_port = -1;

  auto key() const { return std::tie(protocol, host_ip, container_port, host_port); }
};

struct Range {
  std::int64_t first = 0;
  std::int64_t last = 0;
  bool given = false;
};

Range parse_range(const std::string& text, const std::string& spec, const std::string& pointer) {
  Range range;
  if (text.empty()) return range;
  const auto dash = text.find('-');
  const std::string first = text.substr(0, dash);
  const std::string last = dash == std::string::npos ? first : text.substr(dash + 1);
  if (!all_digits(first) || !all_digits(last) || first.size() > 5 || last.size() > 5) {
    fail(pointer, fmt::format("\"{}\" is not a port mapping ([IP:][HOST[-END]:]PORT[-END][/PROTOCOL])", spec));
  }
  range.first = std::stoll(first);
  range.last = std::stoll(last);
  range.given = true;
  if (range.last < range.first || range.last > 65535) {
    fail(pointer, fmt::format("\"{}\" has an invalid port range", spec));
  }
  return range;
}

std::vector<Mapping> parse_port(const std::string& spec_in, const std::string& pointer) {
  const std::string spec = trim(spec_in);
  std::string rest = spec;
  std::string protocol = "tcp";
  if (const auto slash = rest.rfind('/'); slash != std::string::npos) {
    protocol = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") {
      fail(pointer, fmt::format("\"{}\" has an unknown protocol \"{}\"", spec, protocol));
    }
  }
  std::string ip;
  std::string host_text;
  std::string container_text = rest;
  bool host_part = false;
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    container_text = rest.substr(colon + 1);
    host_text = rest.substr(0, colon);
    host_part = true;
    if (const auto ip_colon = host_text.rfind(':'); ip_colon != std::string::npos) {
      ip = host_text.substr(0, ip_colon);
      host_text = host_text.substr(ip_colon + 1);
      if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    }
  }
  const Range container = parse_range(container_text, spec, pointer);
  if (!container.given) fail(pointer, fmt::format("\"{}\" names no container port", spec));
  Range host = parse_range(host_text, spec, pointer);
  // A bare container port is published on the same host port.
  if (!host_part) host = container;
  if (host.given && host.last - host.first != container.last - container.first) {
    fail(pointer, fmt::format("\"{}\": the host and container port ranges differ in length", spec));
  }
  std::vector<Mapping> out;
  for (std::int64_t offset = 0; offset <= container.last - container.first; ++offset) {
    out.push_back({protocol, ip, container.first + offset, host.given ? host.first + offset : -1});
  }
  return out;
}

std::string range_text(std::int64_t first, std::int64_t last) {
  return first == last ? fmt::to_string(first) : fmt::format("{}-{}", first, last);
}

// Sorts and folds runs whose container and host ports both step by one.
json fold(std::vector<Mapping> mappings) {
  std::sort(mappings.begin(), mappings.end(), [](const Mapping& a, const Mapping& b) { return a.key() < b.key(); });
  mappings.erase(std::unique(mappings.begin(), mappings.end(),
                             [](const Mapping& a, const Mapping& b) { return a.key() == b.key(); }),
                 mappings.end());
  json out = json::array();
  std::size_t i = 0;
  while (i < mappings.size()) {
    const Mapping& start = mappings[i];
    std::size_t j = i + 1;
    while (j < mappings.size()) {
      const Mapping& prev = mappings[j - 1];
      const Mapping& next = mappings[j];
      const bool same_group = next.protocol == start.protocol && next.host_ip == start.host_ip;
      const bool steps = next.container_port == prev.container_port + 1 &&
                         ((start.host_port < 0 && next.host_port < 0) ||
                          (start.host_port >= 0 && next.host_port == prev.host_port + 1));
      if (!same_group || !steps) break;
      ++j;
    }
    const Mapping& end = mappings[j - 1];
    std::string text;
    if (!start.host_ip.empty()) text += fmt::format("{}:", start.host_ip);
    if (start.host_port >= 0) text += fmt::format("{}:", range_text(start.host_port, end.host_port));
    else if (!start.host_ip.empty()) text += ":";
    text += fmt::format("{}/{}", range_text(start.container_port, end.container_port), start.protocol);
    out.push_back(text);
    i = j;
  }
  return out;
}

}  // namespace

json normalize_ports(const json& ports, const std::string& pointer) {
  if (ports.is_null()) return json::array();
  if (!ports.is_array()) fail(pointer, "must be a list of port mappings");
  std::vector<Mapping> mappings;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string item_pointer = child_pointer(pointer, i);
    if (!ports[i].is_string() && !ports[i].is_number_integer()) {
      fail(item_pointer, "must be a port mapping string (the long syntax is not supported)");
    }
    const auto parsed = parse_port(scalar_text(ports[i], item_pointer), item_pointer);
    mappings.insert(mappings.end(), parsed.begin(), parsed.end());
  }
  return fold(std::move(mappings));
}

void ports_to_engine(const json& canonical, json& exposed, json& bindings) {
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    for (const Mapping& m : parse_port(canonical[i].get<std::string>(), child_pointer("/composition/ports", i))) {
      const std::string key = fmt::format("{}/{}", m.container_port, m.protocol);
      exposed[key] = json::object();
      bindings[key].push_back(
          {{"HostIp", m.host_ip}, {"HostPort", m.host_port < 0 ? std::string() : fmt::to_string(m.host_port)}});
    }
  }
}

json ports_from_engine(const json& port_bindings) {
  std::vector<Mapping> mappings;
  if (!port_bindings.is_object()) return json::array();
  for (const auto& [key, list] : port_bindings.items()) {
    const auto slash = key.find('/');
    const std::string port = key.substr(0, slash);
    const std::string protocol = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!all_digits(port) || port.size() > 5 || !list.is_array()) continue;
    for (const auto& binding : list) {
      if (!binding.is_object()) continue;
      const std::string host_port = binding.value("HostPort", "");
      Mapping m{protocol, binding.value("HostIp", ""), std::stoll(port), -1};
      if (all_digits(host_port) && host_port.size() <= 5) m.host_port = std::stoll(host_port);
      mappings.push_back(m);
    }
  }
  return fold(std::move(mappings));
}

}  // namespace reconcile::compose::detail
