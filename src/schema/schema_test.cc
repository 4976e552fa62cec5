#include "schema/schema.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace lagoa::schema {
namespace {

Type ParseOk(std::string_view text) {
  auto type = ParseType(text);
  EXPECT_TRUE(type.ok()) << text << ": " << type.status().ToString();
  return type.ok() ? *type : Type::Json();
}

// The message of ParseType's error, or "OK" when it parsed.
std::string ParseTypeError(std::string_view text) {
  auto type = ParseType(text);
  if (type.ok()) return "OK";
  EXPECT_EQ(type.status().code(), StatusCode::kInvalidArgument) << text;
  return type.status().message();
}

std::string ParseColumnsError(std::string_view text) {
  auto fields = ParseColumns(text);
  if (fields.ok()) return "OK";
  EXPECT_EQ(fields.status().code(), StatusCode::kInvalidArgument) << text;
  return fields.status().message();
}

Field F(std::string name, Type type, bool nullable = true) { return Field{std::move(name), std::move(type), nullable}; }

std::string Repeat(std::string_view piece, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

// ---- ParseType ---------------------------------------------------------------------------------

TEST(ParseType, ParsesEveryCanonicalName) {
  EXPECT_EQ(ParseOk("BOOLEAN"), Type::Boolean());
  EXPECT_EQ(ParseOk("INTEGER"), Type::Integer());
  EXPECT_EQ(ParseOk("BIGINT"), Type::BigInt());
  EXPECT_EQ(ParseOk("DOUBLE"), Type::Double());
  EXPECT_EQ(ParseOk("DECIMAL(10,2)"), Type::Decimal(10, 2));
  EXPECT_EQ(ParseOk("VARCHAR"), Type::Varchar());
  EXPECT_EQ(ParseOk("DATE"), Type::Date());
  EXPECT_EQ(ParseOk("TIMESTAMP"), Type::Timestamp());
  EXPECT_EQ(ParseOk("TIMESTAMPTZ"), Type::TimestampTz());
  EXPECT_EQ(ParseOk("JSON"), Type::Json());
}

TEST(ParseType, AcceptsDuckDbAliasesInAnyCase) {
  for (auto name : {"bool", "Logical", "boolean"}) EXPECT_EQ(ParseOk(name), Type::Boolean()) << name;
  for (auto name : {"int", "INT4", "int32", "signed", "Integer"}) EXPECT_EQ(ParseOk(name), Type::Integer()) << name;
  for (auto name : {"int8", "INT64", "long", "BigInt"}) EXPECT_EQ(ParseOk(name), Type::BigInt()) << name;
  for (auto name : {"float8", "double", "DOUBLE PRECISION", "double  precision"}) {
    EXPECT_EQ(ParseOk(name), Type::Double()) << name;
  }
  for (auto name : {"string", "TEXT", "char", "bpchar", "varchar"}) EXPECT_EQ(ParseOk(name), Type::Varchar()) << name;
  EXPECT_EQ(ParseOk("datetime"), Type::Timestamp());
  EXPECT_EQ(ParseOk("timestamp without time zone"), Type::Timestamp());
  EXPECT_EQ(ParseOk("TIMESTAMP WITH TIME ZONE"), Type::TimestampTz());
  EXPECT_EQ(ParseOk("timestamptz"), Type::TimestampTz());
  EXPECT_EQ(ParseOk("json"), Type::Json());
  EXPECT_EQ(ParseOk("date"), Type::Date());
  EXPECT_EQ(ParseOk("  \tBIGINT\r\n "), Type::BigInt()) << "surrounding whitespace";
}

TEST(ParseType, DecimalParametersAndBounds) {
  EXPECT_EQ(ParseOk("DECIMAL"), Type::Decimal(18, 3)) << "DuckDB's default";
  EXPECT_EQ(ParseOk("numeric(5,1)"), Type::Decimal(5, 1));
  EXPECT_EQ(ParseOk("dec(7)"), Type::Decimal(7, 0));
  EXPECT_EQ(ParseOk("DECIMAL ( 12 , 4 )"), Type::Decimal(12, 4));
  EXPECT_EQ(ParseOk("DECIMAL(1,0)"), Type::Decimal(1, 0));
  EXPECT_EQ(ParseOk("DECIMAL(38,0)"), Type::Decimal(38, 0));
  EXPECT_EQ(ParseOk("DECIMAL(38,38)"), Type::Decimal(38, 38));
  EXPECT_EQ(ParseTypeError("DECIMAL(0,0)"), "at character 1: DECIMAL precision must be between 1 and 38, found 0");
  EXPECT_EQ(ParseTypeError("DECIMAL(39,0)"), "at character 1: DECIMAL precision must be between 1 and 38, found 39");
  EXPECT_EQ(ParseTypeError("DECIMAL(5,6)"),
            "at character 1: DECIMAL scale must be between 0 and the precision 5, found 6");
  EXPECT_EQ(ParseTypeError("DECIMAL(99999,2)"), "at character 9: the DECIMAL precision 99999 is too large");
  EXPECT_EQ(ParseTypeError("DECIMAL(10,)"), "at character 12: expected the DECIMAL scale (a number), found \")\"");
  EXPECT_EQ(ParseTypeError("DECIMAL(-1)"), "at character 9: expected the DECIMAL precision (a number), found \"-\"");
  EXPECT_EQ(ParseTypeError("DECIMAL(10"),
            "at character 11: expected \")\" to close DECIMAL(, found the end of the text");
  EXPECT_EQ(ParseTypeError("NUMERIC(10,2,1)"), "at character 13: expected \")\" to close NUMERIC(, found \",\"");
}

TEST(ParseType, ListsInBothSpellings) {
  EXPECT_EQ(ParseOk("LIST(INTEGER)"), Type::List(Type::Integer()));
  EXPECT_EQ(ParseOk("INTEGER[]"), Type::List(Type::Integer()));
  EXPECT_EQ(ParseOk("list ( varchar )"), Type::List(Type::Varchar()));
  EXPECT_EQ(ParseOk("VARCHAR[][]"), Type::List(Type::List(Type::Varchar())));
  EXPECT_EQ(ParseOk("LIST(LIST(VARCHAR))"), ParseOk("VARCHAR[][]"));
  EXPECT_EQ(ParseOk("LIST(BIGINT[])"), ParseOk("BIGINT[][]"));
  EXPECT_EQ(ParseOk("LIST(BIGINT)[]"), ParseOk("BIGINT[][]"));
  EXPECT_EQ(ParseOk("DECIMAL(5,2)[]"), Type::List(Type::Decimal(5, 2)));
  EXPECT_EQ(ParseOk("DOUBLE PRECISION[]"), Type::List(Type::Double()));
  EXPECT_EQ(ParseOk("TIMESTAMP WITH TIME ZONE []"), Type::List(Type::TimestampTz()));
  EXPECT_EQ(ParseTypeError("INTEGER["),
            "at character 9: expected \"]\" after \"[\" (T[] is a list of T), found the end of the text");
  EXPECT_EQ(ParseTypeError("INTEGER[3]"),
            "at character 9: expected \"]\" after \"[\" (T[] is a list of T), found \"3\"");
  EXPECT_EQ(ParseTypeError("LIST INTEGER"), "at character 6: expected \"(\" after LIST, found \"INTEGER\"");
  EXPECT_EQ(ParseTypeError("LIST(INTEGER"),
            "at character 13: expected \")\" to close LIST(, found the end of the text");
  EXPECT_EQ(ParseTypeError("LIST()"), "at character 6: expected a type, found \")\"");
  EXPECT_EQ(ParseTypeError("LIST"), "at character 5: expected \"(\" after LIST, found the end of the text");
}

TEST(ParseType, Structs) {
  Type t = ParseOk("STRUCT(a INTEGER, \"b c\" VARCHAR[], Inner STRUCT(x DATE, \"select\" JSON))");
  ASSERT_EQ(t.id(), TypeId::kStruct);
  ASSERT_EQ(t.fields().size(), 3u);
  EXPECT_EQ(t.fields()[0], F("a", Type::Integer()));
  EXPECT_EQ(t.fields()[1], F("b c", Type::List(Type::Varchar())));
  EXPECT_EQ(t.fields()[2].name, "Inner") << "field names keep their case";
  EXPECT_EQ(t.fields()[2].type, Type::Struct({F("x", Type::Date()), F("select", Type::Json())}));
  EXPECT_EQ(t.depth(), 2);
  EXPECT_EQ(ParseOk("struct(a int)[]"), Type::List(Type::Struct({F("a", Type::Integer())})));
  EXPECT_EQ(ParseOk("STRUCT(\"a\"\"b\" INTEGER)").fields()[0].name, "a\"b");
  EXPECT_EQ(ParseTypeError("STRUCT(a INTEGER NULL)"),
            "at character 18: NOT NULL is only allowed on top-level columns; STRUCT fields are always nullable")
      << "NULL constraints are top-level only, even the redundant one";
}

TEST(ParseType, StructErrorsSayWhereAndWhat) {
  EXPECT_EQ(ParseTypeError("STRUCT()"), "at character 8: expected a STRUCT field name, found \")\"");
  EXPECT_EQ(ParseTypeError("STRUCT"), "at character 7: expected \"(\" after STRUCT, found the end of the text");
  EXPECT_EQ(ParseTypeError("STRUCT(a)"), "at character 9: expected a type after field name \"a\", found \")\"");
  EXPECT_EQ(ParseTypeError("STRUCT(a INTEGER NOT NULL)"),
            "at character 18: NOT NULL is only allowed on top-level columns; STRUCT fields are always nullable");
  EXPECT_EQ(ParseTypeError("STRUCT(a INTEGER, A VARCHAR)"),
            "at character 19: duplicate STRUCT field name \"A\" (names are case-insensitive)");
  EXPECT_EQ(ParseTypeError("STRUCT(a INTEGER b VARCHAR)"),
            "at character 18: expected \",\" or \")\" after STRUCT field \"a\", found \"b\"");
  EXPECT_EQ(ParseTypeError("STRUCT(a INTEGER,)"), "at character 18: expected a STRUCT field name, found \")\"");
  EXPECT_EQ(ParseTypeError("STRUCT(\"\" INTEGER)"), "at character 8: a column name must not be empty");
  EXPECT_EQ(ParseTypeError("STRUCT(\"a INTEGER)"),
            "at character 8: expected a STRUCT field name, found a quoted name without its closing quote");
  EXPECT_EQ(ParseTypeError("STRUCT(a INTEGER"),
            "at character 17: expected \",\" or \")\" after STRUCT field \"a\", found the end of the text");
}

TEST(ParseType, ErrorsNameWhatWasFoundAndExpected) {
  std::string unknown = ParseTypeError("BIGNUM");
  EXPECT_EQ(unknown.rfind("at character 1: unknown type \"BIGNUM\"; expected one of BOOLEAN, INTEGER", 0), 0u)
      << unknown;
  EXPECT_NE(unknown.find("STRUCT(name T, ...)"), std::string::npos) << unknown;
  EXPECT_EQ(ParseTypeError("LIST(BIGNUM)").rfind("at character 6: unknown type \"BIGNUM\"", 0), 0u);
  EXPECT_EQ(ParseTypeError(""), "at character 1: expected a type, found the end of the text");
  EXPECT_EQ(ParseTypeError("   "), "at character 4: expected a type, found the end of the text");
  EXPECT_EQ(ParseTypeError("INTEGER x"), "at character 9: expected the end of the type, found \"x\"");
  EXPECT_EQ(ParseTypeError("INTEGER NOT NULL"), "at character 9: expected the end of the type, found \"NOT\"");
  EXPECT_EQ(ParseTypeError("42"), "at character 1: expected a type, found \"42\"");
  EXPECT_EQ(ParseTypeError("é"), "at character 1: expected a type, found \"é\"") << "a whole UTF-8 character";
  EXPECT_EQ(ParseTypeError("VARCHAR(10)"),
            "at character 8: VARCHAR takes no length: lagoa, like DuckDB, does not limit text length; write VARCHAR");
  EXPECT_EQ(ParseTypeError("float"),
            "at character 1: type \"float\" (a 4-byte float in DuckDB) is not supported; use DOUBLE");
  EXPECT_EQ(ParseTypeError("REAL"),
            "at character 1: type \"REAL\" (a 4-byte float in DuckDB) is not supported; use DOUBLE");
  for (auto name : {"TINYINT", "smallint", "HUGEINT", "UBIGINT", "UINTEGER", "int2", "short"}) {
    EXPECT_EQ(ParseTypeError(name), "at character 1: type \"" + std::string(name) +
                                        "\" is not supported; use INTEGER, BIGINT or DECIMAL(38,0)");
  }
  EXPECT_EQ(ParseTypeError("TIMESTAMP WITH ZONE"), "at character 16: expected TIME ZONE after WITH, found \"ZONE\"");
  EXPECT_EQ(ParseTypeError("TIMESTAMP WITHOUT TIME"),
            "at character 23: expected ZONE after TIME, found the end of the text");
  EXPECT_EQ(ParseTypeError("TIMESTAMPTZ WITH TIME ZONE"),
            "at character 13: expected the end of the type, found \"WITH\"");
  EXPECT_EQ(ParseTypeError(std::string_view("INT\xff", 4)), "the text is not valid UTF-8");
  std::string long_name(100, 'x');
  EXPECT_EQ(ParseTypeError("INTEGER " + long_name),
            "at character 9: expected the end of the type, found \"" + std::string(40, 'x') + "\"")
      << "long tokens are cut in messages";
}

TEST(ParseType, LimitsNestingDepth) {
  EXPECT_EQ(ParseOk("INTEGER" + Repeat("[]", 16)).depth(), 16);
  EXPECT_EQ(ParseTypeError("INTEGER" + Repeat("[]", 17)),
            "at character 40: types nest deeper than 16 levels of LIST and STRUCT");
  EXPECT_EQ(ParseOk(Repeat("LIST(", 16) + "INTEGER" + Repeat(")", 16)).depth(), 16);
  EXPECT_NE(ParseTypeError(Repeat("LIST(", 17) + "INTEGER" + Repeat(")", 17)).find("nest deeper than 16"),
            std::string::npos);
  EXPECT_EQ(ParseOk(Repeat("STRUCT(a ", 16) + "INTEGER" + Repeat(")", 16)).depth(), 16);
  EXPECT_NE(ParseTypeError(Repeat("STRUCT(a ", 17) + "INTEGER" + Repeat(")", 17)).find("nest deeper than 16"),
            std::string::npos);
  // Mixed spellings count together.
  EXPECT_NE(ParseTypeError("STRUCT(a INTEGER" + Repeat("[]", 16) + ")").find("nest deeper than 16"), std::string::npos);
  EXPECT_NE(ParseTypeError("LIST(INTEGER" + Repeat("[]", 16) + ")").find("nest deeper than 16"), std::string::npos);
  EXPECT_NE(ParseTypeError(Repeat("LIST(", 8) + "INTEGER" + Repeat(")", 8) + Repeat("[]", 9)).find("nest deeper"),
            std::string::npos);
  // A hostile input does not recurse without bound.
  EXPECT_NE(ParseTypeError(Repeat("LIST(", 100000)).find("nest deeper than 16"), std::string::npos);
}

// ---- Type --------------------------------------------------------------------------------------

TEST(Type, ToSqlIsCanonicalAndParsesBack) {
  EXPECT_EQ(Type::Boolean().ToSql(), "BOOLEAN");
  EXPECT_EQ(Type::Integer().ToSql(), "INTEGER");
  EXPECT_EQ(Type::BigInt().ToSql(), "BIGINT");
  EXPECT_EQ(Type::Double().ToSql(), "DOUBLE");
  EXPECT_EQ(Type::Decimal(10, 2).ToSql(), "DECIMAL(10,2)");
  EXPECT_EQ(Type::Varchar().ToSql(), "VARCHAR");
  EXPECT_EQ(Type().ToSql(), "VARCHAR");
  EXPECT_EQ(Type::Date().ToSql(), "DATE");
  EXPECT_EQ(Type::Timestamp().ToSql(), "TIMESTAMP");
  EXPECT_EQ(Type::TimestampTz().ToSql(), "TIMESTAMPTZ");
  EXPECT_EQ(Type::Json().ToSql(), "JSON");
  EXPECT_EQ(Type::List(Type::Varchar()).ToSql(), "VARCHAR[]");
  EXPECT_EQ(Type::List(Type::List(Type::Integer())).ToSql(), "INTEGER[][]");
  Type s =
      Type::Struct({F("a", Type::Integer()), F("b c", Type::Varchar()), F("select", Type::Date()),
                    F("q\"uote", Type::List(Type::Decimal(3, 1))), F("_ok9", Type::Json()), F("9x", Type::Json())});
  EXPECT_EQ(
      s.ToSql(),
      "STRUCT(a INTEGER, \"b c\" VARCHAR, \"select\" DATE, \"q\"\"uote\" DECIMAL(3,1)[], _ok9 JSON, \"9x\" JSON)");
  for (const Type& t : {Type::Boolean(), Type::Decimal(38, 38), Type::TimestampTz(), s, Type::List(s),
                        Type::Struct({F("inner", Type::List(s))})}) {
    EXPECT_EQ(ParseOk(t.ToSql()), t) << t.ToSql();
  }
  EXPECT_EQ(ParseOk("timestamp with time zone").ToSql(), "TIMESTAMPTZ");
  EXPECT_EQ(ParseOk("LIST(int)").ToSql(), "INTEGER[]");
  EXPECT_EQ(ParseOk("numeric").ToSql(), "DECIMAL(18,3)");
}

TEST(Type, EqualityComparesStructure) {
  EXPECT_EQ(Type::List(Type::Integer()), Type::List(Type::Integer()));
  EXPECT_FALSE(Type::List(Type::Integer()) == Type::List(Type::BigInt()));
  EXPECT_FALSE(Type::Decimal(10, 2) == Type::Decimal(10, 3));
  EXPECT_FALSE(Type::Decimal(10, 2) == Type::Decimal(11, 2));
  EXPECT_FALSE(Type::Struct({F("a", Type::Integer())}) == Type::Struct({F("A", Type::Integer())}));
  EXPECT_FALSE(Type::Struct({F("a", Type::Integer())}) == Type::List(Type::Integer()));
  EXPECT_EQ(Type::Integer().depth(), 0);
  EXPECT_EQ(Type::Struct({F("a", Type::List(Type::Integer()))}).depth(), 2);
  EXPECT_EQ(TypeIdName(TypeId::kTimestampTz), "TIMESTAMPTZ");
  EXPECT_TRUE(Type::List(Type::Integer()).is_nested());
  EXPECT_FALSE(Type::Json().is_nested());
}

TEST(Type, QuoteIdentifierAndCaseInsensitiveNames) {
  EXPECT_EQ(QuoteIdentifier("user_id"), "user_id");
  EXPECT_EQ(QuoteIdentifier("UserId"), "UserId");
  EXPECT_EQ(QuoteIdentifier("Select"), "\"Select\"") << "keywords in any case";
  EXPECT_EQ(QuoteIdentifier("not"), "\"not\"");
  EXPECT_EQ(QuoteIdentifier("my col"), "\"my col\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentifier("1a"), "\"1a\"");
  EXPECT_EQ(QuoteIdentifier("ünï"), "\"ünï\"");
  EXPECT_TRUE(EqualsIgnoreCase("UserId", "userID"));
  EXPECT_FALSE(EqualsIgnoreCase("user", "users"));
  EXPECT_FALSE(EqualsIgnoreCase("É", "é")) << "ASCII case only";
}

// ---- ParseColumns and ColumnsToSql ---------------------------------------------------------------

TEST(ParseColumns, ParsesNamesTypesAndNotNull) {
  auto fields = ParseColumns(
      "user_id BIGINT NOT NULL, url VARCHAR, \"my col\" INTEGER null, Tags VARCHAR[] not null,"
      "\"a\"\"b\" STRUCT(x DOUBLE), ts timestamp with time zone NOT NULL");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(*fields, (std::vector<Field>{F("user_id", Type::BigInt(), false), F("url", Type::Varchar()),
                                         F("my col", Type::Integer()), F("Tags", Type::List(Type::Varchar()), false),
                                         F("a\"b", Type::Struct({F("x", Type::Double())})),
                                         F("ts", Type::TimestampTz(), false)}));
  EXPECT_TRUE(ParseColumns("")->empty());
  EXPECT_TRUE(ParseColumns(" \n\t ")->empty());
  auto keywordish = ParseColumns("select INTEGER, \"from\" VARCHAR, not BIGINT");
  ASSERT_TRUE(keywordish.ok()) << keywordish.status().ToString();
  EXPECT_EQ((*keywordish)[2].name, "not");
}

TEST(ParseColumns, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(ParseColumnsError("a INTEGER, A VARCHAR"),
            "at character 12: duplicate column name \"A\" (the same as column \"a\" at character 1; names are "
            "case-insensitive)");
  EXPECT_EQ(ParseColumnsError("a INTEGER, \"A\" VARCHAR").rfind("at character 12: duplicate column name \"A\"", 0), 0u);
  EXPECT_EQ(ParseColumnsError("a"),
            "at character 2: expected a type after column name \"a\", found the end of the text");
  EXPECT_EQ(ParseColumnsError("a INTEGER,"), "at character 11: expected a column name, found the end of the text");
  EXPECT_EQ(ParseColumnsError(", a INTEGER"), "at character 1: expected a column name, found \",\"");
  EXPECT_EQ(ParseColumnsError("a INTEGER b VARCHAR"),
            "at character 11: expected \",\" or NOT NULL after the type of column \"a\", found \"b\"");
  EXPECT_EQ(ParseColumnsError("a INTEGER NOT"),
            "at character 14: expected NULL after NOT in column \"a\", found the end of the text");
  EXPECT_EQ(ParseColumnsError("a INTEGER NOT NULL NOT NULL"),
            "at character 20: expected \",\" or NOT NULL after the type of column \"a\", found \"NOT\"");
  EXPECT_EQ(ParseColumnsError("\"\" INTEGER"), "at character 1: a column name must not be empty");
  EXPECT_EQ(ParseColumnsError("a INTEGER, b BIGNUM").rfind("at character 14: unknown type \"BIGNUM\"", 0), 0u);
  EXPECT_EQ(ParseColumnsError("\"open INTEGER"),
            "at character 1: expected a column name, found a quoted name without its closing quote");
  EXPECT_EQ(ParseColumnsError(std::string_view("a INTEGER, \xc3", 12)), "the text is not valid UTF-8");
  EXPECT_EQ(ParseColumnsError(std::string("\"a\tb\" INTEGER")),
            "at character 1: a column name must not contain control characters");
}

TEST(ParseColumns, LimitsTheNumberOfColumns) {
  std::string sql;
  for (size_t i = 0; i < kColumnsMax; ++i) sql += (i ? ", c" : "c") + std::to_string(i) + " INTEGER";
  auto at_limit = ParseColumns(sql);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(at_limit->size(), kColumnsMax);
  EXPECT_NE(ParseColumnsError(sql + ", extra INTEGER").find("more than 1024 columns"), std::string::npos);
}

TEST(ParseColumns, ColumnsToSqlRoundTrips) {
  std::vector<Field> fields = {
      F("user_id", Type::BigInt(), false),
      F("my col", Type::Varchar()),
      F("select", Type::Date(), false),
      F("q\"uote", Type::Decimal(38, 10)),
      F("ünïcødé", Type::Json()),
      F("nested", Type::List(Type::Struct({F("a b", Type::List(Type::Timestamp())), F("c", Type::TimestampTz())})),
        false),
  };
  std::string sql = ColumnsToSql(fields);
  EXPECT_EQ(sql,
            "user_id BIGINT NOT NULL, \"my col\" VARCHAR, \"select\" DATE NOT NULL, \"q\"\"uote\" DECIMAL(38,10), "
            "\"ünïcødé\" JSON, nested STRUCT(\"a b\" TIMESTAMP[], c TIMESTAMPTZ)[] NOT NULL");
  auto parsed = ParseColumns(sql);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, fields);
  EXPECT_EQ(ColumnsToSql({}), "");
}

// ---- Names and schemas ---------------------------------------------------------------------------

TEST(ValidateStreamName, AcceptsSafeFileNamesOnly) {
  for (std::string name :
       std::vector<std::string>{"a", "clicks", "_x", "9lives", "a.b-c_9", "clicks.dlq", std::string(128, 'n')}) {
    EXPECT_TRUE(ValidateStreamName(name).ok()) << name;
  }
  for (const std::string& name : std::vector<std::string>{"", ".a", "-a", "a/b", "../x", "a b", "é", "a:b",
                                                          std::string(129, 'n'), std::string("a\0b", 3)}) {
    Status s = ValidateStreamName(name);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(s.message().find("A-Z, a-z, 0-9, '_', '.' and '-'"), std::string::npos) << s.message();
  }
  EXPECT_NE(ValidateStreamName(std::string(200, 'x')).message().find("\"" + std::string(40, 'x') + "\""),
            std::string::npos);
}

TEST(ValidateColumns, ChecksNamesDuplicatesAndLimits) {
  EXPECT_TRUE(ValidateFieldName(std::string(255, 'a')).ok());
  EXPECT_EQ(ValidateFieldName(std::string(256, 'a')).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ValidateFieldName("").ok());
  EXPECT_FALSE(ValidateFieldName("a\x7f").ok());
  EXPECT_FALSE(ValidateFieldName(std::string_view("\xc0\xaf", 2)).ok());
  EXPECT_TRUE(ValidateFieldName("with space and \"quote\"").ok());
  EXPECT_TRUE(ValidateColumns({F("a", Type::Integer()), F("b", Type::Integer())}).ok());
  Status dup = ValidateColumns({F("a", Type::Integer()), F("A", Type::Integer())});
  EXPECT_EQ(dup.message(), "duplicate column name \"A\" (the same as \"a\"; names are case-insensitive)");
  std::vector<Field> many(kColumnsMax + 1);
  for (size_t i = 0; i < many.size(); ++i) many[i].name = "c" + std::to_string(i);
  EXPECT_EQ(ValidateColumns(many).message(), "1025 columns; the limit is 1024");
  many.pop_back();
  EXPECT_TRUE(ValidateColumns(many).ok());
}

TEST(Schema, FieldIndexIsExactAndIgnoringCaseOnRequest) {
  Schema schema{SchemaVersion(1), {F("id", Type::BigInt()), F("Url", Type::Varchar())}};
  EXPECT_EQ(schema.FieldIndex("Url"), 1u);
  EXPECT_EQ(schema.FieldIndex("url"), std::nullopt);
  EXPECT_EQ(schema.FieldIndexIgnoringCase("URL"), 1u);
  EXPECT_EQ(schema.FieldIndexIgnoringCase("nope"), std::nullopt);
}

StreamDefinition TwoVersions() {
  StreamDefinition def;
  def.name = "clicks";
  def.versions.push_back(Schema{SchemaVersion(1), {F("id", Type::BigInt(), false), F("ts", Type::TimestampTz())}});
  Schema v2 = def.versions[0];
  v2.version = SchemaVersion(2);
  v2.fields.push_back(F("url", Type::Varchar()));
  def.versions.push_back(v2);
  def.event_time_column = "ts";
  return def;
}

TEST(ValidateStreamDefinition, ChecksEveryInvariant) {
  StreamDefinition def = TwoVersions();
  ASSERT_TRUE(ValidateStreamDefinition(def).ok());
  EXPECT_EQ(def.latest().version, SchemaVersion(2));
  EXPECT_EQ(def.version(SchemaVersion(1)), &def.versions[0]);
  EXPECT_EQ(def.version(SchemaVersion(0)), nullptr);
  EXPECT_EQ(def.version(SchemaVersion(3)), nullptr);

  auto message = [](StreamDefinition d) { return ValidateStreamDefinition(d).message(); };
  {
    StreamDefinition d = def;
    d.versions[1].version = SchemaVersion(3);
    EXPECT_EQ(message(d), "stream \"clicks\": schema version 2 is numbered 3");
  }
  {
    StreamDefinition d = def;
    d.versions[1].fields.pop_back();
    EXPECT_EQ(message(d), "stream \"clicks\": schema version 2 does not extend version 1 with new columns");
  }
  {
    StreamDefinition d = def;
    d.versions[1].fields[0].name = "ID";  // changes an existing column
    EXPECT_EQ(message(d), "stream \"clicks\": schema version 2 does not extend version 1 with new columns");
  }
  {
    StreamDefinition d = def;
    d.versions[1].fields.back().nullable = false;
    EXPECT_EQ(message(d), "stream \"clicks\": column \"url\" added in version 2 is NOT NULL");
  }
  {
    StreamDefinition d = def;
    d.versions.clear();
    EXPECT_EQ(message(d), "stream \"clicks\": no schema version");
  }
  {
    StreamDefinition d = def;
    d.event_time_column = "url";  // only in version 2
    EXPECT_EQ(
        message(d).rfind("stream \"clicks\": event_time column \"url\" is not a declared column (declared: id, ts)", 0),
        0u)
        << message(d);
    d.event_time_column = "id";
    EXPECT_EQ(message(d), "stream \"clicks\": event_time column \"id\" is BIGINT; it must be TIMESTAMP or TIMESTAMPTZ");
    d.versions[0].fields[1].type = Type::Timestamp();
    d.versions[1].fields[1].type = Type::Timestamp();
    d.event_time_column = "ts";
    EXPECT_TRUE(ValidateStreamDefinition(d).ok());
  }
  {
    StreamDefinition d = def;
    d.partitions = 0;
    EXPECT_EQ(message(d), "stream \"clicks\": partitions must be between 1 and 1024, found 0");
    d.partitions = 1025;
    EXPECT_FALSE(ValidateStreamDefinition(d).ok());
    d.partitions = 1024;
    EXPECT_TRUE(ValidateStreamDefinition(d).ok());
  }
  {
    StreamDefinition d;
    d.name = "empty";
    d.versions.push_back(Schema{SchemaVersion(1), {}});
    EXPECT_EQ(message(d), "stream \"empty\": a stream needs at least one column unless \"infer\" is true");
    d.infer = true;
    EXPECT_TRUE(ValidateStreamDefinition(d).ok());
  }
  {
    StreamDefinition d = def;
    d.name = "bad/name";
    EXPECT_FALSE(ValidateStreamDefinition(d).ok());
  }
}

// ---- JSON forms --------------------------------------------------------------------------------

Result<StreamDefinition> FromJson(std::string_view json) { return StreamDefinitionFromJson("clicks", json); }

std::string FromJsonError(std::string_view json) {
  auto def = FromJson(json);
  if (def.ok()) return "OK";
  EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument) << json;
  return def.status().message();
}

