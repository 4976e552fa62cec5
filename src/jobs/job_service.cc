#include "jobs/job_service.h"

#include <fmt/format.h>
#include <pthread.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "base/catch_all.h"
#include "base/clock.h"
#include "base/file_util.h"
#include "base/json_writer.h"
#include "base/metrics.h"
#include "jobs/engine_sql_runner.h"
#include "models/build_runner.h"
#include "models/model_graph.h"
#include "models/project.h"

namespace lagoa::jobs {
namespace {

constexpr std::string_view kPausedFile = "paused.json";

// A deployed file's path: relative, inside the project's own folders, no `..`.
Status CheckDeployPath(std::string_view path) {
  const std::filesystem::path p(path);
  const auto refuse = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format(
        "file `{}`: {}; expected lagoa_project.yml or a path under models/, seeds/, snapshots/ or tests/", path, why));
  };
  if (path.empty() || p.is_absolute()) return refuse("not a relative path");
  for (const auto& part : p) {
    if (part == ".." || part == "." || part.empty()) return refuse("a path with `.` or `..`");
  }
  const std::string first = p.begin()->string();
  if (path == "lagoa_project.yml") return Status::Ok();
  if ((first == "models" || first == "seeds" || first == "snapshots" || first == "tests") &&
      std::distance(p.begin(), p.end()) > 1) {
    return Status::Ok();
  }
  return refuse("outside the project's folders");
}

// vN → N; 0 for any other name.
int64_t VersionOf(const std::filesystem::path& dir) {
  const std::string name = dir.filename().string();
  int64_t n = 0;
  if (name.size() < 2 || name[0] != 'v') return 0;
  auto [end, error] = std::from_chars(name.data() + 1, name.data() + name.size(), n);
  return error == std::errc() && end == name.data() + name.size() ? n : 0;
}

void CountRun(const std::string& job, RunStatus status) {
  MetricsRegistry::Global()
      .GetCounter("lagoa_job_runs_total", "Runs of deployed jobs that ended, by job and status.",
                  {{"job", job}, {"status", std::string(RunStatusName(status))}})
      ->Add();
}

}  // namespace

Status JobServiceOptions::Validate() const {
  if (engine == nullptr) return Status::InvalidArgument("jobs: no SQL engine to run builds on");
  if (runs_concurrent_max < 1 || runs_concurrent_max > 64) {
    return Status::InvalidArgument(fmt::format("jobs_runs_concurrent_max: {}: expected 1 to 64", runs_concurrent_max));
  }
  return Status::Ok();
}

JobService::JobService(JobServiceOptions options)
    : options_(std::move(options)), scheduler_(options_.runs_concurrent_max) {}

Result<std::unique_ptr<JobService>> JobService::Make(JobServiceOptions options) {
  if (!options.now_ms) options.now_ms = [] { return WallNowMicros() / 1000; };
  if (!options.data_version) {
    options.data_version = [](const std::string& name) -> Result<std::string> {
      return Status::NotFound(fmt::format("no upstream `{}`", name));
    };
  }
  LAGOA_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<JobService> service(new JobService(std::move(options)));
  LAGOA_ASSIGN_OR_RETURN(service->history_, RunHistory::Open(service->options_.state_dir, service->options_.runs_kept));
  LAGOA_RETURN_IF_ERROR(CatchAll("loading the deployed projects", [&] { return service->LoadDeployed(); }));
  return service;
}

JobService::~JobService() { Stop(); }

