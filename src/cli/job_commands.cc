// `lagoa project deploy|list|remove` and `lagoa jobs list|runs|logs|run|pause|resume|backfill`:
// hand a project folder to the server, which runs its jobs on their schedules
// (src/jobs/job_service.h), and look at those runs.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "base/clock.h"
#include "base/file_util.h"
#include "base/json_writer.h"
#include "cli/commands.h"
#include "cli/server_request.h"
#include "models/project.h"

namespace lagoa::cli {
namespace {

constexpr size_t kDeployFileBytesMax = 16 << 20;

std::string Duration(simdjson::dom::element run) {
  int64_t started = 0;
  int64_t finished = 0;
  if (run["started_ms"].get(started) != simdjson::SUCCESS || run["finished_ms"].get(finished) != simdjson::SUCCESS ||
      finished == 0) {
    return "-";
  }
  return fmt::format("{:.2f} s", static_cast<double>(finished - started) / 1000);
}

std::string Time(simdjson::dom::element run, std::string_view key) {
  int64_t ms = 0;
  if (run[key].get(ms) != simdjson::SUCCESS || ms == 0) return "-";
  return FormatRfc3339Micros(ms * 1000).substr(0, 19) + "Z";
}

std::string Dash(const std::string& text) { return text.empty() ? "-" : text; }

void PrintRun(simdjson::dom::element run) {
  std::printf("run %s of job %s (%s, attempt %s, logical date %s): %s\n", Field(run, "id").c_str(),
              Field(run, "job").c_str(), Field(run, "trigger").c_str(), Field(run, "attempt").c_str(),
              Field(run, "logical_date").c_str(), Field(run, "status").c_str());
  std::printf("started %s, finished %s (%s), %s rows written\n", Time(run, "started_ms").c_str(),
              Time(run, "finished_ms").c_str(), Duration(run).c_str(), Field(run, "rows_written").c_str());
  if (const std::string error = Field(run, "error"); !error.empty() && error != "-") {
    std::printf("error: %s\n", error.c_str());
  }
  simdjson::dom::array steps;
  if (run["steps"].get(steps) != simdjson::SUCCESS) return;
  std::vector<std::vector<std::string>> rows = {{"STEP", "KIND", "OUTCOME", "SECONDS", "ROWS", "MESSAGE"}};
  for (simdjson::dom::element step : steps) {
    double seconds = 0;
    if (step["seconds"].get(seconds) != simdjson::SUCCESS) seconds = 0;
    rows.push_back({Field(step, "name"), Field(step, "kind"), Field(step, "outcome"), fmt::format("{:.2f}", seconds),
                    Field(step, "rows") == "-1" ? "-" : Field(step, "rows"), Dash(Field(step, "message"))});
  }
  if (rows.size() > 1) PrintAligned(rows);
}

}  // namespace

int ProjectDeploy(const std::string& url, const std::string& project_dir) {
  auto project = models::LoadProject(project_dir);
  if (!project.ok()) {
    fmt::print(stderr, "error: {}\n", project.status().message());
    return 1;
  }
  const std::vector<std::filesystem::path> files = models::ProjectFiles(*project);
  JsonWriter w;
  w.BeginObject().Key("files").BeginObject();
  for (const std::filesystem::path& file : files) {
    auto contents = ReadWholeFile(std::filesystem::path(project_dir) / file, kDeployFileBytesMax);
    if (!contents.ok()) {
      fmt::print(stderr, "error: {}\n", contents.status().message());
      return 1;
    }
    w.Key(file.generic_string()).String(*contents);
  }
  w.EndObject().EndObject();
  JsonReply reply;
  if (auto failed = RequestJson(url, "PUT", "/v1/projects/" + project->name, w.Take(), &reply)) return *failed;
  std::string jobs = Joined(reply.doc, "jobs");
  fmt::print("deployed project {} (version {}): {} models, {} file{}; jobs: {}\n", project->name,
             Field(reply.doc, "version"), Field(reply.doc, "models"), files.size(), files.size() == 1 ? "" : "s",
             jobs.empty() ? "none" : jobs);
  return 0;
}

int ProjectList(const std::string& url) {
  JsonReply reply;
  if (auto failed = RequestJson(url, "GET", "/v1/projects", "", &reply)) return *failed;
  std::vector<std::vector<std::string>> rows = {{"NAME", "VERSION", "DEPLOYED", "MODELS", "JOBS"}};
  simdjson::dom::array projects;
  if (reply.doc["projects"].get(projects) == simdjson::SUCCESS) {
    for (simdjson::dom::element p : projects) {
      rows.push_back(
          {Field(p, "name"), Field(p, "version"), Field(p, "deployed"), Field(p, "models"), Dash(Joined(p, "jobs"))});
    }
  }
  PrintAligned(rows);
  return 0;
}

int ProjectRemove(const std::string& url, const std::string& name) {
  JsonReply reply;
  if (auto failed = RequestJson(url, "DELETE", "/v1/projects/" + UrlEncode(name), "", &reply)) return *failed;
  fmt::print("removed project {}: its jobs are no longer scheduled\n", name);
  return 0;
}

int JobsList(const std::string& url, bool json) {
  JsonReply reply;
  if (auto failed = RequestJson(url, "GET", "/v1/jobs", "", &reply)) return *failed;
  if (json) {
    std::printf("%s\n", simdjson::minify(reply.doc).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"JOB", "PROJECT", "COMMAND", "SCHEDULE", "STATE", "NEXT", "LAST RUN"}};
  simdjson::dom::array jobs;
  if (reply.doc["jobs"].get(jobs) == simdjson::SUCCESS) {
    for (simdjson::dom::element job : jobs) {
      bool paused = false;
      bool running = false;
      if (job["paused"].get(paused) != simdjson::SUCCESS) paused = false;
      if (job["running"].get(running) != simdjson::SUCCESS) running = false;
      std::string last = "-";
      simdjson::dom::element run;
      if (job["last_run"].get(run) == simdjson::SUCCESS && !run.is_null()) {
        last = fmt::format("{} {} {}", Field(run, "id"), Field(run, "status"), Time(run, "started_ms"));
      }
      rows.push_back({Field(job, "name"), Field(job, "project"), Field(job, "command"), Field(job, "schedule"),
                      paused    ? "paused"
                      : running ? "running"
                                : "scheduled",
                      Field(job, "next_due"), last});
    }
  }
  PrintAligned(rows);
  return 0;
}

int JobsRuns(const std::string& url, const std::string& job, int64_t limit, bool json) {
  JsonReply reply;
  const std::string target = fmt::format("/v1/jobs/{}/runs?limit={}", UrlEncode(job), limit);
  if (auto failed = RequestJson(url, "GET", target, "", &reply)) return *failed;
  if (json) {
    std::printf("%s\n", simdjson::minify(reply.doc).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "TRIGGER", "ATTEMPT", "LOGICAL DATE", "STARTED", "DURATION", "STATUS", "ROWS", "ERROR"}};
  simdjson::dom::array runs;
  if (reply.doc["runs"].get(runs) == simdjson::SUCCESS) {
    for (simdjson::dom::element run : runs) {
      rows.push_back({Field(run, "id"), Field(run, "trigger"), Field(run, "attempt"), Field(run, "logical_date"),
                      Time(run, "started_ms"), Duration(run), Field(run, "status"), Field(run, "rows_written"),
                      Dash(Field(run, "error"))});
    }
  }
  PrintAligned(rows);
  return 0;
}

int JobsLogs(const std::string& url, const std::string& job, std::optional<int64_t> run_id) {
  JsonReply reply;
  if (run_id) {
    const std::string target = fmt::format("/v1/jobs/{}/runs/{}", UrlEncode(job), *run_id);
    if (auto failed = RequestJson(url, "GET", target, "", &reply)) return *failed;
    PrintRun(reply.doc);
    return 0;
  }
  if (auto failed = RequestJson(url, "GET", fmt::format("/v1/jobs/{}/runs?limit=1", UrlEncode(job)), "", &reply)) {
    return *failed;
  }
  simdjson::dom::array runs;
  if (reply.doc["runs"].get(runs) != simdjson::SUCCESS || runs.size() == 0) {
    fmt::print(stderr, "job {} has not run yet\n", job);
    return 1;
  }
  PrintRun(runs.at(0).value());
  return 0;
}

int JobsAction(const std::string& url, const std::string& job, const std::string& action) {
  JsonReply reply;
  if (auto failed = RequestJson(url, "POST", fmt::format("/v1/jobs/{}/{}", UrlEncode(job), action), "", &reply)) {
    return *failed;
  }
  if (action == "run") fmt::print("job {}: a run is queued (lagoa jobs runs {} shows it)\n", job, job);
  if (action == "pause") fmt::print("job {} is paused: nothing of it starts until lagoa jobs resume\n", job);
  if (action == "resume") fmt::print("job {} is resumed\n", job);
  return 0;
}

int JobsBackfill(const std::string& url, const std::string& job, const std::string& from, const std::string& to) {
  JsonWriter w;
  w.BeginObject().Key("from").String(from).Key("to").String(to).EndObject();
  JsonReply reply;
  if (auto failed = RequestJson(url, "POST", fmt::format("/v1/jobs/{}/backfill", UrlEncode(job)), w.Take(), &reply)) {
    return *failed;
  }
  fmt::print("job {}: {} runs queued, one per day from {} to {} (var logical_date)\n", job, Field(reply.doc, "runs"),
             from, to);
  return 0;
}

}  // namespace lagoa::cli
