// RestApi: the routes of lagoa's HTTP API (see src/http/README.md for the table): health,
// metrics, streams (create, list, describe, drop), event ingestion and reading a stream's events
// (with long polling for `lagoa stream tail --follow`); /v1/tables goes to the TableApi,
// /v1/sql to the SqlApi, /v1/catalog to the CatalogApi, /v1/projects and /v1/jobs to the JobsApi.
//
// Lifecycle: constructed → Start() (starts the long-poll timer thread) → Stop(); must outlive the
// HttpServer that calls Handle(). Threads: Handle() runs on HTTP I/O threads and never blocks on
// a wait; long polls wait on the RestApi's own timer thread.
#pragma once

#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "http/http_server.h"
#include "http/sql_api.h"
#include "http/table_api.h"
#include "ingest/ingest_service.h"
#include "ingest/stream_registry.h"
#include "jobs/job_service.h"

namespace lagoa::http {

// The services the routes call; borrowed, they must outlive the RestApi. `tables`, `sql` and
// `catalog` may be null: no /v1/tables, /v1/sql or /v1/catalog routes (a new stream's name is then
// checked against streams only).
struct RestApiServices {
  ingest::StreamRegistry* registry = nullptr;
  ingest::IngestService* ingest = nullptr;
  log::Log* log = nullptr;
  tables::TableService* tables = nullptr;
  SqlApi* sql = nullptr;
  catalog::Catalog* catalog = nullptr;
  jobs::JobService* jobs = nullptr;  // null: no /v1/projects or /v1/jobs routes
};

class RestApi {
 public:
  explicit RestApi(RestApiServices services);
  ~RestApi();
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  void Start();
  void Stop();
  void Handle(HttpRequest&& request, Responder respond);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lagoa::http
