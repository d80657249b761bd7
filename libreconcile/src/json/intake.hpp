// What a target may hold where its values become engine names, labels or
// paths (docs/targets.md). The target readers (cloud v3, local, apps.json)
// check every such value here, as it arrives, so that a refused target
// never reaches the planner: nothing running is touched and the stored
// target stays. Failures throw FieldError naming the bad value's pointer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "reader.hpp"
#include "reconcile/model.hpp"

namespace reconcile::detail {

// balena's ids are JSON numbers read into IEEE doubles: 2^53 - 1 is the
// largest it keeps exact, and ids are never negative. A larger id is
// refused, never wrapped into a negative one in a container name.
inline constexpr std::int64_t kMaxId = (std::int64_t{1} << 53) - 1;
// balena's ShortString: names, images and the device name.
inline constexpr std::size_t kMaxNameLength = 255;

// Whether an id may come as a string of digits (the CLI's "releaseId": "1",
// and object keys).
enum class IdText { Refused, Allowed };
[[nodiscard]] std::int64_t read_id(const Reader& reader, IdText text = IdText::Refused);

// Docker's rule for container, network and volume names,
// [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 characters. `at` points at the
// value (or at the member, for a name that is an object key); `what` says
// what the name is for ("service name", "app uuid" ...).
void check_engine_name(const Reader& at, std::string_view name, std::string_view what);
[[nodiscard]] std::string read_engine_name(const Reader& reader, std::string_view what);

// A commit is the last part of a container name (<service>_<imageId>_
// <releaseId>_<commit>, read back from the right), so it may not hold '_':
// empty, or [a-zA-Z0-9][a-zA-Z0-9.-]*, at most 255 characters.
void check_commit(const Reader& at, std::string_view commit);
[[nodiscard]] std::string read_commit(const Reader& reader);

// An image reference: 1 to 255 characters.
[[nodiscard]] std::string read_image_name(const Reader& reader);
// The device name: at most 255 characters on one line.
[[nodiscard]] std::string read_device_name(const Reader& reader);

// The names an object of strings may have.
enum class NameRule {
  EnvironmentVariable,  // [A-Za-z_][A-Za-z0-9_]*
  Label,                // printable ASCII, no space
  ConfigVariable,       // [A-Za-z_][A-Za-z0-9_:]*
};
// An object of strings ({"NAME": "value"}), as balena's target types have
// them: a number, a boolean, null or a list (the compose KEY=VALUE form) is
// refused, not converted.
[[nodiscard]] std::map<std::string, std::string> read_string_object(const Reader& reader, NameRule rule);

// The networks and named volumes a service's compose keys refer to become
// engine names (<appUuid>_<network>, <appId>_<volume>). `compose` is the
// object the service's compose keys were read from.
void check_service_references(const Reader& compose, const Service& service);

}  // namespace reconcile::detail
