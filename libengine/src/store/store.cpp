// Store plumbing shared by every part: construction, the statement cache
// and the diagnostics.
#include <fmt/format.h>
#include <utility>

#include "store_impl.hpp"

namespace engine::store {

detail::Status Store::Impl::prepare(std::string_view sql, std::string_view operation, sqlite3_stmt*& out) {
  auto found = statements.find(sql);
  if (found == statements.end()) {
    sqlite3_stmt* raw = nullptr;
    // PERSISTENT: these statements live as long as the connection.
    const int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      return detail::sqlite_error(db.get(), fmt::format("{}: prepare", operation));
    }
    found = statements.emplace(sql, detail::Statement(raw)).first;
  }
  out = found->second.get();
  return std::nullopt;
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() {
  // Statements must be finalized before the connection closes: clear the
  // cache first (sqlite3_close_v2 would otherwise keep the file open).
  if (impl_) impl_->statements.clear();
}

std::int64_t Store::total_changes() const {
  const std::lock_guard lock(impl_->mutex);
  return sqlite3_total_changes64(impl_->db.get());
}

const std::filesystem::path& Store::path() const { return impl_->options.path; }

Result<std::vector<int>> Store::schema_versions() {
  constexpr std::string_view kOperation = "schema_versions";
  return impl_->guarded(kOperation, [&]() -> Result<std::vector<int>> {
    std::vector<int> versions;
    if (auto error = impl_->for_each_row(
            "SELECT version FROM schema_migrations ORDER BY version", std::string(kOperation), [](detail::Use&) {},
            [&](detail::Use& use) { versions.push_back(static_cast<int>(use.int64(0))); })) {
      return *error;
    }
    return versions;
  });
}

}  // namespace engine::store
