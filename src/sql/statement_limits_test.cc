// The limits on SQL text entering the engine (statement_limits_internal.h): the lexer's counts,
// refusals that name what was found, the limit and its key, and how cancels, the statement timeout
// and SqlEngine::Stop act on a statement DuckDB is planning (which it cannot interrupt).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "lake/lake_test_util.h"
#include "sql/sql_engine.h"
#include "sql/sql_test_util.h"
#include "sql/sql_text.h"

namespace lagoa::sql {
namespace {

using lake::testing_util::TempDir;
using testing_util::RunStatements;

// SELECT … WHERE x = 0 OR x = 1 … with `terms` equalities: terms - 1 OR operators.
std::string OrChain(size_t terms) {
  std::string sql = "SELECT count(*) FROM range(10) t(x) WHERE x = 0";
  for (size_t i = 1; i < terms; ++i) sql += fmt::format(" OR x = {}", i);
  return sql;
}

// `open` `depth` times around `inner`, each closed by `close`.
std::string Nested(std::string_view open, std::string_view inner, std::string_view close, size_t depth) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < depth; ++i) sql += open;
  sql += inner;
  for (size_t i = 0; i < depth; ++i) sql += close;
  return sql;
}

TEST(SqlStatementShape, CountsAndOrAndBracketsOutsideQuotesAndComments) {
  const StatementShape shape = MeasureStatement(
      "SELECT 'a AND b', \"or\", $$ ( or $$ FROM t -- OR ((\n"
      "WHERE a AND b OR (c and [d, {'k': (e)}]) /* AND ( */ AND x BETWEEN 1 AND 2 AND android");
  EXPECT_EQ(shape.boolean_operators, 6u);
  EXPECT_EQ(shape.nesting_depth, 4u);
  EXPECT_EQ(shape.lambda_depth, 0u);
}

TEST(SqlStatementShape, LambdasCountOnlyInsideOneAnother) {
  EXPECT_EQ(MeasureStatement("SELECT list_transform(l, x -> x + 1), list_filter(l, (x, i) -> x > i)").lambda_depth, 1u);
  EXPECT_EQ(MeasureStatement("SELECT list_transform(l, x -> list_transform(x, y -> [y, z -> z]))").lambda_depth, 3u);
  EXPECT_EQ(MeasureStatement("SELECT list_transform(l, lambda x: list_filter(x, lambda y: y > 0))").lambda_depth, 2u);
  EXPECT_EQ(MeasureStatement("SELECT j ->> 'a', '->' FROM t").lambda_depth, 0u);
}

class SqlStatementLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeEngine(SqlEngineOptions::Defaults()); }

  void MakeEngine(SqlEngineOptions options) {
    session_.reset();
    engine_.reset();
    options.lake_dir = dir_.path() / "lake";
    options.temp_dir = dir_.path() / "tmp";
    auto engine = SqlEngine::Make(options, nullptr, nullptr, nullptr);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    session_ = Open();
  }

  std::unique_ptr<Session> Open() {
    auto session = engine_->OpenSession();
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() ? std::move(*session) : nullptr;
  }

  // Expects `status` to be InvalidArgument holding every one of `parts`.
  static void ExpectRefused(const Status& status, std::initializer_list<std::string_view> parts) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    for (std::string_view part : parts) EXPECT_NE(status.message().find(part), std::string::npos) << status.ToString();
  }

  TempDir dir_;
  std::unique_ptr<SqlEngine> engine_;
  std::unique_ptr<Session> session_;
};

TEST_F(SqlStatementLimitsTest, TextLongerThanTheLimitIsRefusedNamingItsSizeTheLimitAndTheKey) {
  const std::string text = "SELECT length('" + std::string(300u << 10, 'x') + "')";
  ExpectRefused(session_->Parse(text).status(),
                {fmt::format("{} bytes", text.size()), "at most 262144", "`sql_text_bytes_max`"});
  ExpectRefused(session_->Prepare(text).status(), {"`sql_text_bytes_max`"});  // PostgreSQL's extended query
  EXPECT_EQ(RunStatements(*session_, "SELECT length('" + std::string(200u << 10, 'x') + "')").value(),
            std::vector<std::string>{"204800"});
}

