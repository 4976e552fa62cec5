#include "jobs/scheduler.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "jobs/run_history.h"
#include "jobs/time_test_util.h"

namespace lagoa::jobs {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;

JobSpec Every(const std::string& name, int64_t interval_ms) {
  JobSpec job;
  job.name = name;
  job.project = "shop";
  job.schedule = ScheduleKind::kInterval;
  job.interval_ms = interval_ms;
  return job;
}

JobSpec Cron(const std::string& name, const char* expression, const char* zone) {
  JobSpec job;
  job.name = name;
  job.project = "shop";
  auto cron = CronSchedule::Parse(expression, zone);
  EXPECT_TRUE(cron.ok()) << cron.status().ToString();
  job.cron.emplace(std::move(*cron));
  job.schedule = ScheduleKind::kCron;
  return job;
}

const Scheduler::VersionFn kNoVersions = [](const std::string& name) -> Result<std::string> {
  return Status::NotFound(name);
};

Status Set(Scheduler& scheduler, std::vector<JobSpec> jobs, int64_t now_ms, const RunHistory* history = nullptr) {
  return scheduler.SetProjectJobs("shop", std::move(jobs), now_ms, history, {});
}

TEST(Scheduler, IntervalJobsRunOnTheirTimesAlignedToTheEpoch) {
  Scheduler scheduler(2, 1);
  const int64_t t0 = Ms("2024-05-01T12:07:30Z");
  ASSERT_TRUE(Set(scheduler, {Every("quarter", 15 * kMinuteMs)}, t0).ok());
  EXPECT_TRUE(scheduler.TakeDue(t0 + kMinuteMs, kNoVersions).empty());
  EXPECT_EQ(Utc(*scheduler.NextWakeMs()), "2024-05-01T12:15:00Z");
  std::vector<RunRequest> due = scheduler.TakeDue(Ms("2024-05-01T12:15:00Z"), kNoVersions);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].trigger, "schedule");
  EXPECT_EQ(Utc(due[0].due_ms), "2024-05-01T12:15:00Z");
  EXPECT_EQ(due[0].logical_date, "2024-05-01");
  scheduler.Finished(due[0], true, Ms("2024-05-01T12:16:00Z"));
  EXPECT_EQ(Utc(*scheduler.NextWakeMs()), "2024-05-01T12:30:00Z");
}

// An injected clock stepping a minute at a time through New York's fall-back night: the job runs
// at 01:30 local once (the first 01:30), and at 03:30 local.
TEST(Scheduler, CronInANonUtcZoneAcrossADstChange) {
  Scheduler scheduler(2, 1);
  int64_t now = Ms("2024-11-02T20:00:00Z");
  ASSERT_TRUE(Set(scheduler, {Cron("night", "30 1,3 * * *", "America/New_York")}, now).ok());
  std::vector<std::string> ran;
  for (; now < Ms("2024-11-04T12:00:00Z"); now += kMinuteMs) {
    for (const RunRequest& run : scheduler.TakeDue(now, kNoVersions)) {
      ran.push_back(Utc(run.due_ms) + " " + run.logical_date);
      scheduler.Finished(run, true, now);
    }
  }
  EXPECT_EQ(ran, (std::vector<std::string>{
                     "2024-11-03T05:30:00Z 2024-11-03",  // 01:30 EDT
                     "2024-11-03T08:30:00Z 2024-11-03",  // 03:30 EST
                     "2024-11-04T06:30:00Z 2024-11-04",  // 01:30 EST
                     "2024-11-04T08:30:00Z 2024-11-04",
                 }));
}

