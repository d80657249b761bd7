// JSON text that arrives from outside (local API bodies, cloud answers,
// apps.json), parsed in one place with its nesting bounded. nlohmann's
// parser keeps a stack entry per open bracket and builds the whole tree, so
// an unbounded depth costs memory the process keeps (a 100,000-deep array
// grew the daemon by 13 MiB): the depth is counted first, without
// allocating, and a text nested too deep is refused before it is parsed.
// Part of the JSON interface (json.hpp): it includes nlohmann/json.
#pragma once

#include <cstddef>
#include <string_view>

#include "reconcile/json.hpp"

namespace reconcile {

// Arrays and objects open at once. A cloud v3 target nests about 12 deep
// (device, apps, app, releases, release, services, service, composition,
// networks, network, aliases); 64 leaves room for any compose value.
inline constexpr std::size_t kMaxJsonDepth = 64;

// The parsed document, or an error: "nested deeper than 64 levels ..." when
// the bound is passed, "not valid JSON: ..." when the text is not JSON.
[[nodiscard]] Parsed<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace reconcile
