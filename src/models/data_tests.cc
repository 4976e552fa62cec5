#include "models/data_tests.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "base/file_util.h"
#include "models/compile.h"
#include "models/project.h"
#include "models/project_files_internal.h"

namespace lagoa::models {

std::string_view DataTestKindName(DataTestKind kind) {
  switch (kind) {
    case DataTestKind::kUnique:
      return "unique";
    case DataTestKind::kNotNull:
      return "not_null";
    case DataTestKind::kAcceptedValues:
      return "accepted_values";
    case DataTestKind::kRelationships:
      return "relationships";
    case DataTestKind::kSql:
      return "sql";
    case DataTestKind::kFreshness:
      return "freshness";
  }
  return "?";
}

namespace {

constexpr size_t kTestFilesMax = 10'000;

// Reads one models/**/*.yml file; `at` names positions in it.
class PropertiesFile {
 public:
  explicit PropertiesFile(std::filesystem::path path) : path_(std::move(path)) {}

  Status Read(const std::string& text, std::vector<DataTest>& out) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      return Status::InvalidArgument(
          fmt::format("{}:{}:{}: {}", path_.string(), e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    if (root.IsNull()) return Status::Ok();
    if (!root.IsMap()) return Error(root, "expected a mapping with `models:`");
    for (const auto& item : root) {
      if (!item.first.IsScalar() || item.first.Scalar() != "models") {
        return Error(item.first, "unknown key: expected `models:`, a list of models and their columns' tests");
      }
      if (!item.second.IsSequence()) return Error(item.second, "models: expected a list of `- name: MODEL`");
      for (const YAML::Node& model : item.second) LAGOA_RETURN_IF_ERROR(ReadModel(model, out));
    }
    return Status::Ok();
  }

 private:
  std::string At(const YAML::Node& node) const {
    return fmt::format("{}:{}:{}", path_.string(), node.Mark().line + 1, node.Mark().column + 1);
  }
  Status Error(const YAML::Node& node, std::string_view what) const {
    return Status::InvalidArgument(fmt::format("{}: {}", At(node), what));
  }

  // A scalar member `key` of `map`; "" when absent.
  Result<std::string> Text(const YAML::Node& map, std::string_view key) const {
    const YAML::Node node = map[std::string(key)];
    if (!node) return std::string();
    if (!node.IsScalar()) return Error(node, fmt::format("{}: expected a single value", key));
    return node.Scalar();
  }

  // Text embedded in a generated template may not open a tag of its own.
  Status CheckPlain(const YAML::Node& node, const std::string& text) const {
    for (std::string_view tag : {"{{", "{%", "{#"}) {
      if (text.find(tag) != std::string::npos) {
        return Error(node, fmt::format("`{}`: a name or value here cannot hold `{}`", text, tag));
      }
    }
    return Status::Ok();
  }

  // A model's or column's mapping holds name, `list` and description only.
  Status CheckKeys(const YAML::Node& map, std::string_view list) const {
    for (const auto& item : map) {
      const std::string key = item.first.Scalar();
      if (key != "name" && key != list && key != "description") {
        return Error(item.first, fmt::format("unknown key `{}`: expected name, {} or description", key, list));
      }
    }
    return Status::Ok();
  }

  Status ReadModel(const YAML::Node& model, std::vector<DataTest>& out) {
    if (!model.IsMap()) return Error(model, "expected `name:` and `columns:` of a model");
    LAGOA_RETURN_IF_ERROR(CheckKeys(model, "columns"));
    LAGOA_ASSIGN_OR_RETURN(std::string name, Text(model, "name"));
    if (name.empty()) return Error(model, "`name:` is missing: the model these columns belong to");
    LAGOA_RETURN_IF_ERROR(CheckPlain(model["name"], name));
    const YAML::Node columns = model["columns"];
    if (!columns) return Status::Ok();
    if (!columns.IsSequence()) return Error(columns, "columns: expected a list of `- name: COLUMN`");
    for (const YAML::Node& column : columns) {
      if (!column.IsMap()) return Error(column, "expected `name:` and `tests:` of a column");
      LAGOA_RETURN_IF_ERROR(CheckKeys(column, "tests"));
      LAGOA_ASSIGN_OR_RETURN(std::string column_name, Text(column, "name"));
      if (column_name.empty()) return Error(column, "`name:` is missing: the column to test");
      LAGOA_RETURN_IF_ERROR(CheckPlain(column["name"], column_name));
      const YAML::Node tests = column["tests"];
      if (!tests) continue;
      if (!tests.IsSequence()) return Error(tests, "tests: expected a list (unique, not_null, accepted_values, …)");
      for (const YAML::Node& test : tests) LAGOA_RETURN_IF_ERROR(ReadTest(test, name, column_name, out));
    }
    return Status::Ok();
  }

  Status ReadTest(const YAML::Node& test, const std::string& model, const std::string& column,
                  std::vector<DataTest>& out) {
    if (!test.IsScalar() && !(test.IsMap() && test.size() == 1)) {
      return Error(test, "expected a test: unique, not_null, or `accepted_values:` / `relationships:` with arguments");
    }
    const std::string kind_name = test.IsScalar() ? test.Scalar() : test.begin()->first.Scalar();
    // Read only (const): yaml-cpp's non-const operator[] would add the keys it looks up.
    const YAML::Node arguments = test.IsScalar() ? YAML::Node() : test.begin()->second;
    if (!arguments.IsMap() && !arguments.IsNull()) {
      return Error(arguments, fmt::format("{}: expected a mapping of its arguments", kind_name));
    }
    static constexpr std::pair<std::string_view, DataTestKind> kKinds[] = {
        {"unique", DataTestKind::kUnique},
        {"not_null", DataTestKind::kNotNull},
        {"accepted_values", DataTestKind::kAcceptedValues},
        {"relationships", DataTestKind::kRelationships}};
    const auto* kind =
        std::find_if(std::begin(kKinds), std::end(kKinds), [&](const auto& k) { return k.first == kind_name; });
    if (kind == std::end(kKinds)) {
      return Error(test, fmt::format("unknown test `{}`: expected unique, not_null, accepted_values or relationships",
                                     kind_name));
    }
    DataTest out_test;
    out_test.kind = kind->second;
    out_test.path = path_;
    out_test.where = At(test);
    out_test.model = model;
    std::string column_key;
    for (char ch : column) column_key += std::isalnum(static_cast<unsigned char>(ch)) != 0 ? ch : '_';
    out_test.name = fmt::format("{}_{}_{}", kind_name, model, column_key);
    std::vector<std::string> allowed = {"severity"};
    if (out_test.kind == DataTestKind::kAcceptedValues) allowed.emplace_back("values");
    if (out_test.kind == DataTestKind::kRelationships) allowed.insert(allowed.end(), {"to", "field"});
    if (arguments.IsMap()) {
      for (const auto& item : arguments) {
        const std::string key = item.first.Scalar();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
          return Error(item.first,
                       fmt::format("{}: unknown argument `{}`: expected {}", kind_name, key, fmt::join(allowed, ", ")));
        }
      }
      LAGOA_ASSIGN_OR_RETURN(std::string severity, Text(arguments, "severity"));
      if (severity == "warn") {
        out_test.severity = Severity::kWarn;
      } else if (!severity.empty() && severity != "error") {
        return Error(arguments["severity"], fmt::format("severity: expected error or warn, found `{}`", severity));
      }
    }
    const std::string ref = fmt::format("{{{{ ref('{}') }}}}", model);
    const std::string c = SqlIdentifier(column);
    std::string sql;
    switch (out_test.kind) {
      case DataTestKind::kUnique:
        sql = fmt::format(
            "SELECT {} AS value, count(*) AS n FROM {} WHERE {} IS NOT NULL GROUP BY {} HAVING count(*) > 1", c, ref, c,
            c);
        break;
      case DataTestKind::kNotNull:
        sql = fmt::format("SELECT * FROM {} WHERE {} IS NULL", ref, c);
        break;
      case DataTestKind::kAcceptedValues: {
        const YAML::Node values = arguments["values"];
        if (!values || !values.IsSequence() || values.size() == 0) {
          return Error(test, "accepted_values: expected `values:`, a list of the values the column may hold");
        }
        std::vector<std::string> literals;
        for (const YAML::Node& value : values) {
          if (!value.IsScalar()) return Error(value, "accepted_values: each value is a single value");
          LAGOA_RETURN_IF_ERROR(CheckPlain(value, value.Scalar()));
          literals.push_back(SqlStringLiteral(value.Scalar()));
        }
        sql = fmt::format(
            "SELECT {} AS value, count(*) AS n FROM {} WHERE {} IS NOT NULL AND CAST({} AS VARCHAR) NOT IN ({}) "
            "GROUP BY {}",
            c, ref, c, c, fmt::join(literals, ", "), c);
        break;
      }
      case DataTestKind::kRelationships: {
        LAGOA_ASSIGN_OR_RETURN(std::string to, Text(arguments, "to"));
        LAGOA_ASSIGN_OR_RETURN(std::string field, Text(arguments, "field"));
        if (to.empty() || field.empty()) {
          return Error(test, "relationships: expected `to:` (a model, or source('name')) and `field:` (its column)");
        }
        LAGOA_RETURN_IF_ERROR(CheckPlain(arguments["to"], to));
        LAGOA_RETURN_IF_ERROR(CheckPlain(arguments["field"], field));
        const std::string parent = to.starts_with("source(") || to.starts_with("ref(")
                                       ? fmt::format("{{{{ {} }}}}", to)
                                       : fmt::format("{{{{ ref('{}') }}}}", to);
        const std::string f = SqlIdentifier(field);
        sql = fmt::format(
            "SELECT child.{} AS value FROM {} AS child LEFT JOIN {} AS parent ON child.{} = parent.{} "
            "WHERE child.{} IS NOT NULL AND parent.{} IS NULL",
            c, ref, parent, c, f, c, f);
        break;
      }
      case DataTestKind::kSql:
      case DataTestKind::kFreshness:
        break;
    }
    auto parsed = ModelTemplate::Parse(sql, out_test.where);
    if (!parsed.ok()) return Error(test, parsed.status().message());
    out_test.sql = std::move(*parsed);
    out.push_back(std::move(out_test));
    return Status::Ok();
  }

