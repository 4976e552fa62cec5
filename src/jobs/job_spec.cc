#include "jobs/job_spec.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "base/file_util.h"
#include "models/project.h"

namespace lagoa::jobs {
namespace {

constexpr std::string_view kProjectFile = "lagoa_project.yml";
constexpr size_t kProjectFileBytesMax = 1 << 20;
constexpr int64_t kDurationMsMax = int64_t{366} * 24 * 3600 * 1000;
constexpr std::string_view kJobKeys =
    "command, select, exclude, full_refresh, vars, cron, timezone, every, on_new_data, check_every, timeout, "
    "retries, retry_delay, retry_delay_max, catch_up or paused";

// The `command` key's values: the `lagoa` subcommand a run does.
constexpr std::pair<std::string_view, models::BuildSteps> kCommands[] = {
    {"build", models::BuildSteps::kModelsAndTests}, {"run", models::BuildSteps::kModels},
    {"test", models::BuildSteps::kTests},           {"seed", models::BuildSteps::kSeeds},
    {"snapshot", models::BuildSteps::kSnapshots},
};

std::string Where(const YAML::Node& node) {
  return fmt::format("{}:{}:{}", kProjectFile, node.Mark().line + 1, node.Mark().column + 1);
}

std::string_view UnitText(int64_t ms) {
  if (ms % 86'400'000 == 0) return "day";
  if (ms % 3'600'000 == 0) return "hour";
  if (ms % 60'000 == 0) return "minute";
  return "second";
}

}  // namespace

std::string DurationText(int64_t ms) {
  const std::string_view unit = UnitText(ms);
  const int64_t per = unit == "day" ? 86'400'000 : unit == "hour" ? 3'600'000 : unit == "minute" ? 60'000 : 1000;
  const int64_t n = ms / per;
  return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s");
}

namespace {

// One job's keys, read into `job`. Every error names where in the file it is.
class JobReader {
 public:
  explicit JobReader(JobSpec& job) : job_(job) {}

  Status Read(const YAML::Node& node) {
    if (!node.IsMap())
      return Status::InvalidArgument(fmt::format("{}: expected a mapping of {}", Where(node), kJobKeys));
    std::string zone = "UTC";
    std::optional<YAML::Node> cron;
    std::optional<YAML::Node> zone_node;
    int schedules = 0;
    for (const auto& item : node) {
      const std::string key = item.first.IsScalar() ? item.first.Scalar() : "";
      const YAML::Node& value = item.second;
      if (key == "command") {
        LAGOA_RETURN_IF_ERROR(ReadCommand(value));
      } else if (key == "select") {
        LAGOA_ASSIGN_OR_RETURN(job_.select, Text(key, value));
      } else if (key == "exclude") {
        LAGOA_ASSIGN_OR_RETURN(job_.exclude, Text(key, value));
      } else if (key == "full_refresh") {
        LAGOA_ASSIGN_OR_RETURN(job_.full_refresh, Bool(key, value));
      } else if (key == "paused") {
        LAGOA_ASSIGN_OR_RETURN(job_.paused, Bool(key, value));
      } else if (key == "vars") {
        LAGOA_RETURN_IF_ERROR(ReadVars(value));
      } else if (key == "cron") {
        cron = value;
        ++schedules;
      } else if (key == "timezone") {
        LAGOA_ASSIGN_OR_RETURN(zone, Text(key, value));
        zone_node = value;
      } else if (key == "every") {
        LAGOA_ASSIGN_OR_RETURN(job_.interval_ms, Duration(key, value, 1000));
        job_.schedule = ScheduleKind::kInterval;
        ++schedules;
      } else if (key == "on_new_data") {
        LAGOA_RETURN_IF_ERROR(ReadUpstreams(value));
        ++schedules;
      } else if (key == "check_every") {
        LAGOA_ASSIGN_OR_RETURN(job_.check_interval_ms, Duration(key, value, 1000));
      } else if (key == "timeout") {
        LAGOA_ASSIGN_OR_RETURN(job_.timeout_ms, Duration(key, value, 1000));
      } else if (key == "retries") {
        LAGOA_ASSIGN_OR_RETURN(job_.retries, Count(key, value, kRetriesMax));
      } else if (key == "retry_delay") {
        LAGOA_ASSIGN_OR_RETURN(job_.retry_delay_ms, Duration(key, value, 0));
      } else if (key == "retry_delay_max") {
        LAGOA_ASSIGN_OR_RETURN(job_.retry_delay_max_ms, Duration(key, value, 0));
      } else if (key == "catch_up") {
        LAGOA_ASSIGN_OR_RETURN(job_.catch_up, Count(key, value, kCatchUpMax));
      } else {
        return Status::InvalidArgument(
            fmt::format("{}: job `{}`: unknown key `{}`: expected {}", Where(item.first), job_.name, key, kJobKeys));
      }
    }
    if (schedules > 1) {
      return Status::InvalidArgument(fmt::format(
          "{}: job `{}`: more than one of cron, every and on_new_data: expected one schedule", Where(node), job_.name));
    }
    if (zone_node && !cron) {
      return Status::InvalidArgument(fmt::format(
          "{}: job `{}`: timezone without cron: expected it beside a cron schedule", Where(*zone_node), job_.name));
    }
    if (cron) {
      LAGOA_ASSIGN_OR_RETURN(std::string expression, Text("cron", *cron));
      auto schedule = CronSchedule::Parse(expression, zone);
      if (!schedule.ok()) return schedule.status().WithContext(fmt::format("{}: job `{}`", Where(*cron), job_.name));
      job_.cron.emplace(std::move(*schedule));
      job_.schedule = ScheduleKind::kCron;
    }
    if (job_.retry_delay_max_ms < job_.retry_delay_ms) job_.retry_delay_max_ms = job_.retry_delay_ms;
    return Status::Ok();
  }

