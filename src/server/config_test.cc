#include "server/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <tuple>

namespace lagoa::server {
namespace {

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("LAGOA_TEST_TMPDIR");
  std::filesystem::path base = dir != nullptr ? dir : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  std::filesystem::path path = base / (name + "-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(ServerConfig, DefaultsServeOneMachine) {
  auto config = LoadServerConfig("", {}, {});
  ASSERT_TRUE(config.ok());
  // Resolved once against the working directory: later uses never depend on it.
  EXPECT_EQ(config->data_dir, std::filesystem::current_path() / "lagoa-data");
  EXPECT_EQ(config->files_dir, std::filesystem::current_path() / "lagoa-data" / "files");
  EXPECT_EQ(config->http.host, "127.0.0.1");
  EXPECT_EQ(config->http.port, 8080);
  EXPECT_TRUE(config->log.durability_fsync);
  EXPECT_EQ(config->http.max_body_bytes, 16u << 20);
}

TEST(ServerConfig, FlagsBeatEnvironmentWhichBeatsTheFile) {
  std::string file = WriteTempFile("precedence", "http: 0.0.0.0:9000\ndata_dir: /from/file\nmax_body_bytes: 1MiB\n");
  std::map<std::string, std::string> env = {{"LAGOA_DATA_DIR", "/from/env"}, {"LAGOA_HTTP", "127.0.0.1:9001"}};
  std::map<std::string, std::string> flags = {{"http", "127.0.0.1:9002"}};
  auto config = LoadServerConfig(file, env, flags);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http.port, 9002);
  EXPECT_EQ(config->data_dir, "/from/env");
  EXPECT_EQ(config->http.max_body_bytes, 1u << 20);
}

TEST(ServerConfig, AnAddressOtherMachinesReachNeedsTokensOrInsecure) {
  auto open = LoadServerConfig("", {}, {{"http", "0.0.0.0:8080"}});
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("http_tokens"), std::string::npos) << open.status().message();
  EXPECT_NE(open.status().message().find("--insecure"), std::string::npos) << open.status().message();
  const std::string hash(64, 'a');
  EXPECT_TRUE(LoadServerConfig("", {}, {{"http", "0.0.0.0:8080"}, {"http_tokens", "ci:" + hash}}).ok());
  EXPECT_TRUE(LoadServerConfig("", {}, {{"http", "0.0.0.0:8080"}, {"insecure", "true"}}).ok());
  EXPECT_FALSE(LoadServerConfig("", {}, {{"http", "127.example.com:8080"}}).ok());  // a name, not 127/8
  EXPECT_TRUE(LoadServerConfig("", {}, {{"http", "127.0.0.2:8080"}}).ok());
  auto pg = LoadServerConfig("", {}, {{"pg", "0.0.0.0:5433"}, {"http_tokens", "ci:" + hash}});
  ASSERT_FALSE(pg.ok());
  EXPECT_NE(pg.status().message().find("pg_users"), std::string::npos) << pg.status().message();
  EXPECT_TRUE(LoadServerConfig("", {}, {{"pg", "0.0.0.0:5433"}, {"pg_users", "a:b"}}).ok());
  auto pasted = LoadServerConfig("", {}, {{"http_tokens", "the-token-itself"}});
  ASSERT_FALSE(pasted.ok());
  EXPECT_EQ(pasted.status().message().find("the-token-itself"), std::string::npos) << pasted.status().message();
}

