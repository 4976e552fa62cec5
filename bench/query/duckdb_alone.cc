// lagoa_query_duckdb: the query benchmark's "DuckDB alone" side (bench/query/README.md). It opens an
// in-memory DuckDB through libduckdb's C API only (none of lagoa's code), makes the view `events`
// over the Parquet files a Delta table's log lists as active (and a view NAME over each
// `--dimension NAME=DIR` table's files: lagoa's lake tables), runs a setup script if given, then
// times each query file: `--warmup` untimed runs, then `--repeats` timed ones.
//
// Usage: lagoa_query_duckdb --table DIR --threads N --memory-limit SIZE [--dimension NAME=DIR…]
//                           [--setup FILE] [--warmup W] [--repeats R] [--explain] QUERY.sql…
// Prints one JSON line per query: {"query":"q01_…","seconds":[…],"median":S,"rows":N}, after a
// line {"files":F} naming how many active files the view reads; --explain also writes each query's
// EXPLAIN ANALYZE to stderr before timing it. The active files are the `add`
// paths of every commit in DIR/_delta_log/*.json minus the `remove` paths (the loader's file names
// need no URI decoding); a log whose first commit is gone (cleaned up after a checkpoint) is refused.
// Lifecycle: one run, the main thread (DuckDB's threads inside the queries).
#include <duckdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "lagoa_query_duckdb: %s\n", message.c_str());
  std::exit(1);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of the first "path" key after `key_at` in a commit line.
std::string PathAfter(const std::string& line, size_t key_at) {
  const std::string_view marker = "\"path\":\"";
  const size_t at = line.find(marker, key_at);
  if (at == std::string::npos) Die("a commit action without a path: " + line.substr(0, 200));
  const size_t begin = at + marker.size();
  const size_t end = line.find('"', begin);
  return line.substr(begin, end - begin);
}

std::vector<std::string> ActiveFiles(const fs::path& table) {
  const fs::path log = table / "_delta_log";
  std::vector<fs::path> commits;
  for (const auto& entry : fs::directory_iterator(log)) {
    if (entry.path().extension() == ".json" && entry.path().stem().string().find('.') == std::string::npos) {
      commits.push_back(entry.path());
    }
  }
  std::sort(commits.begin(), commits.end());
  if (commits.empty() || commits.front().filename() != "00000000000000000000.json") {
    Die("the Delta log of " + table.string() + " does not start at version 0");
  }
  std::set<std::string> active;
  for (const fs::path& commit : commits) {
    std::istringstream lines(ReadFile(commit));
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("{\"add\":")) active.insert(PathAfter(line, 0));
      if (line.starts_with("{\"remove\":")) active.erase(PathAfter(line, 0));
    }
  }
  std::vector<std::string> files;
  for (const std::string& path : active) files.push_back((table / path).string());
  return files;
}

