// RunHistory: every run of every job, kept in `<data dir>/jobs/runs.ndjson` so that `lagoa jobs
// runs`, GET /v1/jobs/NAME/runs and the scheduler's catch-up survive a restart.
//
// Format: one JSON object per line, a run's whole record each time it changes (when it starts and
// when it ends); on load the last line of a run id wins. A run whose last line says `running`
// was cut short by a crash or a kill: Open marks it failed ("the server stopped during the run"),
// and the scheduler retries it by its job's policy. The file keeps the newest `runs_kept` runs:
// when it holds twice as many lines, it is rewritten (temporary file, fsync, rename). A torn
// last line (a crash mid-write) is dropped on load.
//
// Lifecycle: Open → any calls → destroyed. Threads: every method is safe from any thread (one
// mutex; a line is written and flushed under it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace lagoa::jobs {

// The error of a run a crash, a kill or a stop cut short.
inline constexpr std::string_view kInterruptedRunError = "the server stopped during the run";

enum class RunStatus { kRunning, kSucceeded, kFailed };
std::string_view RunStatusName(RunStatus status);

// One step of a run: a model built, a test run, a seed or a snapshot.
struct RunStep {
  std::string name;
  std::string kind;     // a materialization, "test", "seed", "snapshot"
  std::string outcome;  // built, passed, warned, failed, skipped
  double seconds = 0;
  int64_t rows = -1;    // rows written (a model), failing rows (a test); -1 unknown
  std::string message;  // the error, or why it was skipped
};

struct RunRecord {
  int64_t id = 0;  // increasing over the server's life
  std::string job;
  std::string project;
  std::string trigger;       // schedule, catch-up, retry, manual, backfill, new data
  int attempt = 1;           // 1 for the first try of a due time
  int64_t due_ms = 0;        // the time the run is for (its schedule's time, the backfill's day)
  std::string logical_date;  // YYYY-MM-DD of due_ms in the job's time zone; the var `logical_date`
  int64_t started_ms = 0;
  int64_t finished_ms = 0;  // 0 while running
  RunStatus status = RunStatus::kRunning;
  std::string error;  // a failed run's reason, in words
  int64_t rows_written = 0;
  std::map<std::string, std::string> upstream_versions;  // on_new_data jobs: what the run saw
  std::vector<RunStep> steps;
};

std::string RunRecordJson(const RunRecord& run);

class RunHistory {
 public:
  static Result<std::unique_ptr<RunHistory>> Open(const std::filesystem::path& dir, size_t runs_kept = 10'000);
  ~RunHistory();
  RunHistory(const RunHistory&) = delete;
  RunHistory& operator=(const RunHistory&) = delete;

  int64_t NextId();
  // Records the run's new state (a line appended and flushed).
  Status Put(const RunRecord& run);

  // The newest first; `job` empty: every job's.
  std::vector<RunRecord> List(const std::string& job, size_t limit) const;
  std::optional<RunRecord> Find(int64_t id) const;
  // The job's newest run, if any.
  std::optional<RunRecord> Latest(const std::string& job) const;
  // The newest due time among the job's scheduled runs (schedule and catch-up triggers): where
  // catch-up starts after a restart.
  std::optional<int64_t> LastScheduledDueMs(const std::string& job) const;
  // The runs Open found cut short (now failed), oldest first: the scheduler retries them.
  const std::vector<RunRecord>& interrupted() const { return interrupted_; }

 private:
  RunHistory(std::filesystem::path path, size_t runs_kept) : path_(std::move(path)), runs_kept_(runs_kept) {}
  Status Load();
  Status AppendLine(const std::string& line);  // REQUIRES: mu_ held
  Status Rewrite();                            // REQUIRES: mu_ held

  const std::filesystem::path path_;
  const size_t runs_kept_;
  mutable std::mutex mu_;
  std::map<int64_t, RunRecord> runs_;  // by id
  int64_t next_id_ = 1;
  size_t lines_ = 0;
  int fd_ = -1;
  std::vector<RunRecord> interrupted_;
};

}  // namespace lagoa::jobs
