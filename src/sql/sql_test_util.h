// Helpers for the engine's tests: rows as text lines, and running every statement of a text.
// Threads: the caller's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sql/sql_engine.h"

namespace lagoa::sql::testing_util {

// Appends each row of `chunk` as one line: DuckDB's text of each cell joined by '|', NULL as "NULL".
inline void AppendRowLines(const ResultChunk& chunk, std::vector<std::string>* lines) {
  for (size_t r = 0; r < chunk.row_count(); ++r) {
    std::string line;
    for (size_t c = 0; c < chunk.column_count(); ++c) {
      if (c > 0) line += '|';
      if (chunk.IsNull(c, r)) {
        line += "NULL";
      } else {
        chunk.AppendText(c, r, &line);
      }
    }
    lines->push_back(std::move(line));
  }
}

// Runs every statement of `sql` in `session`; the last one's rows as lines.
inline Result<std::vector<std::string>> RunStatements(Session& session, std::string_view sql) {
  LAGOA_ASSIGN_OR_RETURN(size_t count, session.Parse(sql));
  std::vector<std::string> rows;
  for (size_t i = 0; i < count; ++i) {
    rows.clear();
    LAGOA_ASSIGN_OR_RETURN(auto statement, session.PrepareParsed(i));
    LAGOA_ASSIGN_OR_RETURN(auto cursor, statement->Execute({}));
    while (true) {
      LAGOA_ASSIGN_OR_RETURN(auto chunk, cursor->Next());
      if (chunk == nullptr) break;
      AppendRowLines(*chunk, &rows);
    }
  }
  return rows;
}

// The rows of RunStatements, or one line "error: <status>".
inline std::vector<std::string> RowsOrError(Session& session, std::string_view sql) {
  auto rows = RunStatements(session, sql);
  return rows.ok() ? *rows : std::vector<std::string>{"error: " + rows.status().ToString()};
}

}  // namespace lagoa::sql::testing_util
