// Seeds: small reference tables kept in the project as CSV files, `seeds/**/NAME.csv`, loaded into
// lake tables of that name (`lagoa seed`, and first in `lagoa build`). The first line names the
// columns; an empty cell is NULL. Columns are VARCHAR unless lagoa_project.yml declares their types:
//   seeds:
//     country_codes:
//       column_types: {code: VARCHAR, population: BIGINT, joined: DATE}
// Models read a seed with source('country_codes'). A load checks every value against its declared
// type first, so a bad one is an error naming the file, line and column, and nothing is loaded.
//
// Value type: a Seed holds the file's cells; immutable once loaded. Threads: pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace lagoa::models {

inline constexpr size_t kSeedFileBytesMax = 1 << 20;

struct Seed {
  std::string name;                                           // the file's name without .csv
  std::filesystem::path path;                                 // relative to the project folder
  std::vector<std::string> columns;                           // from the header line
  std::vector<std::string> types;                             // per column: the declared type, or VARCHAR
  std::vector<uint64_t> lines;                                // per row: the file's line it starts on
  std::vector<std::vector<std::optional<std::string>>> rows;  // NULL for an empty cell
};

// Declared column types per seed name (lagoa_project.yml `seeds:`).
using SeedTypes = std::map<std::string, std::map<std::string, std::string>>;

// Every seeds/**/*.csv below `dir`, sorted by name. Errors name the file and line: no header, a
// row with another number of cells than the header, an unterminated quote, a type declared for a
// column or a seed the files do not have, a name used twice.
Result<std::vector<Seed>> LoadSeeds(const std::filesystem::path& dir, const SeedTypes& types);

// A query returning the first row and column whose value does not cast to its declared type, as
// (line, column number), or nullopt when every column is VARCHAR (nothing to check).
std::optional<std::string> SeedCheckSql(const Seed& seed);

// The error for the cell SeedCheckSql found: `seeds/codes.csv:4:2: column population: `12x` is not
// a BIGINT`.
Status SeedValueError(const Seed& seed, uint64_t line, size_t column);

// CREATE OR REPLACE TABLE "name" AS the seed's rows cast to their types (one lake commit).
// LimitExceeded past `sql_bytes_max`: seeds are small tables; load larger files with COPY … FROM.
Result<std::string> SeedCreateSql(const Seed& seed, size_t sql_bytes_max);

}  // namespace lagoa::models
