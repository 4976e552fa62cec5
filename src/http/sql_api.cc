#include "http/sql_api.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "base/catch_all.h"
#include "base/json_writer.h"
#include "base/thread_name.h"

namespace lagoa::http {
namespace {

enum class Format { kJson, kNdjson, kCsv };

// Formatted rows are handed to the connection in pieces of about this size; at most
// kStreamQueueBytes wait to be written, so a response holds a bounded amount of memory.
constexpr size_t kPieceBytes = 256u << 10;
constexpr size_t kStreamQueueBytes = 1u << 20;

struct SqlRequest {
  std::string sql;
  std::vector<sql::Param> params;
  bool has_params = false;
};

Result<sql::Param> ParamFromJson(simdjson::dom::element value, size_t index) {
  switch (value.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return sql::Param();
    case simdjson::dom::element_type::BOOL:
      return sql::Param(bool(value.get_bool()));
    case simdjson::dom::element_type::INT64:
      return sql::Param(int64_t(value.get_int64()));
    case simdjson::dom::element_type::UINT64:
      return sql::Param(std::string(simdjson::to_string(value)));
    case simdjson::dom::element_type::DOUBLE:
      return sql::Param(double(value.get_double()));
    case simdjson::dom::element_type::STRING:
      return sql::Param(std::string(std::string_view(value.get_string())));
    default:
      return Status::InvalidArgument(
          fmt::format("\"params\"[{}] is an array or object; a parameter is a string, number, boolean or null", index));
  }
}

Result<SqlRequest> ParseRequest(const HttpRequest& request) {
  SqlRequest parsed;
  if (request.content_type != "application/json") {
    parsed.sql = request.body;
    return parsed;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(request.body).get(root); error) {
    return Status::InvalidArgument(
        fmt::format("the body is not valid JSON ({}); send {{\"sql\": \"...\", "
                    "\"params\": [...]}} or the SQL text as text/plain",
                    simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (root.get(object)) return Status::InvalidArgument("the JSON body must be an object: {\"sql\": \"...\"}");
  bool has_sql = false;
  for (auto [key, value] : object) {
    if (key == "sql") {
      std::string_view text;
      if (value.get(text)) return Status::InvalidArgument("\"sql\" must be a string");
      parsed.sql = std::string(text);
      has_sql = true;
    } else if (key == "params") {
      simdjson::dom::array array;
      if (value.get(array)) return Status::InvalidArgument("\"params\" must be an array");
      parsed.has_params = true;
      size_t index = 0;
      for (simdjson::dom::element item : array) {
        LAGOA_ASSIGN_OR_RETURN(sql::Param param, ParamFromJson(item, index++));
        parsed.params.push_back(std::move(param));
      }
    } else {
      return Status::InvalidArgument(
          fmt::format("unknown key \"{}\" in the body; expected \"sql\" and \"params\"", key));
    }
  }
  if (!has_sql) return Status::InvalidArgument("the JSON body has no \"sql\"");
  return parsed;
}

void AppendCsvField(std::string* out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// Appends the rows of `chunk` to `out` in `format`; `rows` counts the rows written so far.
void AppendRows(const sql::ResultChunk& chunk, const std::vector<sql::ResultColumn>& columns, Format format,
                std::string* out, int64_t* rows) {
  std::string cell;
  for (size_t r = 0; r < chunk.row_count(); ++r) {
    if (format == Format::kJson) out->append(*rows > 0 ? ",[" : "[");
    if (format == Format::kNdjson) out->push_back('{');
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out->push_back(',');
      if (format == Format::kNdjson) {
        AppendJsonString(*out, columns[c].name);
        out->push_back(':');
      }
      const bool null = chunk.IsNull(c, r);
      if (format == Format::kCsv) {
        if (null) continue;
        cell.clear();
        chunk.AppendText(c, r, &cell);
        AppendCsvField(out, cell);
      } else if (null) {
        out->append("null");
      } else {
        chunk.AppendJson(c, r, out);
      }
    }
    out->append(format == Format::kNdjson ? "}\n" : format == Format::kJson ? "]" : "\n");
    ++*rows;
  }
}

// The start of the body: the JSON object up to its rows, or the CSV header line.
std::string BodyStart(const std::vector<sql::ResultColumn>& columns, Format format) {
  if (format == Format::kJson) {
    JsonWriter header;
    header.BeginObject().Key("columns").BeginArray();
    for (const sql::ResultColumn& column : columns) {
      header.BeginObject().Key("name").String(column.name).Key("type").String(column.type.sql).EndObject();
    }
    header.EndArray();
    return header.Take() + ",\"rows\":[";
  }
  std::string body;
  if (format == Format::kCsv && !columns.empty()) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) body.push_back(',');
      AppendCsvField(&body, columns[c].name);
    }
    body.push_back('\n');
  }
  return body;
}

// What follows the last row: for json, the row count, the changed rows of DML and the time taken.
void AppendBodyEnd(Format format, int64_t rows, int64_t changed_rows, std::chrono::steady_clock::time_point start,
                   std::string* out) {
  if (format != Format::kJson) return;
  const int64_t elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  *out += fmt::format("],\"row_count\":{}", rows);
  if (changed_rows >= 0) *out += fmt::format(",\"changed_rows\":{}", changed_rows);
  *out += fmt::format(",\"elapsed_ms\":{}}}", elapsed_ms);
}

// An answer that ends the request early: the session is not kept (a statement may have left state).
bool Refuse(const Responder& respond, HttpResponse response) {
  respond(std::move(response));
  return false;
}

bool Abort(ResponseStream& stream) {
  stream.Abort();
  return false;
}

}  // namespace

Status SqlApiOptions::Validate() const {
  if (workers < 1) return Status::InvalidArgument(fmt::format("sql_http_workers must be >= 1, got {}", workers));
  if (queue_max < 1) return Status::InvalidArgument("the SQL request queue must hold at least 1 request");
  return Status::Ok();
}

Result<std::unique_ptr<SqlApi>> SqlApi::Make(sql::SqlEngine* engine, SqlApiOptions options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<SqlApi>(new SqlApi(engine, options));
}

SqlApi::~SqlApi() { Stop(); }

void SqlApi::Start() {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { RunWorker(); });
}

