// lagoa_duckdb_query: runs one SQL statement in an in-memory DuckDB (through libduckdb's C API
// only, none of lagoa's code, so tests read lagoa's Parquet files with an independent reader) and
// prints the result to stdout.
//
// Usage: lagoa_duckdb_query [--format jsonl|csv] SQL
//   jsonl (default): one JSON object per row, DuckDB's own `to_json` of the row (numbers bare,
//                    DECIMAL exact, LIST as arrays, STRUCT as objects, NULL as null);
//   csv:             a header line, then each value cast to VARCHAR; NULL is an empty field, other
//                    fields are quoted when they hold a comma, quote, CR or LF (RFC 4180).
// The session's TimeZone is UTC, so TIMESTAMPTZ values print with offset +00. A statement that
// returns no rows of a query (SET, CREATE …) is run and prints nothing. Errors go to stderr with
// exit 1; usage errors exit 2. Lifecycle: one run, one thread (DuckDB's threads inside the query).
#include <duckdb.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace {

// Owns a duckdb_result; duckdb_destroy_result must run even when the query failed.
class QueryResult {
 public:
  QueryResult() = default;
  ~QueryResult() { duckdb_destroy_result(&result_); }
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  duckdb_result* get() { return &result_; }

 private:
  duckdb_result result_{};
};

// Owns the database and its connection.
class Session {
 public:
  Session() = default;
  ~Session() {
    if (connection_ != nullptr) duckdb_disconnect(&connection_);
    if (database_ != nullptr) duckdb_close(&database_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool Open() {
    return duckdb_open(nullptr, &database_) == DuckDBSuccess &&
           duckdb_connect(database_, &connection_) == DuckDBSuccess;
  }
  duckdb_connection connection() const { return connection_; }

 private:
  duckdb_database database_ = nullptr;
  duckdb_connection connection_ = nullptr;
};

bool Fail(const std::string& message) {
  std::fprintf(stderr, "lagoa_duckdb_query: %s\n", message.c_str());
  return false;
}

bool Run(duckdb_connection connection, const std::string& sql, QueryResult* result) {
  if (duckdb_query(connection, sql.c_str(), result->get()) == DuckDBSuccess) return true;
  const char* error = duckdb_result_error(result->get());
  return Fail(error != nullptr ? error : "query failed");
}

// The statement's type, checking that `sql` holds exactly one.
bool StatementType(duckdb_connection connection, const std::string& sql, duckdb_statement_type* type) {
  duckdb_extracted_statements statements = nullptr;
  const idx_t count = duckdb_extract_statements(connection, sql.c_str(), &statements);
  bool ok = false;
  if (count == 0) {
    const char* error = duckdb_extract_statements_error(statements);
    Fail(error != nullptr ? error : "no statement");
  } else if (count > 1) {
    Fail("give exactly one statement");
  } else {
    duckdb_prepared_statement prepared = nullptr;
    if (duckdb_prepare_extracted_statement(connection, statements, 0, &prepared) == DuckDBSuccess) {
      *type = duckdb_prepared_statement_type(prepared);
      ok = true;
    } else {
      const char* error = duckdb_prepare_error(prepared);
      Fail(error != nullptr ? error : "cannot prepare the statement");
    }
    duckdb_destroy_prepare(&prepared);
  }
  duckdb_destroy_extracted(&statements);
  return ok;
}

std::string CsvField(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos && !value.empty()) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Writes every row of a result whose columns are all VARCHAR: JSON lines as they are (one column),
// CSV fields joined by commas.
bool Print(QueryResult* result, bool csv) {
  const idx_t columns = duckdb_column_count(result->get());
  if (csv) {
    std::string header;
    for (idx_t c = 0; c < columns; ++c) header += (c ? "," : "") + CsvField(duckdb_column_name(result->get(), c));
    std::printf("%s\n", header.c_str());
  }
  for (;;) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(*result->get());
    if (chunk == nullptr) break;
    const idx_t rows = duckdb_data_chunk_get_size(chunk);
    std::string text;
    for (idx_t r = 0; r < rows; ++r) {
      for (idx_t c = 0; c < columns; ++c) {
        duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, c);
        uint64_t* validity = duckdb_vector_get_validity(vector);
        if (c > 0) text += ',';
        if (validity != nullptr && !duckdb_validity_row_is_valid(validity, r)) {
          if (!csv) text += "null";
          continue;
        }
        auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
        std::string_view value(duckdb_string_t_data(&strings[r]), duckdb_string_t_length(strings[r]));
        text += csv ? CsvField(value) : std::string(value);
      }
      text += '\n';
    }
    duckdb_destroy_data_chunk(&chunk);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) return Fail("cannot write to stdout");
  }
  return std::fflush(stdout) == 0 || Fail("cannot write to stdout");
}

std::string WithoutTrailingSemicolons(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n' || sql.back() == '\t')) {
    sql.pop_back();
  }
  return sql;
}

int Main(int argc, char** argv) {
  bool csv = false;
  int i = 1;
  if (argc == 4 && std::string_view(argv[1]) == "--format") {
    const std::string_view format = argv[2];
    if (format != "csv" && format != "jsonl") i = argc;  // a usage error below
    csv = format == "csv";
    i += 2;
  }
  if (i != argc - 1) {
    std::fprintf(stderr, "usage: %s [--format jsonl|csv] SQL\n", argv[0]);
    return 2;
  }
  const std::string sql = WithoutTrailingSemicolons(argv[i]);
  Session session;
  if (!session.Open()) {
    Fail("cannot open an in-memory DuckDB database");
    return 1;
  }
  {
    QueryResult set;
    if (!Run(session.connection(), "SET TimeZone = 'UTC'", &set)) return 1;
  }
  duckdb_statement_type type = DUCKDB_STATEMENT_TYPE_INVALID;
  if (!StatementType(session.connection(), sql, &type)) return 1;
  QueryResult result;
  if (type != DUCKDB_STATEMENT_TYPE_SELECT) return Run(session.connection(), sql, &result) ? 0 : 1;
  // The row's conversion is DuckDB's own: to_json for JSON lines, a cast to VARCHAR for CSV.
  const std::string wrapped = csv ? "SELECT COLUMNS(*)::VARCHAR FROM (" + sql + "\n) AS lagoa_q"
                                  : "SELECT to_json(lagoa_q)::VARCHAR FROM (" + sql + "\n) AS lagoa_q";
  if (!Run(session.connection(), wrapped, &result)) return 1;
  return Print(&result, csv) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
