#include "server/node.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/file_faults.h"
#include "base/file_util.h"
#include "base/metrics.h"
#include "base/process_limits.h"
#include "catalog/catalog.h"
#include "catalog/sources.h"
#include "duck/allocator.h"
#include "http/http_server.h"
#include "http/rest_api.h"
#include "ingest/ingest_service.h"
#include "ingest/stream_registry.h"
#include "jobs/job_service.h"
#include "jobs/lake_loading.h"
#include "lake/attached_tables.h"
#include "log/log.h"
#include "pg/pg_server.h"
#include "schema/catalog.h"
#include "server/heap_trimmer.h"
#include "sql/sql_engine.h"
#include "tables/table_service.h"

namespace lagoa::server {
namespace {

// Pages DuckDB's allocator freed stay mapped this long (duck::SetFreedPagesKeptMs): longer
// than a loader pass and the gap between statements, so their memory is reused, not faulted in.
constexpr int64_t kDuckDbFreedPagesKeptMs = 10'000;

// The heap trimmer walks glibc's arenas once they hold this much free (pages given back count
// too): below it, a walk would give back less than the page faults of filling it again cost.
constexpr uint64_t kHeapTrimFreeBytesMin = 32ull << 20;

// The memory budget's shares on /metrics (their use is published by each owner as it changes).
void PublishMemoryBudget(ServerConfig config) {
  MetricsRegistry& metrics = MetricsRegistry::Global();
  const std::string help = "The memory a share of the budget may hold (src/server/README.md, \"Memory budget\").";
  for (const MemoryShare& share : MemoryShares(config)) {
    metrics.GetGauge("lagoa_memory_budget_bytes", help, {{"share", share.name}})
        ->Set(static_cast<int64_t>(*share.bytes));
  }
  if (config.memory_limit_bytes != 0) {
    metrics.GetGauge("lagoa_memory_budget_bytes", help, {{"share", "total"}})
        ->Set(static_cast<int64_t>(config.memory_limit_bytes));
  }
}

}  // namespace

struct Node::Components {
  int lock_fd = -1;
  std::unique_ptr<HeapTrimmer> heap_trimmer;
  std::unique_ptr<log::Log> log;
  std::unique_ptr<schema::Catalog> catalog;
  std::unique_ptr<jobs::LakeLoading> lake;
  std::mutex stream_table_writes;  // every writer of a stream table in this process holds it
  std::unique_ptr<lake::AttachedTables> attached;
  // Every named object (src/catalog); the SQL engine adds its own sources to it. Its users stop
  // before the sources' owners go.
  std::unique_ptr<catalog::Catalog> objects;
  std::vector<std::unique_ptr<catalog::Source>> object_sources;
  std::unique_ptr<tables::TableService> tables;
  std::unique_ptr<ingest::StreamRegistry> registry;
  std::unique_ptr<sql::SqlEngine> sql;
  std::unique_ptr<jobs::JobService> jobs;  // deployed projects' jobs, run on `sql`
  std::unique_ptr<http::SqlApi> sql_api;
  std::unique_ptr<pg::PgServer> pg;
  std::unique_ptr<ingest::IngestService> ingest;
  std::unique_ptr<http::RestApi> api;
  std::unique_ptr<http::HttpServer> http;
};

namespace {

// `<data dir>/tmp`: local files in flight (Parquet files before they enter the lake). Whatever a
// previous process left there is garbage: nothing refers to it.
Result<std::filesystem::path> ResetScratchDir(const std::filesystem::path& data_dir) {
  std::filesystem::path dir = data_dir / "tmp";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!ec) std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot reset the scratch directory {}: {}", dir.string(), ec.message()));
  return dir;
}

lake::CompactOptions CompactOptionsFor(const jobs::JobsConfig& config) {
  lake::CompactOptions compact;
  compact.target_file_bytes = static_cast<int64_t>(config.lake_file_bytes_target);
  compact.small_file_bytes = compact.target_file_bytes / 4;
  return compact;
}

}  // namespace

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("lagoa");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