TEST(Scheduler, FailedRunsAreRetriedWithCappedExponentialBackoffAndJitter) {
  Scheduler scheduler(2, 7);
  JobSpec job = Every("flaky", kHourMs);
  job.retries = 3;
  job.retry_delay_ms = 10 * kSecondMs;
  job.retry_delay_max_ms = 25 * kSecondMs;
  int64_t now = Ms("2024-05-01T00:30:00Z");
  ASSERT_TRUE(Set(scheduler, {job}, now).ok());
  now = Ms("2024-05-01T01:00:00Z");
  std::vector<RunRequest> due = scheduler.TakeDue(now, kNoVersions);
  ASSERT_EQ(due.size(), 1u);
  const int64_t full_delays_ms[] = {10 * kSecondMs, 20 * kSecondMs, 25 * kSecondMs};
  for (int attempt = 1; attempt <= 3; ++attempt) {
    EXPECT_EQ(due[0].attempt, attempt);
    scheduler.Finished(due[0], false, now);
    const int64_t wait = *scheduler.NextWakeMs() - now;
    const int64_t full = full_delays_ms[attempt - 1];
    EXPECT_LE(wait, full) << "attempt " << attempt;
    EXPECT_GE(wait, full - full / 4) << "attempt " << attempt;
    EXPECT_TRUE(scheduler.TakeDue(now + wait - 1, kNoVersions).empty());
    now += wait;
    due = scheduler.TakeDue(now, kNoVersions);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].trigger, "retry");
    EXPECT_EQ(Utc(due[0].due_ms), "2024-05-01T01:00:00Z");  // still the same scheduled time
  }
  EXPECT_EQ(due[0].attempt, 4);
  scheduler.Finished(due[0], false, now);  // the third retry failed too: no fourth
  EXPECT_EQ(Utc(*scheduler.NextWakeMs()), "2024-05-01T02:00:00Z");
}

TEST(Scheduler, RunsAreCappedAndAJobNeverOverlapsItself) {
  Scheduler scheduler(2, 1);
  int64_t now = Ms("2024-05-01T00:00:30Z");
  ASSERT_TRUE(Set(scheduler, {Every("a", kMinuteMs), Every("b", kMinuteMs), Every("c", kMinuteMs)}, now).ok());
  now = Ms("2024-05-01T00:01:00Z");
  std::vector<RunRequest> first = scheduler.TakeDue(now, kNoVersions);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(scheduler.running(), 2u);
  // Minutes pass while a and b run: their due times merge into one waiting run each, and c starts
  // only when a slot frees.
  for (int i = 0; i < 5; ++i) {
    now += kMinuteMs;
    EXPECT_TRUE(scheduler.TakeDue(now, kNoVersions).empty());
  }
  for (const JobView& job : scheduler.List()) EXPECT_EQ(job.queued, 1u) << job.spec.name;
  // c waits for a slot, not for a time: the caller is not woken for it before a run ends.
  EXPECT_GT(scheduler.NextWakeMs().value_or(INT64_MAX), now);
  ASSERT_EQ(first[0].job, "a");
  ASSERT_EQ(first[1].job, "b");
  scheduler.Finished(first[0], true, now);
  std::vector<RunRequest> next = scheduler.TakeDue(now, kNoVersions);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job, "c");  // it waited longest
  EXPECT_EQ(scheduler.running(), 2u);
  ASSERT_TRUE(scheduler.Trigger("b", now).ok());
  scheduler.Finished(next[0], true, now);
  next = scheduler.TakeDue(now, kNoVersions);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job, "a");
  scheduler.Finished(next[0], true, now);
  EXPECT_TRUE(scheduler.TakeDue(now, kNoVersions).empty());  // a slot is free, but b still runs
  scheduler.Finished(first[1], true, now);
  next = scheduler.TakeDue(now, kNoVersions);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job, "b");
}

TEST(Scheduler, PausedJobsStartNothingAndDropTheTimesTheyMiss) {
  Scheduler scheduler(2, 1);
  int64_t now = Ms("2024-05-01T00:00:30Z");
  ASSERT_TRUE(Set(scheduler, {Every("a", kMinuteMs)}, now).ok());
  ASSERT_TRUE(scheduler.SetPaused("a", true).ok());
  ASSERT_TRUE(scheduler.Trigger("a", now).ok());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(scheduler.TakeDue(now += kMinuteMs, kNoVersions).empty());
  ASSERT_TRUE(scheduler.SetPaused("a", false).ok());
  std::vector<RunRequest> due = scheduler.TakeDue(now, kNoVersions);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].trigger, "manual");  // asked for by hand while paused: kept
  scheduler.Finished(due[0], true, now);
  EXPECT_TRUE(scheduler.TakeDue(now, kNoVersions).empty());  // no catch-up of the paused minutes
  EXPECT_EQ(scheduler.TakeDue(now + kMinuteMs, kNoVersions).size(), 1u);
  EXPECT_EQ(scheduler.SetPaused("nope", true).message(), "no job `nope` (lagoa jobs list shows them)");
}

