#include "jobs/scheduler.h"

#include <absl/time/civil_time.h>
#include <fmt/format.h>

#include <algorithm>

#include "jobs/run_history.h"

namespace lagoa::jobs {
namespace {

constexpr size_t kBackfillDaysMax = 1000;
// Catch-up walks the missed times one by one; past this many it keeps the latest it found.
constexpr int kCatchUpStepsMax = 100'000;

// YYYY-MM-DD exactly (absl alone also takes 2024-1-1).
bool ParseDay(std::string_view text, absl::CivilDay* day) {
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
  return shaped && absl::ParseCivilTime(absl::string_view(text.data(), text.size()), day);
}

bool HasQueued(const std::deque<RunRequest>& queue, std::string_view trigger) {
  return std::any_of(queue.begin(), queue.end(), [&](const RunRequest& r) { return r.trigger == trigger; });
}

absl::TimeZone ZoneOf(const JobSpec& spec) { return spec.cron ? spec.cron->zone() : absl::UTCTimeZone(); }

std::string DayText(absl::CivilDay day) { return fmt::format("{:04}-{:02}-{:02}", day.year(), day.month(), day.day()); }

}  // namespace

Scheduler::Scheduler(size_t runs_concurrent_max, uint64_t seed)
    : runs_concurrent_max_(std::max<size_t>(1, runs_concurrent_max)), random_(seed) {}

std::string Scheduler::LogicalDate(const JobSpec& spec, int64_t ms) {
  return DayText(absl::ToCivilDay(absl::FromUnixMillis(ms), ZoneOf(spec)));
}

bool Scheduler::NameTakenElsewhere(const std::string& job, const std::string& project) const {
  auto it = jobs_.find(job);
  return it != jobs_.end() && it->second.spec.project != project;
}

Status Scheduler::SetProjectJobs(const std::string& project, std::vector<JobSpec> jobs, int64_t now_ms,
                                 const RunHistory* history, const std::map<std::string, bool>& paused) {
  for (const JobSpec& job : jobs) {
    if (NameTakenElsewhere(job.name, project)) {
      return Status::AlreadyExists(
          fmt::format("{}: job `{}` is already a job of project `{}`; job names are unique "
                      "on a server",
                      job.where, job.name, jobs_.at(job.name).spec.project));
    }
  }
  std::map<std::string, JobState> kept;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.spec.project == project) {
      kept.insert(jobs_.extract(it++));
    } else {
      ++it;
    }
  }
  for (JobSpec& job : jobs) {
    JobState state;
    const bool known = kept.contains(job.name);
    if (known) {
      state = std::move(kept.at(job.name));
      kept.erase(job.name);
    }
    const auto pause = paused.find(job.name);
    state.paused = pause != paused.end() ? pause->second : (known ? state.paused : job.paused);
    state.spec = std::move(job);
    state.next_due_ms.reset();
    Schedule(state, now_ms);
    if (!known && history != nullptr && !state.paused) {
      if (std::optional<int64_t> last = history->LastScheduledDueMs(state.spec.name)) {
        CatchUp(state, *last, now_ms);
      }
    }
    if (!known && history != nullptr) {
      if (std::optional<RunRecord> latest = history->Latest(state.spec.name)) {
        state.seen_versions = latest->upstream_versions;
      }
    }
    jobs_[state.spec.name] = std::move(state);
  }
  // A job the deploy removed while it ran is forgotten; its run still ends through Finished.
  for (auto& [name, state] : kept) {
    if (state.running) --running_;
  }
  return Status::Ok();
}