void SqlApi::Stop() {
  std::deque<Job> refused;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    refused.swap(queue_);
    for (Running& running : running_) {
      running.session->Cancel();
      if (running.body != nullptr) running.body->Cancel();  // a worker blocked on a slow client
    }
  }
  ready_.notify_all();
  for (Job& job : refused) job.respond(HttpResponse::Error(503, "the server is stopping"));
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void SqlApi::Handle(HttpRequest&& request, Responder respond) {
  if (request.method != "POST") {
    HttpResponse response = HttpResponse::Error(405, "use POST /v1/sql with the SQL text as the body");
    response.headers.emplace_back("Allow", "POST");
    return respond(std::move(response));
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return respond(HttpResponse::Error(503, "the server is stopping"));
    if (queue_.size() >= options_.queue_max) {
      return respond(HttpResponse::Error(
          429, fmt::format("{} SQL requests are waiting for a worker; retry later", queue_.size())));
    }
    queue_.push_back({std::move(request), std::move(respond)});
  }
  ready_.notify_one();
}

void SqlApi::RunWorker() {
  SetCurrentThreadName("lagoa-sql");
  std::unique_ptr<sql::Session> session;  // kept between requests that only queried
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (session == nullptr) {
      Result<std::unique_ptr<sql::Session>> opened = engine_->OpenSession();
      if (!opened.ok()) {
        job.respond(HttpResponse::Error(503, opened.status().message()));
        continue;
      }
      session = std::move(opened).value();
    }
    {
      std::lock_guard lock(mu_);
      running_.push_back({session.get(), nullptr});
    }
    bool answered = false;
    const Responder respond = [&](HttpResponse response) {
      answered = true;
      job.respond(std::move(response));
    };
    bool reusable = false;
    const Status ran = CatchAll("POST /v1/sql", [&] { reusable = Run(job.request, *session, respond); });
    if (!ran.ok()) {
      spdlog::error("sql: {}", ran.message());
      if (!answered) job.respond(HttpResponse::Error(500, ran.message()));
      reusable = false;
    }
    {
      std::lock_guard lock(mu_);
      std::erase_if(running_, [&](const Running& r) { return r.session == session.get(); });
    }
    if (!reusable) session.reset();
  }
}