Node::Node(ServerConfig config) : config_(std::move(config)), c_(std::make_unique<Components>()) {}

Node::~Node() { Stop(); }

Result<std::unique_ptr<Node>> Node::Make(const ServerConfig& config) { return std::unique_ptr<Node>(new Node(config)); }

namespace {

// One builder per component, called by Node::Start in dependency order; each reads its section of
// the configuration and the components built before it.

Status StartLog(const ServerConfig& server, Node::Components& c) {
  const log::LogConfig& config = server.log;
  log::LogOptions log_options;
  log_options.dir = server.data_dir / "log";
  log_options.durability = config.durability_fsync ? log::Durability::kFsync : log::Durability::kNone;
  if (!config.durability_fsync) {
    spdlog::warn(
        "DURABILITY IS OFF (durability = none): events are acknowledged before they reach the disk and a "
        "machine crash loses them. Use this for benchmarks only.");
  }
  log_options.segment_bytes_max = config.segment_bytes_max;
  log_options.free_space_min_bytes = config.free_space_min_bytes;
  log_options.free_space_min_percent = config.free_space_min_percent;
  log_options.pending_bytes_max = config.pending_bytes_max;
  log_options.producer_key_window_ms = std::chrono::hours(config.idempotency_window_hours);
  log_options.producer_keys_max = config.idempotency_keys_max;
  LAGOA_ASSIGN_OR_RETURN(c.log, log::Log::Open(log_options));
  return c.log->Start();
}

Status StartStreams(const ServerConfig& config, Node::Components& c) {
  LAGOA_ASSIGN_OR_RETURN(c.catalog, schema::Catalog::Open(config.data_dir / "catalog"));
  log::RetentionPolicy retention;
  retention.max_age_ms = config.log.retention_max_age_ms;
  retention.max_bytes = config.log.retention_max_bytes;
  LAGOA_ASSIGN_OR_RETURN(c.registry, ingest::StreamRegistry::Open(c.log.get(), c.catalog.get(), retention));
  return Status::Ok();
}

Status StartLakeLoading(const ServerConfig& server, const std::filesystem::path& scratch_dir, Node::Components& c) {
  const jobs::JobsConfig& config = server.jobs;
  if (config.lake_load_interval_ms <= 0) return Status::Ok();
  jobs::LakeLoadingOptions lake;
  lake.dir = server.data_dir / "lake";
  lake.interval_ms = std::chrono::milliseconds(config.lake_load_interval_ms);
  lake.scratch_dir = scratch_dir;
  lake.file_bytes_max = static_cast<int64_t>(config.lake_file_bytes_target);
  lake.nice = config.lake_load_nice;
  lake.compact = CompactOptionsFor(config);
  lake.stream_table_writes = &c.stream_table_writes;
  lake.duckdb.memory_limit = fmt::format("{}MiB", config.lake_memory_limit_bytes >> 20);
  lake.duckdb.temp_dir = scratch_dir;
  if (config.lake_maintenance_interval_ms > 0) {
    lake.maintenance_interval = std::chrono::milliseconds(config.lake_maintenance_interval_ms);
  }
  if (config.lake_vacuum_retention_hours > 0) {
    lake.vacuum_retention = std::chrono::hours(config.lake_vacuum_retention_hours);
  }
  LAGOA_ASSIGN_OR_RETURN(c.lake, jobs::LakeLoading::Make(c.log.get(), c.registry.get(), std::move(lake)));
  c.lake->Start();
  return Status::Ok();
}

void StartIngest(const ServerConfig& config, Node::Components& c) {
  ingest::IngestOptions ingest_options;
  ingest_options.auto_create_streams = config.ingest.auto_create_streams;
  ingest_options.max_body_bytes = config.http.max_body_bytes;
  // Every named object shares the streams' namespace; the catalog exists before the HTTP server takes events.
  ingest_options.check_new_name = [objects = &c.objects](std::string_view name) {
    return (*objects)->CheckRelationNameFree(name, fmt::format("creating stream \"{}\" for its first event", name));
  };
  c.ingest = std::make_unique<ingest::IngestService>(c.registry.get(), ingest_options);
}

Status StartCatalog(const ServerConfig& config, Node::Components& c) {
  LAGOA_ASSIGN_OR_RETURN(c.attached, lake::AttachedTables::Open(config.data_dir / "attached_tables.json"));
  LAGOA_ASSIGN_OR_RETURN(c.objects, catalog::Catalog::Open(config.data_dir / "catalog_tags.json"));
  c.object_sources.push_back(std::make_unique<catalog::StreamsSource>(c.registry.get(), config.data_dir / "lake"));
  c.object_sources.push_back(std::make_unique<catalog::TablesSource>(c.attached.get()));
  for (const auto& source : c.object_sources) c.objects->AddSource(source.get());
  return Status::Ok();
}

// The folders tables may be attached from; SQL may read them.
std::vector<std::filesystem::path> AttachDirs(const ServerConfig& config) {
  std::vector<std::filesystem::path> attach_dirs = config.attach_dirs;
  attach_dirs.push_back(config.files_dir);
  return attach_dirs;
}

Status StartSql(const ServerConfig& config, const std::filesystem::path& scratch_dir, Node::Components& c) {
  sql::SqlEngineOptions sql_options;
  sql_options.lake_dir = config.data_dir / "lake";
  sql_options.temp_dir = scratch_dir;
  sql_options.tables_dir = config.data_dir / "tables";
  sql_options.files_dir = config.files_dir;
  sql_options.objects_path = config.data_dir / "sql_objects.json";
  // Attached tables are read from their own folders: those tables may be attached from, and those
  // of tables attached before (SQL cannot be allowed a folder once it runs).
  sql_options.read_dirs = AttachDirs(config);
  for (const lake::AttachedTable& table : c.attached->List()) sql_options.read_dirs.push_back(table.path);
  sql_options.threads = static_cast<int>(config.sql.threads != 0 ? config.sql.threads
                                                                 : std::max(1u, std::thread::hardware_concurrency()));
  sql_options.memory_limit = fmt::format("{}MiB", std::max<uint64_t>(1, config.sql.memory_limit_bytes >> 20));
  sql_options.tail_cache_bytes = config.sql.tail_cache_bytes;
  sql_options.statement_timeout_ms = std::chrono::milliseconds(config.sql.statement_timeout_ms);
  sql_options.text_bytes_max = config.sql.text_bytes_max;
  sql_options.boolean_operators_max = config.sql.boolean_operators_max;
  sql_options.nesting_depth_max = config.sql.nesting_depth_max;
  // Every PostgreSQL connection and HTTP worker holds a session; a few spare for the rest.
  sql_options.sessions_max = static_cast<int>(config.pg.connections_max + config.http.sql_workers + 8);
  // As DELETE /v1/streams/NAME: the stream, then its lake table (on the table worker, which waits
  // for the loader's current write).
  sql_options.drop_stream = [c = &c](const std::string& stream) -> Status {
    LAGOA_RETURN_IF_ERROR(c->registry->Drop(stream));
    return c->tables->RemoveStreamTableAndWait(stream).WithContext("the stream is dropped, but not its lake table");
  };
  sql_options.ingest = c.ingest.get();
  sql_options.catalog = c.objects.get();
  LAGOA_ASSIGN_OR_RETURN(c.sql, sql::SqlEngine::Make(sql_options, c.log.get(), c.registry.get(), c.attached.get()));
  for (const std::string& error : c.sql->restore_errors()) spdlog::warn("sql: {}", error);
  return Status::Ok();
}

Status StartTables(const ServerConfig& config, const std::filesystem::path& scratch_dir, Node::Components& c) {
  tables::TableServiceOptions tables;
  tables.lake_dir = config.data_dir / "lake";
  tables.scratch_dir = scratch_dir;
  // Compaction and VACUUM through the table API use the lake keys the loader's maintenance uses.
  tables.compact = CompactOptionsFor(config.jobs);
  tables.stream_table_writes = &c.stream_table_writes;
  if (config.jobs.lake_vacuum_retention_hours > 0) {
    tables.vacuum_retention = std::chrono::hours(config.jobs.lake_vacuum_retention_hours);
  }
  jobs::LakeLoading* loading = c.lake.get();
  tables.on_stream_table_removed = [loading](const std::string& stream) {
    if (loading != nullptr) loading->ForgetStream(stream);
  };
  tables.lake_tables = c.sql->lake_tables();
  tables.catalog = c.objects.get();
  tables.duckdb.memory_limit = fmt::format("{}MiB", config.tables.memory_limit_bytes >> 20);
  tables.duckdb.temp_dir = scratch_dir;
  tables.attach_dirs = AttachDirs(config);
  LAGOA_ASSIGN_OR_RETURN(c.tables, tables::TableService::Make(c.registry.get(), c.attached.get(), std::move(tables)));
  c.tables->Start();
  return Status::Ok();
}

// What a Delta table's latest commit is called (`00000000000000000012.json`): its version, as text.
Result<std::string> LatestCommit(const std::filesystem::path& table_dir) {
  std::error_code ec;
  std::string latest;
  for (const auto& entry : std::filesystem::directory_iterator(table_dir / "_delta_log", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".json") && name.size() == 25 && name > latest) latest = name;
  }
  if (ec || latest.empty()) return Status::NotFound(fmt::format("{} holds no Delta table", table_dir.string()));
  return latest.substr(0, 20);
}

