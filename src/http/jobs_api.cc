#include "http/jobs_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

#include "base/clock.h"
#include "base/json_writer.h"

namespace lagoa::http {
namespace {

constexpr std::string_view kProjectsPath = "/v1/projects";
constexpr std::string_view kJobsPath = "/v1/jobs";
constexpr size_t kRunsListedMax = 1000;

void WriteTime(JsonWriter& w, std::optional<int64_t> ms) {
  if (ms) {
    w.String(FormatRfc3339Micros(*ms * 1000));
  } else {
    w.Null();
  }
}

void WriteJob(JsonWriter& w, const jobs::JobView& job, const std::optional<jobs::RunRecord>& last) {
  const jobs::JobSpec& spec = job.spec;
  w.BeginObject().Key("name").String(spec.name).Key("project").String(spec.project);
  w.Key("command").String(spec.command()).Key("select").String(spec.select).Key("exclude").String(spec.exclude);
  w.Key("schedule").String(spec.ScheduleText()).Key("timeout_ms").Int(spec.timeout_ms);
  w.Key("retries").Int(spec.retries).Key("paused").Bool(job.paused).Key("running").Bool(job.running);
  w.Key("queued").Uint(job.queued).Key("next_due");
  WriteTime(w, job.next_due_ms);
  w.Key("last_run");
  if (last) {
    w.Raw(jobs::RunRecordJson(*last));
  } else {
    w.Null();
  }
  w.EndObject();
}

void WriteProject(JsonWriter& w, const jobs::DeployedProject& project) {
  w.BeginObject().Key("name").String(project.name).Key("version").Int(project.version).Key("deployed");
  WriteTime(w, project.deployed_ms);
  w.Key("models").Uint(project.models).Key("jobs").BeginArray();
  for (const std::string& job : project.jobs) w.String(job);
  w.EndArray().EndObject();
}

// {"files": {"PATH": "CONTENTS", …}}
Result<std::vector<jobs::DeployFile>> DeployBody(const std::string& body) {
  const std::string_view expected = R"(expected {"files": {"lagoa_project.yml": "…", "models/NAME.sql": "…", …}})";
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  simdjson::dom::object files;
  if (parser.parse(body).get(object) != simdjson::SUCCESS || object["files"].get(files) != simdjson::SUCCESS) {
    return Status::InvalidArgument(fmt::format("the body is not a project; {}", expected));
  }
  std::vector<jobs::DeployFile> out;
  for (auto field : files) {
    std::string_view contents;
    if (field.value.get(contents) != simdjson::SUCCESS) {
      return Status::InvalidArgument(fmt::format("file `{}`: its contents are not a string; {}", field.key, expected));
    }
    out.push_back(jobs::DeployFile{.path = std::string(field.key), .contents = std::string(contents)});
  }
  return out;
}

Result<size_t> Limit(const HttpRequest& req) {
  const std::string text = req.Query("limit", "20");
  size_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size() || n < 1 || n > kRunsListedMax) {
    return Status::InvalidArgument(fmt::format("limit `{}`: expected a number from 1 to {}", text, kRunsListedMax));
  }
  return n;
}

}  // namespace

bool JobsApi::Owns(const HttpRequest& request) {
  const auto under = [&](std::string_view prefix) {
    return request.path == prefix || request.path.starts_with(std::string(prefix) + "/");
  };
  return under(kProjectsPath) || under(kJobsPath);
}

void JobsApi::Handle(HttpRequest&& req, const Responder& respond) {
  if (req.path == kProjectsPath || req.path.starts_with(std::string(kProjectsPath) + "/")) {
    return HandleProjects(std::move(req), respond);
  }
  if (req.path == kJobsPath || req.path == std::string(kJobsPath) + "/") {
    if (req.method != "GET") return respond(HttpResponse::Error(405, "GET /v1/jobs lists the deployed jobs"));
    JsonWriter w;
    w.BeginObject().Key("jobs").BeginArray();
    for (const jobs::JobView& job : jobs_->Jobs()) WriteJob(w, job, jobs_->history().Latest(job.spec.name));
    w.EndArray().EndObject();
    return respond(HttpResponse::Json(200, w.Take()));
  }
  const std::string rest = req.path.substr(kJobsPath.size() + 1);
  const size_t slash = rest.find('/');
  HandleJob(rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash + 1), std::move(req), respond);
}

