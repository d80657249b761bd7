#include "balena_tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>

namespace engine::store::balena {
namespace {

struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// `file:` URI of a path: the characters URIs reserve are escaped.
std::string read_only_uri(const std::filesystem::path& path) {
  std::string out = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "?mode=ro";
}

}  // namespace

std::optional<std::string> Row::text(const std::string& column) const {
  const auto it = values_.find(column);
  return it == values_.end() ? std::nullopt : it->second;
}

std::optional<std::int64_t> Row::integer(const std::string& column) const {
  const auto value = text(column);
  if (!value) return std::nullopt;
  std::int64_t out = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), out);
  if (error != std::errc() || end != value->data() + value->size()) return std::nullopt;
  return out;
}

bool Row::flag(const std::string& column) const {
  std::string value = text(column).value_or("");
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  return value == "1" || value == "true" || value == "on";
}

ResultOf<Database, BalenaError> Database::open(const std::filesystem::path& path) {
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(path, ignored)) {
    return BalenaError{BalenaErrorKind::Missing, path.string(), "no such file"};
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(read_only_uri(path).c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, CloseDb> db(raw);
  if (rc != SQLITE_OK) {
    return BalenaError{BalenaErrorKind::Unreadable, path.string(),
                       fmt::format("cannot open it read-only: {}", raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  }
  Database database(std::move(db), path.string());
  if (auto failed = database.load_tables()) return *failed;
  return database;
}

BalenaError Database::error(const std::string& doing) const {
  if (sqlite3_extended_errcode(db_.get()) == SQLITE_READONLY_ROLLBACK) {
    // Reading past a hot journal would see a half-written state.
    return BalenaError{BalenaErrorKind::Unreadable, path_,
                       fmt::format("{}: a write was interrupted and its journal ({}-journal) is still to be rolled "
                                   "back; start the balena supervisor once (or open the file with sqlite3) and stop "
                                   "it cleanly, then import",
                                   doing, path_)};
  }
  return BalenaError{BalenaErrorKind::Unreadable, path_,
                     fmt::format("{}: {} (sqlite code {})", doing, sqlite3_errmsg(db_.get()),
                                 sqlite3_extended_errcode(db_.get()))};
}

std::optional<BalenaError> Database::begin() {
  if (sqlite3_exec(db_.get(), "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return error("begin a read");
  // quick_check reads every page: a damaged file fails here, before any of
  // it is taken for the device's state.
  auto checked = rows("pragma_quick_check");
  if (!checked) return checked.error();
  if (checked->size() != 1 || checked->front().text("quick_check") != std::optional<std::string>("ok")) {
    std::string found = checked->empty() ? "no answer" : checked->front().text("quick_check").value_or("NULL");
    return BalenaError{BalenaErrorKind::Unreadable, path_, fmt::format("the integrity check fails: {}", found)};
  }
  return std::nullopt;
}

void Database::end() { sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr); }

std::optional<BalenaError> Database::load_tables() {
  auto found = rows("sqlite_master", "type = 'table'");
  if (!found) return found.error();
  for (const Row& row : found.value()) {
    if (auto name = row.text("name")) tables_.insert(*name);
  }
  return std::nullopt;
}

ResultOf<std::vector<Row>, BalenaError> Database::rows(const std::string& table, const std::string& where) {
  // Table names come from this reader, never from the file.
  const std::string sql = fmt::format("SELECT * FROM \"{}\"{}{}", table, where.empty() ? "" : " WHERE ", where);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return error(fmt::format("read table {}", table));
  }
  Statement statement(raw);
  const int columns = sqlite3_column_count(raw);
  std::vector<Row> out;
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return error(fmt::format("read table {}", table));
    std::map<std::string, std::optional<std::string>> values;
    for (int i = 0; i < columns; ++i) {
      const char* name = sqlite3_column_name(raw, i);
      const auto* text = sqlite3_column_text(raw, i);
      values[name != nullptr ? name : ""] =
          text == nullptr ? std::nullopt
                          : std::optional<std::string>(std::string(reinterpret_cast<const char*>(text),
                                                                   static_cast<std::size_t>(sqlite3_column_bytes(raw, i))));
    }
    out.emplace_back(std::move(values));
  }
  return out;
}

}  // namespace engine::store::balena