bool SqlApi::Run(const HttpRequest& request, sql::Session& session, const Responder& respond) {
  const auto start = std::chrono::steady_clock::now();
  const std::string format_name = request.Query("format", "json");
  Format format;
  if (format_name == "json") {
    format = Format::kJson;
  } else if (format_name == "ndjson") {
    format = Format::kNdjson;
  } else if (format_name == "csv") {
    format = Format::kCsv;
  } else {
    return Refuse(respond, HttpResponse::Error(
                               400, fmt::format("unknown format \"{}\"; expected json, ndjson or csv", format_name)));
  }
  Result<SqlRequest> parsed = ParseRequest(request);
  if (!parsed.ok()) return Refuse(respond, HttpResponse::FromStatus(parsed.status()));
  Result<size_t> count = session.Parse(parsed->sql);
  if (!count.ok()) return Refuse(respond, HttpResponse::FromStatus(count.status()));
  if (*count == 0) return Refuse(respond, HttpResponse::Error(400, "the body holds no SQL statement"));
  if (parsed->has_params && *count != 1) {
    return Refuse(respond, HttpResponse::Error(
                               400, fmt::format("\"params\" need exactly one statement; the text has {}", *count)));
  }
  std::unique_ptr<sql::Cursor> cursor;
  bool only_queries = true;
  for (size_t i = 0; i < *count; ++i) {
    cursor.reset();
    Result<std::unique_ptr<sql::Statement>> statement = session.PrepareParsed(i);
    if (!statement.ok()) {
      return Refuse(respond,
                    HttpResponse::FromStatus(statement.status().WithContext(fmt::format("statement {}", i + 1))));
    }
    const sql::StatementKind kind = (*statement)->kind();
    // EXPLAIN ANALYZE runs its statement, which may be anything.
    only_queries = only_queries && kind == sql::StatementKind::kSelect;
    Result<std::unique_ptr<sql::Cursor>> executed = (*statement)->Execute(parsed->params);
    if (!executed.ok()) {
      return Refuse(respond,
                    HttpResponse::FromStatus(executed.status().WithContext(fmt::format("statement {}", i + 1))));
    }
    cursor = std::move(*executed);
  }
  // Rows are formatted until a piece is full or the result ends. A result that ends within its
  // first piece is answered whole, with its length, in one write: no hand-over per piece between
  // this worker and the connection's thread, and a failure anywhere in it is still an error
  // answer. A longer result is streamed from that piece on.
  Result<std::unique_ptr<sql::ResultChunk>> chunk = cursor->Next();
  if (!chunk.ok()) return Refuse(respond, HttpResponse::FromStatus(chunk.status()));
  const std::vector<sql::ResultColumn>& columns = cursor->columns();
  std::string piece = BodyStart(columns, format);
  int64_t rows = 0;
  while (*chunk != nullptr && piece.size() < kPieceBytes) {
    AppendRows(**chunk, columns, format, &piece, &rows);
    chunk = cursor->Next();
    if (!chunk.ok()) return Refuse(respond, HttpResponse::FromStatus(chunk.status()));
  }
  HttpResponse response;
  response.content_type = format == Format::kJson  ? "application/json"
                          : format == Format::kCsv ? "text/csv"
                                                   : "application/x-ndjson";
  if (*chunk == nullptr) {
    AppendBodyEnd(format, rows, cursor->changed_rows(), start, &piece);
    response.body = std::move(piece);
    respond(std::move(response));
    return only_queries;
  }

  auto stream = std::make_shared<ResponseStream>(kStreamQueueBytes);
  response.stream = stream;
  {
    std::lock_guard lock(mu_);
    for (Running& running : running_) {
      if (running.session == &session) running.body = stream;
    }
    if (stopping_) stream->Cancel();
  }
  respond(std::move(response));
  if (!stream->Push(std::move(piece))) return Abort(*stream);
  piece.clear();
  while (*chunk != nullptr) {
    AppendRows(**chunk, columns, format, &piece, &rows);
    if (piece.size() >= kPieceBytes) {
      if (!stream->Push(std::move(piece))) return Abort(*stream);  // the client left or we stop
      piece.clear();
    }
    chunk = cursor->Next();
    if (!chunk.ok()) {
      // The status line is sent already: a truncated chunked body tells the client it failed.
      spdlog::warn("POST /v1/sql: the statement failed after its first rows were sent: {}", chunk.status().ToString());
      return Abort(*stream);
    }
  }
  AppendBodyEnd(format, rows, cursor->changed_rows(), start, &piece);
  if (!piece.empty() && !stream->Push(std::move(piece))) return Abort(*stream);
  stream->Finish();
  return only_queries;
}

}  // namespace lagoa::http
