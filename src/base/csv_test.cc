#include "base/csv.h"

#include <gtest/gtest.h>

#include <sstream>

namespace lagoa {
namespace {

TEST(Csv, ReadsQuotedFieldsWithCommasQuotesAndNewlines) {
  std::istringstream in("a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\n,,\n");
  CsvReader reader(in);
  std::vector<std::string> row;
  ASSERT_TRUE(*reader.Next(&row));
  EXPECT_EQ(row, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reader.line(), 2u);
  ASSERT_TRUE(*reader.Next(&row));
  EXPECT_EQ(row, (std::vector<std::string>{"1", "x, \"y\"", "two\nlines"}));
  EXPECT_EQ(reader.line(), 4u);
  ASSERT_TRUE(*reader.Next(&row));
  EXPECT_EQ(row, (std::vector<std::string>{"", "", ""}));
  EXPECT_FALSE(*reader.Next(&row));
}

TEST(Csv, UnclosedQuoteNamesItsLine) {
  std::istringstream in("a\n\"open\n");
  CsvReader reader(in);
  std::vector<std::string> row;
  ASSERT_TRUE(*reader.Next(&row));
  auto r = reader.Next(&row);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 2: quoted field is not closed");
}

TEST(Csv, CellsAreTypedByColumn) {
  JsonWriter w;
  w.BeginArray();
  CsvCellToJson("42", "BIGINT", w);
  CsvCellToJson("42", "VARCHAR", w);
  CsvCellToJson("", "VARCHAR", w);
  CsvCellToJson("true", "BOOLEAN", w);
  CsvCellToJson("yes", "BOOLEAN", w);
  CsvCellToJson("1.5", "DECIMAL(10,2)", w);
  w.EndArray();
  EXPECT_EQ(w.str(), R"([42,"42",null,true,"yes",1.5])");
}

}  // namespace
}  // namespace lagoa