// An on_new_data job's upstream (jobs/job_spec.h): a stream's version is where its partitions'
// logs end; a lake or attached table's, its latest commit.
Result<std::string> DataVersion(const Node::Components& c, const std::string& name) {
  if (std::optional<ingest::StreamHandle> stream = c.registry->Find(name)) {
    int64_t end = 0;
    for (int32_t p = 0; p < stream->log->partition_count(); ++p) {
      end += stream->log->partition(PartitionId(p))->next_offset().value();
    }
    return std::to_string(end);
  }
  if (auto table = c.sql->lake_tables()->FindIgnoringCase(name)) return LatestCommit(table->path);
  if (auto table = c.attached->FindIgnoringCase(name)) return LatestCommit(table->path);
  return Status::NotFound(fmt::format("no stream or lake table `{}`", name));
}

Status StartJobs(const ServerConfig& config, Node::Components& c) {
  jobs::JobServiceOptions options;
  options.projects_dir = config.data_dir / "projects";
  options.state_dir = config.data_dir / "jobs";
  options.runs_concurrent_max = static_cast<size_t>(config.jobs.runs_concurrent_max);
  options.sql_bytes_max = config.sql.text_bytes_max;
  options.engine = c.sql.get();
  options.data_version = [components = &c](const std::string& name) { return DataVersion(*components, name); };
  LAGOA_ASSIGN_OR_RETURN(c.jobs, jobs::JobService::Make(std::move(options)));
  c.jobs->Start();
  return Status::Ok();
}

