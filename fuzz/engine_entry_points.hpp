// The fuzzed entry points over the inputs that reach the daemon from
// outside the planner: the cloud's answers, balena's config.json, the
// daemon's configuration file, the engine's JSON and JSON text with the
// target intake, the local API's requests and the balena database. Shared by the libFuzzer targets (clang) and the corpus
// replay (any compiler), like entry_points.hpp. Each takes arbitrary bytes,
// must not crash or throw, and aborts with a message when a checked
// property fails.
#pragma once

#include <string_view>

namespace reconcile::fuzz {

// The bytes as a whole HTTP answer (status line, headers, body) from a
// loopback server, to the real cloud calls over the real transport: the
// target-state poll (with and without a cached ETag) and its parse, device
// registration, device lookup. Every failure has a kind and a message;
// a status >= 400 is an HttpStatus error carrying that status.
void cloud_answer(std::string_view input);

// engine::cloud::parse_config_json; what parses is changed the way
// provisioning changes it (deviceId, registered_at set, apiKey deleted),
// rendered and parsed again: the changes are there and nothing else moved.
void config_json(std::string_view input);

// supervisor::parse_config: a refusal names the file; an accepted file
// gives a configuration within the documented bounds.
void daemon_config(std::string_view input);

// The bytes as the engine's newline-separated JSON stream, split into lines
// as the client splits them (in one chunk and in small chunks: the same
// lines), each line read as every engine document (container inspect and
// list, image, network, volume, event, pull progress). `raw` keeps the
// document; pull progress stays within -1..100.
void engine_json(std::string_view input);

// reconcile::parse_json_text with its nesting bound (accepted: not deeper
// than the bound; refused: too deep, or nlohmann refuses it too), then the
// target intake (cloud v3 and local bodies): a refused target's error
// points at a value that exists in the document.
void json_intake(std::string_view input);

// The first byte picks local mode (odd) or a key-checked API; the rest is
// one raw HTTP request to the daemon's own server (route table, key check,
// body limits) with a device that accepts every action. Every request that
// parses gets a well-formed answer; outside local mode nothing but /ping
// and /v1/healthy succeeds without the device's key.
void local_api(std::string_view input);

// The bytes as the balena supervisor's database file, read as a switch-over
// reads it (engine::store::read_balena_database): a refusal has a message;
// the file is left as it was (same size, no journal or WAL beside it).
void balena_database(std::string_view input);

}  // namespace reconcile::fuzz
