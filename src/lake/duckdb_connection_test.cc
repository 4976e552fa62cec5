#include "lake/duckdb_connection.h"

#include <gtest/gtest.h>

namespace lagoa::lake {
namespace {

TEST(DuckDbAllocator, KeepsFreedPagesAsLongAsAsked) {
  auto before = DuckDbFreedPagesKeptMs();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, 1000) << "DuckDB's own setting, until lagoa changes it";

  ASSERT_TRUE(SetDuckDbFreedPagesKeptMs(12'345).ok());
  EXPECT_EQ(*DuckDbFreedPagesKeptMs(), 12'345);
  // The arenas that exist already and new ones (a database opened now) both work with it.
  auto duckdb = DuckDbConnection::Make(DuckDbOptions::Defaults());
  ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  auto rows = (*duckdb)->QueryText("SELECT sum(i)::VARCHAR FROM range(1000000) t(i)");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0], "499999500000");

  ASSERT_TRUE(SetDuckDbFreedPagesKeptMs(*before).ok());
  EXPECT_EQ(*DuckDbFreedPagesKeptMs(), *before);
}

}  // namespace
}  // namespace lagoa::lake
