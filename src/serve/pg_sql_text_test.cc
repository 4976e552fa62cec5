#include "serve/pg_sql_text.h"

#include <gtest/gtest.h>

#include "serve/pg_client_queries.h"
#include "serve/pg_errors.h"

namespace lagoa::serve::pg {
namespace {

TEST(PgSqlText, SplitsStatementsOutsideQuotesAndComments) {
  auto s = SplitStatements("SELECT 'a;b'; -- c;d\n SELECT \"x;\" /* ; /* nested; */ */ FROM t;;  ; SELECT $$;$$, $q$;$q$");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "SELECT 'a;b'");
  EXPECT_EQ(s[1], "-- c;d\n SELECT \"x;\" /* ; /* nested; */ */ FROM t");
  EXPECT_EQ(s[2], "SELECT $$;$$, $q$;$q$");
  EXPECT_TRUE(SplitStatements("  ; -- only a comment\n").empty());
  EXPECT_EQ(SplitStatements("SELECT E'\\';'").size(), 1u);
  EXPECT_EQ(SplitStatements("SELECT 'unterminated; SELECT 2").size(), 1u);
}

TEST(PgSqlText, ReadsLeadingKeywordsAndNormalizes) {
  EXPECT_EQ(LeadingKeywords("/* x */ create or replace TEMP view v AS SELECT 1", 4),
            (std::vector<std::string>{"CREATE", "OR", "REPLACE", "TEMP"}));
  EXPECT_EQ(LeadingKeywords("(SELECT 1)", 1), (std::vector<std::string>{"SELECT"}));
  EXPECT_TRUE(LeadingKeywords("'x'", 1).empty());
  EXPECT_EQ(NormalizeSql("  SET  extra_float_digits\n = 3 -- c\n;"), "SET extra_float_digits = 3");
  EXPECT_EQ(NormalizeSql("SELECT '  a  '"), "SELECT '  a  '");
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
  EXPECT_EQ(ErrorFromStatus(Status::InvalidArgument("Parser Error: syntax error at or near \"SELEC\""), "").sqlstate, "42601");
  EXPECT_EQ(ErrorFromStatus(Status::Cancelled("the statement was cancelled"), "").sqlstate, "57014");
  EXPECT_EQ(ErrorFromStatus(Status::ResourceExhausted("Out of Memory Error: x"), "").sqlstate, "53200");
  EXPECT_EQ(ErrorFromStatus(Status::InvalidArgument("Conversion Error: Could not convert"), "").sqlstate, "22P02");
  EXPECT_EQ(ErrorFromStatus(Status::Internal("boom"), "").sqlstate, "XX000");
}

}  // namespace
}  // namespace lagoa::serve::pg
