// The fuzzed entry points, shared by the libFuzzer targets (clang) and the
// corpus replay (any compiler). Each takes arbitrary bytes, must not crash,
// and aborts with a message when a checked property fails.
#pragma once

#include <string_view>

namespace reconcile::fuzz {

// reconcile::parse_plan_request_text, and writing back what it accepted.
void parse_request(std::string_view input);

// The two target-state bodies the daemon accepts: the cloud's v3 state
// (keyed by the document's first key as device uuid) and the local API's
// v2 body. What parses is then planned from an empty device, twice.
void parse_target_state(std::string_view input);

// Parse, then plan: the same request planned twice, and with its lists in
// reverse order, gives the same steps; then the `supervisor plan --all`
// iteration (plan, apply with the model engine, plan again) for a bounded
// number of batches.
void plan(std::string_view input);

}  // namespace reconcile::fuzz