  std::filesystem::path path_;
};

Result<DataTest> LoadSqlTest(const std::filesystem::path& dir, const std::filesystem::path& relative) {
  DataTest test;
  test.name = relative.stem().string();
  test.path = relative;
  test.where = relative.string();
  LAGOA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir / relative, kModelFileBytesMax));
  LAGOA_ASSIGN_OR_RETURN(test.sql, ModelTemplate::Parse(text, relative.string()));
  for (const ConfigArgument& argument : test.sql.config()) {
    const auto* value = std::get_if<std::string>(&argument.value);
    const std::string where = DescribePosition(relative.string(), argument.at);
    if (argument.key != "severity") {
      return Status::InvalidArgument(
          fmt::format("{}: unknown setting `{}`: a test takes only severity", where, argument.key));
    }
    if (value == nullptr || (*value != "warn" && *value != "error")) {
      return Status::InvalidArgument(fmt::format("{}: severity: expected error or warn", where));
    }
    test.severity = *value == "warn" ? Severity::kWarn : Severity::kError;
  }
  return test;
}

// A freshness test: one row (the newest time and its age) when the source's newest row is older
// than `after`, or the source has none.
Result<DataTest> FreshnessTest(const Freshness& freshness, const std::string& after, Severity severity) {
  DataTest test;
  test.kind = DataTestKind::kFreshness;
  test.severity = severity;
  test.name = fmt::format("freshness_{}_{}", freshness.source, severity == Severity::kWarn ? "warn" : "error");
  test.path = "lagoa_project.yml";
  test.where = freshness.where;
  const std::string column = SqlIdentifier(freshness.loaded_at);
  const std::string sql = fmt::format(
      "SELECT max({}) AS newest, now() - max({}) AS age FROM {{{{ source('{}') }}}} HAVING max({}) IS NULL OR "
      "max({}) < now() - INTERVAL '{}'",
      column, column, freshness.source, column, column, after);
  LAGOA_ASSIGN_OR_RETURN(test.sql, ModelTemplate::Parse(sql, freshness.where));
  return test;
}

}  // namespace

