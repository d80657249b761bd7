// The release each app runs, recorded by the updateCommit step.
#include <fmt/format.h>
#include <string>

#include "store_impl.hpp"

namespace engine::store {

Result<Change> Store::set_commit(reconcile::AppId app, std::string_view commit) {
  const std::string operation = fmt::format("set_commit: app {}", app);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    // The WHERE makes an equal commit a no-op: no row changes, nothing written.
    return impl_->change(
        "INSERT INTO current_commit (app_id, commit_hash) VALUES (?1, ?2) "
        "ON CONFLICT (app_id) DO UPDATE SET commit_hash = excluded.commit_hash "
        "WHERE commit_hash IS NOT excluded.commit_hash",
        operation, [&](detail::Use& use) {
          use.bind(1, app).bind(2, commit);
        });
  });
}

Result<std::optional<std::string>> Store::commit(reconcile::AppId app) {
  const std::string operation = fmt::format("commit: app {}", app);
  return impl_->guarded(operation, [&]() -> Result<std::optional<std::string>> {
    std::optional<std::string> commit;  // app_id is the key: one row at most
    if (auto error = impl_->for_each_row(
            "SELECT commit_hash FROM current_commit WHERE app_id = ?1", operation,
            [&](detail::Use& use) { use.bind(1, app); }, [&](detail::Use& use) { commit = use.text(0); })) {
      return *error;
    }
    return commit;
  });
}

Result<std::map<reconcile::AppId, std::string>> Store::commits() {
  constexpr std::string_view kOperation = "commits";
  return impl_->guarded(kOperation, [&]() -> Result<std::map<reconcile::AppId, std::string>> {
    std::map<reconcile::AppId, std::string> commits;
    if (auto error = impl_->for_each_row(
            "SELECT app_id, commit_hash FROM current_commit", std::string(kOperation), [](detail::Use&) {},
            [&](detail::Use& use) { commits.emplace(use.int64(0), use.text(1)); })) {
      return *error;
    }
    return commits;
  });
}

Result<Change> Store::remove_commit(reconcile::AppId app) {
  const std::string operation = fmt::format("remove_commit: app {}", app);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    return impl_->change("DELETE FROM current_commit WHERE app_id = ?1", operation,
                         [&](detail::Use& use) { use.bind(1, app); });
  });
}

}  // namespace engine::store