TEST(StreamDefinitionFromJson, AcceptsTheSchemaForm) {
  auto def = FromJson(R"({"schema": "user_id BIGINT NOT NULL, ts TIMESTAMPTZ", "event_time": "ts",
                          "partitions": 4, "infer": false})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->name, "clicks");
  ASSERT_EQ(def->versions.size(), 1u);
  EXPECT_EQ(def->versions[0].version, SchemaVersion(1));
  EXPECT_EQ(def->versions[0].fields,
            (std::vector<Field>{F("user_id", Type::BigInt(), false), F("ts", Type::TimestampTz())}));
  EXPECT_EQ(def->event_time_column, "ts");
  EXPECT_EQ(def->partitions, 4);
  EXPECT_FALSE(def->infer);
  EXPECT_EQ(def->created_us, 0);
}

TEST(StreamDefinitionFromJson, AcceptsTheColumnsForm) {
  auto def = FromJson(R"json({"columns": [{"name": "user_id", "type": "BIGINT", "nullable": false},
                                          {"name": "my col", "type": "STRUCT(a INTEGER[])"},
                                          {"type": "decimal(5,2)", "name": "p", "nullable": true}]})json");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->latest().fields, (std::vector<Field>{F("user_id", Type::BigInt(), false),
                                                      F("my col", Type::Struct({F("a", Type::List(Type::Integer()))})),
                                                      F("p", Type::Decimal(5, 2))}));
  EXPECT_FALSE(def->event_time_column.has_value());
  EXPECT_EQ(def->partitions, 1);
}