Status JobService::LoadDeployed() {
  const std::filesystem::path paused_path = options_.state_dir / kPausedFile;
  if (Result<std::string> text = ReadWholeFile(paused_path, 16 << 20); text.ok()) {
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(*text).get(object) != simdjson::SUCCESS) {
      return Status::Corruption(fmt::format("{}: not a JSON object of job names", paused_path.string()));
    }
    for (auto field : object) {
      bool paused = false;
      if (field.value.get(paused) == simdjson::SUCCESS) paused_[std::string(field.key)] = paused;
    }
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status();
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.projects_dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", options_.projects_dir.string(), ec.message()));
  std::lock_guard lock(mu_);
  for (const auto& entry : std::filesystem::directory_iterator(options_.projects_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !models::IsPlainIdentifier(name)) continue;
    std::filesystem::path current;
    for (const auto& version : std::filesystem::directory_iterator(entry.path(), ec)) {
      if (VersionOf(version.path()) > VersionOf(current)) current = version.path();
    }
    for (const auto& version : std::filesystem::directory_iterator(entry.path(), ec)) {
      if (version.path() != current) std::filesystem::remove_all(version.path(), ec);  // older, or a deploy cut short
    }
    if (current.empty()) continue;
    auto project = models::LoadProject(current);
    auto jobs = LoadJobSpecs(current, name);
    Status loaded = !project.ok() ? project.status() : !jobs.ok() ? jobs.status() : Status::Ok();
    if (loaded.ok()) loaded = scheduler_.SetProjectJobs(name, *jobs, Now(), history_.get(), paused_);
    if (!loaded.ok()) {
      spdlog::error("jobs: project `{}` ({}) is not scheduled: {}", name, current.string(), loaded.message());
      continue;
    }
    DeployedProject deployed{.name = name, .version = VersionOf(current), .models = project->models.size()};
    auto written = std::filesystem::last_write_time(current, ec);
    if (!ec) {
      deployed.deployed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::file_clock::to_sys(written).time_since_epoch())
                                 .count();
    }
    for (const JobSpec& job : *jobs) deployed.jobs.push_back(job.name);
    projects_[name] = std::move(deployed);
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", options_.projects_dir.string(), ec.message()));
  for (const RunRecord& run : history_->interrupted()) {
    spdlog::warn("jobs: run {} of job `{}` was cut short by a stop or a crash; it is retried if its job allows", run.id,
                 run.job);
    CountRun(run.job, RunStatus::kFailed);
    scheduler_.Interrupted(RunRequest{.job = run.job,
                                      .trigger = run.trigger,
                                      .attempt = run.attempt,
                                      .due_ms = run.due_ms,
                                      .logical_date = run.logical_date,
                                      .upstream_versions = run.upstream_versions},
                           Now());
  }
  return Status::Ok();
}

Status JobService::SavePaused() {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [job, paused] : paused_) w.Key(job).Bool(paused);
  w.EndObject();
  return WriteFileAtomically(options_.state_dir / kPausedFile, w.Take());
}

void JobService::Start() {
  std::lock_guard lock(mu_);
  if (scheduler_thread_.joinable()) return;
  scheduler_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lagoa-jobs");
    SchedulerLoop();
  });
  for (size_t i = 0; i < options_.runs_concurrent_max; ++i) {
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "lagoa-job-run");
      WorkerLoop();
    });
  }
}

void JobService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, running] : running_) {
      if (running.runner != nullptr) running.runner->Cancel(std::string(kInterruptedRunError));
    }
  }
  wake_.notify_all();
  work_cv_.notify_all();
  if (scheduler_thread_.joinable()) scheduler_thread_.join();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void JobService::SchedulerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // The wall clock may jump: look again after a minute at most.
    int64_t wake_ms = Now() + 60'000;
    bool started = false;
    const Status escaped = CatchAll("the job scheduler", [&] {
      if (std::optional<int64_t> wake = ScheduleNow(started)) wake_ms = std::min(wake_ms, *wake);
    });
    if (!escaped.ok()) {
      spdlog::error("jobs: {}", escaped.message());
      wake_ms = Now() + 1000;
    }
    if (started) continue;  // runs were handed to the workers: their deadlines join the next look
    const int64_t wait_ms = std::clamp<int64_t>(wake_ms - Now(), 10, 60'000);
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms));
  }
}

std::optional<int64_t> JobService::ScheduleNow(bool& started) {
  const int64_t now = Now();
  // Runs past their timeout are cancelled; their workers record them failed.
  std::optional<int64_t> wake;
  for (auto& [id, running] : running_) {
    if (running.runner == nullptr) {  // its session is opening: look again soon
      wake = std::min(wake.value_or(now + 100), std::max(now + 100, running.deadline_ms));
      continue;
    }
    if (running.deadline_ms <= now) {
      running.runner->Cancel(fmt::format("timed out after {}", DurationText(running.timeout_ms)));
      running.deadline_ms = INT64_MAX;
    } else {
      wake = std::min(wake.value_or(running.deadline_ms), running.deadline_ms);
    }
  }
  std::vector<RunRequest> due = scheduler_.TakeDue(now, options_.data_version);
  if (!due.empty()) {
    for (RunRequest& request : due) to_start_.push_back(std::move(request));
    work_cv_.notify_all();
    started = true;
  }
  if (std::optional<int64_t> next = scheduler_.NextWakeMs()) wake = std::min(wake.value_or(*next), *next);
  return wake;
}

