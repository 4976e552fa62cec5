// libFuzzer target for the whole statement path a client reaches (every front door calls it): the
// session's parsing and splitting, lagoa's statement policy, relation names with time travel,
// lake-table writes and stream DDL, file skipping's reading of the WHERE, DuckDB's prepare and
// execution, and parameters. A real engine on a temporary directory holds a lake table `t` with two
// versions. Whatever the input, the answer is rows or an error, never a crash.
//
// The first byte picks how the rest is used: 0 the SQL text itself; 1 a time travel name
// (SELECT * FROM "t@<rest>"); 2 a WHERE on t (file skipping); 3 SQL, then one parameter per line.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sql/sql_engine.h"

namespace {

using lagoa::sql::Param;
using lagoa::sql::Session;
using lagoa::sql::SqlEngine;

struct Fixture {
  std::unique_ptr<SqlEngine> engine;
  std::unique_ptr<Session> session;
};

// Runs every statement of `sql`; errors are answers like any other.
void RunAll(Session& session, std::string_view sql, const std::vector<std::string>& values) {
  auto count = session.Parse(sql);
  if (!count.ok()) return;
  for (size_t i = 0; i < *count; ++i) {
    auto statement = session.PrepareParsed(i);
    if (!statement.ok()) continue;
    std::vector<Param> params((*statement)->param_count());
    for (size_t p = 0; p < params.size() && p < values.size(); ++p) params[p] = values[p];
    auto cursor = (*statement)->Execute(params);
    if (!cursor.ok()) continue;
    for (int chunks = 0; chunks < 4; ++chunks) {  // a few chunks: enough to format every type
      auto chunk = (*cursor)->Next();
      if (!chunk.ok() || *chunk == nullptr) break;
      std::string text;
      for (size_t c = 0; c < (*chunk)->column_count(); ++c) {
        if ((*chunk)->row_count() > 0 && !(*chunk)->IsNull(c, 0)) (*chunk)->AppendText(c, 0, &text);
      }
    }
  }
}

Fixture& TheFixture() {
  static Fixture* fixture = [] {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "lagoa-sql-statement-fuzz";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "tmp");
    lagoa::sql::SqlEngineOptions options;
    options.lake_dir = dir / "lake";
    options.temp_dir = dir / "tmp";
    options.tables_dir = dir / "tables";
    options.files_dir = dir / "files";
    options.threads = 1;
    options.memory_limit = "512MB";
    options.statement_timeout_ms = std::chrono::milliseconds(200);
    auto* made = new Fixture;
    made->engine = std::move(SqlEngine::Make(options, nullptr, nullptr, nullptr).value());
    made->session = std::move(made->engine->OpenSession().value());
    RunAll(
        *made->session,
        "CREATE TABLE t AS SELECT range AS a, range::VARCHAR AS s, DATE '2026-01-01' + range::INT AS d FROM range(10);"
        "INSERT INTO t VALUES (10, 'ten', DATE '2026-02-01')",
        {});
    return made;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Fixture& fixture = TheFixture();
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> values;
  std::string sql;
  switch (data[0] % 4) {
    case 0:
      sql = rest;
      break;
    case 1:
      sql = "SELECT * FROM \"t@" + std::string(rest) + "\"";
      break;
    case 2:
      sql = "SELECT count(*) FROM t WHERE " + std::string(rest);
      break;
    default: {
      const size_t newline = rest.find('\n');
      sql = rest.substr(0, newline);
      for (size_t at = newline; at != std::string_view::npos && values.size() < 4;) {
        const size_t next = rest.find('\n', at + 1);
        values.emplace_back(
            rest.substr(at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1));
        at = next;
      }
    }
  }
  RunAll(*fixture.session, sql, values);
  return 0;
}
