// `lagoa`: one binary, a table of subcommands. `lagoa server` runs the node; every other
// subcommand talks to a running server at --url (default http://127.0.0.1:8080, or LAGOA_URL).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "http/http_auth.h"
#include "server/config.h"
#include "server/node.h"

#ifndef LAGOA_VERSION
#define LAGOA_VERSION "0.0.0"
#endif

namespace {

std::string DefaultUrl() {
  const char* env = std::getenv("LAGOA_URL");
  return env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8080";
}

// `lagoa token new NAME`: the token, shown once, and the server's http_tokens entry for it.
int PrintNewToken(const std::string& name) {
  if (name.empty() || name.find_first_of(",: ") != std::string::npos) {
    std::fprintf(stderr, "error: token name `%s`: expected a word without ',', ':' or spaces\n", name.c_str());
    return 2;
  }
  auto token = lagoa::http::NewToken();
  if (!token.ok()) {
    std::fprintf(stderr, "error: %s\n", token.status().message().c_str());
    return 1;
  }
  std::printf("token:       %s\n", token->c_str());
  std::printf("http_tokens: %s:%s\n", name.c_str(), lagoa::http::TokenSha256Hex(*token).c_str());
  std::fprintf(
      stderr,
      "Give the token to the client (LAGOA_TOKEN, --token, or `Authorization: Bearer TOKEN`); it is shown "
      "only now.\nAdd the http_tokens entry to the server's configuration (entries are separated by commas).\n");
  return 0;
}

constexpr const char* kExamples = R"(
Examples:
  lagoa server                                   # serve ./lagoa-data on http://127.0.0.1:8080
  lagoa stream create clicks --schema 'user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ' --event-time ts
  lagoa ingest clicks events.ndjson              # bulk load NDJSON or CSV
  lagoa stream tail clicks                       # events as NDJSON
  lagoa sql -c 'SELECT url, count(*) FROM clicks GROUP BY url'
  lagoa table list                               # the lake's Delta tables
  lagoa catalog list                             # every stream, table, view and macro
  lagoa catalog tag clicks user_id subject_key   # tag a column (personal data, keys)
  lagoa token new ci                             # a bearer token for a server with http_tokens
  lagoa compile --select +daily_revenue          # a project's models as the SQL a build runs
  lagoa build --select +daily_revenue            # … built on the server in order, and tested
  lagoa project deploy                           # … and rebuilt by the server on the jobs' schedules
  lagoa jobs runs nightly                        # a job's runs: when, how long, rows, errors
)";

std::string FlagName(const std::string& key) {
  std::string out = "--";
  for (char c : key) out += c == '_' ? '-' : c;
  return out;
}