void JobService::WorkerLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !to_start_.empty(); });
    if (stopping_) return;  // runs not started stay due: the next start takes them again
    RunRequest request = std::move(to_start_.front());
    to_start_.erase(to_start_.begin());
    lock.unlock();
    Execute(request);
    lock.lock();
  }
}

void JobService::Execute(const RunRequest& request) {
  std::optional<JobSpec> spec;
  std::filesystem::path dir;
  RunRecord record{.id = history_->NextId(),
                   .job = request.job,
                   .trigger = request.trigger,
                   .attempt = request.attempt,
                   .due_ms = request.due_ms,
                   .logical_date = request.logical_date,
                   .started_ms = Now(),
                   .upstream_versions = request.upstream_versions};
  {
    std::lock_guard lock(mu_);
    if (auto job = scheduler_.Find(request.job)) {
      spec = job->spec;
      const DeployedProject& project = projects_.at(spec->project);
      dir = options_.projects_dir / project.name / fmt::format("v{}", project.version);
      ++dirs_in_use_[dir];
      record.project = spec->project;
      running_[record.id] = Running{.request = request,
                                    .runner = nullptr,
                                    .timeout_ms = spec->timeout_ms,
                                    .deadline_ms = Now() + spec->timeout_ms};
    }
  }
  if (!spec) return;  // removed by a deploy since it was due
  if (Status put = history_->Put(record); !put.ok()) spdlog::error("jobs: run {}: {}", record.id, put.message());
  bool ended = true;
  const Status escaped = CatchAll(fmt::format("run {} of job `{}`", record.id, record.job),
                                  [&] { ended = Build(*spec, dir, record.id, record); });
  if (!escaped.ok()) {
    record.status = RunStatus::kFailed;
    record.error = escaped.message();
  }
  record.finished_ms = Now();
  const bool ok = record.status == RunStatus::kSucceeded;
  if (ended) {
    if (Status put = history_->Put(record); !put.ok()) spdlog::error("jobs: run {}: {}", record.id, put.message());
    CountRun(record.job, record.status);
    if (ok) {
      spdlog::info("jobs: run {} of `{}` succeeded in {:.2f} s ({} row{} written)", record.id, record.job,
                   static_cast<double>(record.finished_ms - record.started_ms) / 1000, record.rows_written,
                   record.rows_written == 1 ? "" : "s");
    } else {
      spdlog::warn("jobs: run {} of `{}` (attempt {}) failed: {}", record.id, record.job, record.attempt, record.error);
    }
  }
  {
    std::lock_guard lock(mu_);
    running_.erase(record.id);
    Release(dir);
    if (ended) scheduler_.Finished(request, ok, Now());
  }
  wake_.notify_all();
}