// The front doors: SQL over HTTP, PostgreSQL, then the REST routes and the HTTP server.
Status StartFrontDoors(const ServerConfig& config, Node::Components& c) {
  http::SqlApiOptions sql_api = http::SqlApiOptions::Defaults();
  sql_api.workers = static_cast<int>(config.http.sql_workers);
  LAGOA_ASSIGN_OR_RETURN(c.sql_api, http::SqlApi::Make(c.sql.get(), sql_api));
  c.sql_api->Start();
  if (config.pg.enabled) {
    pg::PgServerOptions pg_options;
    pg_options.host = config.pg.host;
    pg_options.port = config.pg.port;
    pg_options.connections_max = static_cast<int>(config.pg.connections_max);
    pg_options.connections_per_ip_max = static_cast<int>(config.pg.connections_per_ip_max);
    pg_options.startup_timeout_ms = config.pg.startup_timeout_ms;
    pg_options.idle_timeout_ms = config.pg.idle_timeout_ms;
    for (const auto& [name, password] : config.pg.users) pg_options.users.push_back({name, password});
    LAGOA_ASSIGN_OR_RETURN(c.pg, pg::PgServer::Make(std::move(pg_options), c.sql.get()));
    LAGOA_RETURN_IF_ERROR(c.pg->Start());
  }
  http::RestApiServices services;
  services.registry = c.registry.get();
  services.ingest = c.ingest.get();
  services.log = c.log.get();
  services.tables = c.tables.get();
  services.sql = c.sql_api.get();
  services.catalog = c.objects.get();
  services.jobs = c.jobs.get();
  c.api = std::make_unique<http::RestApi>(services);
  c.api->Start();

  http::HttpServerOptions http_options;
  http_options.host = config.http.host;
  http_options.port = config.http.port;
  http_options.threads =
      config.http.threads != 0 ? config.http.threads : std::max(1u, std::thread::hardware_concurrency());
  http_options.max_connections = config.http.max_connections;
  http_options.connections_per_ip_max = config.http.connections_per_ip_max;
  http_options.header_timeout_ms = config.http.header_timeout_ms;
  http_options.body_timeout_ms = config.http.body_timeout_ms;
  http_options.idle_timeout_ms = config.http.idle_timeout_ms;
  http_options.max_body_bytes = config.http.max_body_bytes;
  http_options.body_memory_bytes_max = config.ingest.memory_bytes_max;
  LAGOA_ASSIGN_OR_RETURN(http_options.tokens, http::ParseHttpTokens(config.http.tokens));
  http::RestApi* api = c.api.get();
  LAGOA_ASSIGN_OR_RETURN(c.http,
                         http::HttpServer::Make(http_options, [api](http::HttpRequest&& req, http::Responder r) {
                           api->Handle(std::move(req), std::move(r));
                         }));
  return c.http->Start();
}

}  // namespace

