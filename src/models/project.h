// A project: the folder of SQL models a user keeps in git, read whole by LoadProject.
//
//   lagoa_project.yml      name, vars, and model settings for every model and per folder
//   models/**/NAME.sql     one SELECT each; the model is called NAME (the file's name)
//   models/**/*.yml, tests/**/*.sql   data tests (data_tests.h)
//   seeds/**/NAME.csv                 small tables loaded as they are (seeds.h)
//   snapshots/**/NAME.sql             every version of changing rows (snapshots.h)
//
// lagoa_project.yml:
//   name: shop
//   vars:
//     start_date: '2024-01-01'
//   models:                  # settings for every model …
//     materialized: view
//     marts:                 # … and for the models under models/marts (folders nest)
//       materialized: table
//       tags: [daily]
//   seeds:                   # declared column types of seeds (seeds.h)
//     countries:
//       column_types: {population: BIGINT}
//   sources:                 # freshness tests of sources (data_tests.h)
//     clicks:
//       freshness: {loaded_at: ts, warn_after: 1 hour, error_after: 1 day}
// A model's own {{ config(...) }} overrides its folders' settings, which override the project's;
// tags add up instead. Settings: materialized (view, table, incremental, ephemeral), unique_key
// (a column or a list), incremental_strategy (append, merge, delete+insert), tags, enabled.
//
// Value type: a Project is immutable once loaded and holds no open files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/data_tests.h"
#include "models/model_template.h"
#include "models/seeds.h"
#include "models/snapshots.h"

namespace lagoa::models {

inline constexpr size_t kModelsMax = 10'000;
inline constexpr size_t kModelFileBytesMax = 1 << 20;
inline constexpr size_t kProjectFileBytesMax = 1 << 20;
inline constexpr size_t kModelNameBytesMax = 128;

enum class Materialization { kView, kTable, kIncremental, kEphemeral };
enum class IncrementalStrategy { kAppend, kMerge, kDeleteInsert };

std::string_view MaterializationName(Materialization m);
std::string_view IncrementalStrategyName(IncrementalStrategy s);

struct ModelConfig {
  Materialization materialized = Materialization::kView;
  IncrementalStrategy incremental_strategy = IncrementalStrategy::kAppend;
  std::vector<std::string> unique_key;  // the columns that identify a row (merge, delete+insert)
  std::vector<std::string> tags;        // sorted, each once
  bool enabled = true;                  // a disabled model is not built, and no model may ref it
};

struct Model {
  std::string name;                  // the file's name without .sql: [A-Za-z_][A-Za-z0-9_]*, unique in the project
  std::filesystem::path path;        // relative to the project folder: models/marts/daily.sql
  std::vector<std::string> folders;  // the folders under models/: {"marts"}
  ModelTemplate sql;
  ModelConfig config;
};

struct Project {
  std::filesystem::path dir;
  std::string name;
  std::map<std::string, std::string> vars;
  std::vector<Model> models;               // enabled and disabled, sorted by name
  std::vector<DataTest> tests;             // data_tests.h: models/**/*.yml and tests/**/*.sql, sorted by name
  std::vector<Seed> seeds;                 // seeds.h: seeds/**/*.csv, sorted by name
  std::vector<ProjectSnapshot> snapshots;  // snapshots.h: snapshots/**/*.sql, sorted by name
};

// A model's name as the project compares names: lowercase (SQL's names ignore case).
std::string ModelKey(std::string_view name);

// Reads lagoa_project.yml, every models/**/*.sql below `dir`, the data tests (data_tests.h), the
// seeds (seeds.h) and the snapshots (snapshots.h). Models, seeds and snapshots are relations of
// the server: their names differ, ignoring case. Errors name the file,
// and the line and column where they can: a missing project file, YAML that does not parse, an unknown key or value, a
// model name that is not a plain identifier or is used twice, a template error.
Result<Project> LoadProject(const std::filesystem::path& dir);

// The files `project` was read from, relative to its folder and sorted: lagoa_project.yml and
// every model, test, seed and snapshot file (what `lagoa project deploy` sends).
std::vector<std::filesystem::path> ProjectFiles(const Project& project);

// [A-Za-z_][A-Za-z0-9_]*, at most kModelNameBytesMax bytes: the names of models, projects and jobs.
bool IsPlainIdentifier(std::string_view name);

}  // namespace lagoa::models
