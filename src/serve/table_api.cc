#include "serve/table_api.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/clock.h"
#include "base/file_util.h"
#include "base/json_writer.h"
#include "base/thread_name.h"
#include "lake/delta_log.h"
#include "schema/schema.h"
#include "schema/types.h"
#include "serve/table_operations_internal.h"

namespace lagoa::serve {
namespace {

constexpr std::string_view kTablesPath = "/v1/tables";
// Rows per page (also the default): pages are materialised before they are cut at 32 MiB.
constexpr int64_t kRowsLimitMax = 10'000;
constexpr int64_t kHistoryLimitDefault = 1'000;
constexpr int64_t kHistoryLimitMax = 100'000;
// Compaction reads each output file into memory before putting it into the store.
constexpr int64_t kTargetFileBytesMax = 1ll << 30;

using internal::TableRef;

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

Result<internal::VersionChoice> VersionParams(const HttpRequest& req) {
  internal::VersionChoice choice;
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

}  // namespace

Result<std::unique_ptr<TableApi>> TableApi::Make(ingest::StreamRegistry* registry, lake::AttachedTables* attached,
                                                 TableApiOptions options) {
  LAGOA_RETURN_IF_ERROR(options.duckdb.Validate());
  LAGOA_RETURN_IF_ERROR(options.compact.Validate());
  if (options.queue_max == 0) return Status::InvalidArgument("the table operation queue needs room for one");
  if (options.stream_table_writes == nullptr)
    return Status::InvalidArgument("TableApi needs the stream-table write lock");
  lake::LocalObjectStoreOptions store;
  store.root = options.lake_dir;
  store.create_if_missing = true;
  std::unique_ptr<TableApi> api(new TableApi(registry, attached, std::move(options)));
  LAGOA_ASSIGN_OR_RETURN(api->lake_store_, lake::LocalObjectStore::Make(store));
  return api;
}

TableApi::~TableApi() { Stop(); }

void TableApi::Start() {
  {
    std::lock_guard lock(mu_);
    running_ = true;
  }
  worker_ = std::thread([this] {
    SetCurrentThreadName("lagoa-tables");
    RunWorker();
  });
}

void TableApi::Stop() {
  std::deque<Job> abandoned;
  {
    std::lock_guard lock(mu_);
    running_ = false;
    abandoned.swap(queue_);
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  for (Job& job : abandoned) job.respond(HttpResponse::Error(503, "the server is stopping"));
}

void TableApi::Submit(std::function<HttpResponse()> work, Responder respond, bool always) {
  {
    std::lock_guard lock(mu_);
    if (running_ && (always || queue_.size() < options_.queue_max)) {
      queue_.push_back(Job{std::move(work), std::move(respond)});
      cv_.notify_one();
      return;
    }
  }
  respond(HttpResponse::Error(
      503, fmt::format("table operations are busy ({} waiting) or stopping; retry later", options_.queue_max)));
}

void TableApi::RunWorker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !running_ || !queue_.empty(); });
      if (!running_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    HttpResponse response;
    try {
      response = job.work();
    } catch (const std::exception& e) {  // a library threw (allocation, filesystem): answer, keep serving
      response = HttpResponse::Error(500, fmt::format("table operation failed: {}", e.what()));
    }
    job.respond(std::move(response));
  }
}

bool TableApi::Owns(const HttpRequest& request) {
  return request.path == kTablesPath || request.path.starts_with(std::string(kTablesPath) + "/");
}

std::optional<std::string> TableApi::TableHolding(const std::string& name) const {
  if (attached_->Find(name)) return "an attached table";
  if (options_.lake_tables != nullptr && options_.lake_tables->FindIgnoringCase(name)) {
    return "a table made by SQL (CREATE TABLE)";
  }
  return std::nullopt;
}

Result<TableRef> TableApi::Resolve(const std::string& name) {
  TableRef ref;
  ref.name = name;
  // A table in a directory of its own (attached, or made by SQL), read through its own store.
  auto own_directory = [&](const std::filesystem::path& path, const char* kind, bool read_only) -> Result<TableRef> {
    lake::LocalObjectStoreOptions store;
    store.root = path;
    LAGOA_ASSIGN_OR_RETURN(ref.owned_store, lake::LocalObjectStore::Make(store));
    ref.kind = kind;
    ref.path = path;
    ref.store = ref.owned_store.get();
    ref.read_only = read_only;
    return std::move(ref);
  };
  if (auto attached = attached_->Find(name)) return own_directory(attached->path, "attached", /*read_only=*/true);
  if (options_.lake_tables != nullptr) {
    if (auto table = options_.lake_tables->Find(name)) return own_directory(table->path, "table", /*read_only=*/false);
  }
  auto stream = registry_->Find(name);
  if (!stream || ingest::StreamRegistry::IsDeadLetterName(name)) {
    return Status::NotFound(fmt::format(
        "no table named \"{}\": tables are the lake tables of streams, tables made by SQL and attached tables "
        "(GET /v1/tables)",
        name));
  }
  if (!stream->definition->lake.enabled) {
    return Status::NotFound(
        fmt::format("stream \"{}\" has no lake table: it was created with \"lake\": {{\"enabled\": false}}", name));
  }
  ref.kind = "stream";
  ref.path = options_.lake_dir / name;
  ref.store = lake_store_.get();
  ref.prefix = name + "/";
  return ref;
}