Status Node::Start() {
  LAGOA_ASSIGN_OR_RETURN(c_->lock_fd, LockDataDir(config_.data_dir));
  PublishMemoryBudget(config_);
  if (config_.heap_trim_interval_ms > 0) {
    c_->heap_trimmer =
        HeapTrimmer::Start(std::chrono::milliseconds(config_.heap_trim_interval_ms), kHeapTrimFreeBytesMin);
  }
  LAGOA_RETURN_IF_ERROR(StartLog(config_, *c_));
  LAGOA_RETURN_IF_ERROR(StartStreams(config_, *c_));
  LAGOA_ASSIGN_OR_RETURN(std::filesystem::path scratch_dir, ResetScratchDir(config_.data_dir));
  LAGOA_RETURN_IF_ERROR(StartLakeLoading(config_, scratch_dir, *c_));
  StartIngest(config_, *c_);
  LAGOA_RETURN_IF_ERROR(StartCatalog(config_, *c_));
  LAGOA_RETURN_IF_ERROR(StartSql(config_, scratch_dir, *c_));
  LAGOA_RETURN_IF_ERROR(StartTables(config_, scratch_dir, *c_));
  LAGOA_RETURN_IF_ERROR(StartJobs(config_, *c_));
  return StartFrontDoors(config_, *c_);
}

void Node::Stop() {
  if (c_->jobs) c_->jobs->Stop();  // cancels the running runs: they are retried at the next start
  if (c_->sql) c_->sql->Stop();    // interrupts every statement, planned or running; none starts any more
  // Table operations first: queued ones are answered while HTTP still runs, and the running one
  // finishes before the HTTP drain starts its clock.
  if (c_->tables) c_->tables->Stop();
  if (c_->pg) c_->pg->Stop();            // cancels running statements, closes client connections
  if (c_->sql_api) c_->sql_api->Stop();  // cancels running statements; queued ones get 503
  if (c_->http) c_->http->Stop();
  if (c_->api) c_->api->Stop();
  if (c_->lake) c_->lake->Stop();
  if (c_->log) c_->log->Stop();
  c_->http.reset();
  c_->api.reset();
  c_->tables.reset();
  c_->objects.reset();  // reads sources of the SQL engine, the registry and the attached list
  c_->object_sources.clear();
  c_->pg.reset();
  c_->sql_api.reset();
  c_->jobs.reset();
  c_->sql.reset();
  c_->attached.reset();
  c_->ingest.reset();
  c_->lake.reset();
  c_->registry.reset();
  c_->catalog.reset();
  c_->log.reset();
  c_->heap_trimmer.reset();
  if (c_->lock_fd >= 0) {
    ::close(c_->lock_fd);
    c_->lock_fd = -1;
  }
}