 private:
  Status Refuse(const YAML::Node& value, std::string_view key, std::string_view expected) const {
    return Status::InvalidArgument(fmt::format("{}: job `{}`: {}: expected {}, found `{}`", Where(value), job_.name,
                                               key, expected, value.IsScalar() ? value.Scalar() : "a list or mapping"));
  }

  Result<std::string> Text(std::string_view key, const YAML::Node& value) const {
    if (!value.IsScalar()) return Refuse(value, key, "a word or a string");
    return value.Scalar();
  }

  Result<bool> Bool(std::string_view key, const YAML::Node& value) const {
    if (value.IsScalar() && (value.Scalar() == "true" || value.Scalar() == "false")) return value.Scalar() == "true";
    return Refuse(value, key, "true or false");
  }

  Result<int> Count(std::string_view key, const YAML::Node& value, int max) const {
    int n = -1;
    if (value.IsScalar()) {
      const std::string& text = value.Scalar();
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (error != std::errc() || end != text.data() + text.size()) n = -1;
    }
    if (n < 0 || n > max) return Refuse(value, key, fmt::format("a whole number from 0 to {}", max));
    return n;
  }

  Result<int64_t> Duration(std::string_view key, const YAML::Node& value, int64_t min_ms) const {
    if (!value.IsScalar()) return Refuse(value, key, "a duration such as `30 seconds`");
    auto ms = ParseDurationMs(value.Scalar());
    if (!ms.ok())
      return Status::InvalidArgument(
          fmt::format("{}: job `{}`: {}: {}", Where(value), job_.name, key, ms.status().message()));
    if (*ms < min_ms) return Refuse(value, key, fmt::format("at least {}", DurationText(min_ms)));
    return *ms;
  }

  Status ReadCommand(const YAML::Node& value) {
    for (const auto& [name, steps] : kCommands) {
      if (value.IsScalar() && value.Scalar() == name) {
        job_.steps = steps;
        return Status::Ok();
      }
    }
    return Refuse(value, "command", "build, run, test, seed or snapshot");
  }

  Status ReadVars(const YAML::Node& value) {
    if (!value.IsMap()) return Refuse(value, "vars", "a mapping of names to values");
    for (const auto& var : value) {
      if (!var.second.IsScalar()) return Refuse(var.second, "vars", "a single value");
      job_.vars[var.first.Scalar()] = var.second.Scalar();
    }
    return Status::Ok();
  }

  Status ReadUpstreams(const YAML::Node& value) {
    if (value.IsScalar()) {
      job_.upstreams.push_back(value.Scalar());
    } else if (value.IsSequence() && value.size() > 0) {
      for (const YAML::Node& item : value) {
        if (!item.IsScalar()) return Refuse(item, "on_new_data", "a stream or table name");
        job_.upstreams.push_back(item.Scalar());
      }
    } else {
      return Refuse(value, "on_new_data", "a stream or table name, or a list of them");
    }
    job_.schedule = ScheduleKind::kOnNewData;
    return Status::Ok();
  }

