// ResultChunk's formats against their references: DuckDB's CAST(x AS VARCHAR), typeof and
// to_json of the same values (queried live), and PostgreSQL 15's text output and *send binary
// output of equivalent values (golden file testdata/pg_expected.tsv, written by
// testdata/make_pg_golden.py against a real server from testdata/pg_cases.tsv).
#include <duckdb.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "duck/database.h"
#include "sql/result_chunk.h"
#include "sql/result_chunk_internal.h"

namespace lagoa::sql {
namespace {

class Duck {
 public:
  Duck() {
    auto db = duck::OpenDatabase(duck::DatabaseOptions::Defaults(), "the test's database");
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return;
    db_ = std::move(*db);
    auto con = duck::Connect(db_.get());
    EXPECT_TRUE(con.ok()) << con.status().ToString();
    if (con.ok()) con_ = std::move(*con);
  }

  // Every chunk of the query's result; a failed query fails the test and returns none.
  std::vector<std::unique_ptr<ResultChunk>> Query(const std::string& sql) {
    std::vector<std::unique_ptr<ResultChunk>> chunks;
    duck::ResultHandle result;
    if (duckdb_query(con_.get(), sql.c_str(), result.get()) != DuckDBSuccess) {
      ADD_FAILURE() << sql << ": " << result.error();
      return chunks;
    }
    duck::LogicalTypeList types;
    for (idx_t c = 0; c < duckdb_column_count(result.get()); ++c) {
      types.push_back(duck::LogicalTypeHandle(duckdb_column_logical_type(result.get(), c)));
    }
    auto shared = internal::MakeResultTypes(std::move(types));
    while (duckdb_data_chunk chunk = duckdb_fetch_chunk(*result.get())) {
      chunks.push_back(internal::MakeResultChunk(duck::DataChunkHandle(chunk), shared));
    }
    return chunks;
  }