TEST(ServerConfig, RelativeFoldersBecomeAbsoluteAtLoad) {
  auto config =
      LoadServerConfig("", {}, {{"data_dir", "rel/data"}, {"files_dir", "io/../files"}, {"attach_dirs", "/abs,more"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const std::filesystem::path cwd = std::filesystem::current_path();
  EXPECT_EQ(config->data_dir, cwd / "rel" / "data");
  EXPECT_EQ(config->files_dir, cwd / "files");
  ASSERT_EQ(config->attach_dirs.size(), 2u);
  EXPECT_EQ(config->attach_dirs[0], "/abs");
  EXPECT_EQ(config->attach_dirs[1], cwd / "more");
  EXPECT_FALSE(LoadServerConfig("", {}, {{"attach_dirs", "a,,b"}}).ok());
}

TEST(ServerConfig, WrongValuesNameTheKeyTheSourceAndWhatIsAllowed) {
  auto bad = LoadServerConfig("", {{"LAGOA_DURABILITY", "fast"}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(
      bad.status().message(),
      "config key `durability` (environment variable LAGOA_DURABILITY): expected one of: fsync, none, got `fast`");
  auto port = LoadServerConfig("", {}, {{"http", "localhost:99999"}});
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find("HOST:PORT"), std::string::npos);
  auto unknown = LoadServerConfig(WriteTempFile("unknown", "htp: 1\n"), {}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown config key `htp`"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("line 1"), std::string::npos);
  auto size = LoadServerConfig("", {}, {{"max_body_bytes", "12 parsecs"}});
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.status().message().find("16MiB"), std::string::npos);
}

TEST(ServerConfig, LakeKeysHaveDefaultsAndBounds) {
  auto defaults = LoadServerConfig("", {}, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->jobs.lake_file_bytes_target, 128u << 20);
  EXPECT_EQ(defaults->jobs.lake_maintenance_interval_ms, 600000);
  EXPECT_EQ(defaults->jobs.lake_vacuum_retention_hours, 168);
  auto set = LoadServerConfig("", {{"LAGOA_LAKE_FILE_BYTES_TARGET", "64MiB"}},
                              {{"lake_maintenance_interval_ms", "-1"}, {"lake_vacuum_retention_hours", "720"}});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->jobs.lake_file_bytes_target, 64u << 20);
  EXPECT_EQ(set->jobs.lake_maintenance_interval_ms, -1);
  EXPECT_EQ(set->jobs.lake_vacuum_retention_hours, 720);
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{{"lake_file_bytes_target", "1KiB"},
                                                                            {"lake_file_bytes_target", "2GiB"},
                                                                            {"lake_maintenance_interval_ms", "0"},
                                                                            {"lake_vacuum_retention_hours", "-2"}}) {
    auto bad = LoadServerConfig("", {}, {{key, value}});
    ASSERT_FALSE(bad.ok()) << key << "=" << value;
    EXPECT_NE(bad.status().message().find("`" + key + "`"), std::string::npos) << bad.status().message();
  }
}

TEST(ServerConfig, IdempotencyKeysHaveAWindowAndABound) {
  auto defaults = LoadServerConfig("", {}, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->log.idempotency_window_hours, 24);
  EXPECT_EQ(defaults->log.idempotency_keys_max, 100000u);
  auto set = LoadServerConfig("", {{"LAGOA_IDEMPOTENCY_WINDOW_HOURS", "72"}}, {{"idempotency_keys_max", "5000"}});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->log.idempotency_window_hours, 72);
  EXPECT_EQ(set->log.idempotency_keys_max, 5000u);
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"idempotency_window_hours", "0"}, {"idempotency_window_hours", "9000"}, {"idempotency_keys_max", "0"}}) {
    auto bad = LoadServerConfig("", {}, {{key, value}});
    ASSERT_FALSE(bad.ok()) << key << "=" << value;
    EXPECT_NE(bad.status().message().find("`" + key + "`"), std::string::npos) << bad.status().message();
  }
}

