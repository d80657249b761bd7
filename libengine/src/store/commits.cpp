// The release each app runs, recorded by the updateCommit step.
#include <string>

#include "store_impl.hpp"

namespace engine::store {

Result<Change> Store::set_commit(reconcile::AppId app, std::string_view commit) {
  const std::string operation = "set_commit: app " + std::to_string(app);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    sqlite3_stmt* statement = nullptr;
    // The WHERE makes an equal commit a no-op: no row changes, nothing written.
    if (auto error = impl_->prepare("INSERT INTO current_commit (app_id, commit_hash) VALUES (?1, ?2) "
                                    "ON CONFLICT (app_id) DO UPDATE SET commit_hash = excluded.commit_hash "
                                    "WHERE commit_hash IS NOT excluded.commit_hash",
                                    operation, statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, operation);
    use.bind(1, app).bind(2, commit);
    if (auto error = use.run()) return *error;
    return sqlite3_changes64(impl_->db.get()) > 0 ? Change::Changed : Change::Unchanged;
  });
}

Result<std::optional<std::string>> Store::commit(reconcile::AppId app) {
  const std::string operation = "commit: app " + std::to_string(app);
  return impl_->guarded(operation, [&]() -> Result<std::optional<std::string>> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("SELECT commit_hash FROM current_commit WHERE app_id = ?1", operation,
                                    statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, operation);
    use.bind(1, app);
    std::optional<std::string> commit;
    if (use.next_row()) commit = use.text(0);
    if (use.error()) return *use.error();
    return commit;
  });
}

Result<std::map<reconcile::AppId, std::string>> Store::commits() {
  constexpr std::string_view kOperation = "commits";
  return impl_->guarded(kOperation, [&]() -> Result<std::map<reconcile::AppId, std::string>> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("SELECT app_id, commit_hash FROM current_commit", kOperation, statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, std::string(kOperation));
    std::map<reconcile::AppId, std::string> commits;
    while (use.next_row()) commits.emplace(use.int64(0), use.text(1));
    if (use.error()) return *use.error();
    return commits;
  });
}

Result<Change> Store::remove_commit(reconcile::AppId app) {
  const std::string operation = "remove_commit: app " + std::to_string(app);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("DELETE FROM current_commit WHERE app_id = ?1", operation, statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, operation);
    use.bind(1, app);
    if (auto error = use.run()) return *error;
    return sqlite3_changes64(impl_->db.get()) > 0 ? Change::Changed : Change::Unchanged;
  });
}

}  // namespace engine::store