 private:
  duck::DatabaseHandle db_;
  duck::ConnectionHandle con_;
};

std::string Text(const ResultChunk& chunk, size_t column, size_t row) {
  std::string out;
  chunk.AppendText(column, row, &out);
  return out;
}

// to_json writes NaN, Infinity and -Infinity bare (not JSON); AppendJson writes null instead ...
std::string JsonDeviations(const std::string& json) {
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\') {
        out += json[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    // ... and DECIMAL(w,w) values without their leading 0 (-.5); AppendJson writes -0.5.
    if (c == '.' && (i == 0 || !(json[i - 1] >= '0' && json[i - 1] <= '9'))) out += '0';
    bool replaced = false;
    for (const char* token : {"-Infinity", "Infinity", "NaN"}) {
      const std::string_view t(token);
      if (json.compare(i, t.size(), t) == 0) {
        out += "null";
        i += t.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

struct Case {
  std::string type;
  std::vector<std::string> values;  // SQL expressions, each CAST to `type`
};

// Many values of every kind, NULLs included; each case is one multi-row result.
const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      {"BOOLEAN", {"true", "false", "NULL"}},
      {"TINYINT", {"0", "-128", "127", "NULL", "-1"}},
      {"SMALLINT", {"-32768", "32767", "0"}},
      {"INTEGER", {"-2147483648", "2147483647", "42", "NULL"}},
      {"BIGINT", {"-9223372036854775808", "9223372036854775807", "0", "-1"}},
      {"HUGEINT",
       {"'-170141183460469231731687303715884105728'", "'170141183460469231731687303715884105727'", "-1", "0",
        "'18446744073709551616'"}},
      {"UTINYINT", {"0", "255"}},
      {"USMALLINT", {"0", "65535"}},
      {"UINTEGER", {"0", "4294967295"}},
      {"UBIGINT", {"0", "18446744073709551615"}},
      {"UHUGEINT", {"0", "'340282366920938463463374607431768211455'", "'18446744073709551616'"}},
      {"FLOAT",
       {"0", "'-0.0'", "0.1", "1e-5", "123456", "1234567", "3.4028235e38", "1.4e-45", "'nan'", "'inf'", "'-inf'",
        "1e16", "1.5e15", "-2.5", "16777217", "NULL"}},
      {"DOUBLE",
       {"0.1",
        "'-0.0'",
        "1e-7",
        "1e-6",
        "1e-5",
        "0.0001",
        "1e15",
        "1e16",
        "1e20",
        "1e21",
        "1.7976931348623157e308",
        "5e-324",
        "123456789012345678",
        "'nan'",
        "'inf'",
        "'-inf'",
        "1.5",
        "-2.5e-300",
        "100",
        "1/3",
        "2.0e-308",
        "-123456.789",
        "NULL"}},
      {"DECIMAL(4,1)", {"-1.5", "999.9", "-999.9", "0", "-0.1"}},
      {"DECIMAL(1,0)", {"-9", "0", "9"}},
      {"DECIMAL(3,3)", {"-0.001", "0.999"}},
      {"DECIMAL(9,4)", {"-12345.6789", "0.0001", "-0.0001"}},
      {"DECIMAL(18,6)", {"-123456789012.123456", "999999999999.999999", "-0.000001"}},
      {"DECIMAL(38,10)", {"'-1234567890123456789012345678.0123456789'", "'0.0000000001'", "0"}},
      {"DECIMAL(38,0)",
       {"'-99999999999999999999999999999999999999'", "'99999999999999999999999999999999999999'", "-1"}},
      {"DECIMAL(38,38)",
       {"'-0.12345678901234567890123456789012345678'", "0", "'0.00000000000000000000000000000000000001'"}},
      {"VARCHAR",
       {"''", "'hello'", "'a''b\"c\\d'", "chr(10) || chr(13) || chr(9) || chr(8) || chr(12)", "chr(0)", "'é😀 ü'",
        "chr(1) || chr(31) || chr(127)", "'NULL'", "' lead'", "'trail '", "'a,b{c}[d]:e=f(g)'", "'</script>'", "NULL"}},
      {"BLOB", {"'\\x00\\x01ABC'", "''", "'\\xFF\\x5C\\x22\\x27 ~'", "NULL"}},
      {"DATE",
       {"'2024-02-29'", "'0001-01-01'", "'0044-03-15 (BC)'", "'1970-01-01'", "'1969-12-31'", "'infinity'",
        "'-infinity'", "'5881580-07-10'", "'5877642-06-25 (BC)'", "'9999-12-31'", "'10000-01-01'",
        "'0001-12-31 (BC)'"}},
      {"TIME", {"'00:00:00'", "'23:59:59.999999'", "'12:34:56.5'", "'24:00:00'", "'01:02:03.000450'"}},
      {"TIMESTAMP",
       {"'2024-01-02 03:04:05.123456'", "'1969-12-31 23:59:59.999999'", "'0044-03-15 (BC) 12:00:00'", "'infinity'",
        "'-infinity'", "'294247-01-10 04:00:54.775806'", "'290309-12-22 (BC) 00:00:00'", "'1900-01-01 00:00:00.1'",
        "'1970-01-01 00:00:00'"}},
      {"TIMESTAMPTZ",
       {"'2024-01-02 03:04:05.12+00'", "'1969-12-31 23:59:59.999999+00'", "'0044-03-15 (BC) 12:00:00+00'", "'infinity'",
        "'-infinity'", "'2024-06-01 12:00:00+02'"}},
      {"TIMESTAMP_S", {"'2024-01-02 03:04:05'", "'1960-01-01 00:00:01'", "'infinity'", "'-infinity'"}},
      {"TIMESTAMP_MS", {"'2024-01-02 03:04:05.123'", "'1960-01-01 00:00:00.001'", "'infinity'"}},
      {"TIMESTAMP_NS",
       {"'2024-01-02 03:04:05.123456789'", "'1969-12-31 23:59:59.999999999'", "'2024-01-02 03:04:05.1'", "'infinity'",
        "'-infinity'"}},
      {"INTERVAL",
       {"INTERVAL '1 year 2 months 3 days 04:05:06.789'", "INTERVAL '-1 year 2 months -3 days -04:05:06'",
        "INTERVAL '0 seconds'", "INTERVAL '1 month'", "INTERVAL '-1 month'", "INTERVAL '100 hours 0.000001 seconds'",
        "INTERVAL '14 months'", "INTERVAL '-0.5 seconds'", "INTERVAL '1 day -1 second'", "INTERVAL '-1 year'",
        "INTERVAL '1 day'", "INTERVAL '-2 days'"}},
      {"UUID",
       {"'00000000-0000-0000-0000-000000000000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'",
        "'7fffffff-ffff-ffff-ffff-ffffffffffff'", "'80000000-0000-0000-0000-000000000000'",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"}},
      {"ENUM('a', 'b c', 'it''s', '')", {"'a'", "'b c'", "'it''s'", "''", "NULL"}},
      {"JSON", {"'{\"a\": [1, 2.5, null], \"b\": \"x\"}'", "'3'", "'\"s\"'"}},
      {"INTEGER[]", {"[1, NULL, 3]", "[]", "NULL", "[NULL]", "[-2147483648]"}},
      {"VARCHAR[]",
       {"['a', NULL, 'b c', '', 'it''s', 'q\"', 'NULL', 'null', '[x]', 'a,b', ' lead', 'trail ', 'a\\b', 'é']", "[]"}},
      {"DOUBLE[]", {"['nan'::DOUBLE, 'inf', '-inf', 0.1, NULL, 1e100]"}},
      {"INTEGER[][]", {"[[], NULL, [1, 2], [NULL]]", "[]"}},
      {"STRUCT(a INTEGER, \"b c\" VARCHAR)[]",
       {"[{'a': 1, 'b c': 'x'}, NULL, {'a': NULL, 'b c': NULL}, {'a': 2, 'b c': 'it''s'}]", "[]"}},
      {"STRUCT(a INTEGER, s VARCHAR, l STRUCT(z DOUBLE, d DATE)[], m MAP(VARCHAR, INTEGER))",
       {"{'a': 1, 's': 'x, y', 'l': [{'z': 1.5, 'd': DATE '2024-01-01'}, NULL], 'm': MAP {'k': 1}}",
        "{'a': NULL, 's': '', 'l': [], 'm': MAP {}}", "NULL"}},
      {"STRUCT(\"it's\"\" x\" INTEGER, \"Upper\" VARCHAR, \"select\" INTEGER)",
       {"{'it''s\" x': 1, 'Upper': 'v', 'select': 2}"}},
      {"MAP(VARCHAR, INTEGER[])", {"MAP {'k1': [1], 'k''2': NULL, '': []}", "MAP {}"}},
      {"MAP(INTEGER, VARCHAR)", {"MAP {1: 'a', 2: NULL, -3: 'b c'}"}},
      {"MAP(DATE, TIMESTAMP)", {"MAP {DATE '2024-01-01': TIMESTAMP '2024-01-01 10:00:00'}"}},
      {"DOUBLE[3]", {"[1.5, 2, NULL]", "['nan'::DOUBLE, 0, -0.0]", "NULL"}},
      {"VARCHAR[2]", {"['a b', NULL]"}},
      {"TIMESTAMP[]", {"[TIMESTAMP '2024-01-01 00:00:00', NULL, 'infinity']"}},
      {"DATE[]", {"[DATE '2024-01-01', '0044-03-15 (BC)']"}},
      {"DECIMAL(38,2)[]", {"['-1.25'::DECIMAL(38,2), NULL, '123456789012345678901234567890123456.78']"}},
      {"UUID[]", {"['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, NULL]"}},
      {"BLOB[]", {"['\\x00a'::BLOB, '', NULL]"}},
      {"BOOLEAN[]", {"[true, false, NULL]"}},
      {"INTERVAL[]", {"[INTERVAL '1 day 01:00:00', INTERVAL '-1 month']"}},
      {"TIME[]", {"[TIME '03:04:05']"}},
      {"TIMETZ", {"'03:04:05.5+05:30'", "'03:04:05-08'", "'23:59:59+05:30:15'"}},
      {"BIT", {"'101'", "'0'", "'1111000011110'"}},
      {"UNION(num INTEGER, str VARCHAR)", {"union_value(str := 'x')", "union_value(num := 7)", "NULL"}},
      {"UNION(num INTEGER, str VARCHAR)[]",
       {"[union_value(str := 'a,b')::UNION(num INTEGER, str VARCHAR), union_value(num := 3), NULL]"}},
  };
  return kCases;
}

std::string ValuesQuery(const Case& c) {
  std::string sql = "SELECT v, CAST(v AS VARCHAR), to_json(v), typeof(v) FROM (VALUES ";
  for (size_t i = 0; i < c.values.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += "(CAST(" + c.values[i] + " AS " + c.type + "))";
  }
  return sql + ") t(v)";
}

TEST(ResultChunk, TextJsonAndTypeMatchDuckDbForEveryKind) {
  Duck duck;
  simdjson::dom::parser parser;
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.type);
    auto chunks = duck.Query(ValuesQuery(c));
    ASSERT_EQ(chunks.size(), 1U);
    const ResultChunk& chunk = *chunks[0];
    ASSERT_EQ(chunk.row_count(), c.values.size());
    ASSERT_EQ(chunk.column_count(), 4U);
    EXPECT_EQ(chunk.type(0).sql, Text(chunk, 3, 0));
    EXPECT_TRUE(chunk.type(0).readable);
    EXPECT_TRUE(PgBinarySupported(chunk.type(0)));
    for (size_t row = 0; row < chunk.row_count(); ++row) {
      SCOPED_TRACE(c.values[row]);
      ASSERT_EQ(chunk.IsNull(0, row), chunk.IsNull(1, row));
      if (chunk.IsNull(0, row)) continue;
      EXPECT_EQ(Text(chunk, 0, row), Text(chunk, 1, row));
      std::string json;
      chunk.AppendJson(0, row, &json);
      EXPECT_EQ(json, JsonDeviations(Text(chunk, 2, row)));
      // simdjson refuses integers beyond 64 bits, which are valid JSON.
      const TypeKind kind = chunk.type(0).kind;
      if (kind != TypeKind::kHugeInt && kind != TypeKind::kUHugeInt && kind != TypeKind::kDecimal) {
        simdjson::dom::element parsed;
        EXPECT_EQ(parser.parse(json).get(parsed), simdjson::SUCCESS) << json;
      }
      std::string pg_text;
      std::string pg_binary;
      chunk.AppendPgText(0, row, &pg_text);
      chunk.AppendPgBinary(0, row, &pg_binary);
      if (PgTypeOid(chunk.type(0)) == 25) {
        EXPECT_EQ(pg_binary, pg_text);  // text: its bytes
      }
    }
  }
}

TEST(ResultChunk, ReadsEveryRowOfLargeMultiChunkResults) {
  Duck duck;
  auto chunks = duck.Query(
      "SELECT i, CAST(i AS VARCHAR), [i, NULL, i * 2], CAST([i, NULL, i * 2] AS VARCHAR), "
      "{'k': 'v' || i}, CAST({'k': 'v' || i} AS VARCHAR) FROM range(5000) r(i)");
  size_t rows = 0;
  for (const auto& chunk : chunks) {
    for (size_t row = 0; row < chunk->row_count(); ++row, ++rows) {
      EXPECT_EQ(Text(*chunk, 0, row), Text(*chunk, 1, row));
      EXPECT_EQ(Text(*chunk, 2, row), Text(*chunk, 3, row));
      EXPECT_EQ(Text(*chunk, 4, row), Text(*chunk, 5, row));
    }
  }
  EXPECT_EQ(rows, 5000U);
}

TEST(ResultChunk, DescribesTypesForPostgres) {
  Duck duck;
  auto chunks = duck.Query(
      "SELECT 1::TINYINT, 1::UTINYINT, 1::USMALLINT, 1::UINTEGER, 1::UBIGINT, 1::HUGEINT, 1.5::DECIMAL(4,1), "
      "'a'::ENUM('a'), [1], [[1]], [{'a': 1}], {'a': 1}, MAP {1: 2}, [1.5::DOUBLE]::DOUBLE[1], "
      "['x'::ENUM('x')], '12:00:00+01'::TIMETZ, [TIMESTAMPTZ '2024-01-01 00:00:00+00'], [1::UBIGINT]");
  ASSERT_EQ(chunks.size(), 1U);
  const std::vector<uint32_t> expected = {21, 21, 23, 20, 1700, 1700, 1700, 25,   1007,
                                          25, 25, 25, 25, 1022, 1009, 25,   1185, 1231};
  ASSERT_EQ(chunks[0]->column_count(), expected.size());
  for (size_t c = 0; c < expected.size(); ++c) {
    EXPECT_EQ(PgTypeOid(chunks[0]->type(c)), expected[c]) << chunks[0]->type(c).sql;
  }
  EXPECT_EQ(chunks[0]->type(6).kind, TypeKind::kDecimal);
  EXPECT_EQ(chunks[0]->type(6).decimal_width, 4);
  EXPECT_EQ(chunks[0]->type(6).decimal_scale, 1);
  EXPECT_EQ(chunks[0]->type(8).element_kind, TypeKind::kInteger);
}

TEST(ResultChunk, MarksTypesItCannotReadAsUnreadable) {
  Duck duck;
  // The C API of DuckDB 1.4 reports TIME_NS as an invalid type.
  auto chunks = duck.Query("SELECT 1::BIGNUM, [1::BIGNUM], 1, '03:04:05.123456789'::TIME_NS");
  ASSERT_EQ(chunks.size(), 1U);
  EXPECT_FALSE(chunks[0]->type(0).readable);
  EXPECT_FALSE(chunks[0]->type(1).readable);
  EXPECT_FALSE(PgBinarySupported(chunks[0]->type(0)));
  EXPECT_TRUE(chunks[0]->type(2).readable);
  EXPECT_FALSE(chunks[0]->type(3).readable);
  EXPECT_EQ(chunks[0]->type(3).sql, "UNKNOWN");
  EXPECT_EQ(PgTypeOid(chunks[0]->type(0)), 25U);
}

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

std::vector<std::vector<std::string>> ReadTsv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      fields.push_back(line.substr(start, tab - start));
    }
    fields.push_back(line.substr(start));
    rows.push_back(fields);
  }
  return rows;
}

// Each case of testdata/pg_cases.tsv (name, DuckDB expression, PostgreSQL expression) against
// what PostgreSQL 15 printed and sent for it (testdata/pg_expected.tsv: name, PostgreSQL
// expression, type OID, hex of the text output, hex of the binary output).
TEST(ResultChunk, PgTextAndBinaryMatchPostgres15) {
  const auto cases = ReadTsv(LAGOA_SQL_TESTDATA_DIR "/pg_cases.tsv");
  const auto expected_rows = ReadTsv(LAGOA_SQL_TESTDATA_DIR "/pg_expected.tsv");
  std::map<std::string, std::vector<std::string>> expected;
  for (const auto& row : expected_rows) {
    ASSERT_EQ(row.size(), 5U);
    expected[row[0]] = row;
  }
  ASSERT_GT(cases.size(), 50U);
  Duck duck;
  for (const auto& c : cases) {
    ASSERT_EQ(c.size(), 3U);
    SCOPED_TRACE(c[0] + ": " + c[1]);
    auto it = expected.find(c[0]);
    ASSERT_NE(it, expected.end()) << "pg_expected.tsv is stale: run testdata/make_pg_golden.py";
    const auto& want = it->second;
    ASSERT_EQ(want[1], c[2]) << "pg_expected.tsv is stale: run testdata/make_pg_golden.py";
    auto chunks = duck.Query("SELECT " + c[1]);
    ASSERT_EQ(chunks.size(), 1U);
    const ResultChunk& chunk = *chunks[0];
    ASSERT_FALSE(chunk.IsNull(0, 0));
    EXPECT_EQ(std::to_string(PgTypeOid(chunk.type(0))), want[2]);
    std::string text;
    chunk.AppendPgText(0, 0, &text);
    EXPECT_EQ(Hex(text), want[3]) << "text: " << text;
    ASSERT_TRUE(PgBinarySupported(chunk.type(0)));
    std::string binary;
    chunk.AppendPgBinary(0, 0, &binary);
    EXPECT_EQ(Hex(binary), want[4]);
  }
}

}  // namespace
}  // namespace lagoa::sql
