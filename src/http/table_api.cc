#include "http/table_api.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/clock.h"
#include "base/json_writer.h"
#include "schema/schema.h"
#include "schema/types.h"

namespace lagoa::http {
namespace {

constexpr std::string_view kTablesPath = "/v1/tables";
// Rows per page (also the default): pages are materialised before they are cut at 32 MiB.
constexpr int64_t kRowsLimitMax = 10'000;
constexpr int64_t kHistoryLimitDefault = 1'000;
constexpr int64_t kHistoryLimitMax = 100'000;
// Compaction reads each output file into memory before putting it into the store.
constexpr int64_t kTargetFileBytesMax = 1ll << 30;

Result<int64_t> IntParam(const HttpRequest& req, const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  auto it = req.query.find(key);
  if (it == req.query.end()) return fallback;
  const std::string& text = it->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return Status::InvalidArgument(
        fmt::format("query parameter `{}`: expected a whole number from {} to {}, got `{}`", key, min, max, text));
  }
  return value;
}

Result<bool> BoolParam(const HttpRequest& req, const std::string& key) {
  std::string text = req.Query(key, "false");
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return Status::InvalidArgument(fmt::format("query parameter `{}`: expected true or false, got `{}`", key, text));
}

Result<tables::VersionChoice> VersionParams(const HttpRequest& req) {
  tables::VersionChoice choice;
  if (req.query.contains("version")) {
    LAGOA_ASSIGN_OR_RETURN(int64_t version, IntParam(req, "version", 0, 0, INT64_MAX));
    choice.version = version;
  }
  if (req.query.contains("timestamp")) {
    if (choice.version) return Status::InvalidArgument("give `version` or `timestamp`, not both");
    auto micros = schema::ParseTimestampMicros(req.Query("timestamp"));
    if (!micros.ok()) return micros.status().WithContext("query parameter `timestamp`");
    choice.timestamp_ms = *micros / 1000;
  }
  return choice;
}

// The body of POST /v1/tables: {"name": "sales", "path": "/data/sales"}.
Result<lake::AttachedTable> AttachBody(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  const std::string_view expected = R"(expected {"name": "NAME", "path": "/absolute/path/of/the/table"})";
  if (parser.parse(body.data(), body.size(), true).get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument(fmt::format("the body is not a JSON object; {}", expected));
  }
  lake::AttachedTable table;
  for (auto [key, value] : object) {
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS || (key != "name" && key != "path")) {
      return Status::InvalidArgument(
          fmt::format("unexpected key \"{}\" or a value that is not a string; {}", key, expected));
    }
    if (key == "name") {
      table.name = std::string(text);
    } else {
      table.path = std::string(text);
    }
  }
  if (table.name.empty() || table.path.empty())
    return Status::InvalidArgument(fmt::format("missing a key; {}", expected));
  return table;
}

std::string FormatMillis(int64_t ms) { return FormatRfc3339Micros(ms * 1000); }

void WriteTableIdentity(JsonWriter& w, const tables::TableInfo& table) {
  w.Key("name").String(table.name).Key("kind").String(table.kind).Key("path").String(table.path.string());
  w.Key("read_only").Bool(table.read_only);
}

void WriteDescription(JsonWriter& w, const tables::TableDescription& d) {
  WriteTableIdentity(w, d.table);
  if (!d.version) {  // a stream table nothing has been loaded into yet
    w.Key("version").Null().Key("files").Int(0).Key("rows").Int(0).Key("size_bytes").Int(0);
    return;
  }
  w.Key("version").Int(d.version->value()).Key("id").String(d.id);
  w.Key("created");
  if (d.created_ms) {
    w.String(FormatMillis(*d.created_ms));
  } else {
    w.Null();
  }
  w.Key("columns").BeginArray();
  for (const lake::DeltaColumn& column : d.columns) {
    w.BeginObject().Key("name").String(column.name).Key("type");
    if (column.type) {
      w.String(column.type->ToSql());
    } else {
      w.Null();
    }
    w.Key("delta_type").String(column.spark_type).Key("nullable").Bool(column.nullable).EndObject();
  }
  w.EndArray().Key("partition_columns").BeginArray();
  for (const std::string& column : d.partition_columns) w.String(column);
  w.EndArray();
  w.Key("files").Uint(d.files).Key("rows");
  if (d.rows) {
    w.Int(*d.rows);
  } else {
    w.Null();
  }
  w.Key("size_bytes").Uint(d.size_bytes).Key("partitions").Uint(d.partitions);
  w.Key("checkpoint_version");
  if (d.checkpoint_version) {
    w.Int(d.checkpoint_version->value());
  } else {
    w.Null();
  }
  w.Key("applications").BeginObject();
  for (const auto& [app_id, version] : d.applications) w.Key(app_id).Int(version);
  w.EndObject();
}

