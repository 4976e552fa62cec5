#include "lake/attached_tables.h"

#include <gtest/gtest.h>

#include <fstream>

#include "lake/lake_test_util.h"

namespace lagoa::lake {
namespace {

using testing_util::TempDir;

AttachedTable Table(std::string name, const std::string& path) {
  return AttachedTable{std::move(name), path, 1714564800000};
}

TEST(AttachedTables, AMissingFileIsAnEmptyList) {
  TempDir dir;
  auto tables = AttachedTables::Open(dir.path() / "attached_tables.json");
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_TRUE((*tables)->List().empty());
  EXPECT_FALSE((*tables)->Find("x").has_value());
}

TEST(AttachedTables, FindIgnoringCaseMatchesAsSqlDoes) {
  TempDir dir;
  auto tables = AttachedTables::Open(dir.path() / "attached_tables.json");
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  ASSERT_TRUE((*tables)->Attach(Table("Sales", "/data/sales")).ok());
  EXPECT_FALSE((*tables)->Find("sales").has_value());
  auto found = (*tables)->FindIgnoringCase("SALES");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "Sales");
  EXPECT_FALSE((*tables)->FindIgnoringCase("sale").has_value());
}

TEST(AttachedTables, AttachAndDetachSurviveReopen) {
  TempDir dir;
  const auto file = dir.path() / "attached_tables.json";
  {
    auto tables = AttachedTables::Open(file);
    ASSERT_TRUE(tables.ok());
    ASSERT_TRUE((*tables)->Attach(Table("sales", "/data/sales")).ok());
    ASSERT_TRUE((*tables)->Attach(Table("audit", "/data/a \"quoted\" dir")).ok());
    ASSERT_TRUE((*tables)->Attach(Table("gone", "/data/gone")).ok());
    ASSERT_TRUE((*tables)->Detach("gone").ok());
    AttachedTable made = Table("daily", "/data/daily");
    made.sql = "CREATE TABLE daily AS SELECT 'a\"b' AS x";
    ASSERT_TRUE((*tables)->Attach(made).ok());
  }
  auto tables = AttachedTables::Open(file);
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  AttachedTable made = Table("daily", "/data/daily");
  made.sql = "CREATE TABLE daily AS SELECT 'a\"b' AS x";
  std::vector<AttachedTable> expected = {Table("audit", "/data/a \"quoted\" dir"), made, Table("sales", "/data/sales")};
  EXPECT_EQ((*tables)->List(), expected);
  ASSERT_TRUE((*tables)->Find("sales").has_value());
  EXPECT_EQ((*tables)->Find("sales")->path, "/data/sales");
  EXPECT_FALSE((*tables)->Find("gone").has_value());
}

TEST(AttachedTables, RefusesTakenNamesBadNamesAndRelativePaths) {
  TempDir dir;
  auto tables = AttachedTables::Open(dir.path() / "attached_tables.json");
  ASSERT_TRUE(tables.ok());
  AttachedTables& t = **tables;
  ASSERT_TRUE(t.Attach(Table("sales", "/data/sales")).ok());
  EXPECT_EQ(t.Attach(Table("sales", "/other")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(t.Attach(Table("bad name", "/x")).code(), StatusCode::kInvalidArgument);
  Status relative = t.Attach(Table("rel", "data/rel"));
  EXPECT_EQ(relative.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(relative.message().find("must be absolute"), std::string::npos) << relative.message();
  EXPECT_EQ(t.Detach("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(t.List().size(), 1u);
}

TEST(AttachedTables, ACorruptFileIsNamed) {
  TempDir dir;
  const auto file = dir.path() / "attached_tables.json";
  for (std::string text : {"{", R"({"tables": 5})", R"({"tables": [{"name": "a", "path": 3, "attached_ms": 1}]})",
                           R"({"tables": [{"name": "a", "path": "/a", "attached_ms": 1},
                                          {"name": "a", "path": "/b", "attached_ms": 1}]})"}) {
    std::ofstream(file, std::ios::trunc) << text;
    auto tables = AttachedTables::Open(file);
    ASSERT_FALSE(tables.ok()) << text;
    EXPECT_EQ(tables.status().code(), StatusCode::kCorruption) << text;
    EXPECT_NE(tables.status().message().find(file.string()), std::string::npos) << tables.status().message();
  }
}

}  // namespace
}  // namespace lagoa::lake