  JobSpec& job_;
};

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  const std::string_view expected = "expected a duration: a number and a unit (second, minute, hour or day)";
  int64_t n = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  while (begin < end && *begin == ' ') ++begin;
  auto [after, error] = std::from_chars(begin, end, n);
  if (error != std::errc() || n < 0) return Status::InvalidArgument(fmt::format("`{}`: {}", text, expected));
  std::string_view unit(after, static_cast<size_t>(end - after));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  while (!unit.empty() && unit.back() == ' ') unit.remove_suffix(1);
  if (unit.size() > 1 && unit.back() == 's') unit.remove_suffix(1);
  int64_t per_ms = 0;
  if (unit == "second" || unit == "sec") {
    per_ms = 1000;
  } else if (unit == "minute" || unit == "min") {
    per_ms = 60'000;
  } else if (unit == "hour") {
    per_ms = 3'600'000;
  } else if (unit == "day") {
    per_ms = 86'400'000;
  } else {
    return Status::InvalidArgument(fmt::format("`{}`: {}", text, expected));
  }
  if (n > kDurationMsMax / per_ms) {
    return Status::InvalidArgument(fmt::format("`{}`: longer than a year; expected at most 366 days", text));
  }
  return n * per_ms;
}

Result<std::optional<int64_t>> JobSpec::NextDueAfter(int64_t after_ms) const {
  switch (schedule) {
    case ScheduleKind::kCron: {
      LAGOA_ASSIGN_OR_RETURN(int64_t next, cron->NextAfter(after_ms));
      return std::optional<int64_t>(next);
    }
    case ScheduleKind::kInterval:
      return std::optional<int64_t>((after_ms / interval_ms + 1) * interval_ms);
    case ScheduleKind::kManual:
    case ScheduleKind::kOnNewData:
      break;
  }
  return std::optional<int64_t>();
}

std::string_view JobSpec::command() const {
  for (const auto& [name, command_steps] : kCommands) {
    if (command_steps == steps) return name;
  }
  return "build";
}

std::string JobSpec::ScheduleText() const {
  switch (schedule) {
    case ScheduleKind::kCron:
      return fmt::format("cron {} ({})", cron->expression(), cron->zone_name());
    case ScheduleKind::kInterval:
      return "every " + DurationText(interval_ms);
    case ScheduleKind::kOnNewData:
      return fmt::format("on new data in {}", fmt::join(upstreams, ", "));
    case ScheduleKind::kManual:
      break;
  }
  return "by hand";
}

Result<std::vector<JobSpec>> LoadJobSpecs(const std::filesystem::path& dir, const std::string& project) {
  LAGOA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir / kProjectFile, kProjectFileBytesMax));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(
        fmt::format("{}:{}:{}: {}", kProjectFile, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  std::vector<JobSpec> jobs;
  if (!root.IsMap() || !root["jobs"]) return jobs;
  const YAML::Node section = root["jobs"];
  if (!section.IsMap()) {
    return Status::InvalidArgument(fmt::format("{}: jobs: expected a mapping of job names to jobs", Where(section)));
  }
  if (section.size() > kJobsPerProjectMax) {
    return Status::InvalidArgument(
        fmt::format("{}: jobs: {} jobs; expected at most {}", Where(section), section.size(), kJobsPerProjectMax));
  }
  std::set<std::string> names;
  for (const auto& item : section) {
    JobSpec job;
    job.name = item.first.IsScalar() ? item.first.Scalar() : "";
    job.project = project;
    job.where = Where(item.first);
    if (!models::IsPlainIdentifier(job.name)) {
      return Status::InvalidArgument(fmt::format(
          "{}: `{}` cannot name a job: expected letters, digits and _ (not first a digit), at most {} bytes", job.where,
          job.name, models::kModelNameBytesMax));
    }
    if (!names.insert(job.name).second) {
      return Status::InvalidArgument(fmt::format("{}: job `{}` is declared twice", job.where, job.name));
    }
    LAGOA_RETURN_IF_ERROR(JobReader(job).Read(item.second));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace lagoa::jobs
