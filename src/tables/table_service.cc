#include "tables/table_service.h"

#include <algorithm>
#include <future>

#include <fmt/format.h>

#include "base/catch_all.h"
#include "base/clock.h"
#include "base/file_util.h"
#include "base/thread_name.h"
#include "lake/delta/delta_log.h"
#include "tables/table_operations_internal.h"

namespace lagoa::tables {

using internal::TableRef;

Status TableServiceOptions::Validate() const {
  LAGOA_RETURN_IF_ERROR(duckdb.Validate());
  LAGOA_RETURN_IF_ERROR(compact.Validate());
  if (queue_max == 0) return Status::InvalidArgument("the table operation queue needs room for one");
  if (stream_table_writes == nullptr) return Status::InvalidArgument("TableService needs the stream-table write lock");
  return Status::Ok();
}

Result<std::unique_ptr<TableService>> TableService::Make(ingest::StreamRegistry* registry,
                                                         lake::AttachedTables* attached, TableServiceOptions options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<TableService> service(new TableService(registry, attached, std::move(options)));
  LAGOA_ASSIGN_OR_RETURN(service->lake_store_,
                         lake::OpenObjectStore(service->options_.lake_dir.string(), /*create_if_missing=*/true));
  return service;
}

TableService::~TableService() { Stop(); }

void TableService::Start() {
  {
    std::lock_guard lock(mu_);
    running_ = true;
  }
  worker_ = std::thread([this] {
    SetCurrentThreadName("lagoa-tables");
    RunWorker();
  });
}

void TableService::Stop() {
  std::deque<Job> abandoned;
  {
    std::lock_guard lock(mu_);
    running_ = false;
    abandoned.swap(queue_);
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  for (Job& job : abandoned) job.refuse(Status::Unavailable("the server is stopping"));
}

void TableService::Queue(Job job, bool always) {
  {
    std::lock_guard lock(mu_);
    if (running_ && (always || queue_.size() < options_.queue_max)) {
      queue_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  job.refuse(Status::Unavailable(
      fmt::format("table operations are busy ({} waiting) or stopping; retry later", options_.queue_max)));
}

template <typename T>
void TableService::Submit(std::function<Result<T>()> work, Done<T> done, bool always) {
  auto shared_done = std::make_shared<Done<T>>(std::move(done));
  Job job;
  job.run = [work = std::move(work), shared_done] {
    std::optional<Result<T>> result;
    // A library that throws (allocation, filesystem) fails this operation only.
    Status escaped = CatchAll("a table operation", [&] { result.emplace(work()); });
    if (!escaped.ok()) result.emplace(escaped);
    (*shared_done)(std::move(*result));
  };
  job.refuse = [shared_done](Status status) { (*shared_done)(std::move(status)); };
  Queue(std::move(job), always);
}

void TableService::RunWorker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !running_ || !queue_.empty(); });
      if (!running_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.run();
  }
}

template <typename T>
void TableService::OnTable(const std::string& name, bool write, std::function<Result<T>(const Ref&)> operation,
                           Done<T> done) {
  Submit<T>(
      [this, name, write, operation = std::move(operation)]() -> Result<T> {
        LAGOA_ASSIGN_OR_RETURN(Ref ref, Resolve(name));
        if (!write) return operation(ref);
        if (ref.info.read_only) {
          return Status::FailedPrecondition(fmt::format(
              "table \"{}\" is attached read-only: lagoa never writes tables other engines own", ref.info.name));
        }
        std::lock_guard write_lock(*options_.stream_table_writes);
        return operation(ref);
      },
      std::move(done));
}

Result<TableRef> TableService::Resolve(const std::string& name) {
  TableRef ref;
  ref.info.name = name;
  // A table in a directory of its own (attached, or made by SQL), read through its own store.
  auto own_directory = [&](const std::filesystem::path& path, const char* kind, bool read_only) -> Result<TableRef> {
    LAGOA_ASSIGN_OR_RETURN(ref.owned_store, lake::OpenObjectStore(path.string()));
    ref.info.kind = kind;
    ref.info.path = path;
    ref.info.read_only = read_only;
    ref.store = ref.owned_store.get();
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
        "(GET /v1/tables, `lagoa table list`)",
        name));
  }
  if (!stream->definition->lake.enabled) {
    return Status::NotFound(
        fmt::format("stream \"{}\" has no lake table: it was created with \"lake\": {{\"enabled\": false}}", name));
  }
  ref.info.kind = "stream";
  ref.info.path = options_.lake_dir / name;
  ref.store = lake_store_.get();
  ref.prefix = name + "/";
  return ref;
}

void TableService::List(Done<std::vector<ListedTable>> done) {
  Submit<std::vector<ListedTable>>(
      [this]() -> Result<std::vector<ListedTable>> {
        std::vector<std::string> names;
        for (const auto& handle : registry_->List()) {
          const auto& def = *handle.definition;
          if (def.lake.enabled && !ingest::StreamRegistry::IsDeadLetterName(def.name)) names.push_back(def.name);
        }
        for (const auto& table : attached_->List()) names.push_back(table.name);
        if (options_.lake_tables != nullptr) {
          for (const auto& table : options_.lake_tables->List()) names.push_back(table.name);
        }
        std::vector<ListedTable> listed;
        for (const std::string& name : names) {
          auto ref = Resolve(name);
          if (!ref.ok()) continue;  // dropped meanwhile
          ListedTable entry{ref->info, std::nullopt, Status::Ok()};
          auto description = internal::Describe(*ref, options_.duckdb);
          if (description.ok()) {
            entry.description = std::move(description).value();
          } else {
            entry.error = description.status();  // listed all the same, with the reason it cannot be read
          }
          listed.push_back(std::move(entry));
        }
        return listed;
      },
      std::move(done));
}

