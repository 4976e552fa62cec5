#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <type_traits>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

extern char** environ;

namespace lagoa::server {
namespace {

Status Invalid(const std::string& key, const std::string& source, const std::string& value,
               const std::string& expected) {
  return Status::InvalidArgument(
      fmt::format("config key `{}` ({}): expected {}, got `{}`", key, source, expected, value));
}

// "16MiB", "1GiB", "512KiB", "100MB", "4096"
bool ParseBytes(std::string_view text, uint64_t* out) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return false;
  uint64_t number = 0;
  if (std::from_chars(text.data(), text.data() + digits, number).ec != std::errc()) return false;
  std::string unit(text.substr(digits));
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::map<std::string, uint64_t> kUnits = {
      {"", 1},      {"b", 1},        {"kib", 1ull << 10}, {"mib", 1ull << 20}, {"gib", 1ull << 30}, {"tib", 1ull << 40},
      {"kb", 1000}, {"mb", 1000000}, {"gb", 1000000000}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return false;
  if (number > UINT64_MAX / it->second) return false;
  *out = number * it->second;
  return true;
}

// "a,b,,c" → a, b, "", c; an empty text has no items.
std::vector<std::string_view> SplitCommas(std::string_view text) {
  std::vector<std::string_view> items;
  for (size_t start = 0; start < text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// A whole number, or a decimal one for a floating-point T; the whole text.
template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseBool(std::string_view text, bool* out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    *out = true;
    return true;
  }
  if (text == "false" || text == "0" || text == "no" || text == "off") {
    *out = false;
    return true;
  }
  return false;
}

// Parses `value` (the text of `key`, from `source`) into the configuration. Parsing checks the
// form only; ranges and rules between keys are the sections' Validate().
using Setter =
    std::function<Status(ServerConfig&, const std::string& key, const std::string& value, const std::string& source)>;

// "HOST:PORT", "[v6]:PORT".
bool ParseHostPort(const std::string& v, std::string* host, uint16_t* port) {
  size_t colon = v.rfind(':');
  uint16_t parsed;
  if (colon == std::string::npos || colon == 0 || !ParseNumber(std::string_view(v).substr(colon + 1), &parsed)) {
    return false;
  }
  *host = v.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  *port = parsed;
  return true;
}

struct KeyEntry {
  ConfigKey key;
  Setter set;
};

// Where a setter stores its value: a field of ServerConfig, or a field of one of its sections.
template <typename T>
using FieldOf = std::function<T&(ServerConfig&)>;

template <typename T>
FieldOf<T> In(T ServerConfig::*field) {
  return [=](ServerConfig& c) -> T& { return c.*field; };
}

template <typename Section, typename T>
FieldOf<T> In(Section ServerConfig::*section, T Section::*field) {
  return [=](ServerConfig& c) -> T& { return (c.*section).*field; };
}

// "4096", "16MiB", "1GiB".
Setter Size(const FieldOf<uint64_t>& field) {
  return [=](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
    if (!ParseBytes(v, &field(c))) return Invalid(key, source, v, "a size such as 4096, 16MiB or 1GiB");
    return Status::Ok();
  };
}

// A whole number (or, for a double, a decimal one) that fits the field.
template <typename T>
Setter Number(FieldOf<T> field) {
  return [=](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
    T parsed;
    if (!ParseNumber(v, &parsed)) {
      if constexpr (std::is_floating_point_v<T>) return Invalid(key, source, v, "a number");
      if constexpr (std::is_unsigned_v<T>) return Invalid(key, source, v, "a whole number >= 0");
      return Invalid(key, source, v, "a whole number");
    }
    field(c) = parsed;
    return Status::Ok();
  };
}

Setter Boolean(const FieldOf<bool>& field) {
  return [=](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
    if (!ParseBool(v, &field(c))) return Invalid(key, source, v, "true or false");
    return Status::Ok();
  };
}

const std::vector<KeyEntry>& Entries() {
  static const std::vector<KeyEntry> kEntries = {
      {{"data_dir", "directory that holds the log, catalog and lake", "./lagoa-data"},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         if (v.empty()) return Invalid(key, source, v, "a directory path");
         c.data_dir = v;
         return Status::Ok();
       }},
      {{"files_dir",
        "SQL's import/export folder: COPY ... TO and EXPORT DATABASE write only here, read_csv/read_parquet read "
        "only here and in the lake (empty: <data_dir>/files)",
        ""},
       [](ServerConfig& c, const std::string&, const std::string& v, const std::string&) {
         c.files_dir = v;
         return Status::Ok();
       }},
      {{"attach_dirs",
        "DIR[,DIR...]: more folders whose Delta tables `lagoa table attach` may attach (besides files_dir)", ""},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         c.attach_dirs.clear();
         for (std::string_view dir : SplitCommas(v)) {
           if (dir.empty()) return Invalid(key, source, v, "folders separated by commas");
           c.attach_dirs.emplace_back(dir);
         }
         return Status::Ok();
       }},
      {{"http", "HOST:PORT for the HTTP API", "127.0.0.1:8080"},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         if (!ParseHostPort(v, &c.http.host, &c.http.port)) {
           return Invalid(key, source, v, "HOST:PORT such as 127.0.0.1:8080 (port 0 picks a free one)");
         }
         return Status::Ok();
       }},
      {{"durability", "fsync (acknowledge after fdatasync) or none (benchmarks only: may lose data)", "fsync"},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         if (v != "fsync" && v != "none") return Invalid(key, source, v, "one of: fsync, none");
         c.log.durability_fsync = v == "fsync";
         return Status::Ok();
       }},
      {{"segment_bytes_max", "log segment size before rolling to a new file", "128MiB"},
       Size(In(&ServerConfig::log, &log::LogConfig::segment_bytes_max))},
      {{"free_space_min_bytes", "refuse appends when free disk space falls below this", "1GiB"},
       Size(In(&ServerConfig::log, &log::LogConfig::free_space_min_bytes))},
      {{"free_space_min_percent", "refuse appends when free disk space falls below this percentage", "5"},
       Number(In(&ServerConfig::log, &log::LogConfig::free_space_min_percent))},
      {{"max_body_bytes", "largest accepted request body, after decompression", "16MiB"},
       Size(In(&ServerConfig::http, &http::HttpConfig::max_body_bytes))},
      {{"ingest_memory_bytes_max", "request bodies held in memory at once, over all connections", "256MiB"},
       Size(In(&ServerConfig::ingest, &ingest::IngestConfig::memory_bytes_max))},
      {{"log_pending_bytes_max", "bytes waiting for group commit before appends get 429", "64MiB"},
       Size(In(&ServerConfig::log, &log::LogConfig::pending_bytes_max))},
      {{"idempotency_window_hours",
        "how long a request's Idempotency-Key is remembered: a retry within it appends nothing and answers the "
        "first request's offsets",
        "24"},
       Number(In(&ServerConfig::log, &log::LogConfig::idempotency_window_hours))},
      {{"idempotency_keys_max", "Idempotency-Keys remembered per stream partition; the oldest are forgotten first",
        "100000"},
       Number(In(&ServerConfig::log, &log::LogConfig::idempotency_keys_max))},
      {{"max_connections",
        "open HTTP connections at once; at the limit a new connection closes the oldest one waiting for a request "
        "(never-used first), or is answered 503 when all are serving requests",
        "10000"},
       Number(In(&ServerConfig::http, &http::HttpConfig::max_connections))},
      {{"http_connections_per_ip_max",
        "open HTTP connections from one client address; at the limit a new one closes that address's oldest "
        "connection waiting for a request, or is answered 503 (raise it behind a proxy)",
        "256"},
       Number(In(&ServerConfig::http, &http::HttpConfig::connections_per_ip_max))},
      {{"http_header_timeout_ms", "a request head (line and headers) must arrive whole within this", "10000"},
       Number(In(&ServerConfig::http, &http::HttpConfig::header_timeout_ms))},
      {{"http_body_timeout_ms",
        "a request body may pause this long between reads; then the connection closes and its memory is freed",
        "30000"},
       Number(In(&ServerConfig::http, &http::HttpConfig::body_timeout_ms))},
      {{"http_idle_timeout_ms", "a kept-alive HTTP connection waits this long for its next request, then closes",
        "60000"},
       Number(In(&ServerConfig::http, &http::HttpConfig::idle_timeout_ms))},
      {{"http_threads", "threads serving HTTP; 0 is one per core", "0"},
       Number(In(&ServerConfig::http, &http::HttpConfig::threads))},
      {{"auto_create_streams", "create a stream with an inferred schema on its first event", "false"},
       Boolean(In(&ServerConfig::ingest, &ingest::IngestConfig::auto_create_streams))},
      {{"lake_load_interval_ms", "how often new events are loaded into each stream's lake table; -1 turns it off",
        "60000"},
       Number(In(&ServerConfig::jobs, &jobs::JobsConfig::lake_load_interval_ms))},
      {{"lake_maintenance_interval_ms",
        "how often stream tables are compacted, cleaned of orphan files and vacuumed; -1 turns it off", "600000"},
       Number(In(&ServerConfig::jobs, &jobs::JobsConfig::lake_maintenance_interval_ms))},
      {{"lake_file_bytes_target",
        "size of lake data files: a load stops a file at about this much event payload; compaction merges files "
        "under a quarter of it into files of about this size",
        "128MiB"},
       Size(In(&ServerConfig::jobs, &jobs::JobsConfig::lake_file_bytes_target))},
      {{"lake_load_nice",
        "nice value (0-19) of the lake loader and maintenance; above 0 they give way to ingest and queries when "
        "the cores are busy, and fall behind for good under a steady query load; 0 runs them at the server's "
        "priority",
        "0"},
       Number(In(&ServerConfig::jobs, &jobs::JobsConfig::lake_load_nice))},
      {{"jobs_runs_concurrent_max", "runs of deployed jobs (lagoa project deploy) at once, over all jobs: 1..64", "2"},
       Number(In(&ServerConfig::jobs, &jobs::JobsConfig::runs_concurrent_max))},
      {{"lake_vacuum_retention_hours",
        "how long VACUUM keeps data files no table version uses (time travel needs them); -1 never vacuums", "168"},
       Number(In(&ServerConfig::jobs, &jobs::JobsConfig::lake_vacuum_retention_hours))},
      {{"sql_threads", "DuckDB worker threads shared by all SQL statements; 0 is one per core", "0"},
       Number(In(&ServerConfig::sql, &sql::SqlConfig::threads))},
      {{"sql_memory_limit", "memory all SQL statements may use together; a statement beyond it fails", "2GiB"},
       Size(In(&ServerConfig::sql, &sql::SqlConfig::memory_limit_bytes))},
      {{"memory_limit",
        "the memory budget of the process's shares (SQL, live tails, request bodies, the log queue, table "
        "operations, the lake loader): shares not set themselves become fractions of it; 0 keeps each share's own "
        "default",
        "0"},
       Size(In(&ServerConfig::memory_limit_bytes))},
      {{"duckdb_memory_max",
        "memory DuckDB may map in all, what it tracks and what it does not (a statement's large strings): an "
        "allocation past it fails its statement; 0 derives it: sql_memory_limit + table_memory_limit + "
        "lake_memory_limit, a quarter more, and 256MiB (at most memory_limit when that is set)",
        "0"},
       Size(In(&ServerConfig::duckdb_memory_max_bytes))},
      {{"heap_trim_interval_ms",
        "how often memory the server freed (outside DuckDB's buffers) is given back to the system, while more than "
        "32MiB of it is kept: 0 (never: the resident memory then creeps up with time) or 100..86400000",
        "10000"},
       Number(In(&ServerConfig::heap_trim_interval_ms))},
      {{"table_memory_limit", "memory one table operation (describe, rows, compact, vacuum, attach) may use in DuckDB",
        "512MiB"},
       Size(In(&ServerConfig::tables, &tables::TablesConfig::memory_limit_bytes))},
      {{"lake_memory_limit", "memory the lake loader and maintenance may use in DuckDB", "256MiB"},
       Size(In(&ServerConfig::jobs, &jobs::JobsConfig::lake_memory_limit_bytes))},
      {{"sql_tail_cache", "memory for streams' live tails kept decoded between SQL statements; 0 turns it off",
        "256MiB"},
       Size(In(&ServerConfig::sql, &sql::SqlConfig::tail_cache_bytes))},
      {{"sql_statement_timeout_ms", "a SQL statement running longer is interrupted; 0 is no limit", "300000"},
       Number(In(&ServerConfig::sql, &sql::SqlConfig::statement_timeout_ms))},
      {{"sql_text_bytes_max", "the longest SQL text a client may send; a longer one is refused before DuckDB parses it",
        "256KiB"},
       Size(In(&ServerConfig::sql, &sql::SqlConfig::text_bytes_max))},
      {{"sql_boolean_operators_max",
        "the most AND/OR operators one SQL statement may hold (DuckDB's planning time grows with their square and "
        "cannot be interrupted); use x IN (...) for long lists",
        "2048"},
       Number(In(&ServerConfig::sql, &sql::SqlConfig::boolean_operators_max))},
      {{"sql_nesting_depth_max",
        "the deepest nesting of brackets ( [ { in one SQL statement (DuckDB's planning time grows faster than the "
        "depth and cannot be interrupted)",
        "128"},
       Number(In(&ServerConfig::sql, &sql::SqlConfig::nesting_depth_max))},
      {{"sql_http_workers", "SQL statements POST /v1/sql runs at once", "4"},
       Number(In(&ServerConfig::http, &http::HttpConfig::sql_workers))},
      {{"pg", "HOST:PORT for the PostgreSQL wire protocol, or off", "127.0.0.1:5433"},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         if (v == "off") {
           c.pg.enabled = false;
           return Status::Ok();
         }
         if (!ParseHostPort(v, &c.pg.host, &c.pg.port)) {
           return Invalid(key, source, v, "HOST:PORT such as 127.0.0.1:5433 (port 0 picks a free one), or off");
         }
         c.pg.enabled = true;
         return Status::Ok();
       }},
      {{"pg_connections_max",
        "PostgreSQL clients connected at once; at the limit a new one closes the oldest connection still in startup, "
        "or is refused (53300)",
        "64"},
       Number(In(&ServerConfig::pg, &pg::PgConfig::connections_max))},
      {{"pg_connections_per_ip_max",
        "PostgreSQL connections from one client address; at the limit a new one closes that address's oldest "
        "connection still in startup, or is refused (53300)",
        "16"},
       Number(In(&ServerConfig::pg, &pg::PgConfig::connections_per_ip_max))},
      {{"pg_startup_timeout_ms", "a PostgreSQL client must complete startup and authentication within this", "20000"},
       Number(In(&ServerConfig::pg, &pg::PgConfig::startup_timeout_ms))},
      {{"pg_idle_timeout_ms",
        "a PostgreSQL connection closes (57P05) when its client sends nothing, or reads none of its results, "
        "for this long",
        "3600000"},
       Number(In(&ServerConfig::pg, &pg::PgConfig::idle_timeout_ms))},
      {{"pg_users",
        "NAME:PASSWORD[,NAME:PASSWORD...]: PostgreSQL clients must log in (SCRAM-SHA-256); empty trusts every "
        "client",
        ""},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         c.pg.users.clear();
         for (std::string_view entry : SplitCommas(v)) {
           const size_t colon = entry.find(':');
           if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
             return Invalid(key, source, "(hidden)", "NAME:PASSWORD pairs separated by commas");
           }
           c.pg.users.emplace_back(entry.substr(0, colon), entry.substr(colon + 1));
         }
         return Status::Ok();
       }},
      {{"http_tokens",
        "NAME:SHA256[,NAME:SHA256...]: HTTP requests need `Authorization: Bearer TOKEN` for one of these tokens "
        "(`lagoa token new NAME` prints one); required when `http` is not a loopback address",
        ""},
       [](ServerConfig& c, const std::string&, const std::string& v, const std::string&) {
         c.http.tokens = v;  // checked by HttpConfig::Validate, which never shows it
         return Status::Ok();
       }},
      {{"insecure",
        "true: serve HTTP without http_tokens and PostgreSQL without pg_users on an address other machines can reach",
        "false"},
       Boolean(In(&ServerConfig::insecure))},
      {{"retention_max_age_ms", "default age after which new streams drop old log segments; -1 keeps them", "-1"},
       Number(In(&ServerConfig::log, &log::LogConfig::retention_max_age_ms))},
      {{"retention_max_bytes", "default log size per partition before old segments are dropped; -1 is unlimited", "-1"},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         uint64_t parsed;
         if (v == "-1") {
           c.log.retention_max_bytes = -1;
         } else if (ParseBytes(v, &parsed) && parsed <= static_cast<uint64_t>(INT64_MAX)) {
           c.log.retention_max_bytes = static_cast<int64_t>(parsed);
         } else {
           return Invalid(key, source, v, "-1 or a size such as 10GiB");
         }
         return Status::Ok();
       }},
      {{"log_level", "trace, debug, info, warn, error or off", "info"},
       [](ServerConfig& c, const std::string& key, const std::string& v, const std::string& source) {
         static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
         if (std::find(kLevels.begin(), kLevels.end(), v) == kLevels.end()) {
           return Invalid(key, source, v, "one of: trace, debug, info, warn, error, off");
         }
         c.log_level = v;
         return Status::Ok();
       }},
  };
  return kEntries;
}

