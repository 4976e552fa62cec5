#include "lake/duckdb_connection.h"

#include <gtest/gtest.h>

namespace lagoa::lake {
namespace {

TEST(DuckDbAllocator, KeepsFreedPagesAsLongAsAsked) {
  auto before = DuckDbFreedPagesKeptMs();
  if (!before.ok() && before.status().code() == StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << before.status().message();
  }
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_NE(*before, 12'345);
  struct Restore {
    int64_t kept_ms;
    ~Restore() { EXPECT_TRUE(SetDuckDbFreedPagesKeptMs(kept_ms).ok()); }
  } restore{*before};

  ASSERT_TRUE(SetDuckDbFreedPagesKeptMs(12'345).ok());
  auto now = DuckDbFreedPagesKeptMs();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(*now, 12'345);
  EXPECT_EQ(SetDuckDbFreedPagesKeptMs(-2).code(), StatusCode::kInvalidArgument);
  // A database opened after it allocates and frees as before.
  auto duckdb = DuckDbConnection::Make(DuckDbOptions::Defaults());
  ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  auto rows = (*duckdb)->QueryText("SELECT sum(i)::VARCHAR FROM range(1000000) t(i)");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0], "499999500000");
}

}  // namespace
}  // namespace lagoa::lake