// The subcommand table and its run; main() only adds a last guard around it.
int Run(int argc, char** argv) {
  using namespace lagoa;
  CLI::App app{"lagoa — collect, store and analyze event data in one binary", "lagoa"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("lagoa ") + LAGOA_VERSION);
  std::string url = DefaultUrl();
  int exit_code = 0;

  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::printf("lagoa %s\n", LAGOA_VERSION); });

  // server: every config key is a flag.
  auto* server = app.add_subcommand("server", "Run a lagoa server on a data directory");
  std::string config_file;
  server->add_option("--config", config_file, "YAML config file (also LAGOA_CONFIG)");
  std::map<std::string, std::string> flag_values;
  for (const auto& key : server::ConfigKeys()) {
    if (key.name == "insecure") {  // a flag: --insecure
      server->add_flag_function(
          "--insecure", [&flag_values](int64_t) { flag_values["insecure"] = "true"; }, key.help);
      continue;
    }
    server->add_option_function<std::string>(
        FlagName(key.name), [&flag_values, name = key.name](const std::string& v) { flag_values[name] = v; },
        key.help + " (default " + key.default_value + ")");
  }
  server->callback([&] {
    if (config_file.empty()) {
      const char* env = std::getenv("LAGOA_CONFIG");
      if (env != nullptr) config_file = env;
    }
    auto config = server::LoadServerConfig(config_file, server::ProcessEnvironment(), flag_values);
    if (!config.ok()) {
      std::fprintf(stderr, "lagoa server: %s\n", config.status().message().c_str());
      exit_code = 2;
      return;
    }
    server::SetUpLogging(config->log_level);
    exit_code = server::RunServer(*config);
  });

  auto add_url = [&url](CLI::App* cmd) {
    cmd->add_option("--url", url, "server to talk to (also LAGOA_URL)")->capture_default_str();
    cmd->add_option_function<std::string>(
        "--token", [](const std::string& token) { ::setenv("LAGOA_TOKEN", token.c_str(), 1); },
        "bearer token for a server with http_tokens (also LAGOA_TOKEN)");
  };

  auto* health = app.add_subcommand("health", "Ask a running server whether it is healthy");
  add_url(health);
  health->callback([&] { exit_code = cli::Health(url); });

  auto* log_cmd = app.add_subcommand("log", "Check a data directory's log for damage, and repair it (server stopped)");
  log_cmd->require_subcommand(1);
  cli::LogToolArgs log_args;
  auto add_log_args = [&log_args](CLI::App* cmd) {
    cmd->add_option("--data-dir", log_args.data_dir, "the server's data directory")->capture_default_str();
    cmd->add_option("stream", log_args.stream, "only this stream");
    cmd->add_option("--partition", log_args.partition, "only this partition");
  };
  auto* log_verify = log_cmd->add_subcommand("verify", "Check every batch's CRC and offsets; list damaged ranges");
  add_log_args(log_verify);
  log_verify->callback([&] { exit_code = cli::LogVerify(log_args); });
  auto* log_repair = log_cmd->add_subcommand(
      "repair",
      "Rebuild damaged batches from the stream's lake table, and cut out what it lacks (those offsets become a "
      "gap), recorded; --apply to do it");
  add_log_args(log_repair);
  bool log_repair_apply = false;
  bool log_repair_without_lake = false;
  log_repair->add_flag("--apply", log_repair_apply, "repair (without it: only say what would be repaired)");
  log_repair->add_flag("--without-lake", log_repair_without_lake,
                       "cut damaged ranges out even where the lake holds them (when reading the lake fails)");
  log_repair->callback([&] { exit_code = cli::LogRepair(log_args, log_repair_apply, log_repair_without_lake); });

  auto* stream = app.add_subcommand("stream", "Create, list, describe, tail and drop streams");
  stream->require_subcommand(1);
  add_url(stream);

  cli::StreamCreateArgs create;
  auto* create_cmd = stream->add_subcommand("create", "Create a stream");
  create_cmd->add_option("name", create.name, "stream name")->required();
  auto* schema_opt =
      create_cmd->add_option("--schema", create.schema, "columns, e.g. 'user_id BIGINT, ts TIMESTAMPTZ'");
  auto* infer_opt = create_cmd->add_flag("--infer", create.infer, "let the first events define the schema");
  create_cmd->add_option("--event-time", create.event_time, "column holding each event's time");
  create_cmd->add_option("--partitions", create.partitions, "number of partitions")->check(CLI::Range(1, 1024));
  create_cmd->add_flag("--no-lake", create.no_lake, "do not load the stream into a lake table");
  create_cmd->add_option("--partition-by", create.partition_by,
                         "partition the lake table by the UTC date of a timestamp column: 'date(ts)'");
  (void)schema_opt;
  (void)infer_opt;
  add_url(create_cmd);
  create_cmd->callback([&] {
    if (create.schema.empty() && !create.infer) {
      std::fprintf(stderr, "lagoa stream create: give --schema 'col TYPE, …' or --infer\n");
      exit_code = 2;
      return;
    }
    exit_code = cli::StreamCreate(url, create);
  });

  auto* list_cmd = stream->add_subcommand("list", "List streams");
  add_url(list_cmd);
  list_cmd->callback([&] { exit_code = cli::StreamList(url); });

  std::string name;
  auto* describe_cmd = stream->add_subcommand("describe", "Show a stream's schema, offsets and sizes");
  describe_cmd->add_option("name", name, "stream name")->required();
  add_url(describe_cmd);
  describe_cmd->callback([&] { exit_code = cli::StreamDescribe(url, name); });

  auto* drop_cmd = stream->add_subcommand("drop", "Drop a stream and its data");
  drop_cmd->add_option("name", name, "stream name")->required();
  add_url(drop_cmd);
  drop_cmd->callback([&] { exit_code = cli::StreamDrop(url, name); });

  cli::TailArgs tail;
  int64_t from = -1;
  auto* tail_cmd = stream->add_subcommand("tail", "Print a stream's events as NDJSON, offsets included");
  tail_cmd->add_option("name", tail.name, "stream name")->required();
  tail_cmd->add_option("--from", from, "first offset (default: the earliest kept)");
  tail_cmd->add_option("--partition", tail.partition, "partition to read");
  tail_cmd->add_option("--limit", tail.limit, "stop after this many events");
  tail_cmd->add_flag("--follow,-f", tail.follow, "keep waiting for new events");
  add_url(tail_cmd);
  tail_cmd->callback([&] {
    if (from >= 0) tail.from = from;
    exit_code = cli::StreamTail(url, tail);
  });

  auto* table = app.add_subcommand("table", "List, describe, read and maintain lake tables; attach Delta tables");
  table->require_subcommand(1);
  add_url(table);
  bool json = false;
  auto add_json = [&json](CLI::App* cmd) { cmd->add_flag("--json", json, "print the server's JSON"); };

  auto* catalog = app.add_subcommand("catalog", "Every named object: streams, tables, views, macros; column tags");
  catalog->require_subcommand(1);
  add_url(catalog);
  auto* catalog_list = catalog->add_subcommand("list", "List every object with its kind, lineage and location");
  add_json(catalog_list);
  add_url(catalog_list);
  catalog_list->callback([&] { exit_code = cli::CatalogList(url, json); });
  auto* catalog_describe =
      catalog->add_subcommand("describe", "Show an object's definition, columns with their tags, and lineage");
  catalog_describe->add_option("name", name, "object name")->required();
  add_json(catalog_describe);
  add_url(catalog_describe);
  catalog_describe->callback([&] { exit_code = cli::CatalogDescribe(url, name, json); });
  std::string tag_column;
  std::vector<std::string> tags;
  auto* catalog_tag =
      catalog->add_subcommand("tag", "Set a column's tags (e.g. personal, subject_key); none removes them");
  catalog_tag->add_option("name", name, "object name")->required();
  catalog_tag->add_option("column", tag_column, "column name")->required();
  catalog_tag->add_option("tags", tags, "tags: a-z, 0-9 and _");
  add_url(catalog_tag);
  catalog_tag->callback([&] { exit_code = cli::CatalogTag(url, name, tag_column, tags); });

  auto* table_list = table->add_subcommand("list", "List the lake tables of streams and the attached tables");
  add_json(table_list);
  add_url(table_list);
  table_list->callback([&] { exit_code = cli::TableList(url, json); });

  auto* table_describe = table->add_subcommand("describe", "Show a table's schema, version, files, rows and size");
  table_describe->add_option("name", name, "table name")->required();
  add_json(table_describe);
  add_url(table_describe);
  table_describe->callback([&] { exit_code = cli::TableDescribe(url, name, json); });

  int64_t history_limit = 0;
  auto* table_history = table->add_subcommand("history", "List a table's commits, newest first");
  table_history->add_option("name", name, "table name")->required();
  table_history->add_option("--limit", history_limit, "at most this many commits")->check(CLI::PositiveNumber);
  add_json(table_history);
  add_url(table_history);
  table_history->callback([&] { exit_code = cli::TableHistory(url, name, history_limit, json); });

  auto* table_compact = table->add_subcommand("compact", "Rewrite a table's small files into larger ones");
  table_compact->add_option("name", name, "table name")->required();
  add_url(table_compact);
  table_compact->callback([&] { exit_code = cli::TableCompact(url, name); });

  cli::VacuumArgs vacuum;
  auto* table_vacuum = table->add_subcommand("vacuum", "Delete files no table version has used for --retain hours");
  table_vacuum->add_option("name", vacuum.name, "table name")->required();
  table_vacuum
      ->add_option("--retain", vacuum.retain_hours,
                   "hours to keep unused files (time travel needs them; default: the server's "
                   "lake_vacuum_retention_hours)")
      ->check(CLI::NonNegativeNumber);
  table_vacuum->add_flag("--dry-run", vacuum.dry_run, "list the files, delete nothing");
  table_vacuum->add_flag("--allow-short-retention", vacuum.allow_short_retention,
                         "permit --retain below 1 hour (a writer's file in flight may be deleted)");
  add_url(table_vacuum);
  table_vacuum->callback([&] { exit_code = cli::TableVacuum(url, vacuum); });

  std::string attach_path;
  auto* table_attach = table->add_subcommand("attach", "Register an existing Delta table, read-only");
  table_attach->add_option("name", name, "table name")->required();
  table_attach->add_option("path", attach_path, "the table's directory (it holds _delta_log/)")->required();
  add_url(table_attach);
  table_attach->callback([&] {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(attach_path, ec);
    exit_code = cli::TableAttach(url, name, ec ? attach_path : absolute.lexically_normal().string());
  });

  auto* table_detach = table->add_subcommand("detach", "Forget an attached table (its files stay)");
  table_detach->add_option("name", name, "table name")->required();
  add_url(table_detach);
  table_detach->callback([&] { exit_code = cli::TableDetach(url, name); });

  cli::CatArgs cat;
  int64_t cat_version = -1;
  auto* table_cat = table->add_subcommand("cat", "Print a table's rows as NDJSON (at a version or a time)");
  table_cat->add_option("name", cat.name, "table name")->required();
  auto* version_opt = table_cat->add_option("--version", cat_version, "table version")->check(CLI::NonNegativeNumber);
  table_cat->add_option("--timestamp", cat.timestamp, "the version current at this RFC 3339 time")
      ->excludes(version_opt);
  table_cat->add_option("--limit", cat.limit, "stop after this many rows");
  add_url(table_cat);
  table_cat->callback([&] {
    if (cat_version >= 0) cat.version = cat_version;
    exit_code = cli::TableCat(url, cat);
  });

  cli::IngestArgs ingest;
  bool no_progress = false;
  auto* ingest_cmd = app.add_subcommand("ingest", "Send NDJSON or CSV files (or - for stdin) to a stream");
  ingest_cmd->add_option("stream", ingest.stream, "stream name")->required();
  ingest_cmd->add_option("files", ingest.files, "files, or - for standard input")->required();
  ingest_cmd->add_option("--format", ingest.format, "ndjson or csv (default: by file extension)")
      ->check(CLI::IsMember({"ndjson", "csv"}));
  ingest_cmd->add_option("--batch-events", ingest.batch_events, "events per request")->check(CLI::Range(1, 100000));
  ingest_cmd->add_flag("--no-progress", no_progress, "no progress line");
  add_url(ingest_cmd);
  ingest_cmd->callback([&] {
    ingest.progress = !no_progress;
    exit_code = cli::Ingest(url, ingest);
  });

  cli::SqlArgs sql;
  auto* sql_cmd = app.add_subcommand("sql", "Run SQL on a server: -c SQL, -f FILE, or an interactive shell");
  auto* sql_c = sql_cmd->add_option("-c,--command", sql.command, "run this SQL text and exit");
  sql_cmd->add_option("-f,--file", sql.file, "run the SQL text of this file and exit")->excludes(sql_c);
  sql_cmd->add_option("--format", sql.format, "table, csv or json (one object per row)")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  sql_cmd->add_flag("--timing", sql.timing, "print how long each statement took (on in the shell)");
  add_url(sql_cmd);
  sql_cmd->callback([&] { exit_code = cli::Sql(url, sql); });

  cli::CompileArgs compile;
  auto* compile_cmd = app.add_subcommand(
      "compile", "Print the SQL of a project's models (models/**/*.sql, lagoa_project.yml), in build order");
  compile_cmd->add_option("--project", compile.project_dir, "the project folder (default: this one)");
  compile_cmd->add_option("-s,--select", compile.select,
                          "models to compile: names, +NAME (and what it reads), NAME+ (and what reads it), tag:T, "
                          "path:models/DIR, * (default: all)");
  compile_cmd->add_option("--exclude", compile.exclude, "models to leave out, in the same syntax");
  compile_cmd->add_option("--var", compile.vars, "NAME=VALUE for {{ var('NAME') }}, over the project's vars");
  compile_cmd->callback([&] { exit_code = cli::Compile(compile); });

  cli::RunArgs run;
  const auto add_build = [&](const char* name, const char* description, models::BuildSteps steps) {
    auto* cmd = app.add_subcommand(name, description);
    cmd->add_option("--project", run.compile.project_dir, "the project folder (default: this one)");
    cmd->add_option("-s,--select", run.compile.select,
                    steps == models::BuildSteps::kSeeds       ? "seeds, by name (default: all)"
                    : steps == models::BuildSteps::kSnapshots ? "snapshots, by name (default: all)"
                                                              : "models, as for compile (default: all)");
    if (steps != models::BuildSteps::kSeeds && steps != models::BuildSteps::kSnapshots) {
      cmd->add_option("--exclude", run.compile.exclude, "models to leave out, in the same syntax");
    }
    cmd->add_option("--var", run.compile.vars, "NAME=VALUE for {{ var('NAME') }}, over the project's vars");
    if (steps == models::BuildSteps::kModels || steps == models::BuildSteps::kModelsAndTests) {
      cmd->add_flag("--full-refresh", run.full_refresh, "rebuild incremental models from scratch, as tables");
    }
    if (steps == models::BuildSteps::kTests || steps == models::BuildSteps::kModelsAndTests) {
      cmd->add_flag("--store-failures", run.store_failures,
                    "keep a failing test's rows in the lake table lagoa_failures_TEST (dropped once it passes)");
    }
    add_url(cmd);
    cmd->callback([&, steps] { exit_code = cli::Build(url, run, steps); });
  };
  add_build("run", "Build a project's models on a server, in build order", models::BuildSteps::kModels);
  add_build("test", "Run the data tests of a project's models on a server", models::BuildSteps::kTests);
  add_build("build", "Load a project's seeds, take its snapshots, build its models and test them",
            models::BuildSteps::kModelsAndTests);
  add_build("seed", "Load a project's seeds (seeds/*.csv) into lake tables", models::BuildSteps::kSeeds);
  add_build("snapshot", "Take a project's snapshots (snapshots/*.sql): every version of changing rows",
            models::BuildSteps::kSnapshots);

  std::string project_dir = ".";
  auto* project_cmd = app.add_subcommand("project", "Deploy a project to a server, which runs its jobs on schedule");
  project_cmd->require_subcommand(1);
  auto* deploy = project_cmd->add_subcommand(
      "deploy", "Send a project folder to the server: it checks it and runs the jobs of lagoa_project.yml");
  deploy->add_option("--project", project_dir, "the project folder (default: this one)");
  add_url(deploy);
  deploy->callback([&] { exit_code = cli::ProjectDeploy(url, project_dir); });
  auto* project_list = project_cmd->add_subcommand("list", "List the deployed projects");
  add_url(project_list);
  project_list->callback([&] { exit_code = cli::ProjectList(url); });
  auto* project_remove = project_cmd->add_subcommand("remove", "Undeploy a project: its jobs stop being scheduled");
  project_remove->add_option("name", name, "project name")->required();
  add_url(project_remove);
  project_remove->callback([&] { exit_code = cli::ProjectRemove(url, name); });

  auto* jobs_cmd = app.add_subcommand("jobs", "The deployed projects' jobs: schedules, runs, retries, backfills");
  jobs_cmd->require_subcommand(1);
  auto* jobs_list = jobs_cmd->add_subcommand("list", "List the jobs: schedule, state, next time, latest run");
  add_json(jobs_list);
  add_url(jobs_list);
  jobs_list->callback([&] { exit_code = cli::JobsList(url, json); });
  int64_t runs_limit = 20;
  auto* jobs_runs = jobs_cmd->add_subcommand("runs", "A job's runs, newest first");
  jobs_runs->add_option("job", name, "job name")->required();
  jobs_runs->add_option("--limit", runs_limit, "how many (default 20, at most 1000)");
  add_json(jobs_runs);
  add_url(jobs_runs);
  jobs_runs->callback([&] { exit_code = cli::JobsRuns(url, name, runs_limit, json); });
  int64_t run_id = -1;
  auto* jobs_logs = jobs_cmd->add_subcommand("logs", "One run of a job, step by step (default: its latest)");
  jobs_logs->add_option("job", name, "job name")->required();
  jobs_logs->add_option("--run", run_id, "the run's number (lagoa jobs runs shows them)");
  add_url(jobs_logs);
  jobs_logs->callback(
      [&] { exit_code = cli::JobsLogs(url, name, run_id >= 0 ? std::optional<int64_t>(run_id) : std::nullopt); });
  for (const char* action : {"run", "pause", "resume"}) {
    auto* cmd = jobs_cmd->add_subcommand(action, std::string(action) == "run"     ? "Queue a run of a job now"
                                                 : std::string(action) == "pause" ? "Pause a job: nothing of it starts"
                                                                                  : "Resume a paused job");
    cmd->add_option("job", name, "job name")->required();
    add_url(cmd);
    cmd->callback([&, action] { exit_code = cli::JobsAction(url, name, action); });
  }
  std::string backfill_from;
  std::string backfill_to;
  auto* backfill = jobs_cmd->add_subcommand(
      "backfill", "Queue one run of a job per day from --from to --to, each with the var logical_date set to its day");
  backfill->add_option("job", name, "job name")->required();
  backfill->add_option("--from", backfill_from, "the first day, YYYY-MM-DD")->required();
  backfill->add_option("--to", backfill_to, "the last day, YYYY-MM-DD")->required();
  add_url(backfill);
  backfill->callback([&] { exit_code = cli::JobsBackfill(url, name, backfill_from, backfill_to); });

  std::string token_name;
  auto* token = app.add_subcommand("token", "Bearer tokens for a server's http_tokens");
  token->require_subcommand(1);
  auto* token_new = token->add_subcommand("new", "Make a token: prints it once, and its http_tokens entry (a SHA-256)");
  token_new->add_option("name", token_name, "who the token is for")->required();
  token_new->callback([&] { exit_code = PrintNewToken(token_name); });

  if (argc == 1) {  // no subcommand: what there is, and how it is used
    std::printf("%s%s", app.help().c_str(), kExamples);
    return 0;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, as commands.h promises.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // out of memory, or a bug: an error, never an abort
    std::fprintf(stderr, "lagoa: %s\n", e.what());
    return 2;
  }
}