std::string EnvName(const std::string& key) {
  std::string out = "LAGOA_";
  for (char ch : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

Status ApplyFile(ServerConfig& config, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::NotFound(fmt::format("config file {}: cannot be opened", path));
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(
        fmt::format("config file {}: line {}, column {}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return Status::InvalidArgument(fmt::format("config file {}: expected a mapping of keys", path));
  for (const auto& item : root) {
    auto key = item.first.as<std::string>();
    if (!item.second.IsScalar()) {
      return Status::InvalidArgument(fmt::format("config file {}: key `{}` (line {}): expected a single value", path,
                                                 key, item.second.Mark().line + 1));
    }
    LAGOA_RETURN_IF_ERROR(SetConfigValue(config, key, item.second.as<std::string>(),
                                         fmt::format("file {} line {}", path, item.first.Mark().line + 1)));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> kKeys = [] {
    std::vector<ConfigKey> keys;
    for (const auto& e : Entries()) keys.push_back(e.key);
    return keys;
  }();
  return kKeys;
}

Status SetConfigValue(ServerConfig& config, const std::string& key, const std::string& value,
                      const std::string& source) {
  for (const auto& e : Entries()) {
    if (e.key.name != key) continue;
    LAGOA_RETURN_IF_ERROR(e.set(config, key, value, source));
    config.key_sources[key] = source;
    return Status::Ok();
  }
  std::string allowed;
  for (const auto& e : Entries()) allowed += (allowed.empty() ? "" : ", ") + e.key.name;
  return Status::InvalidArgument(fmt::format("unknown config key `{}` ({}); known keys: {}", key, source, allowed));
}

namespace {

// localhost, ::1 or an IPv4 address in 127.0.0.0/8 (not a name that merely starts with "127.").
bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

}  // namespace

std::vector<MemoryShare> MemoryShares(ServerConfig& config) {
  return {
      {"sql", "sql_memory_limit", &config.sql.memory_limit_bytes, 0.55, 64ull << 20},
      {"sql_tail_cache", "sql_tail_cache", &config.sql.tail_cache_bytes, 0.08, 0},
      {"ingest", "ingest_memory_bytes_max", &config.ingest.memory_bytes_max, 0.08,
       std::max<uint64_t>(1ull << 20, config.http.max_body_bytes)},
      {"log", "log_pending_bytes_max", &config.log.pending_bytes_max, 0.02, 1ull << 20},
      {"tables", "table_memory_limit", &config.tables.memory_limit_bytes, 0.12, 16ull << 20},
      {"lake", "lake_memory_limit", &config.jobs.lake_memory_limit_bytes, 0.08, 16ull << 20},
  };
}

namespace {

// DuckDB's own limits bound what it tracks; the rest (strings being built, results being read)
// gets a quarter more and 256 MiB, within the budget when there is one.
void DeriveDuckDbMemoryMax(ServerConfig& config) {
  if (config.key_sources.contains("duckdb_memory_max") && config.duckdb_memory_max_bytes != 0) return;
  const uint64_t tracked_bytes =
      config.sql.memory_limit_bytes + config.tables.memory_limit_bytes + config.jobs.lake_memory_limit_bytes;
  uint64_t derived_bytes = tracked_bytes + tracked_bytes / 4 + (256ull << 20);
  if (config.memory_limit_bytes != 0) derived_bytes = std::min(derived_bytes, config.memory_limit_bytes);
  config.duckdb_memory_max_bytes = derived_bytes;
}

}  // namespace

Status ApplyMemoryBudget(ServerConfig& config) {
  const std::vector<MemoryShare> shares = MemoryShares(config);
  if (config.memory_limit_bytes == 0) {
    // No budget: each share is its own limit; the ingest share must still hold one body.
    DeriveDuckDbMemoryMax(config);
    if (config.ingest.memory_bytes_max < config.http.max_body_bytes) {
      return Status::InvalidArgument(
          fmt::format("ingest_memory_bytes_max ({} bytes) must hold at least one body of max_body_bytes ({} bytes)",
                      config.ingest.memory_bytes_max, config.http.max_body_bytes));
    }
    return Status::Ok();
  }
  const uint64_t total = config.memory_limit_bytes;
  uint64_t sum = 0;
  std::string parts;
  for (const MemoryShare& share : shares) {
    if (!config.key_sources.contains(share.key)) {
      const auto fraction = static_cast<uint64_t>(static_cast<double>(total) * share.fraction);
      *share.bytes = std::max(share.minimum_bytes, fraction & ~((uint64_t{1} << 20) - 1));  // whole MiB
    }
    sum += *share.bytes;
    parts += fmt::format("{}{} {} MiB", parts.empty() ? "" : ", ", share.key, *share.bytes >> 20);
  }
  if (sum > total) {
    return Status::InvalidArgument(fmt::format(
        "config key `memory_limit`: {} MiB does not hold its shares, which take {} MiB ({}); raise memory_limit or "
        "lower the shares set explicitly",
        total >> 20, sum >> 20, parts));
  }
  DeriveDuckDbMemoryMax(config);
  return Status::Ok();
}

namespace {

// A section's error names the key first (base/config_check.h: "config key `K`: …"); the loader
// knows where its value was set and says so, as the parsers do.
Status WithSource(const ServerConfig& config, const Status& status) {
  constexpr std::string_view kPrefix = "config key `";
  const std::string& message = status.message();
  if (status.ok() || !message.starts_with(kPrefix)) return status;
  const size_t end = message.find('`', kPrefix.size());
  if (end == std::string::npos) return status;
  const auto source = config.key_sources.find(message.substr(kPrefix.size(), end - kPrefix.size()));
  if (source == config.key_sources.end()) return status;  // the default
  return {status.code(), fmt::format("{} ({}){}", message.substr(0, end + 1), source->second,
                                     std::string_view(message).substr(end + 1))};
}

// Each section checks its own keys; the checks spanning sections come after it in LoadServerConfig.
Status ValidateSections(const ServerConfig& config) {
  for (const Status& status :
       {config.http.Validate(), config.pg.Validate(), config.log.Validate(), config.ingest.Validate(),
        config.sql.Validate(), config.tables.Validate(), config.jobs.Validate()}) {
    LAGOA_RETURN_IF_ERROR(WithSource(config, status));
  }
  return Status::Ok();
}

// 0 turns the trimmer off; otherwise between a walk every 100 ms and one a day.
constexpr int64_t kHeapTrimIntervalMsMin = 100;
constexpr int64_t kHeapTrimIntervalMsMax = 86'400'000;

Status CheckHeapTrim(const ServerConfig& config) {
  const int64_t ms = config.heap_trim_interval_ms;
  if (ms == 0 || (ms >= kHeapTrimIntervalMsMin && ms <= kHeapTrimIntervalMsMax)) return Status::Ok();
  return WithSource(config, Status::InvalidArgument(fmt::format(
                                "config key `heap_trim_interval_ms`: expected 0 (never) or {}..{} milliseconds, got {}",
                                kHeapTrimIntervalMsMin, kHeapTrimIntervalMsMax, ms)));
}

// A front door other machines can reach needs its clients to prove who they are.
Status CheckExposure(const ServerConfig& config) {
  if (config.insecure) return Status::Ok();
  if (!IsLoopback(config.http.host) && config.http.tokens.empty()) {
    return Status::FailedPrecondition(fmt::format(
        "`http` is {}:{}, which other machines can reach, and no `http_tokens` are set: anyone there could read and "
        "write every stream and table. Make a token with `lagoa token new NAME` and set http_tokens, bind to "
        "127.0.0.1, or start with --insecure",
        config.http.host, config.http.port));
  }
  if (config.pg.enabled && !IsLoopback(config.pg.host) && config.pg.users.empty()) {
    return Status::FailedPrecondition(fmt::format(
        "`pg` is {}:{}, which other machines can reach, and no `pg_users` are set: any PostgreSQL client there could "
        "log in. Set pg_users, bind pg to 127.0.0.1, or start with --insecure",
        config.pg.host, config.pg.port));
  }
  return Status::Ok();
}

}  // namespace

Result<ServerConfig> LoadServerConfig(const std::string& config_file,
                                      const std::map<std::string, std::string>& environment,
                                      const std::map<std::string, std::string>& flags) {
  ServerConfig config;
  if (!config_file.empty()) LAGOA_RETURN_IF_ERROR(ApplyFile(config, config_file));
  for (const auto& e : Entries()) {
    auto it = environment.find(EnvName(e.key.name));
    if (it != environment.end()) {
      LAGOA_RETURN_IF_ERROR(e.set(config, e.key.name, it->second, "environment variable " + it->first));
      config.key_sources[e.key.name] = "environment variable " + it->first;
    }
  }
  for (const auto& [key, value] : flags) LAGOA_RETURN_IF_ERROR(SetConfigValue(config, key, value, "flag"));
  // Paths are resolved once, here: every later use (the lake's table paths, SQL's allowed folders)
  // sees the same absolute directory whatever the working directory becomes.
  std::error_code error;
  const std::filesystem::path cwd = std::filesystem::current_path(error);
  if (error)
    return Status::IoError(fmt::format("reading the working directory to resolve data_dir: {}", error.message()));
  const auto absolute = [&](const std::filesystem::path& path) { return (cwd / path).lexically_normal(); };
  config.data_dir = absolute(config.data_dir);
  config.files_dir = config.files_dir.empty() ? config.data_dir / "files" : absolute(config.files_dir);
  for (std::filesystem::path& dir : config.attach_dirs) dir = absolute(dir);
  LAGOA_RETURN_IF_ERROR(ValidateSections(config));
  LAGOA_RETURN_IF_ERROR(CheckHeapTrim(config));
  LAGOA_RETURN_IF_ERROR(CheckExposure(config));
  LAGOA_RETURN_IF_ERROR(ApplyMemoryBudget(config));
  return config;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** p = environ; *p != nullptr; ++p) {
    std::string_view entry(*p);
    size_t eq = entry.find('=');
    if (eq != std::string_view::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

}  // namespace lagoa::server
