// Encoding helpers for requests: URL parts, filters, registry auth, image
// references. Private to the client; pure functions.
#pragma once

#include <string>
#include <string_view>

#include "engine/docker/types.hpp"

namespace engine::docker::detail {

// Percent-encodes everything but RFC 3986 unreserved characters (for query
// names and values).
[[nodiscard]] std::string percent_encode(std::string_view text);

// Encodes an object name for use in a path. Keeps '/', ':' and '@' because
// the engine routes image names like "127.0.0.1:5000/a/b:tag" unencoded.
[[nodiscard]] std::string path_part(std::string_view name);

// The engine's `filters` query value: {"label":["a","b=c"]}.
[[nodiscard]] std::string filters_json(const Filters& filters);

// X-Registry-Auth header value: base64url of the auth JSON.
[[nodiscard]] std::string registry_auth_header(const RegistryAuth& auth);

[[nodiscard]] std::string base64url(std::string_view bytes);

// An image reference split the way the engine's image-create call wants it:
// "repo:tag" -> {repo, tag}; "repo@sha256:..." -> {repo, "sha256:..."};
// "repo" -> {repo, "latest"} (an empty tag would pull every tag).
struct SplitReference {
  std::string repository;
  std::string tag;
};
[[nodiscard]] SplitReference split_reference(std::string_view reference);

}  // namespace engine::docker::detail