std::string DescriptionJson(const tables::TableDescription& d) {
  JsonWriter w;
  w.BeginObject();
  WriteDescription(w, d);
  w.EndObject();
  return w.Take();
}

std::string ListJson(const std::vector<tables::ListedTable>& listed) {
  JsonWriter w;
  w.BeginObject().Key("tables").BeginArray();
  for (const tables::ListedTable& t : listed) {
    w.BeginObject();
    if (t.description) {
      WriteDescription(w, *t.description);
    } else {  // listed all the same, with the reason it cannot be read
      w.Key("name").String(t.table.name).Key("kind").String(t.table.kind).Key("path").String(t.table.path.string());
      const HttpResponse error = HttpResponse::FromStatus(t.error);
      w.Key("error").BeginObject().Key("error").String(t.error.message()).Key("status").Uint(error.status).EndObject();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

std::string HistoryJson(const tables::TableHistory& history) {
  JsonWriter w;
  w.BeginObject();
  WriteTableIdentity(w, history.table);
  w.Key("commits").BeginArray();
  for (const lake::CommitSummary& commit : history.commits) {
    w.BeginObject()
        .Key("version")
        .Int(commit.version.value())
        .Key("timestamp")
        .String(FormatMillis(commit.timestamp_ms));
    w.Key("operation").String(commit.operation).Key("operation_parameters").BeginObject();
    for (const auto& [key, value] : commit.operation_parameters) w.Key(key).String(value);
    w.EndObject().Key("engine_info").String(commit.engine_info);
    w.Key("files_added").Int(commit.files_added).Key("files_removed").Int(commit.files_removed);
    w.Key("rows_added").Int(commit.rows_added).Key("bytes_added").Int(commit.bytes_added).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

// NDJSON, one object per row; headers Lagoa-Table-Version and, when more rows may follow,
// Lagoa-Next-Offset.
HttpResponse RowsResponse(const tables::RowsPage& page) {
  HttpResponse response;
  response.content_type = "application/x-ndjson";
  for (const std::string& row : page.rows) {
    response.body += row;
    response.body += '\n';
  }
  response.headers.emplace_back("Lagoa-Table-Version", std::to_string(page.version.value()));
  if (page.next_offset) response.headers.emplace_back("Lagoa-Next-Offset", std::to_string(*page.next_offset));
  return response;
}

std::string CompactJson(const tables::CompactOutcome& outcome) {
  JsonWriter w;
  w.BeginObject();
  WriteTableIdentity(w, outcome.table);
  const lake::CompactResult& r = outcome.result;
  w.Key("version");
  if (r.version) {
    w.Int(r.version->value());
  } else {
    w.Null();
  }
  w.Key("files_removed").Int(r.files_removed).Key("files_added").Int(r.files_added);
  w.Key("bytes_removed").Uint(r.bytes_removed).Key("bytes_added").Uint(r.bytes_added);
  w.Key("rows").Uint(r.rows).EndObject();
  return w.Take();
}

std::string VacuumJson(const tables::VacuumOutcome& outcome) {
  JsonWriter w;
  w.BeginObject();
  WriteTableIdentity(w, outcome.table);
  w.Key("dry_run").Bool(outcome.dry_run).Key("files_deleted").Int(outcome.files_deleted);
  w.Key("bytes_deleted").Uint(outcome.bytes_deleted).Key("files").BeginArray();
  for (const std::string& file : outcome.files) w.String(file);
  w.EndArray().EndObject();
  return w.Take();
}

// The service's answer as an HTTP response: `format` for a result, the one table for an error.
template <typename T, typename Format>
tables::Done<T> Answer(Responder respond, Format format, unsigned status = 200) {
  return [respond = std::move(respond), format, status](Result<T> result) {
    if (!result.ok()) return respond(HttpResponse::FromStatus(result.status()));
    respond(HttpResponse::Json(status, format(*result)));
  };
}

}  // namespace

bool TableApi::Owns(const HttpRequest& request) {
  return request.path == kTablesPath || request.path.starts_with(std::string(kTablesPath) + "/");
}

void TableApi::Handle(HttpRequest&& req, Responder respond) {
  const std::string& method = req.method;
  if (req.path == kTablesPath || req.path == std::string(kTablesPath) + "/") {
    if (method == "GET") return tables_->List(Answer<std::vector<tables::ListedTable>>(std::move(respond), ListJson));
    if (method == "POST") {
      auto table = AttachBody(req.body);
      if (!table.ok()) return respond(HttpResponse::FromStatus(table.status().WithContext("attaching a table")));
      return tables_->Attach(std::move(table).value(),
                             Answer<tables::TableDescription>(std::move(respond), DescriptionJson, 201));
    }
    return respond(
        HttpResponse::Error(405, fmt::format("{} {}: expected GET (list) or POST (attach)", method, req.path)));
  }
  std::string rest = req.path.substr(kTablesPath.size() + 1);
  size_t slash = rest.find('/');
  HandleTable(rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash + 1), req, std::move(respond));
}

void TableApi::HandleTable(const std::string& name, const std::string& action, const HttpRequest& req,
                           Responder respond) {
  const std::string& method = req.method;
  auto bad = [&](const Status& s) { respond(HttpResponse::FromStatus(s)); };
  if (action.empty() && method == "GET") {
    return tables_->Describe(name, Answer<tables::TableDescription>(std::move(respond), DescriptionJson));
  }
  if (action.empty() && method == "DELETE") {
    return tables_->Detach(name, Answer<tables::TableInfo>(std::move(respond), [](const tables::TableInfo& table) {
                             JsonWriter w;
                             w.BeginObject().Key("detached").String(table.name).EndObject();
                             return w.Take();
                           }));
  }
  if (action == "history" && method == "GET") {
    auto limit = IntParam(req, "limit", kHistoryLimitDefault, 1, kHistoryLimitMax);
    if (!limit.ok()) return bad(limit.status());
    return tables_->History(name, *limit, Answer<tables::TableHistory>(std::move(respond), HistoryJson));
  }
  if (action == "rows" && method == "GET") {
    auto choice = VersionParams(req);
    auto offset = IntParam(req, "offset", 0, 0, INT64_MAX);
    auto limit = IntParam(req, "limit", kRowsLimitMax, 1, kRowsLimitMax);
    for (const Status& s : {choice.status(), offset.status(), limit.status()}) {
      if (!s.ok()) return bad(s);
    }
    return tables_->Rows(name, *choice, *offset, *limit, [respond = std::move(respond)](Result<tables::RowsPage> page) {
      respond(page.ok() ? RowsResponse(*page) : HttpResponse::FromStatus(page.status()));
    });
  }
  if (action == "compact" && method == "POST") {
    lake::CompactOptions compact = tables_->options().compact;
    auto target = IntParam(req, "target_file_bytes", compact.target_file_bytes, 1, kTargetFileBytesMax);
    auto small = IntParam(req, "small_file_bytes", compact.small_file_bytes, 1, kTargetFileBytesMax);
    auto min_files = IntParam(req, "min_small_files", compact.min_small_files, 2, 1'000'000);
    for (const Status& s : {target.status(), small.status(), min_files.status()}) {
      if (!s.ok()) return bad(s);
    }
    compact.target_file_bytes = *target;
    compact.small_file_bytes = *small;
    compact.min_small_files = static_cast<int>(*min_files);
    return tables_->Compact(name, compact, Answer<tables::CompactOutcome>(std::move(respond), CompactJson));
  }
  if (action == "vacuum" && method == "POST") {
    lake::VacuumOptions vacuum;
    auto hours = IntParam(req, "retain_hours", tables_->options().vacuum_retention.count(), 0, 1'000'000);
    auto dry_run = BoolParam(req, "dry_run");
    auto allow_short = BoolParam(req, "allow_short_retention");
    for (const Status& s : {hours.status(), dry_run.status(), allow_short.status()}) {
      if (!s.ok()) return bad(s);
    }
    vacuum.retention = std::chrono::hours(*hours);
    vacuum.dry_run = *dry_run;
    vacuum.allow_short_retention = *allow_short;
    return tables_->Vacuum(name, vacuum, Answer<tables::VacuumOutcome>(std::move(respond), VacuumJson));
  }
  respond(HttpResponse::Error(
      404, fmt::format("no route for {} {}; table routes: GET /v1/tables[/NAME[/history|/rows]], POST /v1/tables "
                       "(attach), DELETE /v1/tables/NAME (detach), POST /v1/tables/NAME/compact|vacuum",
                       method, req.path)));
}

}  // namespace lagoa::http
