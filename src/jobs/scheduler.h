// Scheduler: decides which job runs start when; it runs nothing itself and reads no clock (the
// caller passes the time), so tests drive it through days, DST changes and retries in
// microseconds.
//
// - Scheduled times (cron, every) queue a run when they pass; a time that passes while the job's
//   previous scheduled run still waits or runs is merged into it, so a slow job never piles up
//   runs. A job never runs twice at once; at most `runs_concurrent_max` runs start in all.
// - on_new_data jobs look at their upstreams' versions every check_every and queue a run when one
//   differs from what their last run saw (the first look after a deploy always does).
// - A failed run is tried again `retries` times, after retry_delay doubled each time up to
//   retry_delay_max, less up to a quarter at random so that jobs failing together spread out.
// - Catch-up: a job the history shows last scheduled before a restart gets the latest `catch_up`
//   of the times it missed, never more.
// - A paused job starts nothing; the scheduled times it misses are dropped, not caught up.
//
// Lifecycle: made empty; SetProjectJobs on every deploy. Threads: none of its own; not
// thread-safe: the caller holds one lock around every call.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "jobs/job_spec.h"

namespace lagoa::jobs {

class RunHistory;

// A run to start (or waiting to).
struct RunRequest {
  std::string job;
  std::string trigger;  // schedule, catch-up, retry, manual, backfill, new data
  int attempt = 1;
  int64_t due_ms = 0;
  std::string logical_date;  // backfill: the day; otherwise the day of due_ms in the job's zone
  std::map<std::string, std::string> upstream_versions;
  int64_t not_before_ms = 0;  // retries wait
};

struct JobView {
  JobSpec spec;
  bool paused = false;
  bool running = false;
  std::optional<int64_t> next_due_ms;
  size_t queued = 0;
};

class Scheduler {
 public:
  // An upstream's version (any text that changes when it gets data); an error skips the check.
  using VersionFn = std::function<Result<std::string>(const std::string& name)>;

  explicit Scheduler(size_t runs_concurrent_max, uint64_t seed = std::random_device()());

  // Replaces `project`'s jobs: a job kept by name keeps its queue, pause and running state; its
  // next time is recomputed after `now_ms`. `history` (may be null) gives catch-up's start for a
  // job this scheduler did not have; `paused` the pauses set by hand, which outlive deploys.
  // Errors: a job name another project has (nothing changes then).
  Status SetProjectJobs(const std::string& project, std::vector<JobSpec> jobs, int64_t now_ms,
                        const RunHistory* history, const std::map<std::string, bool>& paused);
  void RemoveProject(const std::string& project);
  // Whether a job of that name belongs to another project than `project`.
  bool NameTakenElsewhere(const std::string& job, const std::string& project) const;

  // The runs that start now (their jobs are marked running), within the free slots.
  std::vector<RunRequest> TakeDue(int64_t now_ms, const VersionFn& version);
  // A run ended; a failed one is queued again if its job allows another attempt.
  void Finished(const RunRequest& run, bool ok, int64_t now_ms);
  // A run a crash cut short (RunHistory::interrupted): retried as a failed one would be.
  void Interrupted(const RunRequest& run, int64_t now_ms);
  // The earliest time TakeDue may have something to start; nullopt: only a call can make work.
  std::optional<int64_t> NextWakeMs() const;

  Status Trigger(const std::string& job, int64_t now_ms);
  // One run per day from `from` to `to` (YYYY-MM-DD, inclusive), oldest first; at most 1,000.
  Result<size_t> Backfill(const std::string& job, std::string_view from, std::string_view to);
  Status SetPaused(const std::string& job, bool paused);

  std::vector<JobView> List() const;
  std::optional<JobView> Find(const std::string& job) const;
  size_t running() const { return running_; }

  // The day (YYYY-MM-DD) of `ms` in the job's time zone (its cron's, else UTC).
  static std::string LogicalDate(const JobSpec& spec, int64_t ms);

 private:
  struct JobState {
    JobSpec spec;
    bool paused = false;
    bool running = false;
    std::optional<int64_t> next_due_ms;
    int64_t next_check_ms = 0;
    std::map<std::string, std::string> seen_versions;
    std::deque<RunRequest> queue;
  };

  void Schedule(JobState& state, int64_t now_ms);
  void CheckUpstreams(JobState& state, int64_t now_ms, const VersionFn& version);
  void CatchUp(JobState& state, int64_t last_due_ms, int64_t now_ms);
  void Retry(JobState& state, const RunRequest& run, int64_t now_ms);
  JobState* Get(const std::string& job);
  static JobView ViewOf(const JobState& state);

  const size_t runs_concurrent_max_;
  std::mt19937_64 random_;
  std::map<std::string, JobState> jobs_;  // by name
  size_t running_ = 0;
};

}  // namespace lagoa::jobs
