#include "models/project.h"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "base/file_util.h"
#include "models/project_files_internal.h"

namespace lagoa::models {

std::string_view MaterializationName(Materialization m) {
  switch (m) {
    case Materialization::kView:
      return "view";
    case Materialization::kTable:
      return "table";
    case Materialization::kIncremental:
      return "incremental";
    case Materialization::kEphemeral:
      return "ephemeral";
  }
  return "?";
}

std::string_view IncrementalStrategyName(IncrementalStrategy s) {
  switch (s) {
    case IncrementalStrategy::kAppend:
      return "append";
    case IncrementalStrategy::kMerge:
      return "merge";
    case IncrementalStrategy::kDeleteInsert:
      return "delete+insert";
  }
  return "?";
}

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || name.size() > kModelNameBytesMax) return false;
  if (std::isdigit(static_cast<unsigned char>(name[0])) != 0) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_'; });
}

std::vector<std::filesystem::path> ProjectFiles(const Project& project) {
  std::set<std::filesystem::path> files = {"lagoa_project.yml"};
  for (const Model& model : project.models) files.insert(model.path);
  for (const DataTest& test : project.tests) files.insert(test.path);
  for (const Seed& seed : project.seeds) files.insert(seed.path);
  for (const ProjectSnapshot& snapshot : project.snapshots) files.insert(snapshot.path);
  return {files.begin(), files.end()};
}

namespace {

constexpr std::string_view kProjectFile = "lagoa_project.yml";
constexpr std::string_view kModelsFolder = "models";
constexpr std::string_view kSettingNames = "materialized, incremental_strategy, unique_key, tags, enabled";

// One setting from lagoa_project.yml or a config() call, and where it was written.
struct Setting {
  std::string key;
  ConfigValue value;
  std::string where;  // "lagoa_project.yml:4:5"
};

// The settings lagoa_project.yml gives the models under `folders` (empty: every model).
struct FolderSettings {
  std::vector<std::string> folders;
  std::vector<Setting> settings;
  std::string where;
};

Status ApplySetting(ModelConfig& config, const Setting& setting) {
  const auto* text = std::get_if<std::string>(&setting.value);
  const auto refuse = [&](std::string_view expected) {
    std::string found = text != nullptr ? fmt::format("`{}`", *text) : "a list";
    return Status::InvalidArgument(
        fmt::format("{}: {}: expected {}, found {}", setting.where, setting.key, expected, found));
  };
  if (setting.key == "materialized") {
    static constexpr std::pair<std::string_view, Materialization> kKinds[] = {
        {"view", Materialization::kView},
        {"table", Materialization::kTable},
        {"incremental", Materialization::kIncremental},
        {"ephemeral", Materialization::kEphemeral}};
    for (const auto& [name, kind] : kKinds) {
      if (text != nullptr && *text == name) {
        config.materialized = kind;
        return Status::Ok();
      }
    }
    return refuse("view, table, incremental or ephemeral");
  }
  if (setting.key == "incremental_strategy") {
    static constexpr std::pair<std::string_view, IncrementalStrategy> kStrategies[] = {
        {"append", IncrementalStrategy::kAppend},
        {"merge", IncrementalStrategy::kMerge},
        {"delete+insert", IncrementalStrategy::kDeleteInsert}};
    for (const auto& [name, strategy] : kStrategies) {
      if (text != nullptr && *text == name) {
        config.incremental_strategy = strategy;
        return Status::Ok();
      }
    }
    return refuse("append, merge or delete+insert");
  }
  if (setting.key == "unique_key" || setting.key == "tags") {
    std::vector<std::string> names = ConfigTexts(setting.value);
    if (names.empty() || std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.empty(); })) {
      return refuse(setting.key == "tags" ? "a tag or a list of tags" : "a column or a list of columns");
    }
    if (setting.key == "unique_key") {
      config.unique_key = std::move(names);
    } else {
      std::set<std::string> tags(config.tags.begin(), config.tags.end());
      tags.insert(names.begin(), names.end());
      config.tags.assign(tags.begin(), tags.end());
    }
    return Status::Ok();
  }
  if (setting.key == "enabled") {
    if (text != nullptr && (*text == "true" || *text == "false")) {
      config.enabled = *text == "true";
      return Status::Ok();
    }
    return refuse("true or false");
  }
  return Status::InvalidArgument(
      fmt::format("{}: unknown setting `{}`: expected one of {}", setting.where, setting.key, kSettingNames));
}

bool IsSettingName(std::string_view key) {
  return key == "materialized" || key == "incremental_strategy" || key == "unique_key" || key == "tags" ||
         key == "enabled";
}

std::string Where(const YAML::Node& node) {
  return fmt::format("{}:{}:{}", kProjectFile, node.Mark().line + 1, node.Mark().column + 1);
}

