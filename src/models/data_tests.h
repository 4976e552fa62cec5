// Data tests: queries that return the rows breaking a rule. A test passes when its query returns no
// row; a failing test of severity error fails the build of what reads its models, one of severity
// warn is reported only.
//
//   models/**/*.yml    tests on a model's columns:
//     models:
//       - name: orders
//         columns:
//           - name: id
//             tests: [unique, not_null]
//           - name: status
//             tests:
//               - accepted_values: {values: [placed, shipped], severity: warn}
//           - name: customer_id
//             tests:
//               - relationships: {to: customers, field: id}    # to: a model, or source('name')
//   tests/**/NAME.sql  a SELECT of the failing rows, a template as models are (ref, source, var),
//                      with {{ config(severity='warn') }} where it should only warn
//   lagoa_project.yml  freshness of sources: a test that fails when the newest row is older than
//     sources:         warn_after (severity warn, `freshness_clicks_warn`) or error_after
//       clicks:        (severity error, `freshness_clicks_error`), or when there is no row
//         freshness: {loaded_at: ts, warn_after: 1 hour, error_after: 1 day}
//
// Each test is a template whose refs name the models it tests: `unique_orders_id`,
// `not_null_orders_id`, `accepted_values_orders_status`, `relationships_orders_customer_id`, or a
// SQL test's file name. Names are unique in a project.
//
// Value type: immutable once loaded.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/model_template.h"

namespace lagoa::models {

enum class Severity { kError, kWarn };
enum class DataTestKind { kUnique, kNotNull, kAcceptedValues, kRelationships, kSql, kFreshness };

std::string_view DataTestKindName(DataTestKind kind);

struct DataTest {
  std::string name;
  DataTestKind kind = DataTestKind::kSql;
  Severity severity = Severity::kError;
  std::filesystem::path path;  // the file that declares it, relative to the project folder
  std::string where;           // "models/schema.yml:7:15", or the SQL file's path
  std::string model;           // the model whose columns a YAML test tests; "" for a SQL test
  ModelTemplate sql;           // the SELECT of the failing rows
};

// A source's freshness as lagoa_project.yml declares it; the ages are "N unit" (second, minute,
// hour, day; plural too), either may be empty.
struct Freshness {
  std::string source;
  std::string loaded_at;
  std::string warn_after;
  std::string error_after;
  std::string where;  // "lagoa_project.yml:9:7"
};

// Every models/**/*.yml and tests/**/*.sql below `dir` and the freshness tests, sorted by name. Errors name the file,
// line and column: YAML that does not parse, an unknown key or test, a test without what it needs (accepted_values'
// values, relationships' to and field), a name used twice.
Result<std::vector<DataTest>> LoadDataTests(const std::filesystem::path& dir, const std::vector<Freshness>& freshness);

}  // namespace lagoa::models
