// libFuzzer target for lagoa's own reading of SQL text (outside input from every front door): the
// statement splitter, the token and keyword readers, the normalizer, parameter casts, the measure
// of statements against the engine's limits, and the recognizer of writes to lake tables on each
// statement, with every name taken for a lake table (and its reading of MERGE).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sql/lake_write_internal.h"
#include "sql/sql_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view statement : lagoa::sql::SplitStatements(text)) {
    lagoa::sql::LeadingKeywords(statement, 6);
    lagoa::sql::LeadingTokens(statement, SIZE_MAX);
    lagoa::sql::NormalizeSql(statement);
    lagoa::sql::CastParameters(statement, {"BIGINT", "", "VARCHAR"});
    lagoa::sql::MeasureStatement(statement);
    auto write = lagoa::sql::internal::RecognizeLakeWrite(statement, [](std::string_view) { return true; });
    if (write && write->kind == lagoa::sql::internal::LakeWriteKind::kMerge) {
      lagoa::sql::internal::ParseMerge(write->rest, write->table).status().IgnoreError();
    }
  }
  return 0;
}