TEST_F(SqlStatementLimitsTest, LongOrChainIsRefusedBeforeDuckDbPlansIt) {
  // 20,000 terms fit in 256 KiB; DuckDB 1.4 took 11 s to plan them (4 s for 10,000: quadratic).
  const std::string chain = OrChain(20'000);
  ASSERT_LT(chain.size(), SqlEngineOptions::Defaults().text_bytes_max);
  const auto start = std::chrono::steady_clock::now();
  ExpectRefused(session_->Parse(chain).status(),
                {"the statement has 19999 AND/OR operators", "at most 2048", "`sql_boolean_operators_max`"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ExpectRefused(session_->Parse("SELECT 1; " + chain).status(), {"statement 2 has 19999 AND/OR operators"});
  EXPECT_EQ(RunStatements(*session_, OrChain(2049)).value(), std::vector<std::string>{"10"});
}

TEST_F(SqlStatementLimitsTest, DeepNestingIsRefused) {
  ExpectRefused(session_->Parse(Nested("abs(", "1", ")", 300)).status(),
                {"nests brackets ( [ { 300 deep", "at most 128", "`sql_nesting_depth_max`"});
  EXPECT_EQ(RunStatements(*session_, Nested("abs(", "-1", ")", 128)).value(), std::vector<std::string>{"1"});
  const std::string lambdas = Nested("list_transform([1], y -> ", "y", ")", 9);
  ExpectRefused(session_->Parse(lambdas).status(), {"nests lambdas (`->` or LAMBDA) 9 deep", "at most 8"});
  EXPECT_EQ(RunStatements(*session_, Nested("list_transform([1], y -> ", "y", ")", 8)).value(),
            std::vector<std::string>{"[[[[[[[[1]]]]]]]]"});
}

// The chain below takes DuckDB a third of a second or more to plan, in which it looks at no interrupt.
constexpr size_t kSlowToPlanTerms = 3000;

TEST_F(SqlStatementLimitsTest, TimeoutDuringPlanningFailsTheStatementWhenPlanningEnds) {
  SqlEngineOptions options = SqlEngineOptions::Defaults();
  options.boolean_operators_max = 1'000'000;
  options.statement_timeout_ms = std::chrono::milliseconds(20);
  MakeEngine(options);
  auto prepared = session_->Prepare(OrChain(kSlowToPlanTerms));
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.status().code(), StatusCode::kDeadlineExceeded) << prepared.status().ToString();
  EXPECT_NE(prepared.status().message().find("while DuckDB planned it"), std::string::npos);
  EXPECT_EQ(RunStatements(*session_, "SELECT 1").value(), std::vector<std::string>{"1"});
}

TEST_F(SqlStatementLimitsTest, CancelDuringPlanningFailsTheStatement) {
  SqlEngineOptions options = SqlEngineOptions::Defaults();
  options.boolean_operators_max = 1'000'000;
  MakeEngine(options);
  ASSERT_TRUE(session_->Parse(OrChain(kSlowToPlanTerms)).ok());
  // Cancel does nothing while no statement is planned or runs: the canceller tries until it ends.
  std::atomic<bool> done{false};
  std::thread canceller([&] {
    while (!done.load()) {
      session_->Cancel();
      std::this_thread::yield();
    }
  });
  auto prepared = session_->PrepareParsed(0);
  done = true;
  canceller.join();
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.status().code(), StatusCode::kCancelled) << prepared.status().ToString();
  EXPECT_EQ(RunStatements(*session_, "SELECT 1").value(), std::vector<std::string>{"1"});
}

TEST_F(SqlStatementLimitsTest, StopInterruptsRunningStatementsAndRefusesNewOnes) {
  std::unique_ptr<Session> other = Open();
  Result<std::vector<std::string>> running = Status::Internal("not run");
  std::thread query([&] { running = RunStatements(*other, "SELECT count(*) FROM range(1000000000000) a"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto stop = std::chrono::steady_clock::now();
  engine_->Stop();
  query.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, std::chrono::seconds(5));
  EXPECT_EQ(running.status().code(), StatusCode::kCancelled) << running.status().ToString();
  auto refused = RunStatements(*session_, "SELECT 1");
  EXPECT_EQ(refused.status().code(), StatusCode::kCancelled) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("the server is stopping"), std::string::npos);
}

}  // namespace
}  // namespace lagoa::sql