TEST(ServerConfig, FrontDoorConnectionLimitsAndTimeoutsHaveDefaultsAndBounds) {
  auto defaults = LoadServerConfig("", {}, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->http.connections_per_ip_max, 256u);
  EXPECT_EQ(defaults->http.header_timeout_ms, 10000u);
  EXPECT_EQ(defaults->http.body_timeout_ms, 30000u);
  EXPECT_EQ(defaults->http.idle_timeout_ms, 60000u);
  EXPECT_EQ(defaults->pg.connections_per_ip_max, 16u);
  EXPECT_EQ(defaults->pg.startup_timeout_ms, 20000u);
  EXPECT_EQ(defaults->pg.idle_timeout_ms, 3600000u);
  auto set = LoadServerConfig("", {{"LAGOA_PG_STARTUP_TIMEOUT_MS", "2000"}},
                              {{"http_connections_per_ip_max", "20"}, {"http_idle_timeout_ms", "1500"}});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->pg.startup_timeout_ms, 2000u);
  EXPECT_EQ(set->http.connections_per_ip_max, 20u);
  EXPECT_EQ(set->http.idle_timeout_ms, 1500u);
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{{"http_connections_per_ip_max", "0"},
                                                                            {"http_header_timeout_ms", "99"},
                                                                            {"http_body_timeout_ms", "3600001"},
                                                                            {"http_idle_timeout_ms", "-1"},
                                                                            {"pg_connections_per_ip_max", "5000"},
                                                                            {"pg_startup_timeout_ms", "0"},
                                                                            {"pg_idle_timeout_ms", "x"}}) {
    auto bad = LoadServerConfig("", {}, {{key, value}});
    ASSERT_FALSE(bad.ok()) << key << "=" << value;
    EXPECT_NE(bad.status().message().find("`" + key + "` (flag)"), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find(value), std::string::npos) << bad.status().message();
  }
}

TEST(ServerConfig, AMemoryLimitSharesItselfOutAndKeepsWhatWasSet) {
  auto defaults = LoadServerConfig("", {}, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->memory_limit_bytes, 0u);
  EXPECT_EQ(defaults->sql.memory_limit_bytes, 2ull << 30);
  EXPECT_EQ(defaults->tables.memory_limit_bytes, 512ull << 20);

  auto shared = LoadServerConfig("", {{"LAGOA_MEMORY_LIMIT", "256MiB"}}, {{"sql_tail_cache", "8MiB"}});
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->sql.memory_limit_bytes, 140ull << 20);  // 55 %, whole MiB
  EXPECT_EQ(shared->sql.tail_cache_bytes, 8ull << 20);      // set: kept
  EXPECT_EQ(shared->ingest.memory_bytes_max, 20ull << 20);
  EXPECT_EQ(shared->log.pending_bytes_max, 5ull << 20);
  EXPECT_EQ(shared->tables.memory_limit_bytes, 30ull << 20);
  EXPECT_EQ(shared->jobs.lake_memory_limit_bytes, 20ull << 20);

  // 128 MiB cannot hold the least each share needs (a 16 MiB body, 64 MiB for SQL …).
  auto small = LoadServerConfig("", {}, {{"memory_limit", "128MiB"}});
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("`memory_limit`: 128 MiB does not hold its shares"), std::string::npos)
      << small.status().message();
  auto over = LoadServerConfig("", {}, {{"memory_limit", "1GiB"}, {"sql_memory_limit", "1GiB"}});
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("sql_memory_limit 1024 MiB"), std::string::npos) << over.status().message();
  auto body = LoadServerConfig("", {}, {{"ingest_memory_bytes_max", "2MiB"}, {"max_body_bytes", "4MiB"}});
  ASSERT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("must hold at least one body"), std::string::npos) << body.status().message();
}