Result<std::vector<DataTest>> LoadDataTests(const std::filesystem::path& dir, const std::vector<Freshness>& freshness) {
  std::vector<DataTest> tests;
  for (const Freshness& f : freshness) {
    for (const auto& [after, severity] :
         {std::pair{f.warn_after, Severity::kWarn}, {f.error_after, Severity::kError}}) {
      if (after.empty()) continue;
      LAGOA_ASSIGN_OR_RETURN(DataTest test, FreshnessTest(f, after, severity));
      tests.push_back(std::move(test));
    }
  }
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> properties,
                         FindProjectFiles(dir, "models", ".yml", kTestFilesMax, "property files"));
  for (const std::filesystem::path& relative : properties) {
    LAGOA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir / relative, kProjectFileBytesMax));
    LAGOA_RETURN_IF_ERROR(PropertiesFile(relative).Read(text, tests));
  }
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> sql_files,
                         FindProjectFiles(dir, "tests", ".sql", kTestFilesMax, "tests"));
  for (const std::filesystem::path& relative : sql_files) {
    LAGOA_ASSIGN_OR_RETURN(DataTest test, LoadSqlTest(dir, relative));
    tests.push_back(std::move(test));
  }
  std::map<std::string, std::string> seen;  // by name: where it was declared
  for (const DataTest& test : tests) {
    auto [it, added] = seen.emplace(ModelKey(test.name), test.where);
    if (!added) {
      return Status::AlreadyExists(
          fmt::format("{} and {} both declare test `{}`: test names must differ", it->second, test.where, test.name));
    }
  }
  std::sort(tests.begin(), tests.end(), [](const DataTest& a, const DataTest& b) { return a.name < b.name; });
  return tests;
}

}  // namespace lagoa::models
