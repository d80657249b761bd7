// Readers of the model's JSON objects (plan request form), shared by the
// plan request and target-state parsers. Failures throw FieldError.
#pragma once

#include <optional>
#include <string_view>

#include "intake.hpp"
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
// Networks or volumes keyed by name ({"<name>": config or null}), as the
// local and cloud target states write them; appended to `out`. The names
// become engine names, so they follow Docker's rule (`what`: "network
// name" or "volume name", for the error).
template <typename Component, typename ReadConfig>
void read_named_components(const Reader& reader, const App& app, std::vector<Component>& out,
                           ReadConfig read_config, std::string_view what) {
  reader.expect_object();
  for (const auto& [name, config] : reader.json().items()) {
    const Reader item = reader.at(name);
    check_engine_name(item, name, what);
    Component component;
    component.name = name;
    component.app_id = app.app_id;
    component.app_uuid = app.app_uuid;
    if (!config.is_null()) component.config = read_config(item);
    out.push_back(std::move(component));
  }
}

// The index of a service on a depends_on cycle, if any.
[[nodiscard]] std::optional<std::size_t> find_dependency_cycle(const App& app);

}  // namespace reconcile::detail