TEST(ServerConfig, EachSectionValidatesItsKeysNamingKeyValueAndWhatIsAllowed) {
  // The defaults of every section are valid.
  const ServerConfig defaults;
  EXPECT_TRUE(defaults.http.Validate().ok());
  EXPECT_TRUE(defaults.pg.Validate().ok());
  EXPECT_TRUE(defaults.log.Validate().ok());
  EXPECT_TRUE(defaults.ingest.Validate().ok());
  EXPECT_TRUE(defaults.sql.Validate().ok());
  EXPECT_TRUE(defaults.tables.Validate().ok());
  EXPECT_TRUE(defaults.jobs.Validate().ok());

  auto threads = LoadServerConfig("", {}, {{"http_threads", "300"}});
  ASSERT_FALSE(threads.ok());
  EXPECT_EQ(threads.status().message(), "config key `http_threads` (flag): expected a whole number 0..256, got `300`");
  // Where the value was set, whatever set it.
  auto from_env = LoadServerConfig("", {{"LAGOA_SQL_THREADS", "1000"}}, {});
  ASSERT_FALSE(from_env.ok());
  EXPECT_NE(from_env.status().message().find("`sql_threads` (environment variable LAGOA_SQL_THREADS)"),
            std::string::npos)
      << from_env.status().message();
  auto from_file = LoadServerConfig(WriteTempFile("nice", "lake_load_nice: 25\n"), {}, {});
  ASSERT_FALSE(from_file.ok());
  EXPECT_NE(from_file.status().message().find("`lake_load_nice` (file "), std::string::npos)
      << from_file.status().message();
  for (auto [key, value, found] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"pg_connections_max", "5000", "5000"},
                                                                      {"free_space_min_percent", "150", "150"},
                                                                      {"ingest_memory_bytes_max", "1KiB", "1024"},
                                                                      {"sql_threads", "1000", "1000"},
                                                                      {"table_memory_limit", "1MiB", "1048576"},
                                                                      {"lake_load_nice", "20", "20"}}) {
    auto bad = LoadServerConfig("", {}, {{key, value}});
    ASSERT_FALSE(bad.ok()) << key << "=" << value;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("config key `" + key + "`"), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find("got `" + found + "`"), std::string::npos) << bad.status().message();
  }

  // A section checks its fields however they were set.
  http::HttpConfig http;
  http.sql_workers = 0;
  EXPECT_NE(http.Validate().message().find("`sql_http_workers`"), std::string::npos) << http.Validate().message();
  jobs::JobsConfig jobs;
  jobs.lake_load_interval_ms = 0;
  EXPECT_NE(jobs.Validate().message().find("`lake_load_interval_ms`"), std::string::npos) << jobs.Validate().message();
  log::LogConfig log;
  log.idempotency_keys_max = 0;
  EXPECT_NE(log.Validate().message().find("`idempotency_keys_max`"), std::string::npos) << log.Validate().message();

  // A value that does not parse is refused where it is read, naming its source.
  auto words = LoadServerConfig("", {{"LAGOA_HTTP_THREADS", "many"}}, {});
  ASSERT_FALSE(words.ok());
  EXPECT_NE(words.status().message().find("environment variable LAGOA_HTTP_THREADS"), std::string::npos)
      << words.status().message();
}

TEST(ServerConfig, HeapTrimRunsEveryTenSecondsWithinBounds) {
  auto defaults = LoadServerConfig("", {}, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->heap_trim_interval_ms, 10'000);
  auto off = LoadServerConfig("", {}, {{"heap_trim_interval_ms", "0"}});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->heap_trim_interval_ms, 0);
  auto negative = LoadServerConfig("", {{"LAGOA_HEAP_TRIM_INTERVAL_MS", "-5"}}, {});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().message(),
            "config key `heap_trim_interval_ms` (environment variable LAGOA_HEAP_TRIM_INTERVAL_MS): expected 0 (never) "
            "or 100..86400000 milliseconds, got -5");
  EXPECT_FALSE(LoadServerConfig("", {}, {{"heap_trim_interval_ms", "1"}}).ok());              // a busy loop
  EXPECT_FALSE(LoadServerConfig("", {}, {{"heap_trim_interval_ms", "9300000000000"}}).ok());  // past the clock
  EXPECT_TRUE(LoadServerConfig("", {}, {{"heap_trim_interval_ms", "100"}}).ok());
}

TEST(ServerConfig, BrokenYamlReportsLineAndColumn) {
  auto config = LoadServerConfig(WriteTempFile("broken", "http: [unclosed\n"), {}, {});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("line"), std::string::npos) << config.status().message();
  EXPECT_EQ(LoadServerConfig("/nonexistent/lagoa.yaml", {}, {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lagoa::server