bool JobService::Build(const JobSpec& spec, const std::filesystem::path& dir, int64_t run_id, RunRecord& record) {
  const auto fail = [&](const Status& status) {
    record.status = RunStatus::kFailed;
    record.error = status.message();
    return true;
  };
  auto project = models::LoadProject(dir);
  if (!project.ok()) return fail(project.status());
  auto graph = models::ModelGraph::Make(*project);
  if (!graph.ok()) return fail(graph.status());
  auto selected = graph->Select(models::SelectsByName(spec.steps) ? "" : spec.select, spec.exclude);
  if (!selected.ok()) return fail(selected.status());
  auto runner = EngineSqlRunner::Make(options_.engine);
  if (!runner.ok()) return fail(runner.status());
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    running_.at(run_id).runner = runner->get();
  }
  wake_.notify_all();  // the scheduler thread now watches its deadline
  models::BuildOptions options = models::SelectionOptions(spec.steps, spec.select, spec.exclude);
  options.full_refresh = spec.full_refresh;
  options.vars = spec.vars;
  options.vars["logical_date"] = record.logical_date;
  options.vars["run_id"] = std::to_string(record.id);
  options.sql_bytes_max = options_.sql_bytes_max;
  Result<models::BuildSummary> summary = Status::Internal("the build did not run");
  // The runner stays registered until the build is over, whatever way it ends.
  const Status escaped = CatchAll(fmt::format("run {} of job `{}`", record.id, spec.name), [&] {
    summary = models::RunBuild(*project, *graph, *selected, options, **runner, [&](const models::BuildStep& step) {
      record.steps.push_back(RunStep{.name = step.name,
                                     .kind = step.kind,
                                     .outcome = std::string(models::StepOutcomeName(step.outcome)),
                                     .seconds = step.seconds,
                                     .rows = step.is_test ? step.failing_rows : step.changed_rows,
                                     .message = step.message});
      if (!step.is_test && step.changed_rows > 0) record.rows_written += step.changed_rows;
    });
  });
  if (!escaped.ok()) summary = escaped;
  {
    std::lock_guard lock(mu_);
    running_.at(run_id).runner = nullptr;
    if (!summary.ok() && summary.status().code() == StatusCode::kCancelled && stopping_) return false;
  }
  if (!summary.ok()) return fail(summary.status());
  if (summary->ok()) {
    record.status = RunStatus::kSucceeded;
    return true;
  }
  record.status = RunStatus::kFailed;
  std::vector<std::string> parts;
  if (summary->failed > 0) parts.push_back(fmt::format("{} failed", summary->failed));
  if (summary->tests_failed > 0) parts.push_back(fmt::format("{} tests failed", summary->tests_failed));
  if (summary->skipped + summary->tests_skipped > 0) {
    parts.push_back(fmt::format("{} skipped", summary->skipped + summary->tests_skipped));
  }
  record.error = fmt::format("{}", fmt::join(parts, ", "));
  for (const RunStep& step : record.steps) {
    if (step.outcome == "failed") {
      record.error += fmt::format("; first: {} {}: {}", step.kind, step.name,
                                  step.message.empty() ? fmt::format("{} failing rows", step.rows) : step.message);
      break;
    }
  }
  return true;
}

