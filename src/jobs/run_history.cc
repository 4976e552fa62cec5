#include "jobs/run_history.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/clock.h"
#include "base/file_util.h"
#include "base/json_writer.h"

namespace lagoa::jobs {
namespace {

constexpr std::string_view kFileName = "runs.ndjson";
constexpr size_t kFileBytesMax = size_t{512} << 20;

bool IsScheduled(const RunRecord& run) { return run.trigger == "schedule" || run.trigger == "catch-up"; }

std::string Text(simdjson::dom::element e, std::string_view key) {
  std::string_view s;
  return e[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

int64_t Int(simdjson::dom::element e, std::string_view key, int64_t fallback = 0) {
  int64_t v = 0;
  return e[key].get(v) == simdjson::SUCCESS ? v : fallback;
}

Result<RunRecord> ParseRecord(simdjson::dom::element e) {
  RunRecord run;
  run.id = Int(e, "id");
  if (run.id <= 0) return Status::Corruption("a run without an id");
  run.job = Text(e, "job");
  run.project = Text(e, "project");
  run.trigger = Text(e, "trigger");
  run.attempt = static_cast<int>(Int(e, "attempt", 1));
  run.due_ms = Int(e, "due_ms");
  run.logical_date = Text(e, "logical_date");
  run.started_ms = Int(e, "started_ms");
  run.finished_ms = Int(e, "finished_ms");
  const std::string status = Text(e, "status");
  run.status = status == "succeeded" ? RunStatus::kSucceeded
               : status == "failed"  ? RunStatus::kFailed
                                     : RunStatus::kRunning;
  run.error = Text(e, "error");
  run.rows_written = Int(e, "rows_written");
  simdjson::dom::object versions;
  if (e["upstream_versions"].get(versions) == simdjson::SUCCESS) {
    for (auto field : versions) {
      std::string_view v;
      if (field.value.get(v) == simdjson::SUCCESS) run.upstream_versions[std::string(field.key)] = std::string(v);
    }
  }
  simdjson::dom::array steps;
  if (e["steps"].get(steps) == simdjson::SUCCESS) {
    for (simdjson::dom::element s : steps) {
      RunStep step{.name = Text(s, "name"), .kind = Text(s, "kind"), .outcome = Text(s, "outcome")};
      double seconds = 0;
      if (s["seconds"].get(seconds) == simdjson::SUCCESS) step.seconds = seconds;
      step.rows = Int(s, "rows", -1);
      step.message = Text(s, "message");
      run.steps.push_back(std::move(step));
    }
  }
  return run;
}

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
  }
  return "?";
}

std::string RunRecordJson(const RunRecord& run) {
  JsonWriter w;
  w.BeginObject().Key("id").Int(run.id).Key("job").String(run.job).Key("project").String(run.project);
  w.Key("trigger").String(run.trigger).Key("attempt").Int(run.attempt).Key("due_ms").Int(run.due_ms);
  w.Key("logical_date").String(run.logical_date).Key("started_ms").Int(run.started_ms);
  w.Key("finished_ms").Int(run.finished_ms).Key("status").String(RunStatusName(run.status));
  w.Key("error").String(run.error).Key("rows_written").Int(run.rows_written);
  w.Key("upstream_versions").BeginObject();
  for (const auto& [name, version] : run.upstream_versions) w.Key(name).String(version);
  w.EndObject().Key("steps").BeginArray();
  for (const RunStep& step : run.steps) {
    w.BeginObject().Key("name").String(step.name).Key("kind").String(step.kind).Key("outcome").String(step.outcome);
    w.Key("seconds").Double(step.seconds).Key("rows").Int(step.rows).Key("message").String(step.message).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<std::unique_ptr<RunHistory>> RunHistory::Open(const std::filesystem::path& dir, size_t runs_kept) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  std::unique_ptr<RunHistory> history(new RunHistory(dir / kFileName, std::max<size_t>(1, runs_kept)));
  LAGOA_RETURN_IF_ERROR(history->Load());
  return history;
}

RunHistory::~RunHistory() {
  if (fd_ >= 0) ::close(fd_);
}

Status RunHistory::Load() {
  std::lock_guard lock(mu_);
  Result<std::string> text = ReadWholeFile(path_, kFileBytesMax);
  if (!text.ok() && text.status().code() != StatusCode::kNotFound) return text.status();
  if (text.ok()) {
    simdjson::dom::parser parser;
    size_t line_number = 0;
    for (size_t start = 0; start < text->size();) {
      size_t end = text->find('\n', start);
      if (end == std::string::npos) break;  // a torn last line: the write a crash cut short
      ++line_number;
      simdjson::dom::element e;
      if (parser.parse(text->data() + start, end - start).get(e) != simdjson::SUCCESS) {
        spdlog::warn("{}:{}: not a run record; skipped", path_.string(), line_number);
      } else if (Result<RunRecord> run = ParseRecord(e); !run.ok()) {
        spdlog::warn("{}:{}: {}; skipped", path_.string(), line_number, run.status().message());
      } else {
        next_id_ = std::max(next_id_, run->id + 1);
        runs_[run->id] = std::move(*run);
      }
      start = end + 1;
    }
  }
  while (runs_.size() > runs_kept_) runs_.erase(runs_.begin());
  for (auto& [id, run] : runs_) {
    if (run.status != RunStatus::kRunning) continue;
    run.status = RunStatus::kFailed;
    run.finished_ms = WallNowMicros() / 1000;
    run.error = std::string(kInterruptedRunError);
    interrupted_.push_back(run);
  }
  // Rewriting on open drops the torn line and the superseded ones, and records the interrupted runs.
  return Rewrite();
}

int64_t RunHistory::NextId() {
  std::lock_guard lock(mu_);
  return next_id_++;
}

Status RunHistory::Put(const RunRecord& run) {
  std::lock_guard lock(mu_);
  runs_[run.id] = run;
  next_id_ = std::max(next_id_, run.id + 1);
  while (runs_.size() > runs_kept_) runs_.erase(runs_.begin());
  if (lines_ >= 2 * runs_kept_) return Rewrite();
  return AppendLine(RunRecordJson(run) + "\n");
}

Status RunHistory::AppendLine(const std::string& line) {
  if (fd_ < 0) {
    LAGOA_ASSIGN_OR_RETURN(fd_, OpenFile(path_, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC));
  }
  LAGOA_RETURN_IF_ERROR(WriteAll(fd_, std::as_bytes(std::span(line.data(), line.size())), path_));
  ++lines_;
  return Status::Ok();
}

Status RunHistory::Rewrite() {
  std::string contents;
  for (const auto& [id, run] : runs_) contents += RunRecordJson(run) + "\n";
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  LAGOA_RETURN_IF_ERROR(WriteFileAtomically(path_, contents));
  lines_ = runs_.size();
  return Status::Ok();
}

std::vector<RunRecord> RunHistory::List(const std::string& job, size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<RunRecord> out;
  for (auto it = runs_.rbegin(); it != runs_.rend() && out.size() < limit; ++it) {
    if (job.empty() || it->second.job == job) out.push_back(it->second);
  }
  return out;
}

std::optional<RunRecord> RunHistory::Find(int64_t id) const {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return std::nullopt;
  return it->second;
}

std::optional<RunRecord> RunHistory::Latest(const std::string& job) const {
  std::vector<RunRecord> runs = List(job, 1);
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

std::optional<int64_t> RunHistory::LastScheduledDueMs(const std::string& job) const {
  std::lock_guard lock(mu_);
  std::optional<int64_t> last;
  for (const auto& [id, run] : runs_) {
    if (run.job == job && IsScheduled(run)) last = std::max(last.value_or(run.due_ms), run.due_ms);
  }
  return last;
}

}  // namespace lagoa::jobs
