#include "support.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "reconcile/json.hpp"

namespace store_test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "store-test-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) FAIL("mkdtemp failed");
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

RawDb::RawDb(const fs::path& path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) FAIL("cannot open " << path << ": " << sqlite3_errstr(rc));
}

RawDb::~RawDb() { sqlite3_close_v2(db_); }

void RawDb::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : "?";
    sqlite3_free(message);
    FAIL("SQL failed: " << text << "\n" << sql);
  }
}

namespace {

// Every row of a query as tab-separated text lines.
std::vector<std::string> rows(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    FAIL("prepare failed: " << sqlite3_errmsg(db) << "\n" << sql);
  }
  std::vector<std::string> out;
  int rc = 0;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    std::string line;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      if (i > 0) line += '\t';
      const auto* text = sqlite3_column_text(statement, i);
      line += text != nullptr ? reinterpret_cast<const char*>(text) : "NULL";
    }
    out.push_back(line);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) FAIL("step failed: " << sqlite3_errmsg(db) << "\n" << sql);
  return out;
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

}  // namespace

std::int64_t RawDb::integer(const std::string& sql) {
  const auto result = rows(db_, sql);
  REQUIRE(result.size() == 1);
  return std::stoll(result.front());
}

std::string normalize_sql(const std::string& sql) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // copy quoted text as it is
      if (space && !out.empty()) out += ' ';
      space = false;
      const std::size_t end = sql.find(c, i + 1);
      const std::size_t stop = end == std::string::npos ? sql.size() : end + 1;
      out.append(sql, i, stop - i);
      i = stop - 1;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // comment to end of line
      while (i < sql.size() && sql[i] != '\n') ++i;
      space = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = true;
      continue;
    }
    const bool punct = c == '(' || c == ')' || c == ',';
    const bool after_punct = !out.empty() && (out.back() == '(' || out.back() == ',');
    if (space && !out.empty() && !punct && !after_punct) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string RawDb::normalized_schema() {
  std::ostringstream out;
  for (const std::string& name : rows(db_, "SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_%' "
                                           "AND type = 'table' ORDER BY name")) {
    out << "internal table " << name << "\n";
  }
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db_,
                             "SELECT type, name, tbl_name, sql FROM sqlite_master "
                             "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
                             -1, &statement, nullptr) == SQLITE_OK);
  std::vector<std::string> tables;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(statement, 1));
    const std::string table = reinterpret_cast<const char*>(sqlite3_column_text(statement, 2));
    const auto* sql = sqlite3_column_text(statement, 3);
    out << type << " " << name << " on " << table << ": "
        << normalize_sql(sql != nullptr ? reinterpret_cast<const char*>(sql) : "") << "\n";
    if (type == "table") tables.push_back(name);
  }
  sqlite3_finalize(statement);
  for (const std::string& table : tables) {
    out << "columns of " << table << "\n";
    for (const auto& row : rows(db_, "SELECT * FROM pragma_table_xinfo(" + quoted(table) + ")")) {
      out << "  " << row << "\n";
    }
    for (const auto& index : rows(db_, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(" +
                                           quoted(table) + ") ORDER BY name")) {
      const std::string index_name = index.substr(0, index.find('\t'));
      out << "  index " << index << ":";
      for (const auto& column : rows(db_, "SELECT name, \"desc\", coll FROM pragma_index_xinfo(" +
                                              quoted(index_name) + ") WHERE key = 1 ORDER BY seqno")) {
        out << " [" << column << "]";
      }
      out << "\n";
    }
    for (const auto& key : rows(db_, "SELECT * FROM pragma_foreign_key_list(" + quoted(table) + ")")) {
      out << "  foreign key " << key << "\n";
    }
  }
  return out.str();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

engine::store::StoreOptions options_for(const fs::path& path) {
  engine::store::StoreOptions options;
  options.path = path;
  return options;
}

engine::store::Opened open_store(const engine::store::StoreOptions& options) {
  auto opened = engine::store::Store::open(options);
  if (!opened) FAIL("open failed: " << opened.error().describe());
  return std::move(opened).value();
}

engine::store::Opened open_store(const fs::path& path) { return open_store(options_for(path)); }

engine::store::Target sample_target() {
  auto request = nlohmann::json::parse(read_file(fs::path(STORE_EXAMPLES_DIR) / "device-update.json"));
  nlohmann::json target = request.at("target");
  target["apps"].push_back(nlohmann::json::parse(R"({
    "appId": 42, "appUuid": "0123456789abcdef0123456789abcdef", "name": "sensor",
    "commit": "c0ffee", "releaseId": 7, "isHost": false,
    "services": [{"serviceName": "reader", "serviceId": 5, "imageId": 6, "releaseId": 7,
                  "commit": "c0ffee", "image": "registry.example/sensor@sha256:aa",
                  "composition": {"privileged": true, "labels": {"io.balena.update.strategy": "kill-then-download"}}}],
    "networks": [{"name": "sensors", "config": {"driver": "bridge", "internal": true}}],
    "volumes": [{"name": "readings"}]
  })"));
  auto parsed = reconcile::parse_plan_request(nlohmann::json{{"target", target}});
  if (!parsed.ok()) FAIL("sample target does not parse: " << parsed.error().to_string());
  engine::store::Target out;
  out.device_name = "gateway-7";
  out.device_config = {{"SUPERVISOR_POLL_INTERVAL", "900000"}, {"HOST_CONFIG_gpu_mem", "16"}};
  out.state = std::move(parsed).value().target;
  REQUIRE(out.state.apps.size() == 2);
  return out;
}

}  // namespace store_test
