#include "lake/delta/delta_schema.h"

#include <gtest/gtest.h>

namespace lagoa::lake {
namespace {

std::string Column(std::string_view name, std::string_view type_json) {
  return std::string(R"({"name":")") + std::string(name) + R"(","type":)" + std::string(type_json) +
         R"(,"nullable":true,"metadata":{}})";
}

TEST(SparkSchema, MapsEverySparkTypeToALagoaType) {
  std::string json = R"({"type":"struct","fields":[)";
  const std::pair<const char*, const char*> kCases[] = {
      {"long", R"("long")"},
      {"integer", R"("integer")"},
      {"short", R"("short")"},
      {"byte", R"("byte")"},
      {"boolean", R"("boolean")"},
      {"float", R"("float")"},
      {"double", R"("double")"},
      {"string", R"("string")"},
      {"date", R"("date")"},
      {"ts", R"("timestamp")"},
      {"ts_ntz", R"("timestamp_ntz")"},
      {"dec", R"x("decimal(10,2)")x"},
      {"arr", R"({"type":"array","elementType":"long","containsNull":true})"},
      {"st", R"({"type":"struct","fields":[{"name":"a","type":"integer","nullable":false,"metadata":{}}]})"},
      {"m", R"({"type":"map","keyType":"string","valueType":"long","valueContainsNull":true})"},
  };
  for (size_t i = 0; i < std::size(kCases); ++i) json += (i ? "," : "") + Column(kCases[i].first, kCases[i].second);
  json += "]}";
  auto columns = ParseSparkSchema(json);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  std::vector<std::string> sql;
  for (const DeltaColumn& c : *columns) sql.push_back(c.type ? c.type->ToSql() : "?");
  EXPECT_EQ(sql, (std::vector<std::string>{"BIGINT", "INTEGER", "INTEGER", "INTEGER", "BOOLEAN", "DOUBLE", "DOUBLE",
                                           "VARCHAR", "DATE", "TIMESTAMPTZ", "TIMESTAMP", "DECIMAL(10,2)", "BIGINT[]",
                                           "STRUCT(a INTEGER)", "JSON"}));
  EXPECT_EQ((*columns)[12].spark_type, "array<long>");
  EXPECT_EQ((*columns)[14].spark_type, "map<string,long>");
  auto fields = ToLagoaFields(*columns);
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(fields->size(), std::size(kCases));
}

TEST(SparkSchema, BinaryAndUnknownTypesHaveNoLagoaTypeButTheSchemaStillParses) {
  std::string json = R"({"type":"struct","fields":[)" + Column("id", R"("long")") + "," +
                     Column("blob", R"("binary")") + "," +
                     Column("nested", R"({"type":"array","elementType":"binary","containsNull":true})") + "," +
                     Column("iv", R"("interval")") + "," + Column("big", R"x("decimal(40,2)")x") + "]}";
  auto columns = ParseSparkSchema(json);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_TRUE((*columns)[0].type.has_value());
  for (size_t i = 1; i < columns->size(); ++i) EXPECT_FALSE((*columns)[i].type.has_value()) << (*columns)[i].name;
  EXPECT_EQ((*columns)[2].unsupported_reason, "array element: Delta type binary has no lagoa type");
  auto fields = ToLagoaFields(*columns);
  EXPECT_EQ(fields.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fields.status().message(), "column `blob` (binary): Delta type binary has no lagoa type");
}

TEST(SparkSchema, RejectsSchemasThatAreNotStructs) {
  EXPECT_EQ(ParseSparkSchema("not json").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseSparkSchema(R"({"type":"array"})").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseSparkSchema(R"({"type":"struct","fields":[{"name":"a"}]})").status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace lagoa::lake