void JobsApi::HandleProjects(HttpRequest&& req, const Responder& respond) {
  if (req.path == kProjectsPath || req.path == std::string(kProjectsPath) + "/") {
    if (req.method != "GET") return respond(HttpResponse::Error(405, "GET /v1/projects lists the deployed projects"));
    JsonWriter w;
    w.BeginObject().Key("projects").BeginArray();
    for (const jobs::DeployedProject& project : jobs_->Projects()) WriteProject(w, project);
    w.EndArray().EndObject();
    return respond(HttpResponse::Json(200, w.Take()));
  }
  const std::string name = req.path.substr(kProjectsPath.size() + 1);
  if (req.method == "PUT") {
    Result<std::vector<jobs::DeployFile>> files = DeployBody(req.body);
    if (!files.ok()) return respond(HttpResponse::FromStatus(files.status()));
    Result<jobs::DeployedProject> deployed = jobs_->Deploy(name, *files);
    if (!deployed.ok()) return respond(HttpResponse::FromStatus(deployed.status()));
    JsonWriter w;
    WriteProject(w, *deployed);
    return respond(HttpResponse::Json(200, w.Take()));
  }
  if (req.method == "DELETE") {
    if (Status removed = jobs_->Remove(name); !removed.ok()) return respond(HttpResponse::FromStatus(removed));
    return respond(HttpResponse::Json(200, "{}"));
  }
  respond(HttpResponse::Error(405, "PUT /v1/projects/NAME deploys a project, DELETE removes it"));
}

void JobsApi::HandleJob(const std::string& name, const std::string& tail, HttpRequest&& req, const Responder& respond) {
  const std::string& method = req.method;
  if (tail.empty() && method == "GET") {
    std::optional<jobs::JobView> job = jobs_->Job(name);
    if (!job) {
      return respond(
          HttpResponse::FromStatus(Status::NotFound(fmt::format("no job `{}` (GET /v1/jobs lists them)", name))));
    }
    JsonWriter w;
    WriteJob(w, *job, jobs_->history().Latest(name));
    return respond(HttpResponse::Json(200, w.Take()));
  }
  if (tail == "runs" && method == "GET") {
    Result<size_t> limit = Limit(req);
    if (!limit.ok()) return respond(HttpResponse::FromStatus(limit.status()));
    if (!jobs_->Job(name) && !jobs_->history().Latest(name)) {
      return respond(
          HttpResponse::FromStatus(Status::NotFound(fmt::format("no job `{}` (GET /v1/jobs lists them)", name))));
    }
    JsonWriter w;
    w.BeginObject().Key("runs").BeginArray();
    for (const jobs::RunRecord& run : jobs_->history().List(name, *limit)) w.Raw(jobs::RunRecordJson(run));
    w.EndArray().EndObject();
    return respond(HttpResponse::Json(200, w.Take()));
  }
  if (tail.starts_with("runs/") && method == "GET") {
    const std::string id_text = tail.substr(5);
    int64_t id = 0;
    auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    std::optional<jobs::RunRecord> run;
    if (error == std::errc() && end == id_text.data() + id_text.size()) run = jobs_->history().Find(id);
    if (!run || run->job != name) {
      return respond(HttpResponse::FromStatus(Status::NotFound(
          fmt::format("job `{}` has no run `{}` (GET /v1/jobs/{}/runs lists them)", name, id_text, name))));
    }
    return respond(HttpResponse::Json(200, jobs::RunRecordJson(*run)));
  }
  if (method == "POST" && (tail == "run" || tail == "pause" || tail == "resume")) {
    Status done = tail == "run" ? jobs_->Trigger(name) : jobs_->SetPaused(name, tail == "pause");
    if (!done.ok()) return respond(HttpResponse::FromStatus(done));
    return respond(HttpResponse::Json(200, "{}"));
  }
  if (method == "POST" && tail == "backfill") {
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    std::string_view from;
    std::string_view to;
    if (parser.parse(req.body).get(object) != simdjson::SUCCESS || object["from"].get(from) != simdjson::SUCCESS ||
        object["to"].get(to) != simdjson::SUCCESS) {
      return respond(HttpResponse::Error(
          400, R"(the body is not a backfill; expected {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"})"));
    }
    Result<size_t> runs = jobs_->Backfill(name, from, to);
    if (!runs.ok()) return respond(HttpResponse::FromStatus(runs.status()));
    return respond(HttpResponse::Json(200, fmt::format(R"({{"runs": {}}})", *runs)));
  }
  respond(
      HttpResponse::Error(404, fmt::format("no route {} /v1/jobs/{}{}{} (GET runs, POST run, pause, resume, backfill)",
                                           method, name, tail.empty() ? "" : "/", tail)));
}

}  // namespace lagoa::http
