// TableApi: the /v1/tables routes of the HTTP API (src/http/README.md has the table), a thin
// adapter over tables::TableService: it parses the route and parameters, calls the service and
// writes its typed result as JSON (or NDJSON rows); errors go through the one Status → HTTP table.
//
// Lifecycle: constructed over a started TableService, which must outlive it; must outlive the
// HttpServer that calls Handle(). Threads: Handle() runs on HTTP I/O threads and only queues the
// work; the answer is sent from the service's worker thread.
#pragma once

#include "http/http_server.h"
#include "tables/table_service.h"

namespace lagoa::http {

class TableApi {
 public:
  explicit TableApi(tables::TableService* tables) : tables_(tables) {}

  // Requests whose path is /v1/tables or starts with /v1/tables/.
  static bool Owns(const HttpRequest& request);
  void Handle(HttpRequest&& request, Responder respond);

 private:
  void HandleTable(const std::string& name, const std::string& action, const HttpRequest& req, Responder respond);

  tables::TableService* const tables_;
};

}  // namespace lagoa::http
