#include "serve/sql_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>

#include "base/json_writer.h"
#include "base/thread_name.h"

namespace lagoa::serve {
namespace {

enum class Format { kJson, kNdjson, kCsv };

HttpResponse ErrorFor(const Status& status) {
  unsigned code = 500;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kOutOfRange: code = 400; break;
    case StatusCode::kDeadlineExceeded: code = 408; break;
    case StatusCode::kResourceExhausted: code = 429; break;
    case StatusCode::kCancelled:
    case StatusCode::kUnavailable:
    case StatusCode::kFailedPrecondition: code = 503; break;
    default: break;
  }
  return HttpResponse::Error(code, status.message());
}

struct SqlRequest {
  std::string sql;
  std::vector<sql::Param> params;
  bool has_params = false;
};

Result<sql::Param> ParamFromJson(simdjson::dom::element value, size_t index) {
  switch (value.type()) {
    case simdjson::dom::element_type::NULL_VALUE: return sql::Param();
    case simdjson::dom::element_type::BOOL: return sql::Param(bool(value.get_bool()));
    case simdjson::dom::element_type::INT64: return sql::Param(int64_t(value.get_int64()));
    case simdjson::dom::element_type::UINT64: return sql::Param(std::string(simdjson::to_string(value)));
    case simdjson::dom::element_type::DOUBLE: return sql::Param(double(value.get_double()));
    case simdjson::dom::element_type::STRING: return sql::Param(std::string(std::string_view(value.get_string())));
    default:
      return Status::InvalidArgument(fmt::format(
          "\"params\"[{}] is an array or object; a parameter is a string, number, boolean or null", index));
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
    return Status::InvalidArgument(fmt::format("the body is not valid JSON ({}); send {{\"sql\": \"...\", "
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
      return Status::InvalidArgument(fmt::format("unknown key \"{}\" in the body; expected \"sql\" and \"params\"", key));
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

// Appends the cursor's rows to `body` in `format`; ResourceExhausted past `bytes_max`.
Status AppendRows(sql::Cursor& cursor, Format format, size_t bytes_max, std::string* body, int64_t* rows) {
  const std::vector<sql::ResultColumn>& columns = cursor.columns();
  std::string cell;
  while (true) {
    LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<sql::ResultChunk> chunk, cursor.Next());
    if (chunk == nullptr) return Status::Ok();
    for (size_t r = 0; r < chunk->row_count(); ++r) {
      if (format == Format::kJson) body->append(*rows > 0 ? ",[" : "[");
      if (format == Format::kNdjson) body->push_back('{');
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c > 0) body->push_back(',');
        if (format == Format::kNdjson) {
          AppendJsonString(*body, columns[c].name);
          body->push_back(':');
        }
        const bool null = chunk->IsNull(c, r);
        if (format == Format::kCsv) {
          if (null) continue;
          cell.clear();
          chunk->AppendText(c, r, &cell);
          AppendCsvField(body, cell);
        } else if (null) {
          body->append("null");
        } else {
          chunk->AppendJson(c, r, body);
        }
      }
      body->append(format == Format::kNdjson ? "}\n" : format == Format::kJson ? "]" : "\n");
      ++*rows;
    }
    if (body->size() > bytes_max) {
      return Status::OutOfRange(fmt::format("the result is larger than the {} bytes one response may hold; add a "
                                            "LIMIT or aggregate",
                                            bytes_max));
    }
  }
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
    for (sql::Session* session : running_) session->Cancel();
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
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Result<std::unique_ptr<sql::Session>> session = engine_->OpenSession();
    if (!session.ok()) {
      job.respond(HttpResponse::Error(503, session.status().message()));
      continue;
    }
    {
      std::lock_guard lock(mu_);
      running_.push_back(session->get());
    }
    HttpResponse response = Run(job.request, **session);
    {
      std::lock_guard lock(mu_);
      std::erase(running_, session->get());
    }
    job.respond(std::move(response));
  }
}

HttpResponse SqlApi::Run(const HttpRequest& request, sql::Session& session) {
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
    return HttpResponse::Error(400, fmt::format("unknown format \"{}\"; expected json, ndjson or csv", format_name));
  }
  Result<SqlRequest> parsed = ParseRequest(request);
  if (!parsed.ok()) return ErrorFor(parsed.status());
  Result<size_t> count = session.Parse(parsed->sql);
  if (!count.ok()) return ErrorFor(count.status());
  if (*count == 0) return HttpResponse::Error(400, "the body holds no SQL statement");
  if (parsed->has_params && *count != 1) {
    return HttpResponse::Error(400, fmt::format("\"params\" need exactly one statement; the text has {}", *count));
  }
  std::unique_ptr<sql::Cursor> cursor;
  for (size_t i = 0; i < *count; ++i) {
    cursor.reset();
    Result<std::unique_ptr<sql::Statement>> statement = session.PrepareParsed(i);
    if (!statement.ok()) return ErrorFor(statement.status().WithContext(fmt::format("statement {}", i + 1)));
    Result<std::unique_ptr<sql::Cursor>> executed = (*statement)->Execute(parsed->params);
    if (!executed.ok()) return ErrorFor(executed.status().WithContext(fmt::format("statement {}", i + 1)));
    cursor = std::move(*executed);
  }

  HttpResponse response;
  int64_t rows = 0;
  std::string body;
  if (format == Format::kJson) {
    JsonWriter header;
    header.BeginObject().Key("columns").BeginArray();
    for (const sql::ResultColumn& column : cursor->columns()) {
      header.BeginObject().Key("name").String(column.name).Key("type").String(column.type.sql).EndObject();
    }
    header.EndArray();
    body = header.Take();
    body.append(",\"rows\":[");
  } else if (format == Format::kCsv) {
    const auto& columns = cursor->columns();
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) body.push_back(',');
      AppendCsvField(&body, columns[c].name);
    }
    if (!columns.empty()) body.push_back('\n');
  }
  Status status = AppendRows(*cursor, format, options_.response_bytes_max, &body, &rows);
  if (!status.ok()) {
    if (status.code() == StatusCode::kOutOfRange) return HttpResponse::Error(413, status.message());
    return ErrorFor(status);
  }
  const int64_t elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (format == Format::kJson) {
    body += fmt::format("],\"row_count\":{}", rows);
    if (cursor->changed_rows() >= 0) body += fmt::format(",\"changed_rows\":{}", cursor->changed_rows());
    body += fmt::format(",\"elapsed_ms\":{}}}", elapsed_ms);
    response.content_type = "application/json";
  } else {
    response.content_type = format == Format::kCsv ? "text/csv" : "application/x-ndjson";
    response.headers.emplace_back("Lagoa-Row-Count", std::to_string(rows));
  }
  response.headers.emplace_back("Lagoa-Elapsed-Ms", std::to_string(elapsed_ms));
  response.body = std::move(body);
  return response;
}

}  // namespace lagoa::serve
