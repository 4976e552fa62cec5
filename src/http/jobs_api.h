// JobsApi: the /v1/projects and /v1/jobs routes, a thin adapter over jobs::JobService
// (src/http/README.md has the bodies):
//   PUT    /v1/projects/NAME        deploy: {"files": {"lagoa_project.yml": "…", "models/a.sql": "…"}}
//   GET    /v1/projects             the deployed projects
//   DELETE /v1/projects/NAME        stops scheduling its jobs and removes its files
//   GET    /v1/jobs                 every job: schedule, state, next time, latest run
//   GET    /v1/jobs/NAME            one job
//   GET    /v1/jobs/NAME/runs       its runs, newest first (?limit=, default 20)
//   GET    /v1/jobs/NAME/runs/ID    one run with its steps
//   POST   /v1/jobs/NAME/run        a run now
//   POST   /v1/jobs/NAME/pause      /resume
//   POST   /v1/jobs/NAME/backfill   {"from": "2024-01-01", "to": "2024-01-31"}: one run per day
//
// Lifecycle: constructed over the node's JobService, which must outlive it. Threads: Handle() runs
// on HTTP I/O threads; a deploy writes and checks the project's files there (milliseconds for a
// project of a few hundred files).
#pragma once

#include "http/http_server.h"
#include "jobs/job_service.h"

namespace lagoa::http {

class JobsApi {
 public:
  explicit JobsApi(jobs::JobService* jobs) : jobs_(jobs) {}

  static bool Owns(const HttpRequest& request);
  void Handle(HttpRequest&& request, const Responder& respond);

 private:
  void HandleProjects(HttpRequest&& request, const Responder& respond);
  void HandleJob(const std::string& name, const std::string& tail, HttpRequest&& request, const Responder& respond);
  jobs::JobService* const jobs_;
};

}  // namespace lagoa::http