Result<ConfigValue> YamlValue(const YAML::Node& node) {
  if (node.IsScalar()) return ConfigValue{node.Scalar()};
  if (node.IsSequence()) {
    std::vector<std::string> items;
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return Status::InvalidArgument(fmt::format("{}: expected a word or a string", Where(item)));
      items.push_back(item.Scalar());
    }
    return ConfigValue{std::move(items)};
  }
  return Status::InvalidArgument(fmt::format("{}: expected a value or a list of values", Where(node)));
}

// `models:` and the folder mappings inside it, depth first.
Status ReadFolderSettings(const YAML::Node& node, const std::vector<std::string>& folders,
                          std::vector<FolderSettings>& out) {
  if (!node.IsMap()) {
    return Status::InvalidArgument(
        fmt::format("{}: expected a mapping of settings ({}) and folders", Where(node), kSettingNames));
  }
  FolderSettings here{.folders = folders, .where = Where(node)};
  std::vector<std::pair<std::string, YAML::Node>> subfolders;
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    if (IsSettingName(key)) {
      LAGOA_ASSIGN_OR_RETURN(ConfigValue value, YamlValue(item.second));
      here.settings.push_back({key, std::move(value), Where(item.first)});
    } else if (!item.second.IsMap()) {
      std::vector<std::string> path = folders;
      path.push_back(key);
      return Status::InvalidArgument(
          fmt::format("{}: models.{}: not a setting ({}), and a folder's settings would be a mapping",
                      Where(item.first), fmt::join(path, "."), kSettingNames));
    } else {
      subfolders.emplace_back(key, item.second);
    }
  }
  out.push_back(std::move(here));
  for (const auto& [folder, settings] : subfolders) {
    std::vector<std::string> deeper = folders;
    deeper.push_back(folder);
    LAGOA_RETURN_IF_ERROR(ReadFolderSettings(settings, deeper, out));
  }
  return Status::Ok();
}

struct ProjectFile {
  std::string name;
  std::map<std::string, std::string> vars;
  std::vector<FolderSettings> folder_settings;
  SeedTypes seed_types;
  std::vector<Freshness> freshness;
};

// An age for freshness: "N unit", unit second, minute, hour or day (or their plurals).
bool IsAge(const std::string& text) {
  const size_t space = text.find(' ');
  if (space == 0 || space == std::string::npos || space + 1 >= text.size()) return false;
  if (!std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(space),
                   [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; })) {
    return false;
  }
  std::string unit = text.substr(space + 1);
  if (unit.ends_with('s')) unit.pop_back();
  return unit == "second" || unit == "minute" || unit == "hour" || unit == "day";
}

// sources: {NAME: {freshness: {loaded_at: COLUMN, warn_after: AGE, error_after: AGE}}}
Status ReadSources(const YAML::Node& node, std::vector<Freshness>& out) {
  if (!node.IsMap()) {
    return Status::InvalidArgument(fmt::format("{}: sources: expected a mapping of source names", Where(node)));
  }
  for (const auto& source : node) {
    const std::string name = source.first.Scalar();
    const bool one_map = source.second.IsMap() && source.second.size() == 1;
    const YAML::Node freshness = one_map ? source.second["freshness"] : YAML::Node();
    if (!one_map || !freshness || !freshness.IsMap()) {
      return Status::InvalidArgument(
          fmt::format("{}: sources.{}: expected `freshness: {{loaded_at: COLUMN, warn_after: 1 hour, error_after: "
                      "1 day}}`",
                      Where(source.second), name));
    }
    if (!IsPlainIdentifier(name) && name.find('.') == std::string::npos) {
      return Status::InvalidArgument(
          fmt::format("{}: sources.{}: expected a source's name", Where(source.first), name));
    }
    Freshness f{.source = name, .where = Where(source.first)};
    for (const auto& item : freshness) {
      const std::string key = item.first.Scalar();
      const std::string value = item.second.IsScalar() ? item.second.Scalar() : "";
      if (key == "loaded_at" && !value.empty() && value.find('\'') == std::string::npos) {
        f.loaded_at = value;
      } else if ((key == "warn_after" || key == "error_after") && IsAge(value)) {
        (key == "warn_after" ? f.warn_after : f.error_after) = value;
      } else {
        return Status::InvalidArgument(fmt::format(
            "{}: sources.{}.freshness.{}: expected loaded_at (a column), warn_after or error_after (an age: 30 "
            "minutes, 1 hour, 2 days)",
            Where(item.first), name, key));
      }
    }
    if (f.loaded_at.empty() || (f.warn_after.empty() && f.error_after.empty())) {
      return Status::InvalidArgument(fmt::format(
          "{}: sources.{}.freshness: expected loaded_at and warn_after or error_after", Where(source.second), name));
    }
    out.push_back(std::move(f));
  }
  return Status::Ok();
}

