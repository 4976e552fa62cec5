#include "sql/sql_text.h"

#include <gtest/gtest.h>

#include "pg/pg_client_queries.h"
#include "pg/pg_errors.h"

namespace lagoa::pg::pg {
namespace {

TEST(PgSqlText, SplitsStatementsOutsideQuotesAndComments) {
  auto s = sql::SplitStatements(
      "SELECT 'a;b'; -- c;d\n SELECT \"x;\" /* ; /* nested; */ */ FROM t;;  ; SELECT $$;$$, $q$;$q$");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "SELECT 'a;b'");
  EXPECT_EQ(s[1], "-- c;d\n SELECT \"x;\" /* ; /* nested; */ */ FROM t");
  EXPECT_EQ(s[2], "SELECT $$;$$, $q$;$q$");
  EXPECT_TRUE(sql::SplitStatements("  ; -- only a comment\n").empty());
  EXPECT_EQ(sql::SplitStatements("SELECT E'\\';'").size(), 1u);
  EXPECT_EQ(sql::SplitStatements("SELECT 'unterminated; SELECT 2").size(), 1u);
}

TEST(PgSqlText, ReadsLeadingKeywordsAndNormalizes) {
  EXPECT_EQ(sql::LeadingKeywords("/* x */ create or replace TEMP view v AS SELECT 1", 4),
            (std::vector<std::string>{"CREATE", "OR", "REPLACE", "TEMP"}));
  EXPECT_EQ(sql::LeadingKeywords("(SELECT 1)", 1), (std::vector<std::string>{"SELECT"}));
  EXPECT_TRUE(sql::LeadingKeywords("'x'", 1).empty());
  EXPECT_EQ(sql::NormalizeSql("  SET  extra_float_digits\n = 3 -- c\n;"), "SET extra_float_digits = 3");
  EXPECT_EQ(sql::NormalizeSql("SELECT '  a  '"), "SELECT '  a  '");
}

TEST(PgClientQueries, AnswersDriverSettingsShowAndVersion) {
  auto set = InterceptClientQuery("SET extra_float_digits = 3");
  EXPECT_EQ(set.kind, ClientQueryAnswer::Kind::kCommand);
  EXPECT_EQ(set.tag, "SET");
  auto app = InterceptClientQuery("SET application_name = 'PostgreSQL JDBC Driver'");
  ASSERT_TRUE(app.parameter_status.has_value());
  EXPECT_EQ(app.parameter_status->second, "PostgreSQL JDBC Driver");
  EXPECT_EQ(InterceptClientQuery("SHOW TRANSACTION ISOLATION LEVEL").kind, ClientQueryAnswer::Kind::kRewrite);
  EXPECT_EQ(InterceptClientQuery("select version()").kind, ClientQueryAnswer::Kind::kRewrite);
  EXPECT_EQ(InterceptClientQuery("SET threads = 2").kind, ClientQueryAnswer::Kind::kPass);
  EXPECT_EQ(InterceptClientQuery("SELECT 1").kind, ClientQueryAnswer::Kind::kPass);
}

TEST(PgErrors, MapsDuckDbErrorsToSqlStateAndPosition) {
  std::string sql = "SELECT * FROM nope";
  auto e = ErrorFromStatus(Status::InvalidArgument("Catalog Error: Table with name nope does not exist!\nDid you mean "
                                                   "\"x\"?\n\nLINE 1: SELECT * FROM nope\n                      ^"),
                           sql);
  EXPECT_EQ(e.sqlstate, "42P01");
  EXPECT_EQ(e.position, 15);
  EXPECT_EQ(e.message, "Catalog Error: Table with name nope does not exist!\nDid you mean \"x\"?");
  EXPECT_EQ(ErrorFromStatus(Status::InvalidArgument("Parser Error: syntax error at or near \"SELEC\""), "").sqlstate,
            "42601");
  EXPECT_EQ(ErrorFromStatus(Status::Cancelled("the statement was cancelled"), "").sqlstate, "57014");
  EXPECT_EQ(ErrorFromStatus(Status::ResourceExhausted("Out of Memory Error: x"), "").sqlstate, "53200");
  EXPECT_EQ(ErrorFromStatus(Status::InvalidArgument("Conversion Error: Could not convert"), "").sqlstate, "22P02");
  EXPECT_EQ(ErrorFromStatus(Status::Internal("boom"), "").sqlstate, "XX000");
}

TEST(PgSqlText, CastParametersWrapsTypedParametersOutsideQuotesAndComments) {
  EXPECT_EQ(
      sql::CastParameters("SELECT $1::BIGINT + 1, '$2', $2 /* $1 */, $$ $1 $$, a$1, $3", {"BIGINT", "VARCHAR", ""}),
      "SELECT CAST($1 AS BIGINT)::BIGINT + 1, '$2', CAST($2 AS VARCHAR) /* $1 */, $$ $1 $$, a$1, $3");
  EXPECT_EQ(sql::CastParameters("SELECT $10, $", {"", "", "", "", "", "", "", "", "", "DATE"}),
            "SELECT CAST($10 AS DATE), $");
}

TEST(PgClientQueries, CatalogQueriesGoToTheCatalogShim) {
  auto a = InterceptClientQuery(
      "SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a, pg_catalog.pg_am m, "
      "information_schema.\"columns\" c WHERE a.attrelid = '7'");
  ASSERT_EQ(a.kind, ClientQueryAnswer::Kind::kRewrite);
  EXPECT_EQ(a.sql,
            "SELECT lagoa_pg.format_type(a.atttypid, a.atttypmod) FROM lagoa_pg.pg_attribute a, pg_catalog.pg_am m, "
            "lagoa_pg.columns c WHERE a.attrelid = '7'");
  EXPECT_EQ(InterceptClientQuery("SELECT pg_catalog.array_to_string(n.x, ',') FROM pg_catalog.pg_namespace n "
                                 "WHERE n.nspname OPERATOR(pg_catalog.!~) '^pg_' AND n.nspname ~ 'a''b' AND y ~~ 'z'")
                .sql,
            "SELECT array_to_string(n.x, ',') FROM lagoa_pg.pg_namespace n "
            "WHERE n.nspname  !~ '.*(?:^pg_).*' AND n.nspname ~ '.*(?:a''b).*' AND y ~~ 'z'");
  EXPECT_EQ(InterceptClientQuery("SELECT format_type(23, -1)").kind, ClientQueryAnswer::Kind::kPass);  // no catalog
}

}  // namespace
}  // namespace lagoa::pg::pg
