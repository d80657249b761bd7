#include "url.hpp"

#include <nlohmann/json.hpp>

namespace engine::docker::detail {
namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string encode(std::string_view text, std::string_view also_keep) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c) || also_keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    }
  }
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text) { return encode(text, ""); }

std::string path_part(std::string_view name) { return encode(name, "/:@"); }

std::string filters_json(const Filters& filters) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [key, values] : filters) json[key] = values;
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string registry_auth_header(const RegistryAuth& auth) {
  nlohmann::json json = nlohmann::json::object();
  if (!auth.registry_token.empty()) {
    json["registrytoken"] = auth.registry_token;
  } else {
    json["username"] = auth.username;
    json["password"] = auth.password;
    json["serveraddress"] = auth.server_address;
  }
  return base64url(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

SplitReference split_reference(std::string_view reference) {
  // A ':' after the last '/' starts the tag; one before it is a registry port.
  const auto tag_colon = [](std::string_view name) {
    const auto slash = name.rfind('/');
    const auto colon = name.rfind(':');
    return colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)
               ? colon
               : std::string_view::npos;
  };
  if (const auto at = reference.find('@'); at != std::string_view::npos) {
    // "repo:tag@digest": the digest wins, the tag is dropped.
    std::string_view name = reference.substr(0, at);
    if (const auto colon = tag_colon(name); colon != std::string_view::npos) name = name.substr(0, colon);
    return {std::string(name), std::string(reference.substr(at + 1))};
  }
  if (const auto colon = tag_colon(reference); colon != std::string_view::npos) {
    return {std::string(reference.substr(0, colon)), std::string(reference.substr(colon + 1))};
  }
  return {std::string(reference), "latest"};
}

}  // namespace engine::docker::detail
