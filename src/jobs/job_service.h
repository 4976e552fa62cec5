// JobService: the projects deployed to this server and the runs of their jobs (job_spec.h): it
// keeps each project's files, decides with a Scheduler when a job runs, runs it on the server's
// own SQL engine (models/build_runner.h, EngineSqlRunner) and records every run in a RunHistory.
//
// Files, under the data directory:
//   projects/NAME/vN/…   the files of deploy N of project NAME (lagoa_project.yml, models/, …);
//                        a deploy writes vN+1 and removes the versions no run still reads
//   jobs/runs.ndjson     the run history (run_history.h)
//   jobs/paused.json     the jobs paused or resumed by hand, which outlive deploys and restarts
//
// A run that a crash, a kill or a stop cuts short stays `running` in the history; the next start
// marks it failed and retries it by its job's policy. Every table a run writes is replaced in one
// lake commit (models/build_plan.h), so a cut-short run leaves each table at its old version or
// its new one.
//
// Lifecycle: Make (loads the deployed projects and the history) → Start → Stop (cancels the
// running runs) → destroyed; the SQL engine must outlive it. Threads: one scheduler thread
// (`lagoa-jobs`) and `runs_concurrent_max` run workers (`lagoa-job-run`); the public methods are
// safe from any thread (front doors call them) and return after a disk write at most.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "jobs/run_history.h"
#include "jobs/scheduler.h"

namespace lagoa::sql {
class SqlEngine;
}

namespace lagoa::jobs {

class EngineSqlRunner;

inline constexpr size_t kDeployFilesMax = 10'000;
inline constexpr size_t kDeployBytesMax = 64ull << 20;

struct JobServiceOptions {
  std::filesystem::path projects_dir;  // <data dir>/projects
  std::filesystem::path state_dir;     // <data dir>/jobs
  size_t runs_concurrent_max = 2;      // runs at once, over all jobs
  size_t runs_kept = 10'000;
  size_t sql_bytes_max = 256 << 10;  // the engine's text_bytes_max (seeds are loaded in pieces under it)
  sql::SqlEngine* engine = nullptr;
  Scheduler::VersionFn data_version;  // an on_new_data upstream's version
  std::function<int64_t()> now_ms;    // the wall clock, in ms since the epoch; tests move it

  Status Validate() const;
};

struct DeployFile {
  std::string path;  // relative: lagoa_project.yml, models/a.sql, seeds/b.csv, …
  std::string contents;
};

struct DeployedProject {
  std::string name;
  int64_t version = 0;  // 1 for the first deploy
  int64_t deployed_ms = 0;
  size_t models = 0;
  std::vector<std::string> jobs;
};

class JobService {
 public:
  static Result<std::unique_ptr<JobService>> Make(JobServiceOptions options);
  ~JobService();
  JobService(const JobService&) = delete;
  JobService& operator=(const JobService&) = delete;

  void Start();
  void Stop();

  // Checks the files as `lagoa build` would (the project loads, its models form a graph, its
  // jobs parse, their names are free), then makes them the project's current version and
  // schedules its jobs. Errors name the file, line and column; nothing changes then.
  Result<DeployedProject> Deploy(const std::string& name, const std::vector<DeployFile>& files);
  Status Remove(const std::string& name);  // its jobs stop being scheduled; running runs finish
  std::vector<DeployedProject> Projects() const;

  std::vector<JobView> Jobs() const;
  std::optional<JobView> Job(const std::string& name) const;
  Status Trigger(const std::string& job);
  Result<size_t> Backfill(const std::string& job, std::string_view from, std::string_view to);
  Status SetPaused(const std::string& job, bool paused);
  const RunHistory& history() const { return *history_; }

 private:
  struct Running {
    RunRequest request;
    EngineSqlRunner* runner = nullptr;  // null until the run's session is open
    int64_t timeout_ms = 0;
    int64_t deadline_ms = 0;
  };

  explicit JobService(JobServiceOptions options);
  Status LoadDeployed();
  Status SavePaused();  // REQUIRES: mu_ held
  void SchedulerLoop();
  // One look: cancels runs past their timeout, hands due runs to the workers (`started`); when to
  // look next.
  std::optional<int64_t> ScheduleNow(bool& started);  // REQUIRES: mu_ held
  void WorkerLoop();
  void Execute(const RunRequest& request);
  // Runs the build of `record`'s job from the project version at `dir`; fills its steps,
  // status and error. False when the stop cut it short (the record is then left running).
  bool Build(const JobSpec& spec, const std::filesystem::path& dir, int64_t run_id, RunRecord& record);
  void Release(const std::filesystem::path& dir);  // REQUIRES: mu_ held
  int64_t Now() const { return options_.now_ms(); }

  const JobServiceOptions options_;
  std::unique_ptr<RunHistory> history_;

  mutable std::mutex mu_;
  std::condition_variable wake_;                      // the scheduler thread: work, a finished run, Stop
  std::condition_variable work_cv_;                   // the workers: a run to start, Stop
  Scheduler scheduler_;                               // GUARDED_BY(mu_)
  std::map<std::string, DeployedProject> projects_;   // GUARDED_BY(mu_), by name
  std::map<std::string, bool> paused_;                // GUARDED_BY(mu_): set by hand
  std::map<std::filesystem::path, int> dirs_in_use_;  // GUARDED_BY(mu_): project versions runs read
  std::vector<RunRequest> to_start_;                  // GUARDED_BY(mu_): handed to workers
  std::map<int64_t, Running> running_;                // GUARDED_BY(mu_), by run id
  bool stopping_ = false;                             // GUARDED_BY(mu_)
  std::thread scheduler_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace lagoa::jobs
