#include "duck/connection.h"

#include <fmt/format.h>

#include "duck/database.h"

namespace lagoa::duck {

struct Connection::Handles {
  // Declared in this order so the connection closes before its database.
  DatabaseHandle database;
  ConnectionHandle connection;
};

Status Execute(duckdb_connection connection, std::string_view sql) {
  const std::string text(sql);
  ResultHandle result;
  if (duckdb_query(connection, text.c_str(), result.get()) != DuckDBSuccess) {
    const char* error = result.error();
    return Status::InvalidArgument(fmt::format("DuckDB: {}", error != nullptr ? error : "query failed"));
  }
  return Status::Ok();
}

Result<std::vector<TextRow>> QueryText(duckdb_connection connection, std::string_view sql, size_t rows_max) {
  const std::string text(sql);
  ResultHandle result;
  if (duckdb_query(connection, text.c_str(), result.get()) != DuckDBSuccess) {
    const char* error = result.error();
    return Status::InvalidArgument(fmt::format("DuckDB: {}", error != nullptr ? error : "query failed"));
  }
  const idx_t columns = duckdb_column_count(result.get());
  for (idx_t c = 0; c < columns; ++c) {
    if (duckdb_column_type(result.get(), c) != DUCKDB_TYPE_VARCHAR) {
      return Status::InvalidArgument(
          fmt::format("DuckDB result column {} (\"{}\") is not VARCHAR; cast it in the query", c,
                      duckdb_column_name(result.get(), c)));
    }
  }
  std::vector<TextRow> rows;
  while (true) {
    DataChunkHandle chunk(duckdb_fetch_chunk(*result.get()));
    if (!chunk) break;
    const idx_t size = duckdb_data_chunk_get_size(chunk.get());
    if (rows.size() + size > rows_max) {
      return Status::ResourceExhausted(fmt::format("DuckDB query returned more than {} rows", rows_max));
    }
    const size_t first = rows.size();
    rows.resize(first + size, TextRow(columns));
    for (idx_t c = 0; c < columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk.get(), c);
      auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
      uint64_t* validity = duckdb_vector_get_validity(vector);
      for (idx_t r = 0; r < size; ++r) {
        if (validity != nullptr && !duckdb_validity_row_is_valid(validity, r)) continue;
        rows[first + r][c].emplace(duckdb_string_t_data(&strings[r]), duckdb_string_t_length(strings[r]));
      }
    }
  }
  return rows;
}

Connection::Connection(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Make(const DatabaseOptions& options) {
  auto handles = std::make_unique<Handles>();
  LAGOA_ASSIGN_OR_RETURN(handles->database, OpenDatabase(options, "an in-memory database"));
  LAGOA_ASSIGN_OR_RETURN(handles->connection, Connect(handles->database.get()));
  return std::unique_ptr<Connection>(new Connection(std::move(handles)));
}

duckdb_connection Connection::handle() { return handles_->connection.get(); }

std::string SqlStringLiteral(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') out += '\'';
    out += ch;
  }
  out += '\'';
  return out;
}

}  // namespace lagoa::duck