TEST(StreamDefinitionFromJson, InferMayStartWithoutColumns) {
  for (std::string_view json : {R"({"infer": true})", R"({"infer": true, "schema": ""})",
                                R"({"infer": true, "columns": [], "event_time": null})"}) {
    auto def = FromJson(json);
    ASSERT_TRUE(def.ok()) << json << ": " << def.status().ToString();
    EXPECT_TRUE(def->infer);
    EXPECT_TRUE(def->latest().fields.empty());
  }
  EXPECT_EQ(FromJsonError(R"({"schema": ""})"),
            "stream \"clicks\": a stream needs at least one column unless \"infer\" is true");
}

TEST(StreamDefinitionFromJson, RejectsBadBodiesWithActionableMessages) {
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "retention": "7d"})"),
            "unknown key \"retention\"; allowed keys: schema, columns, event_time, infer, partitions, lake");
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "lake": false})"),
            "\"lake\": expected an object like {\"enabled\": false}, found false");
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "lake": {"enabled": 1}})"),
            "\"lake\": \"enabled\" must be true or false");
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "lake": {"partition": "day"}})"),
            "\"lake\": unknown key \"partition\"; allowed keys: enabled, partition_by");
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "columns": [{"name": "a", "type": "INTEGER"}]})"),
            "give either \"schema\" or \"columns\", not both");
  EXPECT_EQ(FromJsonError(R"({})").rfind("give the columns as \"schema\"", 0), 0u);
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "schema": "b INTEGER"})"), "key \"schema\" appears twice");
  EXPECT_EQ(FromJsonError(R"({"schema": 5})").rfind("\"schema\" must be a string", 0), 0u);
  EXPECT_EQ(FromJsonError(R"({"schema": "a BIGNUM"})").rfind("\"schema\": at character 3: unknown type", 0), 0u);
  EXPECT_EQ(FromJsonError(R"({"columns": {}})").rfind("\"columns\" must be an array", 0), 0u);
  EXPECT_EQ(FromJsonError(R"({"columns": [5]})").rfind("columns[0]: expected an object", 0), 0u);
  EXPECT_EQ(FromJsonError(R"({"columns": [{"name": "a", "type": "INTEGER", "nulls": true}]})"),
            "columns[0]: unknown key \"nulls\"; allowed keys: name, type, nullable");
  EXPECT_EQ(FromJsonError(R"({"columns": [{"type": "INTEGER"}]})"), "columns[0]: missing \"name\"");
  EXPECT_EQ(FromJsonError(R"({"columns": [{"name": "a", "type": "INTEGER"}, {"name": "b"}]})"),
            "columns[1] (\"b\"): missing \"type\"");
  EXPECT_EQ(FromJsonError(R"({"columns": [{"name": "a", "type": "INT EGER"}]})"),
            "columns[0] (\"a\"): type \"INT EGER\": at character 5: expected the end of the type, found \"EGER\"");
  EXPECT_EQ(FromJsonError(R"({"columns": [{"name": 1, "type": "INTEGER"}]})"), "columns[0]: \"name\" must be a string");
  EXPECT_EQ(FromJsonError(R"({"columns": [{"name": "a", "type": "INTEGER", "nullable": "no"}]})"),
            "columns[0]: \"nullable\" must be true or false");
  EXPECT_NE(FromJsonError(R"({"columns": [{"name": "a", "type": "INTEGER"}, {"name": "A", "type": "INTEGER"}]})")
                .find("duplicate column name \"A\""),
            std::string::npos);
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "event_time": 3})"),
            "\"event_time\" must be a column name (a string)");
  EXPECT_NE(FromJsonError(R"({"schema": "a INTEGER", "event_time": "a"})").find("must be TIMESTAMP or TIMESTAMPTZ"),
            std::string::npos);
  EXPECT_NE(FromJsonError(R"({"schema": "a INTEGER", "event_time": "b"})").find("is not a declared column"),
            std::string::npos);
  EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "infer": "yes"})"), "\"infer\" must be true or false");
  for (std::string_view partitions : {"0", "1025", "1.5", "\"2\"", "-1", "99999999999"}) {
    EXPECT_EQ(FromJsonError(R"({"schema": "a INTEGER", "partitions": )" + std::string(partitions) + "}"),
              "\"partitions\" must be an integer between 1 and 1024")
        << partitions;
  }
  EXPECT_EQ(FromJsonError("[1]"), "expected a JSON object like {\"schema\": \"user_id BIGINT, ts TIMESTAMPTZ\"}");
  EXPECT_EQ(FromJsonError("{\"schema\": ").rfind("the body is not valid JSON: ", 0), 0u);
  EXPECT_EQ(FromJsonError("").rfind("the body is not valid JSON", 0), 0u);
  auto bad_name = StreamDefinitionFromJson("bad name", R"({"schema": "a INTEGER"})");
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_name.status().message().find("invalid stream name \"bad name\""), std::string::npos);
}

