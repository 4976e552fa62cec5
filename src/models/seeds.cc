#include "models/seeds.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/csv.h"
#include "base/file_util.h"
#include "models/compile.h"
#include "models/project.h"
#include "models/project_files_internal.h"

namespace lagoa::models {
namespace {

constexpr size_t kSeedsMax = 10'000;

std::string Literal(const std::optional<std::string>& value) { return value ? SqlStringLiteral(*value) : "NULL"; }

bool IsVarchar(const std::string& type) {
  std::string upper;
  for (char ch : type) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return upper == "VARCHAR" || upper == "TEXT" || upper == "STRING";
}

// (VALUES (line, 'a', NULL), …) AS v(__lagoa_line, "c1", "c2"): the seed's cells as text.
std::string ValuesSql(const Seed& seed) {
  std::string sql = "(VALUES ";
  for (size_t r = 0; r < seed.rows.size(); ++r) {
    sql += r == 0 ? "(" : ", (";
    sql += std::to_string(seed.lines[r]);
    for (const std::optional<std::string>& cell : seed.rows[r]) sql += ", " + Literal(cell);
    sql += ")";
  }
  std::vector<std::string> names = {"__lagoa_line"};
  for (const std::string& column : seed.columns) names.push_back(SqlIdentifier(column));
  return fmt::format("{}) AS v({})", sql, fmt::join(names, ", "));
}

Result<Seed> LoadSeed(const std::filesystem::path& dir, const std::filesystem::path& relative,
                      const std::map<std::string, std::string>* declared) {
  Seed seed;
  seed.name = relative.stem().string();
  seed.path = relative;
  LAGOA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir / relative, kSeedFileBytesMax));
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<std::string> fields;
  const uint64_t header_line = reader.line();
  LAGOA_ASSIGN_OR_RETURN(bool has_header, reader.Next(&fields));
  if (!has_header || fields.empty() || (fields.size() == 1 && fields[0].empty())) {
    return Status::InvalidArgument(
        fmt::format("{}:{}: expected a header line naming the columns", relative.string(), header_line));
  }
  seed.columns = fields;
  std::set<std::string> names;
  for (size_t c = 0; c < seed.columns.size(); ++c) {
    if (seed.columns[c].empty() || !names.insert(ModelKey(seed.columns[c])).second) {
      return Status::InvalidArgument(fmt::format("{}:{}:{}: column `{}`: expected a name, once per header",
                                                 relative.string(), header_line, c + 1, seed.columns[c]));
    }
  }
  for (const std::string& column : seed.columns) {
    auto type = declared != nullptr ? declared->find(column) : std::map<std::string, std::string>::const_iterator();
    seed.types.push_back(declared != nullptr && type != declared->end() ? type->second : "VARCHAR");
  }
  if (declared != nullptr) {
    for (const auto& [column, type] : *declared) {
      if (std::find(seed.columns.begin(), seed.columns.end(), column) == seed.columns.end()) {
        return Status::InvalidArgument(
            fmt::format("lagoa_project.yml: seeds.{}.column_types: {} has no column `{}` (its columns: {})", seed.name,
                        relative.string(), column, fmt::join(seed.columns, ", ")));
      }
    }
  }
  while (true) {
    const uint64_t line = reader.line();
    LAGOA_ASSIGN_OR_RETURN(bool more, reader.Next(&fields));
    if (!more) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    if (fields.size() != seed.columns.size()) {
      return Status::InvalidArgument(fmt::format("{}:{}: {} cells where the header names {} columns", relative.string(),
                                                 line, fields.size(), seed.columns.size()));
    }
    std::vector<std::optional<std::string>> row;
    row.reserve(fields.size());
    for (std::string& field : fields) {
      row.push_back(field.empty() ? std::nullopt : std::optional<std::string>(std::move(field)));
    }
    seed.lines.push_back(line);
    seed.rows.push_back(std::move(row));
  }
  return seed;
}

}  // namespace