HttpResponse TableApi::ListTables() {
  std::vector<std::string> names;
  for (const auto& handle : registry_->List()) {
    const auto& def = *handle.definition;
    if (def.lake.enabled && !ingest::StreamRegistry::IsDeadLetterName(def.name)) names.push_back(def.name);
  }
  for (const auto& table : attached_->List()) names.push_back(table.name);
  if (options_.lake_tables != nullptr) {
    for (const auto& table : options_.lake_tables->List()) names.push_back(table.name);
  }
  std::string body = "{\"tables\":[";
  bool first = true;
  for (const std::string& name : names) {
    auto ref = Resolve(name);
    if (!ref.ok()) continue;  // dropped meanwhile
    HttpResponse one = internal::Describe(*ref, options_.duckdb);
    if (one.status != 200) {  // listed all the same, with the reason it cannot be read
      JsonWriter w;
      w.BeginObject().Key("name").String(name).Key("kind").String(ref->kind);
      w.Key("path").String(ref->path.string()).Key("error").Raw(one.body).EndObject();
      one.body = w.Take();
    }
    if (!first) body += ',';
    body += one.body;
    first = false;
  }
  body += "]}";
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse TableApi::Attach(lake::AttachedTable table) {
  if (registry_->Find(table.name)) {
    return HttpResponse::FromStatus(Status::AlreadyExists(
        fmt::format("\"{}\" is the name of a stream; attach the table under another name", table.name)));
  }
  if (std::optional<std::string> holder = TableHolding(table.name); holder && !attached_->Find(table.name)) {
    return HttpResponse::FromStatus(Status::AlreadyExists(
        fmt::format("\"{}\" is the name of {}; attach the table under another name", table.name, *holder)));
  }
  if (!table.path.is_absolute()) {
    return HttpResponse::FromStatus(Status::InvalidArgument(
        fmt::format("the path of table \"{}\" must be absolute, found `{}`", table.name, table.path.string())));
  }
  table.path = table.path.lexically_normal();
  const auto inside = [&](const std::filesystem::path& dir) { return IsPathUnder(table.path, dir); };
  if (!options_.attach_dirs.empty() && std::none_of(options_.attach_dirs.begin(), options_.attach_dirs.end(), inside)) {
    std::string dirs;
    for (const std::filesystem::path& dir : options_.attach_dirs) dirs += (dirs.empty() ? "" : ", ") + dir.string();
    return HttpResponse::FromStatus(Status::PermissionDenied(fmt::format(
        "table \"{}\": `{}` is outside the folders tables may be attached from ({}); move the table there or add its "
        "folder to the server's `attach_dirs`",
        table.name, table.path.string(), dirs)));
  }
  lake::LocalObjectStoreOptions store_options;
  store_options.root = table.path;
  auto store = lake::LocalObjectStore::Make(store_options);
  if (!store.ok()) return HttpResponse::FromStatus(store.status().WithContext("attaching a table"));
  auto duckdb = lake::DuckDbConnection::Make(options_.duckdb);
  if (!duckdb.ok()) return HttpResponse::FromStatus(duckdb.status());
  // Only a table lagoa can read is attached: the reader refuses unknown protocols here.
  lake::DeltaLogReader reader(store->get(), duckdb->get(), "");
  if (auto snapshot = reader.LoadSnapshot(); !snapshot.ok()) {
    return HttpResponse::FromStatus(snapshot.status().WithContext(fmt::format("attaching `{}`", table.path.string())));
  }
  table.attached_ms = WallNowMicros() / 1000;
  std::string name = table.name;
  if (Status s = attached_->Attach(std::move(table)); !s.ok()) return HttpResponse::FromStatus(s);
  auto ref = Resolve(name);
  if (!ref.ok()) return HttpResponse::FromStatus(ref.status());
  return internal::Describe(*ref, options_.duckdb, 201);
}

HttpResponse TableApi::Detach(const std::string& name) {
  if (!attached_->Find(name)) {
    return HttpResponse::FromStatus(Status::FailedPrecondition(fmt::format(
        "\"{}\" is not an attached table; a stream's lake table goes with its stream (DELETE /v1/streams/{}), a "
        "table made by SQL with DROP TABLE",
        name, name)));
  }
  if (Status s = attached_->Detach(name); !s.ok()) return HttpResponse::FromStatus(s);
  JsonWriter w;
  w.BeginObject().Key("detached").String(name).EndObject();
  return HttpResponse::Json(200, w.Take());
}

void TableApi::RemoveStreamTable(const std::string& name, Responder respond) {
  Submit(
      [this, name] {
        std::lock_guard write_lock(*options_.stream_table_writes);
        std::error_code ec;
        std::filesystem::remove_all(options_.lake_dir / name, ec);
        if (options_.on_stream_table_removed) options_.on_stream_table_removed(name);
        if (ec) {
          return HttpResponse::FromStatus(
              Status::IoError(fmt::format("stream \"{}\" was dropped, but removing its lake table {} "
                                          "failed: {}",
                                          name, (options_.lake_dir / name).string(), ec.message())));
        }
        JsonWriter w;
        w.BeginObject().Key("dropped").String(name).EndObject();
        return HttpResponse::Json(200, w.Take());
      },
      std::move(respond), /*always=*/true);
}

void TableApi::Handle(HttpRequest&& req, Responder respond) {
  const std::string& method = req.method;
  if (req.path == kTablesPath || req.path == std::string(kTablesPath) + "/") {
    if (method == "GET") return Submit([this] { return ListTables(); }, std::move(respond));
    if (method == "POST") {
      auto table = AttachBody(req.body);
      if (!table.ok()) return respond(HttpResponse::FromStatus(table.status().WithContext("attaching a table")));
      return Submit([this, table = std::move(table).value()] { return Attach(table); }, std::move(respond));
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
  // Runs `operation` on the resolved table, on the worker; `write` refuses read-only tables and
  // holds the stream-table write lock.
  auto on_table = [this, name, &respond](bool write, auto operation) {
    Submit(
        [this, name, write, operation] {
          auto ref = Resolve(name);
          if (!ref.ok()) return HttpResponse::FromStatus(ref.status());
          if (!write) return operation(*ref);
          if (ref->read_only) {
            return HttpResponse::FromStatus(Status::FailedPrecondition(fmt::format(
                "table \"{}\" is attached read-only: lagoa never writes tables other engines own", ref->name)));
          }
          std::lock_guard write_lock(*options_.stream_table_writes);
          return operation(*ref);
        },
        std::move(respond));
  };

  if (action.empty() && method == "GET") {
    return on_table(false, [this](const TableRef& t) { return internal::Describe(t, options_.duckdb); });
  }
  if (action.empty() && method == "DELETE") return Submit([this, name] { return Detach(name); }, std::move(respond));
  if (action == "history" && method == "GET") {
    auto limit = IntParam(req, "limit", kHistoryLimitDefault, 1, kHistoryLimitMax);
    if (!limit.ok()) return bad(limit.status());
    return on_table(false, [limit = *limit](const TableRef& t) { return internal::History(t, limit); });
  }
  if (action == "rows" && method == "GET") {
    auto choice = VersionParams(req);
    auto offset = IntParam(req, "offset", 0, 0, INT64_MAX);
    auto limit = IntParam(req, "limit", kRowsLimitMax, 1, kRowsLimitMax);
    for (const Status& s : {choice.status(), offset.status(), limit.status()}) {
      if (!s.ok()) return bad(s);
    }
    return on_table(false, [this, choice = *choice, offset = *offset, limit = *limit](const TableRef& t) {
      return internal::Rows(t, options_.duckdb, choice, offset, limit);
    });
  }
  if (action == "compact" && method == "POST") {
    lake::CompactOptions compact = options_.compact;
    compact.scratch_dir = options_.scratch_dir;
    auto target = IntParam(req, "target_file_bytes", compact.target_file_bytes, 1, kTargetFileBytesMax);
    auto small = IntParam(req, "small_file_bytes", compact.small_file_bytes, 1, kTargetFileBytesMax);
    auto min_files = IntParam(req, "min_small_files", compact.min_small_files, 2, 1'000'000);
    for (const Status& s : {target.status(), small.status(), min_files.status()}) {
      if (!s.ok()) return bad(s);
    }
    compact.target_file_bytes = *target;
    compact.small_file_bytes = *small;
    compact.min_small_files = static_cast<int>(*min_files);
    if (Status s = compact.Validate(); !s.ok()) return bad(s);
    return on_table(true,
                    [this, compact](const TableRef& t) { return internal::Compact(t, options_.duckdb, compact); });
  }
  if (action == "vacuum" && method == "POST") {
    lake::VacuumOptions vacuum;
    auto hours = IntParam(req, "retain_hours", options_.vacuum_retention.count(), 0, 1'000'000);
    auto dry_run = BoolParam(req, "dry_run");
    auto allow_short = BoolParam(req, "allow_short_retention");
    for (const Status& s : {hours.status(), dry_run.status(), allow_short.status()}) {
      if (!s.ok()) return bad(s);
    }
    vacuum.retention = std::chrono::hours(*hours);
    vacuum.dry_run = *dry_run;
    vacuum.allow_short_retention = *allow_short;
    if (Status s = vacuum.Validate(); !s.ok()) return bad(s);
    return on_table(true, [this, vacuum](const TableRef& t) { return internal::Vacuum(t, options_.duckdb, vacuum); });
  }
  respond(HttpResponse::Error(
      404, fmt::format("no route for {} {}; table routes: GET /v1/tables[/NAME[/history|/rows]], POST /v1/tables "
                       "(attach), DELETE /v1/tables/NAME (detach), POST /v1/tables/NAME/compact|vacuum",
                       method, req.path)));
}

}  // namespace lagoa::serve