uint16_t Node::http_port() const { return c_->http ? c_->http->port() : 0; }
uint16_t Node::pg_port() const { return c_->pg ? c_->pg->port() : 0; }

namespace {

// Every connection the front doors may hold is a file descriptor, beside the log's segments and
// DuckDB's files: raise the soft open-files limit (often 1,024) to cover them, as far as the hard
// limit allows, and say so when it does not (accepts past it fail with EMFILE, which the HTTP front
// door answers by evicting a waiting connection).
void RaiseOpenFilesLimitForConnections(const ServerConfig& config) {
  constexpr uint64_t kFilesBesideConnections = 4096;
  const uint64_t wanted = uint64_t{config.http.max_connections} + (config.pg.enabled ? config.pg.connections_max : 0) +
                          kFilesBesideConnections;
  auto limit = RaiseOpenFilesLimit(wanted);
  if (!limit.ok()) {
    spdlog::warn("the open-files limit stays as it is: {}", limit.status().message());
  } else if (*limit < wanted) {
    spdlog::warn(
        "the open-files limit is {} (its hard limit), below the {} that max_connections and pg_connections_max "
        "need with the server's own files; raise the hard limit (ulimit -Hn, LimitNOFILE=) or lower max_connections",
        *limit, wanted);
  }
}

}  // namespace

int RunServer(const ServerConfig& config) {
  // Block the stop signals in every thread the node starts; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  if (Status kept = duck::SetFreedPagesKeptMs(kDuckDbFreedPagesKeptMs); !kept.ok()) {
    spdlog::warn("DuckDB gives freed memory back after its own delay: {}", kept.message());
  }
  if (Status capped = duck::SetDuckDbMemoryMax(config.duckdb_memory_max_bytes); !capped.ok()) {
    spdlog::warn("DuckDB's memory is bounded only by what it tracks (duckdb_memory_max is not applied): {}",
                 capped.message());
  }

  RaiseOpenFilesLimitForConnections(config);

  if (Status faults = SetFileFaultsFromEnvironment(); !faults.ok()) {
    spdlog::error("{}", faults.message());
    return 2;
  }
  if (const char* rules = std::getenv("LAGOA_FAULTS"); rules != nullptr && *rules != '\0') {
    spdlog::warn("LAGOA_FAULTS is set: file operations fail or crash on purpose ({})", rules);
  }
  auto node = Node::Make(config);
  if (!node.ok()) {
    spdlog::error("{}", node.status().message());
    return 2;
  }
  if (Status s = (*node)->Start(); !s.ok()) {
    spdlog::error("cannot start: {}", s.ToString());
    return 1;
  }
  std::string url = fmt::format("http://{}:{}", config.http.host, (*node)->http_port());
  spdlog::info("lagoa listening on {} with data in {} (durability {})", url,
               std::filesystem::absolute(config.data_dir).string(), config.log.durability_fsync ? "fsync" : "none");
  std::string postgres;
  if (config.pg.enabled) {
    spdlog::info("PostgreSQL wire protocol on {}:{}", config.pg.host, (*node)->pg_port());
    postgres = fmt::format(" (postgres: {}:{})", config.pg.host, (*node)->pg_port());
  }
  // One line on stdout for people and scripts: where to reach the server.
  std::printf("lagoa is ready: %s (data: %s)%s\n", url.c_str(), std::filesystem::absolute(config.data_dir).c_str(),
              postgres.c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}; draining requests and syncing the log", received == SIGTERM ? "SIGTERM" : "SIGINT");
  (*node)->Stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace lagoa::server
