// Statement handlers: a module adds a statement to the engine by giving it a handler
// (SqlEngineOptions::statement_handlers), without editing the session. The real engine on a
// temporary directory, with a handler for `REMEMBER 'text'` that the test owns.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "lake/lake_test_util.h"
#include "sql/sql_engine.h"
#include "sql/sql_test_util.h"

namespace lagoa::sql {
namespace {

using lake::testing_util::TempDir;

// `REMEMBER 'text'`: appends text to a list when executed; no rows.
class RememberHandler final : public StatementHandler {
 public:
  std::string_view name() const override { return "remember"; }
  bool Claims(std::string_view statement) const override {
    while (!statement.empty() && (statement.front() == ' ' || statement.front() == '\n')) statement.remove_prefix(1);
    return statement.starts_with("REMEMBER '");
  }
  Result<std::unique_ptr<Statement>> Prepare(std::string_view statement, Session&) const override {
    const size_t open = statement.find('\'');
    const size_t close = statement.rfind('\'');
    if (close == open) return Status::InvalidArgument("REMEMBER: the text has no closing quote");
    return std::unique_ptr<Statement>(
        new Remember(const_cast<RememberHandler*>(this), std::string(statement.substr(open + 1, close - open - 1))));
  }

  std::vector<std::string> remembered() const {
    std::lock_guard lock(mu_);
    return remembered_;
  }

 private:
  class NoRows final : public Cursor {
   public:
    const std::vector<ResultColumn>& columns() const override { return columns_; }
    Result<std::unique_ptr<ResultChunk>> Next() override { return std::unique_ptr<ResultChunk>(); }
    int64_t changed_rows() const override { return -1; }

   private:
    std::vector<ResultColumn> columns_;
  };
  class Remember final : public Statement {
   public:
    Remember(RememberHandler* handler, std::string text) : handler_(handler), text_(std::move(text)) {}
    StatementKind kind() const override { return StatementKind::kOther; }
    size_t param_count() const override { return 0; }
    ColumnType param_type(size_t) const override { return {}; }
    const std::vector<ResultColumn>& columns() const override { return columns_; }
    bool columns_known() const override { return true; }
    Result<std::unique_ptr<Cursor>> Execute(std::span<const Param>) override {
      std::lock_guard lock(handler_->mu_);
      handler_->remembered_.push_back(text_);
      return std::unique_ptr<Cursor>(new NoRows());
    }

   private:
    RememberHandler* handler_;
    std::string text_;
    std::vector<ResultColumn> columns_;
  };

  mutable std::mutex mu_;
  std::vector<std::string> remembered_;  // guarded by mu_
};

TEST(StatementHandlers, AModuleAddsAStatementWithoutEditingTheSession) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "tmp");
  auto handler = std::make_shared<RememberHandler>();
  SqlEngineOptions options;
  options.lake_dir = dir.path() / "lake";
  options.temp_dir = dir.path() / "tmp";
  options.tables_dir = dir.path() / "tables";
  options.files_dir = dir.path() / "files";
  options.statement_handlers.push_back(handler);
  auto engine = SqlEngine::Make(options, nullptr, nullptr, nullptr);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto session = (*engine)->OpenSession();
  ASSERT_TRUE(session.ok());
  Session& s = **session;

  // Between DuckDB's statements and lagoa's own (a lake table), in the order written.
  EXPECT_EQ(testing_util::RowsOrError(s,
                                      "CREATE TABLE t (a INTEGER); REMEMBER 'one'; INSERT INTO t VALUES (1), (2);"
                                      " REMEMBER 'two'; SELECT sum(a) FROM t"),
            std::vector<std::string>{"3"});
  EXPECT_EQ(handler->remembered(), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(testing_util::RowsOrError(s, "REMEMBER 'three"),
            std::vector<std::string>{"error: InvalidArgument: REMEMBER: the text has no closing quote"});
  // What it does not claim stays DuckDB's, errors included.
  EXPECT_NE(testing_util::RowsOrError(s, "REMEMBER three")[0].find("syntax error"), std::string::npos);
  EXPECT_EQ(handler->remembered().size(), 2u);
}

}  // namespace
}  // namespace lagoa::sql