void Scheduler::RemoveProject(const std::string& project) {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.spec.project == project) {
      if (it->second.running) --running_;
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

void Scheduler::Schedule(JobState& state, int64_t now_ms) {
  Result<std::optional<int64_t>> next = state.spec.NextDueAfter(now_ms);
  state.next_due_ms = next.ok() ? *next : std::nullopt;
}

void Scheduler::CatchUp(JobState& state, int64_t last_due_ms, int64_t now_ms) {
  if (state.spec.catch_up == 0) return;
  std::deque<int64_t> missed;
  int64_t t = last_due_ms;
  for (int i = 0; i < kCatchUpStepsMax; ++i) {
    Result<std::optional<int64_t>> next = state.spec.NextDueAfter(t);
    if (!next.ok() || !*next || **next > now_ms) break;
    t = **next;
    missed.push_back(t);
    if (missed.size() > static_cast<size_t>(state.spec.catch_up)) missed.pop_front();
  }
  for (int64_t due : missed) {
    state.queue.push_back(RunRequest{
        .job = state.spec.name, .trigger = "catch-up", .due_ms = due, .logical_date = LogicalDate(state.spec, due)});
  }
}

void Scheduler::CheckUpstreams(JobState& state, int64_t now_ms, const VersionFn& version) {
  if (state.spec.schedule != ScheduleKind::kOnNewData || now_ms < state.next_check_ms) return;
  state.next_check_ms = now_ms + state.spec.check_interval_ms;
  if (state.running || HasQueued(state.queue, "new data")) return;
  std::map<std::string, std::string> versions;
  for (const std::string& upstream : state.spec.upstreams) {
    Result<std::string> v = version(upstream);
    if (!v.ok()) return;  // an upstream not there yet: look again next time
    versions[upstream] = std::move(*v);
  }
  if (versions == state.seen_versions) return;
  state.seen_versions = versions;
  state.queue.push_back(RunRequest{.job = state.spec.name,
                                   .trigger = "new data",
                                   .due_ms = now_ms,
                                   .logical_date = LogicalDate(state.spec, now_ms),
                                   .upstream_versions = std::move(versions)});
}

std::vector<RunRequest> Scheduler::TakeDue(int64_t now_ms, const VersionFn& version) {
  for (auto& [name, state] : jobs_) {
    if (state.next_due_ms && *state.next_due_ms <= now_ms) {
      const int64_t due = *state.next_due_ms;
      if (!state.paused && !HasQueued(state.queue, "schedule")) {
        state.queue.push_back(RunRequest{
            .job = name, .trigger = "schedule", .due_ms = due, .logical_date = LogicalDate(state.spec, due)});
      }
      Schedule(state, now_ms);  // the times missed within the wait are merged, not queued
    }
    if (!state.paused) CheckUpstreams(state, now_ms, version);
  }
  std::vector<RunRequest> out;
  while (running_ < runs_concurrent_max_) {
    // The job whose first waiting run may start soonest (retries wait), oldest due time first.
    JobState* pick = nullptr;
    for (auto& [name, state] : jobs_) {
      if (state.paused || state.running || state.queue.empty() || state.queue.front().not_before_ms > now_ms) continue;
      if (pick == nullptr || state.queue.front().due_ms < pick->queue.front().due_ms) pick = &state;
    }
    if (pick == nullptr) break;
    out.push_back(std::move(pick->queue.front()));
    pick->queue.pop_front();
    pick->running = true;
    ++running_;
  }
  return out;
}

void Scheduler::Retry(JobState& state, const RunRequest& run, int64_t now_ms) {
  if (run.attempt > state.spec.retries) return;
  int64_t delay = state.spec.retry_delay_ms;
  for (int i = 1; i < run.attempt && delay < state.spec.retry_delay_max_ms; ++i) delay *= 2;
  delay = std::min(delay, state.spec.retry_delay_max_ms);
  delay -= static_cast<int64_t>(std::uniform_real_distribution<double>(0, 0.25)(random_) * static_cast<double>(delay));
  RunRequest again = run;
  again.trigger = "retry";
  again.attempt = run.attempt + 1;
  again.not_before_ms = now_ms + delay;
  state.queue.push_front(std::move(again));
}

void Scheduler::Finished(const RunRequest& run, bool ok, int64_t now_ms) {
  JobState* state = Get(run.job);
  if (state == nullptr || !state->running) return;  // removed by a deploy meanwhile
  state->running = false;
  --running_;
  if (!ok) Retry(*state, run, now_ms);
}

void Scheduler::Interrupted(const RunRequest& run, int64_t now_ms) {
  JobState* state = Get(run.job);
  if (state != nullptr) Retry(*state, run, now_ms);
}

std::optional<int64_t> Scheduler::NextWakeMs() const {
  std::optional<int64_t> wake;
  const auto consider = [&](int64_t t) { wake = std::min(wake.value_or(t), t); };
  for (const auto& [name, state] : jobs_) {
    if (state.next_due_ms) consider(*state.next_due_ms);
    if (state.paused) continue;
    if (state.spec.schedule == ScheduleKind::kOnNewData) consider(state.next_check_ms);
    // With every slot taken, a waiting run starts when one ends (Finished), not at a time.
    if (running_ < runs_concurrent_max_ && !state.running && !state.queue.empty()) {
      consider(state.queue.front().not_before_ms);
    }
  }
  return wake;
}

JobView Scheduler::ViewOf(const JobState& state) {
  return JobView{.spec = state.spec,
                 .paused = state.paused,
                 .running = state.running,
                 .next_due_ms = state.next_due_ms,
                 .queued = state.queue.size()};
}

Scheduler::JobState* Scheduler::Get(const std::string& job) {
  auto it = jobs_.find(job);
  return it == jobs_.end() ? nullptr : &it->second;
}

Status Scheduler::Trigger(const std::string& job, int64_t now_ms) {
  JobState* state = Get(job);
  if (state == nullptr) return Status::NotFound(fmt::format("no job `{}` (lagoa jobs list shows them)", job));
  state->queue.push_back(
      RunRequest{.job = job, .trigger = "manual", .due_ms = now_ms, .logical_date = LogicalDate(state->spec, now_ms)});
  return Status::Ok();
}

Result<size_t> Scheduler::Backfill(const std::string& job, std::string_view from, std::string_view to) {
  JobState* state = Get(job);
  if (state == nullptr) return Status::NotFound(fmt::format("no job `{}` (lagoa jobs list shows them)", job));
  absl::CivilDay first;
  absl::CivilDay last;
  if (!ParseDay(from, &first)) {
    return Status::InvalidArgument(fmt::format("from `{}`: expected a date, YYYY-MM-DD", from));
  }
  if (!ParseDay(to, &last)) {
    return Status::InvalidArgument(fmt::format("to `{}`: expected a date, YYYY-MM-DD", to));
  }
  if (last < first) return Status::InvalidArgument(fmt::format("to {} is before from {}", to, from));
  if (last - first >= static_cast<int64_t>(kBackfillDaysMax)) {
    return Status::InvalidArgument(
        fmt::format("{} to {} is {} days; a backfill covers at most {}", from, to, last - first + 1, kBackfillDaysMax));
  }
  const absl::TimeZone zone = ZoneOf(state->spec);
  size_t days = 0;
  for (absl::CivilDay day = first; day <= last; ++day, ++days) {
    const int64_t due = absl::ToUnixMillis(absl::FromCivil(day, zone));
    state->queue.push_back(RunRequest{.job = job, .trigger = "backfill", .due_ms = due, .logical_date = DayText(day)});
  }
  return days;
}

Status Scheduler::SetPaused(const std::string& job, bool paused) {
  JobState* state = Get(job);
  if (state == nullptr) return Status::NotFound(fmt::format("no job `{}` (lagoa jobs list shows them)", job));
  state->paused = paused;
  return Status::Ok();
}

std::vector<JobView> Scheduler::List() const {
  std::vector<JobView> out;
  for (const auto& [name, state] : jobs_) {
    out.push_back(ViewOf(state));
  }
  return out;
}

std::optional<JobView> Scheduler::Find(const std::string& job) const {
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return std::nullopt;
  return ViewOf(it->second);
}

}  // namespace lagoa::jobs