void TableService::Describe(const std::string& name, Done<TableDescription> done) {
  OnTable<TableDescription>(
      name, false, [this](const Ref& t) { return internal::Describe(t, options_.duckdb); }, std::move(done));
}

void TableService::History(const std::string& name, std::optional<int64_t> limit, Done<TableHistory> done) {
  OnTable<TableHistory>(
      name, false, [limit](const Ref& t) { return internal::History(t, limit); }, std::move(done));
}

void TableService::Rows(const std::string& name, VersionChoice choice, int64_t offset, int64_t limit,
                        Done<RowsPage> done) {
  OnTable<RowsPage>(
      name, false,
      [this, choice, offset, limit](const Ref& t) { return internal::Rows(t, options_.duckdb, choice, offset, limit); },
      std::move(done));
}

void TableService::Compact(const std::string& name, lake::CompactOptions options, Done<CompactOutcome> done) {
  if (options.scratch_dir.empty()) options.scratch_dir = options_.scratch_dir;
  if (Status s = options.Validate(); !s.ok()) return done(s);
  OnTable<CompactOutcome>(
      name, true, [this, options](const Ref& t) { return internal::Compact(t, options_.duckdb, options); },
      std::move(done));
}

void TableService::Vacuum(const std::string& name, lake::VacuumOptions options, Done<VacuumOutcome> done) {
  if (Status s = options.Validate(); !s.ok()) return done(s);
  OnTable<VacuumOutcome>(
      name, true, [this, options](const Ref& t) { return internal::Vacuum(t, options_.duckdb, options); },
      std::move(done));
}

void TableService::Attach(lake::AttachedTable table, Done<TableDescription> done) {
  Submit<TableDescription>([this, table = std::move(table)]() { return AttachNow(table); }, std::move(done));
}

Result<TableDescription> TableService::AttachNow(lake::AttachedTable table) {
  if (options_.catalog != nullptr) {
    LAGOA_RETURN_IF_ERROR(options_.catalog->CheckRelationNameFree(table.name, "attaching a table"));
  } else if (registry_->Find(table.name)) {
    return Status::AlreadyExists(
        fmt::format("\"{}\" is the name of a stream; attach the table under another name", table.name));
  }
  if (!table.path.is_absolute()) {
    return Status::InvalidArgument(
        fmt::format("the path of table \"{}\" must be absolute, found `{}`", table.name, table.path.string()));
  }
  table.path = table.path.lexically_normal();
  const auto inside = [&](const std::filesystem::path& dir) { return IsPathUnder(table.path, dir); };
  if (!options_.attach_dirs.empty() && std::none_of(options_.attach_dirs.begin(), options_.attach_dirs.end(), inside)) {
    std::string dirs;
    for (const std::filesystem::path& dir : options_.attach_dirs) dirs += (dirs.empty() ? "" : ", ") + dir.string();
    return Status::PermissionDenied(fmt::format(
        "table \"{}\": `{}` is outside the folders tables may be attached from ({}); move the table there or add its "
        "folder to the server's `attach_dirs`",
        table.name, table.path.string(), dirs));
  }
  auto store = lake::OpenObjectStore(table.path.string());
  if (!store.ok()) return store.status().WithContext("attaching a table");
  LAGOA_ASSIGN_OR_RETURN(auto duckdb, duck::Connection::Make(options_.duckdb));
  // Only a table lagoa can read is attached: the reader refuses unknown protocols here.
  lake::DeltaLogReader reader(store->get(), duckdb.get(), "");
  if (auto snapshot = reader.LoadSnapshot(); !snapshot.ok()) {
    return snapshot.status().WithContext(fmt::format("attaching `{}`", table.path.string()));
  }
  table.attached_ms = WallNowMicros() / 1000;
  const std::string name = table.name;
  LAGOA_RETURN_IF_ERROR(attached_->Attach(std::move(table)));
  LAGOA_ASSIGN_OR_RETURN(Ref ref, Resolve(name));
  return internal::Describe(ref, options_.duckdb);
}

void TableService::Detach(const std::string& name, Done<TableInfo> done) {
  Submit<TableInfo>(
      [this, name]() -> Result<TableInfo> {
        auto attached = attached_->Find(name);
        if (!attached) {
          return Status::FailedPrecondition(fmt::format(
              "\"{}\" is not an attached table; a stream's lake table goes with its stream (DROP STREAM, DELETE "
              "/v1/streams/{}), a table made by SQL with DROP TABLE",
              name, name));
        }
        LAGOA_RETURN_IF_ERROR(attached_->Detach(name));
        return TableInfo{name, "attached", attached->path, true};
      },
      std::move(done));
}

void TableService::RemoveStreamTable(const std::string& name, std::function<void(Status)> done) {
  Submit<bool>(
      [this, name]() -> Result<bool> {
        std::lock_guard write_lock(*options_.stream_table_writes);
        const Status removed = lake::DeleteObjectStore((options_.lake_dir / name).string());
        if (options_.on_stream_table_removed) options_.on_stream_table_removed(name);
        LAGOA_RETURN_IF_ERROR(
            removed.WithContext(fmt::format("stream \"{}\" was dropped, but not its lake table", name)));
        return true;
      },
      [done = std::move(done)](const Result<bool>& r) { done(r.ok() ? Status::Ok() : r.status()); }, /*always=*/true);
}

Status TableService::RemoveStreamTableAndWait(const std::string& name) {
  auto removed = std::make_shared<std::promise<Status>>();
  std::future<Status> answer = removed->get_future();
  RemoveStreamTable(name, [removed](Status s) { removed->set_value(std::move(s)); });
  return answer.get();
}

}  // namespace lagoa::tables