TEST(StreamDefinitionToJson, WritesTheGetForm) {
  StreamDefinition def = TwoVersions();
  def.partitions = 3;
  def.infer = true;
  def.created_us = 1714564800123456;
  def.versions[1].fields.back().name = "u\"rl";
  EXPECT_EQ(
      StreamDefinitionToJson(def),
      R"({"name":"clicks","versions":[)"
      R"({"version":1,"columns":[{"name":"id","type":"BIGINT","nullable":false},)"
      R"({"name":"ts","type":"TIMESTAMPTZ","nullable":true}]},)"
      R"({"version":2,"columns":[{"name":"id","type":"BIGINT","nullable":false},)"
      R"({"name":"ts","type":"TIMESTAMPTZ","nullable":true},{"name":"u\"rl","type":"VARCHAR","nullable":true}]}],)"
      R"("event_time":"ts","infer":true,"partitions":3,"created":"2024-05-01T12:00:00.123456Z",)"
      R"("lake":{"enabled":true}})");
  StreamDefinition plain;
  plain.name = "p";
  plain.versions.push_back(Schema{SchemaVersion(1), {F("s", Type::Struct({F("a b", Type::List(Type::Integer()))}))}});
  EXPECT_EQ(
      StreamDefinitionToJson(plain),
      R"j({"name":"p","versions":[{"version":1,"columns":[{"name":"s","type":"STRUCT(\"a b\" INTEGER[])",)j"
      R"("nullable":true}]}],"event_time":null,"infer":false,"partitions":1,"created":"1970-01-01T00:00:00.000000Z",)"
      R"("lake":{"enabled":true}})");
}

