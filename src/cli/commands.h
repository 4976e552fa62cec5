// The `lagoa` subcommands that talk to a running server. Each returns the process exit code:
// 0 success, 1 the server refused something (the message is printed), 2 usage or connection error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/build_runner.h"

namespace lagoa::cli {

struct StreamCreateArgs {
  std::string name;
  std::string schema;
  bool infer = false;
  std::string event_time;
  int32_t partitions = 1;
  bool no_lake = false;      // the stream gets no lake table
  std::string partition_by;  // "date(COLUMN)": its lake table is partitioned by that UTC date
};

int StreamCreate(const std::string& url, const StreamCreateArgs& args);
int StreamList(const std::string& url);
int StreamDescribe(const std::string& url, const std::string& name);
int StreamDrop(const std::string& url, const std::string& name);

struct TailArgs {
  std::string name;
  std::optional<int64_t> from;
  int32_t partition = 0;
  bool follow = false;
  int64_t limit = -1;  // -1: everything (until caught up, or forever with --follow)
};
int StreamTail(const std::string& url, const TailArgs& args);

struct IngestArgs {
  std::string stream;
  std::vector<std::string> files;  // "-" is standard input
  std::string format;              // ndjson | csv | "" (by file extension, default ndjson)
  uint32_t batch_events = 1000;
  bool progress = true;
};
int Ingest(const std::string& url, const IngestArgs& args);

int Health(const std::string& url);

// `lagoa log verify` / `lagoa log repair`: on a data directory's files, not through a server.
// Exit codes: verify 0 clean, 1 damage found; repair 0 done (or nothing to do), 1 a repair failed;
// 2 usage or I/O errors (repair: also while a server holds the directory).
struct LogToolArgs {
  std::string data_dir = "./lagoa-data";
  std::optional<std::string> stream;
  std::optional<int32_t> partition;
};
int LogVerify(const LogToolArgs& args);
// Without `apply`, prints what it would repair and changes nothing. Damaged ranges are rebuilt from
// the stream's lake table where it holds them, unless `without_lake`; the rest become gaps.
int LogRepair(const LogToolArgs& args, bool apply, bool without_lake);

// `lagoa table …`: the lake tables of streams and attached Delta tables.
int TableList(const std::string& url, bool json);
int TableDescribe(const std::string& url, const std::string& name, bool json);
int TableHistory(const std::string& url, const std::string& name, int64_t limit, bool json);
int TableCompact(const std::string& url, const std::string& name);

struct VacuumArgs {
  std::string name;
  std::optional<int64_t> retain_hours;  // none: the server's lake_vacuum_retention_hours
  bool dry_run = false;
  bool allow_short_retention = false;
};
int TableVacuum(const std::string& url, const VacuumArgs& args);
int TableAttach(const std::string& url, const std::string& name, const std::string& path);
int TableDetach(const std::string& url, const std::string& name);

struct CatArgs {
  std::string name;
  std::optional<int64_t> version;
  std::string timestamp;  // RFC 3339; empty: none
  int64_t limit = -1;     // -1: every row
};
// Prints the table's rows as NDJSON, read through DuckDB by the server.
int TableCat(const std::string& url, const CatArgs& args);

// `lagoa catalog …`: every named object (streams, tables, views, macros, schemas).
int CatalogList(const std::string& url, bool json);
int CatalogDescribe(const std::string& url, const std::string& name, bool json);
// Replaces the tags of a column (no tags: removes them).
int CatalogTag(const std::string& url, const std::string& name, const std::string& column,
               const std::vector<std::string>& tags);

// `lagoa sql`: -c runs one text, -f a file's text (each as one request: every statement runs, the
// last one's result is printed), neither an interactive shell reading statements from stdin.
struct SqlArgs {
  std::string command;
  std::string file;
  std::string format = "table";  // table | csv | json (one object per row)
  bool timing = false;
};
int Sql(const std::string& url, const SqlArgs& args);

// `lagoa compile`: a project's models (src/models) as the SQL a build runs, in build order, with
// no server: what each ref, source and var becomes. Exit codes: 0, 1 a project error (the message
// names the file and line), 2 usage.
struct CompileArgs {
  std::string project_dir = ".";
  std::string select;  // models/model_graph.h: names, +ancestors, descendants+, tag:, path:, *
  std::string exclude;
  std::vector<std::string> vars;  // NAME=VALUE, over the project's vars
};
int Compile(const CompileArgs& args);

// `lagoa run`, `lagoa test`, `lagoa build` (models/build_runner.h) on the server at `url`: run
// builds the selected models, test runs their data tests, build does both. One line per model and
// test, then a summary. Exit codes: 0 everything built
// and no error test failed, 1 otherwise or a project error, 2 usage or connection error.
struct RunArgs {
  CompileArgs compile;
  bool full_refresh = false;    // incremental models are rebuilt as tables
  bool store_failures = false;  // failing tests' rows kept in lake tables lagoa_failures_TEST
};
int Build(const std::string& url, const RunArgs& args, models::BuildSteps steps);

// `lagoa project deploy`: reads the project folder as `lagoa build` does and sends the files it
// was read from (models::ProjectFiles) to the server, which checks them and runs the project's
// jobs on their schedules (src/jobs/job_spec.h). `list` and `remove` show and undeploy projects.
int ProjectDeploy(const std::string& url, const std::string& project_dir);
int ProjectList(const std::string& url);
int ProjectRemove(const std::string& url, const std::string& name);

// `lagoa jobs …`: the deployed jobs, their runs (newest first) and one run's steps (the latest
// when no run is given); run, pause and resume a job; backfill: one run per day from..to.
int JobsList(const std::string& url, bool json);
int JobsRuns(const std::string& url, const std::string& job, int64_t limit, bool json);
int JobsLogs(const std::string& url, const std::string& job, std::optional<int64_t> run_id);
int JobsAction(const std::string& url, const std::string& job, const std::string& action);  // run, pause, resume
int JobsBackfill(const std::string& url, const std::string& job, const std::string& from, const std::string& to);

}  // namespace lagoa::cli