Result<std::vector<Seed>> LoadSeeds(const std::filesystem::path& dir, const SeedTypes& types) {
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files,
                         FindProjectFiles(dir, "seeds", ".csv", kSeedsMax, "seeds"));
  std::vector<Seed> seeds;
  std::map<std::string, std::filesystem::path> seen;
  for (const std::filesystem::path& relative : files) {
    const std::string name = relative.stem().string();
    auto declared = types.find(name);
    LAGOA_ASSIGN_OR_RETURN(Seed seed, LoadSeed(dir, relative, declared == types.end() ? nullptr : &declared->second));
    auto [it, added] = seen.emplace(ModelKey(seed.name), relative);
    if (!added) {
      return Status::AlreadyExists(fmt::format("{} and {} are both seed `{}`: seed names must differ",
                                               it->second.string(), relative.string(), seed.name));
    }
    seeds.push_back(std::move(seed));
  }
  for (const auto& [name, columns] : types) {
    if (!seen.contains(ModelKey(name))) {
      return Status::InvalidArgument(
          fmt::format("lagoa_project.yml: seeds.{}: no seeds/{}.csv in the project", name, name));
    }
  }
  std::sort(seeds.begin(), seeds.end(), [](const Seed& a, const Seed& b) { return a.name < b.name; });
  return seeds;
}

std::optional<std::string> SeedCheckSql(const Seed& seed) {
  std::vector<std::string> cases;
  for (size_t c = 0; c < seed.columns.size(); ++c) {
    if (IsVarchar(seed.types[c])) continue;
    const std::string column = SqlIdentifier(seed.columns[c]);
    cases.push_back(fmt::format("WHEN {} IS NOT NULL AND TRY_CAST({} AS {}) IS NULL THEN {}", column, column,
                                seed.types[c], c + 1));
  }
  if (cases.empty() || seed.rows.empty()) return std::nullopt;
  return fmt::format(
      "SELECT __lagoa_line, __lagoa_column FROM (SELECT __lagoa_line, CASE {} END AS __lagoa_column FROM {}) "
      "WHERE __lagoa_column IS NOT NULL ORDER BY __lagoa_line LIMIT 1",
      fmt::join(cases, " "), ValuesSql(seed));
}

Status SeedValueError(const Seed& seed, uint64_t line, size_t column) {
  std::string value;
  for (size_t r = 0; r < seed.rows.size(); ++r) {
    if (seed.lines[r] == line && column >= 1 && column <= seed.columns.size()) {
      value = seed.rows[r][column - 1].value_or("");
    }
  }
  const std::string name = column >= 1 && column <= seed.columns.size() ? seed.columns[column - 1] : "?";
  const std::string type = column >= 1 && column <= seed.types.size() ? seed.types[column - 1] : "?";
  return Status::InvalidArgument(
      fmt::format("{}:{}:{}: column {}: `{}` is not a {} (its type in "
                  "lagoa_project.yml seeds.{}.column_types)",
                  seed.path.string(), line, column, name, value, type, seed.name));
}

Result<std::string> SeedCreateSql(const Seed& seed, size_t sql_bytes_max) {
  std::vector<std::string> casts;
  for (size_t c = 0; c < seed.columns.size(); ++c) {
    const std::string column = SqlIdentifier(seed.columns[c]);
    casts.push_back(fmt::format("CAST({} AS {}) AS {}", column, seed.types[c], column));
  }
  // A seed without rows is the empty table of its columns.
  std::string sql =
      seed.rows.empty()
          ? fmt::format("CREATE OR REPLACE TABLE {} ({})", SqlIdentifier(seed.name),
                        [&] {
                          std::vector<std::string> columns;
                          for (size_t c = 0; c < seed.columns.size(); ++c) {
                            columns.push_back(fmt::format("{} {}", SqlIdentifier(seed.columns[c]), seed.types[c]));
                          }
                          return fmt::format("{}", fmt::join(columns, ", "));
                        }())
          : fmt::format("CREATE OR REPLACE TABLE {} AS SELECT {} FROM {}", SqlIdentifier(seed.name),
                        fmt::join(casts, ", "), ValuesSql(seed));
  if (sql.size() > sql_bytes_max) {
    return Status::LimitExceeded(
        fmt::format("{}: {} rows make {} bytes of SQL, over the server's {} (`sql_text_bytes_max`): seeds are small "
                    "reference tables; load a larger file with COPY … FROM (src/sql/README.md)",
                    seed.path.string(), seed.rows.size(), sql.size(), sql_bytes_max));
  }
  return sql;
}

}  // namespace lagoa::models
