// SqlApi: POST /v1/sql. The body is the SQL text (any content type but JSON), or JSON
// {"sql": "...", "params": [1, "a", null, true, 2.5]} whose params fill $1, $2 … of a single
// statement. Every statement of the text runs in order in one session that no other request
// changed: a worker keeps its session for the next request only when every statement of this one
// was a SELECT that succeeded — so the session's views of streams and tables are
// not re-created for every request — and otherwise opens a fresh one (SET, temporary objects,
// transactions and prepared statements never leak into another request). The response holds the
// last statement's result, as ?format=
//   json (default): {"columns": [{"name", "type"}], "rows": [[…]], "row_count", "changed_rows"
//                    (DML only), "elapsed_ms"} with values as DuckDB's to_json gives them;
//   ndjson: one JSON object per row; csv: a header line and RFC 4180 rows (DuckDB's text).
// A result that ends within its first piece (about 256 KiB: rows are added a DuckDB chunk of
// 2,048 at a time until it is reached) is answered whole with its Content-Length, in one write;
// a longer one is streamed (chunked) as DuckDB produces rows, in bounded pieces, so a result of
// any size costs bounded memory. Errors before the first row is sent: 400 with DuckDB's message (syntax,
// binding, conversion), 408 past the statement timeout, 429 when every worker is busy and the
// queue is full, 503 when stopping or out of SQL sessions. An error after rows were sent closes
// the connection without the final chunk (a truncated response, never a complete wrong one).
//
// Lifecycle: Make() → Start() (starts the workers) → Stop() (answers queued requests 503, cancels
// and waits for running statements, joins); must outlive the HttpServer that calls Handle().
// Threads: Handle() runs on HTTP I/O threads and only queues; `workers` threads ("lagoa-sql") run
// the statements, each in its own session.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/http_server.h"
#include "sql/sql_engine.h"

namespace lagoa::http {

struct SqlApiOptions {
  int workers = 4;        // statements running at once over HTTP
  size_t queue_max = 64;  // requests waiting for a worker
  static SqlApiOptions Defaults() { return {}; }
  Status Validate() const;
};

class SqlApi {
 public:
  static Result<std::unique_ptr<SqlApi>> Make(sql::SqlEngine* engine, SqlApiOptions options);
  ~SqlApi();
  SqlApi(const SqlApi&) = delete;
  SqlApi& operator=(const SqlApi&) = delete;

  void Start();
  void Stop();

  static bool Owns(const HttpRequest& request) { return request.path == "/v1/sql"; }
  void Handle(HttpRequest&& request, Responder respond);

 private:
  struct Job {
    HttpRequest request;
    Responder respond;
  };
  SqlApi(sql::SqlEngine* engine, SqlApiOptions options) : engine_(engine), options_(options) {}
  void RunWorker();
  // Runs the request's statements and answers through `respond` (a streamed body once rows come).
  // Runs the request's statements; true when the session may serve the next request (see above).
  bool Run(const HttpRequest& request, sql::Session& session, const Responder& respond);

  sql::SqlEngine* const engine_;
  const SqlApiOptions options_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Job> queue_;  // guarded by mu_
  // What Stop must cancel: each worker's session and, once its answer streams, its body.
  struct Running {
    sql::Session* session;
    std::shared_ptr<ResponseStream> body;
  };
  std::vector<Running> running_;  // guarded by mu_
  bool stopping_ = false;         // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace lagoa::http
