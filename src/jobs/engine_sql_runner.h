// EngineSqlRunner: runs a build's statements (models/build_runner.h) on the server's own SQL
// engine, in one session, as POST /v1/sql would: a statement that fails is an answer, not an
// error. Cancel interrupts the running statement and fails every later one, which ends the build
// (a timeout, or the server stopping).
//
// Lifecycle: one per run, made on the worker that runs it. Threads: Run on that worker; Cancel
// from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "models/build_runner.h"
#include "sql/sql_engine.h"

namespace lagoa::jobs {

class EngineSqlRunner final : public models::SqlRunner {
 public:
  static Result<std::unique_ptr<EngineSqlRunner>> Make(sql::SqlEngine* engine);

  Result<models::SqlAnswer> Run(const std::string& sql) override;
  // Interrupts the running statement; Run answers `reason` (a Cancelled status) from then on.
  void Cancel(const std::string& reason);

 private:
  explicit EngineSqlRunner(std::unique_ptr<sql::Session> session) : session_(std::move(session)) {}
  Result<models::SqlAnswer> RunStatements(const std::string& sql);

  std::unique_ptr<sql::Session> session_;
  std::atomic<bool> cancelled_{false};
  std::mutex reason_mu_;
  std::string reason_;  // GUARDED_BY(reason_mu_)
};

}  // namespace lagoa::jobs
