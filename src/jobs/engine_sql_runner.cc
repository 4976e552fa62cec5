#include "jobs/engine_sql_runner.h"

#include <fmt/format.h>

#include "sql/result_chunk.h"

namespace lagoa::jobs {
namespace {

// A build reads small results (the catalog, a failing test's first rows); a statement answering
// more keeps only these.
constexpr size_t kRowsKeptMax = 100'000;

}  // namespace

Result<std::unique_ptr<EngineSqlRunner>> EngineSqlRunner::Make(sql::SqlEngine* engine) {
  LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<sql::Session> session, engine->OpenSession());
  return std::unique_ptr<EngineSqlRunner>(new EngineSqlRunner(std::move(session)));
}

void EngineSqlRunner::Cancel(const std::string& reason) {
  {
    std::lock_guard lock(reason_mu_);
    if (reason_.empty()) reason_ = reason;
  }
  cancelled_.store(true);
  session_->Cancel();
}

Result<models::SqlAnswer> EngineSqlRunner::Run(const std::string& sql) {
  Result<models::SqlAnswer> answer = RunStatements(sql);
  // A statement the cancel interrupted fails like any other; the build must stop instead.
  if (cancelled_.load()) {
    std::lock_guard lock(reason_mu_);
    return Status::Cancelled(reason_);
  }
  return answer;
}

Result<models::SqlAnswer> EngineSqlRunner::RunStatements(const std::string& sql) {
  models::SqlAnswer answer;
  const auto fail = [&](const Status& status) {
    answer.error = status.message();
    return answer;
  };
  Result<size_t> count = session_->Parse(sql);
  if (!count.ok()) return fail(count.status());
  std::unique_ptr<sql::Cursor> cursor;
  for (size_t i = 0; i < *count; ++i) {
    cursor.reset();
    Result<std::unique_ptr<sql::Statement>> statement = session_->PrepareParsed(i);
    if (!statement.ok()) return fail(statement.status());
    Result<std::unique_ptr<sql::Cursor>> executed = (*statement)->Execute({});
    if (!executed.ok()) return fail(executed.status());
    cursor = std::move(*executed);
  }
  if (cursor == nullptr) return fail(Status::InvalidArgument("the text holds no SQL statement"));
  while (true) {
    Result<std::unique_ptr<sql::ResultChunk>> chunk = cursor->Next();
    if (!chunk.ok()) return fail(chunk.status());
    if (*chunk == nullptr) break;
    const sql::ResultChunk& rows = **chunk;
    for (size_t r = 0; r < rows.row_count() && answer.rows.size() < kRowsKeptMax; ++r) {
      std::vector<std::string> cells(rows.column_count());
      for (size_t c = 0; c < rows.column_count(); ++c) {
        if (rows.IsNull(c, r)) {
          cells[c].push_back('-');  // as the CLI shows NULL
        } else {
          rows.AppendText(c, r, &cells[c]);
        }
      }
      answer.rows.push_back(std::move(cells));
    }
  }
  answer.ok = true;
  answer.changed_rows = cursor->changed_rows();
  return answer;
}

}  // namespace lagoa::jobs