TEST(Scheduler, NewDataStartsARunOncePerChange) {
  Scheduler scheduler(2, 1);
  JobSpec job;
  job.name = "on_clicks";
  job.project = "shop";
  job.schedule = ScheduleKind::kOnNewData;
  job.upstreams = {"clicks"};
  job.check_interval_ms = 10 * kSecondMs;
  int64_t now = Ms("2024-05-01T00:00:00Z");
  ASSERT_TRUE(Set(scheduler, {job}, now).ok());
  int version = 1;
  const Scheduler::VersionFn versions = [&](const std::string&) -> Result<std::string> {
    return std::to_string(version);
  };
  std::vector<RunRequest> due = scheduler.TakeDue(now, versions);
  ASSERT_EQ(due.size(), 1u);  // the first look always runs
  EXPECT_EQ(due[0].upstream_versions.at("clicks"), "1");
  scheduler.Finished(due[0], true, now);
  EXPECT_TRUE(scheduler.TakeDue(now += 10 * kSecondMs, versions).empty());
  version = 2;
  EXPECT_TRUE(scheduler.TakeDue(now + 5 * kSecondMs, versions).empty());  // not looked at before check_every
  due = scheduler.TakeDue(now += 10 * kSecondMs, versions);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].trigger, "new data");
  EXPECT_EQ(due[0].upstream_versions.at("clicks"), "2");
}

TEST(Scheduler, BackfillQueuesOneRunPerDayOldestFirst) {
  Scheduler scheduler(1, 1);
  int64_t now = Ms("2024-05-01T00:00:00Z");
  ASSERT_TRUE(Set(scheduler, {Cron("daily", "0 6 * * *", "Europe/Berlin")}, now).ok());
  auto days = scheduler.Backfill("daily", "2024-03-30", "2024-04-01");
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(*days, 3u);
  std::vector<std::string> ran;
  for (int i = 0; i < 3; ++i) {
    std::vector<RunRequest> due = scheduler.TakeDue(now, kNoVersions);
    ASSERT_EQ(due.size(), 1u);
    ran.push_back(due[0].logical_date + " " + Utc(due[0].due_ms));
    scheduler.Finished(due[0], true, now);
  }
  // Berlin's midnight: UTC+1 until 2024-03-31, UTC+2 after.
  EXPECT_EQ(ran, (std::vector<std::string>{"2024-03-30 2024-03-29T23:00:00Z", "2024-03-31 2024-03-30T23:00:00Z",
                                           "2024-04-01 2024-03-31T22:00:00Z"}));
  EXPECT_EQ(scheduler.Backfill("daily", "2024-04-02", "2024-04-01").status().message(),
            "to 2024-04-01 is before from 2024-04-02");
  EXPECT_EQ(scheduler.Backfill("daily", "2024-1-1", "2024-04-01").status().message(),
            "from `2024-1-1`: expected a date, YYYY-MM-DD");
  EXPECT_FALSE(scheduler.Backfill("daily", "2020-01-01", "2024-01-01").ok());
}

class SchedulerWithHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("LAGOA_TEST_TMPDIR");
    dir_ = std::filesystem::path(base != nullptr ? base : std::filesystem::temp_directory_path().string()) /
           (std::string("jobs-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::filesystem::path dir_;
};

TEST_F(SchedulerWithHistory, CatchUpAfterDowntimeRunsTheLatestMissedTimesOnly) {
  {
    auto history = RunHistory::Open(dir_);
    ASSERT_TRUE(history.ok());
    RunRecord run{.id = (*history)->NextId(), .job = "hourly", .project = "shop", .trigger = "schedule"};
    run.due_ms = Ms("2024-05-01T03:00:00Z");
    run.status = RunStatus::kSucceeded;
    ASSERT_TRUE((*history)->Put(run).ok());
  }
  auto history = RunHistory::Open(dir_);
  ASSERT_TRUE(history.ok());
  JobSpec job = Every("hourly", kHourMs);
  job.catch_up = 2;
  Scheduler scheduler(4, 1);
  const int64_t now = Ms("2024-05-01T10:20:00Z");  // down from 03:00 to 10:20: 7 times missed
  ASSERT_TRUE(Set(scheduler, {job}, now, history->get()).ok());
  std::vector<std::string> ran;
  for (int i = 0; i < 3; ++i) {
    for (const RunRequest& run : scheduler.TakeDue(now, kNoVersions)) {
      ran.push_back(run.trigger + " " + Utc(run.due_ms));
      scheduler.Finished(run, true, now);
    }
  }
  EXPECT_EQ(ran, (std::vector<std::string>{"catch-up 2024-05-01T09:00:00Z", "catch-up 2024-05-01T10:00:00Z"}));
  EXPECT_EQ(Utc(*scheduler.NextWakeMs()), "2024-05-01T11:00:00Z");
}

TEST_F(SchedulerWithHistory, ARunCutShortIsRetriedByItsJobsPolicy) {
  {
    auto history = RunHistory::Open(dir_);
    ASSERT_TRUE(history.ok());
    RunRecord run{.id = (*history)->NextId(), .job = "nightly", .project = "shop", .trigger = "schedule"};
    run.due_ms = Ms("2024-05-01T03:00:00Z");
    ASSERT_TRUE((*history)->Put(run).ok());  // running when the server died
  }
  auto history = RunHistory::Open(dir_);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ((*history)->interrupted().size(), 1u);
  const RunRecord& cut = (*history)->interrupted()[0];
  EXPECT_EQ(cut.status, RunStatus::kFailed);
  EXPECT_EQ(cut.error, "the server stopped during the run");
  EXPECT_EQ((*history)->Find(cut.id)->status, RunStatus::kFailed);

  JobSpec job = Every("nightly", 24 * kHourMs);
  job.retries = 1;
  job.retry_delay_ms = 0;
  Scheduler scheduler(1, 1);
  const int64_t now = Ms("2024-05-01T03:05:00Z");
  ASSERT_TRUE(Set(scheduler, {job}, now, history->get()).ok());
  scheduler.Interrupted(
      RunRequest{.job = cut.job, .trigger = cut.trigger, .attempt = cut.attempt, .due_ms = cut.due_ms}, now);
  std::vector<RunRequest> due = scheduler.TakeDue(now, kNoVersions);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].trigger, "retry");
  EXPECT_EQ(due[0].attempt, 2);
  EXPECT_EQ(Utc(due[0].due_ms), "2024-05-01T03:00:00Z");
}

TEST_F(SchedulerWithHistory, HistoryKeepsTheNewestRunsAndDropsATornLine) {
  {
    auto history = RunHistory::Open(dir_, 3);
    ASSERT_TRUE(history.ok());
    for (int i = 0; i < 10; ++i) {
      RunRecord run{.id = (*history)->NextId(), .job = i % 2 == 0 ? "even" : "odd", .project = "shop"};
      run.status = RunStatus::kSucceeded;
      run.steps.push_back(RunStep{.name = "m", .kind = "table", .outcome = "built", .seconds = 0.5, .rows = i});
      ASSERT_TRUE((*history)->Put(run).ok());
    }
  }
  {
    std::FILE* f = std::fopen((dir_ / "runs.ndjson").c_str(), "a");
    ASSERT_NE(f, nullptr);
    std::fputs(R"({"id": 11, "job": "torn")", f);  // no newline: a write a crash cut short
    std::fclose(f);
  }
  auto history = RunHistory::Open(dir_, 3);
  ASSERT_TRUE(history.ok());
  std::vector<RunRecord> runs = (*history)->List("", 100);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].id, 10);
  EXPECT_EQ(runs[2].id, 8);
  EXPECT_EQ(runs[0].steps.at(0).rows, 9);
  EXPECT_EQ((*history)->List("even", 100).size(), 1u);
  EXPECT_EQ((*history)->NextId(), 11);
  EXPECT_TRUE((*history)->interrupted().empty());
}

}  // namespace
}  // namespace lagoa::jobs