// A type for a seed's column: letters, digits, _, spaces, parentheses and commas (DECIMAL(10, 2)).
bool IsTypeText(const std::string& type) {
  return !type.empty() && std::all_of(type.begin(), type.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == ' ' || ch == '(' || ch == ')' ||
           ch == ',';
  });
}

// seeds: {NAME: {column_types: {COLUMN: TYPE}}}
Status ReadSeedTypes(const YAML::Node& node, SeedTypes& out) {
  if (!node.IsMap())
    return Status::InvalidArgument(fmt::format("{}: seeds: expected a mapping of seed names", Where(node)));
  for (const auto& seed : node) {
    const std::string name = seed.first.Scalar();
    if (!seed.second.IsMap()) {
      return Status::InvalidArgument(fmt::format("{}: seeds.{}: expected `column_types:`", Where(seed.second), name));
    }
    for (const auto& item : seed.second) {
      if (item.first.Scalar() != "column_types") {
        return Status::InvalidArgument(fmt::format("{}: seeds.{}: unknown key `{}`: expected column_types",
                                                   Where(item.first), name, item.first.Scalar()));
      }
      if (!item.second.IsMap()) {
        return Status::InvalidArgument(
            fmt::format("{}: seeds.{}.column_types: expected a mapping of columns to types", Where(item.second), name));
      }
      for (const auto& column : item.second) {
        if (!column.second.IsScalar() || !IsTypeText(column.second.Scalar())) {
          return Status::InvalidArgument(
              fmt::format("{}: seeds.{}.column_types.{}: expected a SQL type (BIGINT, DATE, "
                          "DECIMAL(10, 2) …)",
                          Where(column.second), name, column.first.Scalar()));
        }
        out[name][column.first.Scalar()] = column.second.Scalar();
      }
    }
  }
  return Status::Ok();
}

Result<ProjectFile> ReadProjectFile(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kProjectFile;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Status::NotFound(fmt::format("{}: no {} here (a project folder holds {} and a {}/ folder)", dir.string(),
                                        kProjectFile, kProjectFile, kModelsFolder));
  }
  LAGOA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path, kProjectFileBytesMax));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(
        fmt::format("{}:{}:{}: {}", kProjectFile, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!root.IsMap()) {
    return Status::InvalidArgument(fmt::format("{}: expected a mapping with name, vars and models", kProjectFile));
  }
  ProjectFile out;
  for (const auto& item : root) {
    const std::string key = item.first.IsScalar() ? item.first.Scalar() : "";
    if (key == "name") {
      if (!item.second.IsScalar() || !IsPlainIdentifier(item.second.Scalar())) {
        return Status::InvalidArgument(
            fmt::format("{}: name: expected a plain name (letters, digits and _)", Where(item.second)));
      }
      out.name = item.second.Scalar();
    } else if (key == "vars") {
      if (!item.second.IsMap())
        return Status::InvalidArgument(fmt::format("{}: vars: expected a mapping", Where(item.second)));
      for (const auto& var : item.second) {
        if (!var.second.IsScalar()) {
          return Status::InvalidArgument(
              fmt::format("{}: vars: `{}`: expected a single value", Where(var.second), var.first.Scalar()));
        }
        out.vars[var.first.Scalar()] = var.second.Scalar();
      }
    } else if (key == "models") {
      LAGOA_RETURN_IF_ERROR(ReadFolderSettings(item.second, {}, out.folder_settings));
    } else if (key == "seeds") {
      LAGOA_RETURN_IF_ERROR(ReadSeedTypes(item.second, out.seed_types));
    } else if (key == "sources") {
      LAGOA_RETURN_IF_ERROR(ReadSources(item.second, out.freshness));
    } else if (key == "jobs") {
      continue;  // the server's schedules: src/jobs/job_spec.h reads them
    } else {
      return Status::InvalidArgument(fmt::format(
          "{}: unknown key `{}`: expected name, vars, models, seeds, sources or jobs", Where(item.first), key));
    }
  }
  if (out.name.empty()) return Status::InvalidArgument(fmt::format("{}: `name` is missing", kProjectFile));
  return out;
}

// models/marts/daily.sql → {"marts"}
std::vector<std::string> FoldersOf(const std::filesystem::path& relative) {
  std::vector<std::string> folders;
  for (auto part = std::next(relative.begin()); part != relative.end() && std::next(part) != relative.end(); ++part) {
    folders.push_back(part->string());
  }
  return folders;
}

bool StartsWith(const std::vector<std::string>& folders, const std::vector<std::string>& prefix) {
  return prefix.size() <= folders.size() && std::equal(prefix.begin(), prefix.end(), folders.begin());
}

