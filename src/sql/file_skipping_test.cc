// Which statements may skip lake files, and by which predicates: DuckDB's own parser serializes
// each statement (SerializedSelect), then SkipFilterOf reads the tree.
#include "sql/file_skipping_internal.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace lagoa::sql::internal {
namespace {

class FileSkippingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(duckdb_open(nullptr, &database_), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(database_, &connection_), DuckDBSuccess);
  }
  void TearDown() override {
    duckdb_disconnect(&connection_);
    duckdb_close(&database_);
  }

  // The filter of `sql` as "table: column op literal (kind), …", or "none".
  std::string Filter(const std::string& sql) {
    std::optional<std::string> serialized = SerializedSelect(connection_, sql);
    if (!serialized) return "none";
    std::optional<SkipFilter> filter = SkipFilterOf(*serialized);
    if (!filter) return "none";
    std::string text = filter->table + ":";
    for (const SkipPredicate& p : filter->predicates) {
      static constexpr const char* kOps[] = {"=", "<", "<=", ">", ">="};
      static constexpr const char* kKinds[] = {"int", "date", "tstz"};
      text += fmt::format(" {} {} {} ({})", p.predicate.column, kOps[static_cast<int>(p.predicate.op)],
                          p.predicate.literal, kKinds[static_cast<int>(p.kind)]);
    }
    return text;
  }

  duckdb_database database_ = nullptr;
  duckdb_connection connection_ = nullptr;
};

TEST_F(FileSkippingTest, ComparisonsWithLiteralsInTheWheresAnd) {
  EXPECT_EQ(Filter("SELECT * FROM events WHERE event_id = 5"), "events: event_id = 5 (int)");
  EXPECT_EQ(Filter("SELECT count(*) FROM events e WHERE -5 < e.event_id AND events_x > 3 AND e.b <= 2"),
            "events: event_id > -5 (int) events_x > 3 (int) b <= 2 (int)");
  EXPECT_EQ(Filter("SELECT * FROM Events WHERE events.id BETWEEN 10 AND 20 ORDER BY id LIMIT 3"),
            "Events: id >= 10 (int) id <= 20 (int)");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE ts >= TIMESTAMPTZ '2026-10-10 00:00:00+00' AND "
                   "ts < '2026-10-11T00:00:00.5Z' AND d = DATE '2026-10-10' AND d2 > '2026-01-31'"),
            "t: ts >= 2026-10-10 00:00:00+00 (tstz) ts < 2026-10-11T00:00:00.5Z (tstz) d = 2026-10-10 (date) "
            "d2 > 2026-01-31 (date)");
  // Conditions that say nothing the pruner can use are left to DuckDB; the others still skip.
  EXPECT_EQ(Filter("SELECT * FROM t WHERE id = $1 AND name = 'x' AND amount > 1.5 AND id + 1 = 3 AND k > 7"),
            "t: k > 7 (int)");
}

TEST_F(FileSkippingTest, LiteralsDuckDbComparesOtherwiseNeverSkip) {
  // Without an offset DuckDB reads a TIMESTAMPTZ in the session's TimeZone.
  EXPECT_EQ(Filter("SELECT * FROM t WHERE ts >= TIMESTAMPTZ '2026-10-10 00:00:00'"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE ts >= '2026-10-10 12:00:00'"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE ts >= TRY_CAST('2026-10-10 00:00:00Z' AS TIMESTAMPTZ)"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE name = 'abc' AND price = 1.5 AND big = 99999999999999999999"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE id = NULL"), "none");
}

TEST_F(FileSkippingTest, OnlyOneSelectReadingOneTableQualifies) {
  EXPECT_EQ(Filter("SELECT * FROM t WHERE id = 1 OR id = 2"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t a JOIN t b USING (id) WHERE a.id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t, u WHERE t.id = 1"), "none");
  EXPECT_EQ(Filter("SELECT (SELECT count(*) FROM t) FROM t WHERE id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE id = 1 AND id IN (SELECT id FROM u)"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE id = 1 AND EXISTS (SELECT 1)"), "none");
  EXPECT_EQ(Filter("WITH c AS (SELECT 1) SELECT * FROM t WHERE id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE id = 1 UNION ALL SELECT * FROM t WHERE id = 2"), "none");
  EXPECT_EQ(Filter("SELECT * FROM (SELECT * FROM t) WHERE id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM main.t WHERE id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t USING SAMPLE 10 ROWS WHERE id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM read_parquet('x.parquet') WHERE id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t x WHERE t.id = 1"), "none");              // t is not a name here: x is
  EXPECT_EQ(Filter("SELECT * FROM t AS x(other, id) WHERE id = 1"), "none");  // id is t's first column
  EXPECT_EQ(Filter("INSERT INTO t SELECT * FROM u WHERE id = 1"), "none");
  EXPECT_EQ(Filter("EXPLAIN SELECT * FROM t WHERE id = 1"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE id = 1; SELECT 2"), "none");
  EXPECT_EQ(Filter("SELECT * FROM t WHERE"), "none");
}

}  // namespace
}  // namespace lagoa::sql::internal