class Database {
 public:
  Database(const std::string& threads, const std::string& memory_limit) {
    duckdb_config config = nullptr;
    if (duckdb_create_config(&config) != DuckDBSuccess) Die("cannot create a DuckDB config");
    const std::pair<const char*, const char*> settings[] = {
        {"threads", threads.c_str()},
        {"memory_limit", memory_limit.c_str()},
        {"autoinstall_known_extensions", "false"},
        {"autoload_known_extensions", "false"},
    };
    for (const auto& [name, value] : settings) {
      if (duckdb_set_config(config, name, value) != DuckDBSuccess) Die(std::string("bad setting ") + name);
    }
    char* error = nullptr;
    if (duckdb_open_ext(nullptr, &database_, config, &error) != DuckDBSuccess)
      Die(error ? error : "cannot open DuckDB");
    duckdb_destroy_config(&config);
    if (duckdb_connect(database_, &connection_) != DuckDBSuccess) Die("cannot connect");
  }
  ~Database() {
    duckdb_disconnect(&connection_);
    duckdb_close(&database_);
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs every statement of `sql`; returns the last one's row count. With `text`, also returns the
  // last result's last column of its first row (EXPLAIN ANALYZE's plan).
  uint64_t Run(const std::string& sql, std::string* text = nullptr) {
    duckdb_extracted_statements statements = nullptr;
    const idx_t count = duckdb_extract_statements(connection_, sql.c_str(), &statements);
    if (count == 0) Die(std::string("cannot parse: ") + duckdb_extract_statements_error(statements));
    uint64_t rows = 0;
    for (idx_t i = 0; i < count; ++i) {
      duckdb_prepared_statement prepared = nullptr;
      if (duckdb_prepare_extracted_statement(connection_, statements, i, &prepared) != DuckDBSuccess) {
        Die(std::string("cannot prepare: ") + duckdb_prepare_error(prepared));
      }
      duckdb_result result;
      if (duckdb_execute_prepared(prepared, &result) != DuckDBSuccess) Die(duckdb_result_error(&result));
      rows = duckdb_row_count(&result);
      if (text != nullptr && rows > 0) {
        char* value = duckdb_value_varchar(&result, duckdb_column_count(&result) - 1, 0);
        *text = value != nullptr ? value : "";
        duckdb_free(value);
      }
      duckdb_destroy_result(&result);
      duckdb_destroy_prepare(&prepared);
    }
    duckdb_destroy_extracted(&statements);
    return rows;
  }

 private:
  duckdb_database database_ = nullptr;
  duckdb_connection connection_ = nullptr;
};

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

int main(int argc, char** argv) {
  std::string table, threads = "2", memory_limit = "2GiB", setup;
  int warmup = 1, repeats = 3;
  bool explain = false;
  std::vector<fs::path> queries;
  std::vector<std::pair<std::string, fs::path>> dimensions;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing the value of " + std::string(arg));
      return argv[++i];
    };
    if (arg == "--table") {
      table = value();
    } else if (arg == "--threads") {
      threads = value();
    } else if (arg == "--memory-limit") {
      memory_limit = value();
    } else if (arg == "--setup") {
      setup = value();
    } else if (arg == "--dimension") {
      const std::string spec = value();
      const size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0) Die("--dimension wants NAME=DIR, got " + spec);
      dimensions.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
    } else if (arg == "--warmup") {
      warmup = std::atoi(value().c_str());
    } else if (arg == "--explain") {
      explain = true;
    } else if (arg == "--repeats") {
      repeats = std::atoi(value().c_str());
    } else if (arg.starts_with("--")) {
      Die("unknown flag " + std::string(arg));
    } else {
      queries.emplace_back(arg);
    }
  }
  if (table.empty() || queries.empty() || repeats < 1) {
    std::fprintf(stderr,
                 "usage: lagoa_query_duckdb --table DIR --threads N --memory-limit SIZE [--dimension NAME=DIR…] "
                 "[--setup FILE] [--warmup W] [--repeats R] QUERY.sql…\n");
    return 2;
  }
  Database db(threads, memory_limit);
  // The settings lagoa's SQL engine makes (src/sql/sql_engine.cc), so both read Parquet alike.
  db.Run("SET TimeZone = 'UTC'; SET parquet_metadata_cache = true");
  const std::vector<std::string> files = ActiveFiles(table);
  const auto parquet_list = [](const std::vector<std::string>& paths) {
    std::string list;
    for (const std::string& path : paths) list += (list.empty() ? "" : ", ") + Quote(path);
    return "read_parquet([" + list + "])";
  };
  db.Run("CREATE VIEW events AS SELECT * FROM " + parquet_list(files));
  for (const auto& [name, dir] : dimensions) {
    db.Run("CREATE VIEW " + name + " AS SELECT * FROM " + parquet_list(ActiveFiles(dir)));
  }
  if (!setup.empty()) db.Run(ReadFile(setup));
  std::printf("{\"files\":%zu}\n", files.size());
  std::fflush(stdout);
  for (const fs::path& query : queries) {
    const std::string sql = ReadFile(query);
    if (explain) {  // the profile of one more run (stderr), before the timed ones
      std::string plan;
      db.Run("EXPLAIN ANALYZE " + sql, &plan);
      std::fprintf(stderr, "-- %s\n%s\n", query.stem().c_str(), plan.c_str());
    }
    uint64_t rows = 0;
    for (int w = 0; w < warmup; ++w) rows = db.Run(sql);
    std::vector<double> seconds;
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      rows = db.Run(sql);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::string times;
    for (double s : seconds) times += (times.empty() ? "" : ",") + std::to_string(s);
    std::vector<double> sorted = seconds;
    std::sort(sorted.begin(), sorted.end());
    const double median =
        sorted.size() % 2 ? sorted[sorted.size() / 2] : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
    std::printf("{\"query\":\"%s\",\"seconds\":[%s],\"median\":%.6f,\"rows\":%llu}\n", query.stem().c_str(),
                times.c_str(), median, static_cast<unsigned long long>(rows));
    std::fflush(stdout);
  }
  return 0;
}
