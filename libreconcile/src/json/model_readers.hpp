// Readers of the model's JSON objects (plan request form), shared by the
// plan request and target-state parsers. Failures throw FieldError.
#pragma once

#include <optional>

#include "reader.hpp"
#include "reconcile/model.hpp"

namespace reconcile::detail {

[[nodiscard]] Seconds read_time(const Reader& reader);
// Where the user wrote the compose keys, for error pointers: inside a
// `composition` object (plan request) or on the service itself (local
// target state).
enum class ComposeKeys { Nested, Inline };
// `app` (optional) gives the appId/appUuid defaults.
[[nodiscard]] Service read_service(const Reader& reader, bool is_current, Seconds now, const App* app,
                                   ComposeKeys compose_keys = ComposeKeys::Nested);
[[nodiscard]] Image read_image(const Reader& reader);
[[nodiscard]] NetworkConfig read_network_config(const Reader& reader);
[[nodiscard]] VolumeConfig read_volume_config(const Reader& reader);
// The index of a service on a depends_on cycle, if any.
[[nodiscard]] std::optional<std::size_t> find_dependency_cycle(const App& app);

}  // namespace reconcile::detail