Result<Model> LoadModel(const std::filesystem::path& dir, const std::filesystem::path& relative,
                        const std::vector<FolderSettings>& folder_settings) {
  Model model{.name = relative.stem().string(), .path = relative, .sql = {}, .config = {}};
  if (!IsPlainIdentifier(model.name)) {
    return Status::InvalidArgument(fmt::format(
        "{}: `{}` cannot name a model: a model's file name must be a plain name (letters, digits and _, not first "
        "a digit, at most {} bytes) followed by .sql",
        relative.string(), model.name, kModelNameBytesMax));
  }
  model.folders = FoldersOf(relative);
  LAGOA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir / relative, kModelFileBytesMax));
  LAGOA_ASSIGN_OR_RETURN(model.sql, ModelTemplate::Parse(text, relative.string()));
  for (const FolderSettings& folder : folder_settings) {  // shallower folders first: ReadFolderSettings' order
    if (!StartsWith(model.folders, folder.folders)) continue;
    for (const Setting& setting : folder.settings) LAGOA_RETURN_IF_ERROR(ApplySetting(model.config, setting));
  }
  for (const ConfigArgument& argument : model.sql.config()) {
    LAGOA_RETURN_IF_ERROR(ApplySetting(
        model.config, Setting{argument.key, argument.value, DescribePosition(relative.string(), argument.at)}));
  }
  const bool keyed = model.config.incremental_strategy != IncrementalStrategy::kAppend;
  if (model.config.materialized == Materialization::kIncremental && keyed && model.config.unique_key.empty()) {
    return Status::InvalidArgument(fmt::format("{}: incremental_strategy {} needs a unique_key", relative.string(),
                                               IncrementalStrategyName(model.config.incremental_strategy)));
  }
  return model;
}

}  // namespace

std::string ModelKey(std::string_view name) {
  std::string key(name);
  for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return key;
}

Result<Project> LoadProject(const std::filesystem::path& dir) {
  LAGOA_ASSIGN_OR_RETURN(ProjectFile file, ReadProjectFile(dir));
  Project project{
      .dir = dir, .name = file.name, .vars = file.vars, .models = {}, .tests = {}, .seeds = {}, .snapshots = {}};
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files,
                         FindProjectFiles(dir, kModelsFolder, ".sql", kModelsMax, "models"));
  // Settings for a folder that holds no model are a typo more often than not.
  for (const FolderSettings& folder : file.folder_settings) {
    const bool used = std::any_of(files.begin(), files.end(), [&](const std::filesystem::path& path) {
      return StartsWith(FoldersOf(path), folder.folders);
    });
    if (!used && !folder.folders.empty()) {
      return Status::InvalidArgument(fmt::format("{}: models.{}: no model under {}/{}", folder.where,
                                                 fmt::join(folder.folders, "."), kModelsFolder,
                                                 fmt::join(folder.folders, "/")));
    }
  }
  std::map<std::string, std::filesystem::path> seen;  // by lowercase name: SQL's names ignore case
  for (const std::filesystem::path& relative : files) {
    LAGOA_ASSIGN_OR_RETURN(Model model, LoadModel(dir, relative, file.folder_settings));
    auto [it, added] = seen.emplace(ModelKey(model.name), relative);
    if (!added) {
      return Status::AlreadyExists(fmt::format(
          "{} and {} are both model `{}`: a model is named by its file, and the names must differ in more than case",
          it->second.string(), relative.string(), model.name));
    }
    project.models.push_back(std::move(model));
  }
  std::sort(project.models.begin(), project.models.end(),
            [](const Model& a, const Model& b) { return a.name < b.name; });
  LAGOA_ASSIGN_OR_RETURN(project.tests, LoadDataTests(dir, file.freshness));
  LAGOA_ASSIGN_OR_RETURN(project.seeds, LoadSeeds(dir, file.seed_types));
  LAGOA_ASSIGN_OR_RETURN(project.snapshots, LoadSnapshots(dir));
  std::vector<std::pair<std::string, std::filesystem::path>> tables;
  for (const Seed& seed : project.seeds) tables.emplace_back(seed.name, seed.path);
  for (const ProjectSnapshot& snapshot : project.snapshots) tables.emplace_back(snapshot.name, snapshot.path);
  for (const auto& [name, path] : tables) {
    auto [it, added] = seen.emplace(ModelKey(name), path);
    if (!added) {
      return Status::AlreadyExists(
          fmt::format("{} and {} are both named `{}`: models, seeds and snapshots are "
                      "relations of the server, and need names of their own",
                      path.string(), it->second.string(), name));
    }
  }
  return project;
}

}  // namespace lagoa::models