void JobService::Release(const std::filesystem::path& dir) {
  if (dir.empty()) return;
  auto it = dirs_in_use_.find(dir);
  if (it != dirs_in_use_.end() && --it->second > 0) return;
  if (it != dirs_in_use_.end()) dirs_in_use_.erase(it);
  const std::string name = dir.parent_path().filename().string();
  auto project = projects_.find(name);
  if (project != projects_.end() && VersionOf(dir) == project->second.version) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

Result<DeployedProject> JobService::Deploy(const std::string& name, const std::vector<DeployFile>& files) {
  if (!models::IsPlainIdentifier(name)) {
    return Status::InvalidArgument(
        fmt::format("`{}` cannot name a project: expected letters, digits and _ (not first a digit), at most {} bytes",
                    name, models::kModelNameBytesMax));
  }
  if (files.size() > kDeployFilesMax) {
    return Status::InvalidArgument(fmt::format("{} files; a project holds at most {}", files.size(), kDeployFilesMax));
  }
  size_t bytes = 0;
  bool has_project_file = false;
  for (const DeployFile& file : files) {
    LAGOA_RETURN_IF_ERROR(CheckDeployPath(file.path));
    bytes += file.contents.size();
    has_project_file = has_project_file || file.path == "lagoa_project.yml";
  }
  if (bytes > kDeployBytesMax) {
    return Status::InvalidArgument(
        fmt::format("{} bytes of files; a project holds at most {}", bytes, kDeployBytesMax));
  }
  if (!has_project_file) return Status::InvalidArgument("no lagoa_project.yml among the files");
  const std::filesystem::path project_dir = options_.projects_dir / name;
  const std::filesystem::path staging = project_dir / fmt::format(".staging-{}", MonotonicNowNanos());
  std::error_code ec;
  std::filesystem::create_directories(staging, ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", staging.string(), ec.message()));
  const auto discard = [&](const Status& status) {
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
    return status;
  };
  for (const DeployFile& file : files) {
    const std::filesystem::path path = staging / file.path;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec)
      return discard(Status::IoError(fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message())));
    if (Status written = WriteFileAtomically(path, file.contents); !written.ok()) return discard(written);
  }
  auto project = models::LoadProject(staging);
  if (!project.ok()) return discard(project.status());
  if (project->name != name) {
    return discard(Status::InvalidArgument(
        fmt::format("lagoa_project.yml names the project `{}`, not `{}`", project->name, name)));
  }
  auto graph = models::ModelGraph::Make(*project);
  if (!graph.ok()) return discard(graph.status());
  auto jobs = LoadJobSpecs(staging, name);
  if (!jobs.ok()) return discard(jobs.status());
  for (const JobSpec& job : *jobs) {
    if (auto selected = graph->Select(job.select, job.exclude); !selected.ok()) {
      return discard(selected.status().WithContext(fmt::format("{}: job `{}`", job.where, job.name)));
    }
  }

  std::unique_lock lock(mu_);
  for (const JobSpec& job : *jobs) {
    if (scheduler_.NameTakenElsewhere(job.name, name)) {
      lock.unlock();
      return discard(
          Status::AlreadyExists(fmt::format("{}: job `{}` is a job of another project; job names are unique "
                                            "on a server",
                                            job.where, job.name)));
    }
  }
  DeployedProject deployed{.name = name, .version = 1, .deployed_ms = Now(), .models = project->models.size()};
  if (auto old = projects_.find(name); old != projects_.end()) deployed.version = old->second.version + 1;
  const std::filesystem::path dir = project_dir / fmt::format("v{}", deployed.version);
  if (Status renamed = RenameFile(staging, dir); !renamed.ok()) {
    lock.unlock();
    return discard(renamed);
  }
  SyncDir(project_dir).IgnoreError();  // lost in a crash: the previous version stays deployed
  for (const JobSpec& job : *jobs) deployed.jobs.push_back(job.name);
  const std::filesystem::path previous =
      projects_.contains(name) ? project_dir / fmt::format("v{}", projects_[name].version) : std::filesystem::path();
  Status scheduled = scheduler_.SetProjectJobs(name, std::move(*jobs), Now(), history_.get(), paused_);
  if (!scheduled.ok()) {
    std::filesystem::remove_all(dir, ec);
    return scheduled;
  }
  projects_[name] = deployed;
  if (!previous.empty() && !dirs_in_use_.contains(previous)) std::filesystem::remove_all(previous, ec);
  lock.unlock();
  wake_.notify_all();
  spdlog::info("jobs: project `{}` deployed (version {}, {} models, {} jobs)", name, deployed.version, deployed.models,
               deployed.jobs.size());
  return deployed;
}

Status JobService::Remove(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = projects_.find(name);
  if (it == projects_.end()) return Status::NotFound(fmt::format("no project `{}` is deployed", name));
  scheduler_.RemoveProject(name);
  const std::filesystem::path dir = options_.projects_dir / name / fmt::format("v{}", it->second.version);
  projects_.erase(it);
  std::error_code ec;
  if (!dirs_in_use_.contains(dir)) std::filesystem::remove_all(options_.projects_dir / name, ec);
  return Status::Ok();
}

std::vector<DeployedProject> JobService::Projects() const {
  std::lock_guard lock(mu_);
  std::vector<DeployedProject> out;
  for (const auto& [name, project] : projects_) out.push_back(project);
  return out;
}

std::vector<JobView> JobService::Jobs() const {
  std::lock_guard lock(mu_);
  return scheduler_.List();
}

std::optional<JobView> JobService::Job(const std::string& name) const {
  std::lock_guard lock(mu_);
  return scheduler_.Find(name);
}

Status JobService::Trigger(const std::string& job) {
  {
    std::lock_guard lock(mu_);
    LAGOA_RETURN_IF_ERROR(scheduler_.Trigger(job, Now()));
  }
  wake_.notify_all();
  return Status::Ok();
}

Result<size_t> JobService::Backfill(const std::string& job, std::string_view from, std::string_view to) {
  std::unique_lock lock(mu_);
  Result<size_t> days = scheduler_.Backfill(job, from, to);
  lock.unlock();
  wake_.notify_all();
  return days;
}

Status JobService::SetPaused(const std::string& job, bool paused) {
  std::lock_guard lock(mu_);
  LAGOA_RETURN_IF_ERROR(scheduler_.SetPaused(job, paused));
  paused_[job] = paused;
  LAGOA_RETURN_IF_ERROR(SavePaused());
  wake_.notify_all();
  return Status::Ok();
}

}  // namespace lagoa::jobs