TEST(ParseTimestampMicros, ReadsRfc3339AndNamesWhatIsWrong) {
  auto parsed = ParseTimestampMicros("2024-05-01T12:00:00.5Z");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, 1714564800500000);
  auto offset = ParseTimestampMicros("2024-05-01T14:00:00+02:00");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*offset, 1714564800000000);
  auto bad = ParseTimestampMicros("yesterday");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("timestamp \"yesterday\" ", 0), 0u) << bad.status().message();
}

TEST(StreamDefinitionFromJson, LakeOptionsDefaultToLoaded) {
  auto loaded = FromJson(R"({"schema": "a INTEGER"})");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->lake.enabled);
  auto opted_out = FromJson(R"({"schema": "a INTEGER", "lake": {"enabled": false}})");
  ASSERT_TRUE(opted_out.ok()) << opted_out.status().ToString();
  EXPECT_FALSE(opted_out->lake.enabled);
}

TEST(StreamDefinitionFromJson, LakeDatePartitionNamesATimestampColumnOrALoaderTime) {
  auto by_ts =
      FromJson(R"j({"schema": "a INTEGER, ts TIMESTAMP", "lake": {"enabled": true, "partition_by": "date(ts)"}})j");
  ASSERT_TRUE(by_ts.ok()) << by_ts.status().ToString();
  EXPECT_EQ(by_ts->lake.date_partition_source, "ts");
  for (std::string_view source : {"_event_time", "_ingested_at"}) {
    auto by_loader =
        FromJson(fmt::format(R"j({{"schema": "a INTEGER", "lake": {{"partition_by": "date({})"}}}})j", source));
    ASSERT_TRUE(by_loader.ok()) << by_loader.status().ToString();
    EXPECT_EQ(by_loader->lake.date_partition_source, source);
  }
  EXPECT_EQ(FromJson(R"j({"schema": "a INTEGER"})j")->lake.date_partition_source, "");

  EXPECT_EQ(FromJsonError(R"j({"schema": "a INTEGER, ts TIMESTAMPTZ", "lake": {"partition_by": "date(nope)"}})j"),
            "stream \"clicks\": lake partition_by date(nope): no such column; use a TIMESTAMP or TIMESTAMPTZ column "
            "(ts) or _event_time or _ingested_at");
  EXPECT_EQ(FromJsonError(R"j({"schema": "a INTEGER, ts TIMESTAMPTZ", "lake": {"partition_by": "date(a)"}})j"),
            "stream \"clicks\": lake partition_by date(a): column \"a\" is INTEGER; it must be TIMESTAMP or "
            "TIMESTAMPTZ");
  for (std::string_view bad : {R"j("ts")j", R"j("date()")j", R"j("month(ts)")j", R"j(5)j", R"j("date(ts")j"}) {
    const std::string error =
        FromJsonError(fmt::format(R"j({{"schema": "ts TIMESTAMP", "lake": {{"partition_by": {}}}}})j", bad));
    EXPECT_EQ(error.rfind("\"lake\": \"partition_by\" must be a string like \"date(ts)\"", 0), 0u)
        << bad << ": " << error;
  }
  EXPECT_EQ(FromJsonError(R"j({"schema": "_date DATE, ts TIMESTAMP", "lake": {"partition_by": "date(ts)"}})j"),
            "stream \"clicks\": column \"_date\" collides with the lake's date partition column; rename the column");
}

TEST(StreamDefinitionToJson, LakeDatePartitionRoundTripsAndIsLeftOutWhenUnset) {
  auto def = FromJson(R"j({"schema": "ts TIMESTAMPTZ", "lake": {"partition_by": "date(ts)"}})j");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const std::string json = StreamDefinitionToJson(*def);
  EXPECT_NE(json.find(R"j("lake":{"enabled":true,"partition_by":"date(ts)"})j"), std::string::npos) << json;
  auto lake = StreamLakeOptionsFromJson(R"j({"enabled":true,"partition_by":"date(ts)"})j");
  ASSERT_TRUE(lake.ok());
  EXPECT_EQ(*lake, def->lake);
  auto plain = FromJson(R"j({"schema": "ts TIMESTAMPTZ"})j");
  EXPECT_NE(StreamDefinitionToJson(*plain).find(R"j("lake":{"enabled":true}})j"), std::string::npos);
}

TEST(StreamDefinitionToJson, ColumnsOfTheFirstVersionFeedBackIntoFromJson) {
  // The "columns" entries of the GET form are accepted by PUT: a definition can be copied.
  auto def = FromJson(R"({"schema": "id BIGINT NOT NULL, \"odd name\" STRUCT(\"x y\" DATE[]), ts TIMESTAMP",
                          "event_time": "ts", "partitions": 2})");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  std::string json = StreamDefinitionToJson(*def);
  size_t begin = json.find("\"columns\":");
  size_t end = json.find("]}]", begin);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string body = "{" + json.substr(begin, end + 1 - begin) + R"(, "event_time": "ts", "partitions": 2})";
  auto copy = FromJson(body);
  ASSERT_TRUE(copy.ok()) << body << ": " << copy.status().ToString();
  EXPECT_EQ(StreamDefinitionToJson(*copy), json);
}

}  // namespace
}  // namespace lagoa::schema
