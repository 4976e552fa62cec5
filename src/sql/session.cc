// Sessions, prepared statements and cursors over one DuckDB connection each.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "base/parse_number.h"
#include "catalog/catalog.h"
#include "ingest/stream_registry.h"
#include "schema/types.h"
#include "sql/result_chunk_internal.h"
#include "sql/session_internal.h"
#include "sql/sql_text.h"
#include "sql/statement_limits_internal.h"
#include "sql/statement_policy_internal.h"

namespace lagoa::sql::internal {
namespace {

StatementKind KindOf(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
      return StatementKind::kSelect;
    case DUCKDB_STATEMENT_TYPE_INSERT:
      return StatementKind::kInsert;
    case DUCKDB_STATEMENT_TYPE_UPDATE:
      return StatementKind::kUpdate;
    case DUCKDB_STATEMENT_TYPE_DELETE:
      return StatementKind::kDelete;
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
      return StatementKind::kExplain;
    case DUCKDB_STATEMENT_TYPE_CREATE:
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC:
      return StatementKind::kCreate;
    case DUCKDB_STATEMENT_TYPE_DROP:
      return StatementKind::kDrop;
    case DUCKDB_STATEMENT_TYPE_ALTER:
      return StatementKind::kAlter;
    case DUCKDB_STATEMENT_TYPE_COPY:
      return StatementKind::kCopy;
    case DUCKDB_STATEMENT_TYPE_SET:
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET:
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
      return StatementKind::kSet;
    case DUCKDB_STATEMENT_TYPE_TRANSACTION:
      return StatementKind::kTransaction;
    default:
      return StatementKind::kOther;
  }
}

// Whether a statement of type `type` and text `text` may change a TimeZone (what
// EngineShared::timezone_set records); true when unsure.
bool MaySetTimeZone(duckdb_statement_type type, std::string_view text) {
  const bool setting = type == DUCKDB_STATEMENT_TYPE_SET || type == DUCKDB_STATEMENT_TYPE_PRAGMA ||
                       type == DUCKDB_STATEMENT_TYPE_VARIABLE_SET || type == DUCKDB_STATEMENT_TYPE_MULTI;
  return setting && (Mentions(text, "timezone") || Mentions(text, "time zone") || Mentions(text, "time_zone"));
}

// Whether a statement of type `type` and text `text` may define functions of its own (what
// EngineShared::user_functions records); true when unsure.
bool MayDefineFunctions(duckdb_statement_type type, std::string_view text) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_CREATE:
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC:
      return Mentions(text, "macro") || Mentions(text, "function");
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
      return Mentions(text, "import");
    case DUCKDB_STATEMENT_TYPE_ATTACH:
    case DUCKDB_STATEMENT_TYPE_LOAD:
    case DUCKDB_STATEMENT_TYPE_EXTENSION:
    case DUCKDB_STATEMENT_TYPE_MULTI:
      return true;
    default:
      return false;
  }
}

// The name a `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name` makes in the main schema, where
// streams and tables are relations too; nullopt for a temporary view, one in another schema, or
// any other statement.
std::optional<std::string> MainViewName(std::string_view text) {
  const std::vector<SqlToken> t = LeadingTokens(text, 12);
  size_t i = 0;
  const auto is = [&](size_t at, std::string_view word) { return at < t.size() && t[at].Is(word); };
  if (!is(i, "CREATE")) return std::nullopt;
  ++i;
  if (is(i, "OR") && is(i + 1, "REPLACE")) i += 2;
  if (!is(i, "VIEW")) return std::nullopt;  // TEMP and TEMPORARY views are the session's
  ++i;
  if (is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS")) i += 3;
  if (i >= t.size() || !t[i].IsName()) return std::nullopt;
  if (i + 2 < t.size() && t[i + 1].kind == SqlToken::Kind::kSymbol && t[i + 1].text == ".") {
    if (!schema::EqualsIgnoreCase(t[i].text, "main") || !t[i + 2].IsName()) return std::nullopt;
    return t[i + 2].text;
  }
  return t[i].text;
}

bool ReturnsChangedRows(StatementKind kind) {
  return kind == StatementKind::kInsert || kind == StatementKind::kUpdate || kind == StatementKind::kDelete ||
         kind == StatementKind::kCopy;
}

// DuckDB answers DML with one BIGINT "Count" row and DDL with an empty "Count" column: not rows a
// client asked for. Before execution only the columns tell; a SELECT is never taken for one,
// whatever its column is called. An executed result says what it is (IsCountResult below).
bool LooksLikeCountResult(StatementKind kind, const std::vector<ResultColumn>& columns) {
  return kind != StatementKind::kSelect && kind != StatementKind::kExplain && columns.size() == 1 &&
         columns[0].name == "Count" && columns[0].type.kind == TypeKind::kBigInt;
}

// DuckDB's own word on an executed result: changed rows (DML without RETURNING) or nothing (DDL),
// as opposed to rows of a query — `EXECUTE p` of `SELECT 'abc' AS "Count"` is a query.
bool IsCountResult(duckdb_result* result, const std::vector<ResultColumn>& columns) {
  const duckdb_result_type type = duckdb_result_return_type(*result);
  return (type == DUCKDB_RESULT_TYPE_CHANGED_ROWS || type == DUCKDB_RESULT_TYPE_NOTHING) && columns.size() == 1;
}

class CursorImpl final : public Cursor {
 public:
  CursorImpl(SessionImpl* session, uint64_t generation, std::unique_ptr<duck::ResultHandle> result,
             std::vector<ResultColumn> columns, std::shared_ptr<const ResultTypes> types)
      : session_(session),
        generation_(generation),
        result_(std::move(result)),
        columns_(std::move(columns)),
        types_(std::move(types)) {}
  ~CursorImpl() override {
    if (!done_ && session_->generation() == generation_) session_->Finish();
  }

  const std::vector<ResultColumn>& columns() const override { return columns_; }
  int64_t changed_rows() const override { return changed_rows_; }

  Result<std::unique_ptr<ResultChunk>> Next() override {
    if (done_) return std::unique_ptr<ResultChunk>();
    if (session_->generation() != generation_) {
      return Status::FailedPrecondition("the result was closed: its session ran another statement since");
    }
    duckdb_data_chunk chunk = duckdb_fetch_chunk(*result_->get());
    if (chunk == nullptr) {
      done_ = true;
      session_->Finish();
      const char* error = result_->error();
      if (error != nullptr) return session_->ErrorStatus(duckdb_result_error_type(result_->get()), error);
      return std::unique_ptr<ResultChunk>();
    }
    return MakeResultChunk(duck::DataChunkHandle(chunk), types_);
  }

  // Reads DuckDB's "Count" result (IsCountResult) into changed_rows (DML only) and hides it.
  Status ConsumeCount(bool changes_rows) {
    changed_rows_ = 0;
    while (true) {
      LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<ResultChunk> chunk, Next());
      if (chunk == nullptr) break;
      for (size_t row = 0; row < chunk->row_count(); ++row) {
        if (chunk->IsNull(0, row)) continue;
        std::string text;
        chunk->AppendText(0, row, &text);
        const std::optional<int64_t> count = ParseInteger<int64_t>(text);
        if (!count)
          return Status::Internal(fmt::format("DuckDB reported \"{}\" rows changed; expected a number", text));
        changed_rows_ += *count;
      }
    }
    columns_.clear();
    if (!changes_rows) changed_rows_ = -1;
    return Status::Ok();
  }

 private:
  SessionImpl* session_;
  uint64_t generation_;
  std::unique_ptr<duck::ResultHandle> result_;  // a pointer: DuckDB's streaming result must not move
  std::vector<ResultColumn> columns_;
  std::shared_ptr<const ResultTypes> types_;
  int64_t changed_rows_ = -1;
  bool done_ = false;
};

class StatementImpl final : public Statement {
 public:
  StatementImpl(SessionImpl* session, duck::PreparedHandle prepared, std::optional<std::vector<std::string>> names,
                std::optional<SkipFilter> filter, std::string_view text)
      : session_(session), prepared_(std::move(prepared)), names_(std::move(names)), filter_(std::move(filter)) {
    kind_ = KindOf(duckdb_prepared_statement_type(prepared_.get()));
    // A macro's definition; whether a transaction begins or ends.
    if (kind_ == StatementKind::kCreate || kind_ == StatementKind::kTransaction) text_ = std::string(text);
    const idx_t count = duckdb_prepared_statement_column_count(prepared_.get());
    for (idx_t c = 0; c < count; ++c) {
      duck::LogicalTypeHandle type(duckdb_prepared_statement_column_logical_type(prepared_.get(), c));
      // A parameter DuckDB could not type leaves a placeholder: one column of no type ("unknown").
      if (duckdb_get_type_id(type.get()) == DUCKDB_TYPE_INVALID) columns_known_ = false;
      // A copy the caller frees, though typed const.
      const char* name = duckdb_prepared_statement_column_name(prepared_.get(), c);
      columns_.push_back({name != nullptr ? name : "", DescribeType(type.get())});
      duckdb_free(const_cast<char*>(name));
    }
    if (!columns_known_) columns_.clear();
    if (LooksLikeCountResult(kind_, columns_)) columns_.clear();
  }
  StatementKind kind() const override { return kind_; }
  size_t param_count() const override { return duckdb_nparams(prepared_.get()); }
  ColumnType param_type(size_t index) const override { return ParamType(prepared_.get(), index); }
  const std::vector<ResultColumn>& columns() const override { return columns_; }
  bool columns_known() const override { return columns_known_; }

  Result<std::unique_ptr<Cursor>> Execute(std::span<const Param> params) override {
    if (params.size() != param_count()) {
      return Status::InvalidArgument(
          fmt::format("the statement has {} parameters; {} values were given", param_count(), params.size()));
    }
    const uint64_t generation = session_->NextGeneration();
    // The relations are brought up to date before every execution, so a statement prepared once
    // and executed many times still sees the latest lake snapshot and log tail.
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(names_, filter_ ? &*filter_ : nullptr));
    LAGOA_RETURN_IF_ERROR(BindParams(prepared_.get(), params));
    LAGOA_RETURN_IF_ERROR(session_->Begin());
    auto result = std::make_unique<duck::ResultHandle>();
    if (duckdb_execute_prepared_streaming(prepared_.get(), result->get()) != DuckDBSuccess) {
      Status status = MissingFilesOfAVersion(
          session_->ErrorStatus(duckdb_result_error_type(result->get()), result->error()), names_);
      session_->Finish();
      return status;
    }
    // A rollback undoes views made in its transaction, and a DROP may have dropped one: the
    // session re-creates them as needed (CREATE OR REPLACE).
    if (kind_ == StatementKind::kTransaction || kind_ == StatementKind::kDrop) session_->ForgetViews();
    // Columns unknown at prepare (a parameter's type) can be many only now.
    if (const idx_t count = duckdb_column_count(result->get()); count > kResultColumnsMax) {
      session_->Finish();
      return Status::InvalidArgument(
          fmt::format("the result has {} columns; lagoa returns at most {}", count, kResultColumnsMax));
    }
    duck::LogicalTypeList logical;
    std::vector<ResultColumn> columns;
    for (idx_t c = 0; c < duckdb_column_count(result->get()); ++c) {
      logical.push_back(duck::LogicalTypeHandle(duckdb_column_logical_type(result->get(), c)));
      columns.push_back({duckdb_column_name(result->get(), c), DescribeType(logical[c])});
    }
    for (const ResultColumn& column : columns) {
      if (column.type.readable) continue;
      session_->Finish();
      return Status::InvalidArgument(
          fmt::format("result column \"{}\" has type {}, which lagoa cannot send to clients; CAST it to VARCHAR",
                      column.name, column.type.sql));
    }
    const bool count_result = IsCountResult(result->get(), columns);
    auto cursor = std::make_unique<CursorImpl>(session_, generation, std::move(result), std::move(columns),
                                               MakeResultTypes(std::move(logical)));
    if (count_result) {
      LAGOA_RETURN_IF_ERROR(cursor->ConsumeCount(ReturnsChangedRows(kind_)));
      LAGOA_RETURN_IF_ERROR(session_->KeepSqlObjects(kind_, text_));
    }
    return std::unique_ptr<Cursor>(std::move(cursor));
  }

 private:
  SessionImpl* session_;
  duck::PreparedHandle prepared_;
  std::optional<std::vector<std::string>> names_;
  std::optional<SkipFilter> filter_;
  std::string text_;  // CREATE and transaction statements only
  StatementKind kind_;
  std::vector<ResultColumn> columns_;
  bool columns_known_ = true;
};

}  // namespace

ColumnType ParamType(duckdb_prepared_statement prepared, size_t index) {
  duck::LogicalTypeHandle type(prepared != nullptr ? duckdb_param_logical_type(prepared, index + 1) : nullptr);
  if (!type) return ColumnType{TypeKind::kOther, "UNKNOWN", 0, 0};
  return DescribeType(type.get());
}

Status UnreadableRelation(std::string_view name, std::string_view duckdb_error) {
  // A version before the latest whose files VACUUM deleted: DuckDB says only that a file is missing.
  if (name.find('@') != std::string_view::npos && duckdb_error.find("No files found") != std::string_view::npos) {
    return Status::NotFound(
        fmt::format("\"{}\": this version's files were deleted by VACUUM (it deletes files no version has used for "
                    "lake_vacuum_retention_hours); read a later version",
                    name));
  }
  return Status::InvalidArgument(fmt::format("defining the relation \"{}\": {}", name, duckdb_error));
}

Status MissingFilesOfAVersion(const Status& status, const std::optional<std::vector<std::string>>& names) {
  if (status.ok() || !names || status.message().find("No files found") == std::string::npos) return status;
  for (const std::string& name : *names) {
    if (name.find('@') != std::string::npos) return UnreadableRelation(name, status.message());
  }
  return status;
}

Status PrepareErrorStatus(const char* message, std::string_view fallback) {
  std::string text = message != nullptr ? message : std::string(fallback);
  // The C API gives a failed prepare's message only; DuckDB names the class in front of it.
  if (text.starts_with("Permission Error")) return Status::PermissionDenied(std::move(text));
  return Status::InvalidArgument(std::move(text));
}

Status NameTheTarget(const Status& status, const std::string& stage, const std::string& name,
                     std::string_view context) {
  std::string message = status.message();
  const std::string quoted = schema::QuoteIdentifier(name);
  for (size_t at = message.find(stage); at != std::string::npos; at = message.find(stage, at + quoted.size())) {
    message.replace(at, stage.size(), quoted);
  }
  return Status(status.code(), std::move(message)).WithContext(context);
}

Status BindParams(duckdb_prepared_statement prepared, std::span<const Param> params) {
  duckdb_clear_bindings(prepared);
  for (size_t index = 0; index < params.size(); ++index) {
    const Param& param = params[index];
    const idx_t at = index + 1;
    duckdb_state state = DuckDBSuccess;
    if (std::holds_alternative<std::monostate>(param)) {
      state = duckdb_bind_null(prepared, at);
    } else if (const bool* b = std::get_if<bool>(&param)) {
      state = duckdb_bind_boolean(prepared, at, *b);
    } else if (const int64_t* i = std::get_if<int64_t>(&param)) {
      state = duckdb_bind_int64(prepared, at, *i);
    } else if (const double* d = std::get_if<double>(&param)) {
      state = duckdb_bind_double(prepared, at, *d);
    } else {
      const auto& text = std::get<std::string>(param);
      state = duckdb_bind_varchar_length(prepared, at, text.data(), text.size());
    }
    if (state != DuckDBSuccess) {
      const char* error = duckdb_prepare_error(prepared);
      return Status::InvalidArgument(
          fmt::format("parameter ${}: {}", at, error != nullptr ? error : "DuckDB refused the value"));
    }
  }
  return Status::Ok();
}

std::optional<std::vector<std::string>> TableNames(duckdb_connection connection, const std::string& sql) {
  // Parameters make DuckDB's table-name reader fail; NULL in their place keeps the names (a
  // replacement inside a string literal changes no table name).
  std::string text;
  text.reserve(sql.size());
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '?' ||
        (sql[i] == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1])))) {
      text += " NULL ";
      if (sql[i] == '$') {
        while (i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) ++i;
      }
      continue;
    }
    text += sql[i];
  }
  duck::ValueHandle list(duckdb_get_table_names(connection, text.c_str(), false));
  if (!list) return std::nullopt;
  std::vector<std::string> names;
  const idx_t size = duckdb_get_list_size(list.get());
  for (idx_t i = 0; i < size; ++i) {
    duck::ValueHandle item(duckdb_get_list_child(list.get(), i));
    char* text = duckdb_get_varchar(item.get());
    if (text != nullptr) names.emplace_back(text);
    duckdb_free(text);
  }
  return names;
}

Result<std::unique_ptr<SessionImpl>> SessionImpl::Make(std::shared_ptr<EngineShared> shared) {
  LAGOA_ASSIGN_OR_RETURN(duck::ConnectionHandle connection, duck::Connect(shared->database.get()));
  LAGOA_ASSIGN_OR_RETURN(duck::ConnectionHandle names_connection, duck::Connect(shared->database.get()));
  duck::ClientContextHandle context;
  duckdb_connection_get_client_context(connection.get(), context.out());
  const idx_t connection_id = duckdb_client_context_get_connection_id(context.get());
  return std::unique_ptr<SessionImpl>(
      new SessionImpl(std::move(shared), std::move(connection), std::move(names_connection), connection_id));
}

SessionImpl::~SessionImpl() {
  extracted_.reset();
  connection_.reset();
  names_connection_.reset();
  shared_->tail_pins.Forget(connection_id_);
  std::lock_guard lock(shared_->mu);
  shared_->running.erase(this);
  --shared_->open_sessions;
}

Result<size_t> SessionImpl::Parse(std::string_view sql) {
  extracted_.reset();
  pieces_.clear();
  LAGOA_RETURN_IF_ERROR(CheckTextLimits(sql, shared_->options));
  // DuckDB reads the text up to a NUL; lagoa's checks would read past it.
  if (const size_t nul = sql.find('\0'); nul != std::string_view::npos) {
    return Status::InvalidArgument(fmt::format("the SQL text holds a NUL byte at byte {}", nul));
  }
  if (!shared_->handlers.empty()) {
    bool claimed = false;
    for (std::string_view text : SplitStatements(sql)) {
      pieces_.push_back({std::string(text), HandlerFor(text)});
      claimed = claimed || pieces_.back().handler != nullptr;
    }
    if (claimed) return pieces_.size();
    pieces_.clear();
  }
  const std::string text(sql);
  const idx_t count = duckdb_extract_statements(connection_.get(), text.c_str(), extracted_.out());
  const char* error = duckdb_extract_statements_error(extracted_.get());
  if (error != nullptr) return Status::InvalidArgument(error);
  parsed_text_ = text;
  if (count > 1) {
    // Several statements are prepared one by one from their own text, so that what lagoa checks
    // (the statement policy, lake writes, the names read) is exactly what DuckDB runs.
    for (std::string_view piece : SplitStatements(text)) pieces_.push_back({std::string(piece), nullptr});
    if (pieces_.size() != count) {
      const size_t found = pieces_.size();
      pieces_.clear();
      return Status::InvalidArgument(
          fmt::format("lagoa reads {} statements in this text where DuckDB reads {}; send the statements one at a time",
                      found, count));
    }
    return static_cast<size_t>(count);
  }
  parsed_names_ = count > 0 ? NamesIn(text) : std::vector<std::string>();
  return static_cast<size_t>(count);
}

Result<std::unique_ptr<Statement>> SessionImpl::PrepareParsed(size_t index) {
  // DuckDB does not look at an interrupt while it plans: a cancel or the timeout during planning
  // is only seen here, once planning ended, and fails the statement before it runs.
  LAGOA_RETURN_IF_ERROR(Begin());
  Result<std::unique_ptr<Statement>> prepared = PrepareParsedNow(index);
  Status interrupted = InterruptedStatus("while DuckDB planned it");
  Finish();
  if (!interrupted.ok()) return interrupted;
  return prepared;
}

Result<std::unique_ptr<Statement>> SessionImpl::PrepareParsedNow(size_t index) {
  if (!pieces_.empty()) {
    if (index >= pieces_.size()) return Status::InvalidArgument(fmt::format("no statement {} was parsed", index));
    Piece& piece = pieces_[index];
    // Earlier statements may have created or dropped what this one names.
    piece.handler = HandlerFor(piece.text);
    if (piece.handler != nullptr) return piece.handler->Prepare(piece.text, *this);
    const idx_t count = duckdb_extract_statements(connection_.get(), piece.text.c_str(), extracted_.out());
    const char* error = duckdb_extract_statements_error(extracted_.get());
    if (error != nullptr) return Status::InvalidArgument(error);
    if (count != 1) return Status::InvalidArgument(fmt::format("expected one statement in `{}`", piece.text));
    return PrepareExtracted(0, NamesIn(piece.text), &piece.text);
  }
  return PrepareExtracted(index, parsed_names_, &parsed_text_);
}

Status SessionImpl::Exec(const std::string& sql) {
  duck::ResultHandle result;
  if (duckdb_query(connection_.get(), sql.c_str(), result.get()) != DuckDBSuccess) {
    return ErrorStatus(duckdb_result_error_type(result.get()), result.error());
  }
  return Status::Ok();
}

const StatementHandler* SessionImpl::HandlerFor(std::string_view statement) const {
  for (const auto& handler : shared_->handlers) {
    if (handler->Claims(statement)) return handler.get();
  }
  return nullptr;
}

Result<std::unique_ptr<Statement>> SessionImpl::PrepareExtracted(size_t index,
                                                                 const std::optional<std::vector<std::string>>& names,
                                                                 const std::string* text) {
  NextGeneration();
  std::optional<SkipFilter> filter;
  if (text != nullptr) filter = SkipFilterFor(*text, names);
  LAGOA_RETURN_IF_ERROR(RefreshRelations(names, filter ? &*filter : nullptr));
  duck::PreparedHandle prepared;
  if (duckdb_prepare_extracted_statement(connection_.get(), extracted_.get(), index, prepared.out()) != DuckDBSuccess) {
    return MissingFilesOfAVersion(
        PrepareErrorStatus(duckdb_prepare_error(prepared.get()), "DuckDB could not prepare the statement"), names);
  }
  if (const idx_t columns = duckdb_prepared_statement_column_count(prepared.get()); columns > kResultColumnsMax) {
    return Status::InvalidArgument(
        fmt::format("the result has {} columns; lagoa returns at most {}", columns, kResultColumnsMax));
  }
  const duckdb_statement_type type = duckdb_prepared_statement_type(prepared.get());
  const std::string_view statement = text != nullptr ? std::string_view(*text) : std::string_view();
  LAGOA_RETURN_IF_ERROR(CheckStatementAllowed(type, statement, shared_->options.files_dir));
  if (type == DUCKDB_STATEMENT_TYPE_CREATE) {
    // DuckDB would make a view that a stream's or table's view of the same name hides.
    if (std::optional<std::string> view = MainViewName(statement)) {
      LAGOA_RETURN_IF_ERROR(shared_->object_catalog->CheckRelationNameFree(*view, "CREATE VIEW", catalog::kView));
    }
  }
  if (MayDefineFunctions(type, text != nullptr ? *text : parsed_text_)) shared_->user_functions = true;
  if (MaySetTimeZone(type, text != nullptr ? *text : parsed_text_)) shared_->timezone_set = true;
  return std::unique_ptr<Statement>(new StatementImpl(this, std::move(prepared), names, std::move(filter), statement));
}

std::optional<SkipFilter> SessionImpl::SkipFilterFor(const std::string& text,
                                                     const std::optional<std::vector<std::string>>& names) {
  if (!names || names->size() != 1 || shared_->user_functions) return std::nullopt;
  std::vector<std::string> lagoa_names = shared_->catalog->Names();
  if (std::find(lagoa_names.begin(), lagoa_names.end(), names->front()) == lagoa_names.end()) return std::nullopt;
  std::optional<std::string> serialized = SerializedSelect(names_connection_.get(), text);
  if (!serialized) return std::nullopt;
  std::optional<SkipFilter> filter = SkipFilterOf(*serialized);
  if (!filter || !schema::EqualsIgnoreCase(filter->table, names->front())) return std::nullopt;
  if (shared_->timezone_set) {
    std::erase_if(filter->predicates, [](const SkipPredicate& p) { return p.kind == LiteralKind::kTimestampTz; });
    if (filter->predicates.empty()) return std::nullopt;
  }
  filter->table = names->front();
  return filter;
}

Status SessionImpl::KeepSqlObjects(StatementKind kind, const std::string& text) {
  if (shared_->objects == nullptr) return Status::Ok();
  const bool defines = kind == StatementKind::kCreate || kind == StatementKind::kDrop ||
                       kind == StatementKind::kAlter || kind == StatementKind::kTransaction;
  if (!defines) return Status::Ok();
  if (kind == StatementKind::kCreate) {
    creates_.push_back(text);
    if (creates_.size() > kCreatesKeptMax) creates_.erase(creates_.begin());
  }
  if (kind == StatementKind::kTransaction) {
    const std::vector<SqlToken> head = LeadingTokens(text, 1);
    in_transaction_ = !head.empty() && (head[0].Is("BEGIN") || head[0].Is("START"));
  }
  // The committed catalog, read outside this session's transaction.
  Status kept = shared_->objects->Refresh(names_connection_.get(), creates_);
  if (!in_transaction_) creates_.clear();  // seen above, committed or rolled back
  return kept;
}

Result<std::unique_ptr<Statement>> SessionImpl::Prepare(std::string_view sql) {
  LAGOA_ASSIGN_OR_RETURN(size_t count, Parse(sql));
  if (count != 1) {
    return Status::InvalidArgument(fmt::format("expected exactly one SQL statement, found {}", count));
  }
  return PrepareParsed(0);
}

Status SessionImpl::RefreshRelations(const std::optional<std::vector<std::string>>& names, const SkipFilter* filter) {
  std::vector<std::string> lagoa_names = shared_->catalog->Names();
  auto is_lagoa = [&](std::string_view name) {
    return std::find(lagoa_names.begin(), lagoa_names.end(), name) != lagoa_names.end();
  };
  // What the statement names must be current, time travel names (NAME@v3) included; their
  // errors are the statement's.
  std::set<std::string> named;
  if (names) {
    for (const std::string& name : *names) {
      LAGOA_RETURN_IF_ERROR(RefreshRelation(name, filter != nullptr && filter->table == name ? filter : nullptr));
      named.insert(name);
    }
  }
  // Statements naming no table (SHOW TABLES, catalog queries) and names that are not lagoa's
  // (views over streams) may read any relation. A relation that cannot be read now (an attached
  // table whose files are gone) then goes missing rather than failing a statement that does not
  // name it.
  const bool all = !names || names->empty() ||
                   std::any_of(names->begin(), names->end(), [&](const std::string& n) { return !is_lagoa(n); });
  if (all) {
    for (const std::string& name : lagoa_names) {
      if (named.count(name) == 0 && !RefreshRelation(name, nullptr).ok()) DropView(name);
    }
  }
  // Views of relations lagoa no longer serves (a dropped stream) go too, and time travel views the
  // statement does not name (a kept session would gather one per version ever read).
  for (auto it = views_.begin(); it != views_.end();) {
    const bool keep = is_lagoa(it->first) || named.count(it->first) > 0;
    if (keep) {
      ++it;
      continue;
    }
    const std::string name = it->first;
    ++it;
    DropView(name);
  }
  return Status::Ok();
}

void SessionImpl::DropView(const std::string& name) {
  const std::string drop = fmt::format("DROP VIEW IF EXISTS temp.{}", schema::QuoteIdentifier(name));
  duck::ResultHandle result;
  duckdb_query(connection_.get(), drop.c_str(), result.get());
  views_.erase(name);
}

Status SessionImpl::RefreshRelation(const std::string& name, const SkipFilter* filter) {
  LAGOA_ASSIGN_OR_RETURN(std::optional<RelationDefinition> relation, shared_->catalog->Find(name, filter));
  if (!relation) {
    // Gone since this session made its view (a dropped stream or table): the name is DuckDB's again.
    if (views_.count(name) > 0) DropView(name);
    return Status::Ok();
  }
  // The view's tail starts where the snapshot its files come from ends, whether or not its text
  // changed (the text of a stream's view names those offsets as `pinned`).
  if (!relation->tail_from.empty()) shared_->tail_pins.Set(connection_id_, relation->name, relation->tail_from);
  auto known = views_.find(name);
  if (known != views_.end() && known->second == relation->key) return Status::Ok();
  // The comment marks the view as lagoa's for the PostgreSQL catalog shim (a table there).
  const std::string quoted = schema::QuoteIdentifier(name);
  const std::string create =
      fmt::format("CREATE OR REPLACE TEMP VIEW {0} AS {1}; COMMENT ON VIEW temp.main.{0} IS '{2}'", quoted,
                  relation->select, kRelationComment);
  duck::ResultHandle result;
  if (duckdb_query(connection_.get(), create.c_str(), result.get()) != DuckDBSuccess) {
    return UnreadableRelation(name, result.error());
  }
  views_[name] = relation->key;
  return Status::Ok();
}

Status SessionImpl::Begin() {
  timed_out_ = false;
  cancelled_ = false;
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->statements_stopped) return Status::Cancelled("the server is stopping: no statement starts");
    const auto timeout = shared_->options.statement_timeout_ms;
    deadline_ =
        timeout.count() > 0 ? std::chrono::steady_clock::now() + timeout : std::chrono::steady_clock::time_point::max();
    shared_->running.insert(this);
  }
  shared_->wake.notify_all();
  return Status::Ok();
}

void SessionImpl::Finish() {
  std::lock_guard lock(shared_->mu);
  shared_->running.erase(this);
}

void SessionImpl::InterruptForTimeout() {
  timed_out_ = true;
  deadline_ = std::chrono::steady_clock::time_point::max();
  duckdb_interrupt(connection_.get());
}

void SessionImpl::Cancel() {
  std::lock_guard lock(shared_->mu);
  if (shared_->running.count(this) == 0) return;
  cancelled_ = true;
  duckdb_interrupt(connection_.get());
}

void SessionImpl::InterruptForStop() {
  stopped_ = true;
  cancelled_ = true;
  duckdb_interrupt(connection_.get());
}

Status SessionImpl::InterruptedStatus(std::string_view when) const {
  const std::string suffix = when.empty() ? "" : fmt::format(" ({})", when);
  if (timed_out_) {
    return Status::DeadlineExceeded(fmt::format("the statement ran past the statement timeout of {} ms{}",
                                                shared_->options.statement_timeout_ms.count(), suffix));
  }
  if (cancelled_) {
    return Status::Cancelled(stopped_ ? "the statement was cancelled: the server is stopping"
                                      : "the statement was cancelled" + suffix);
  }
  return Status::Ok();
}

Status SessionImpl::ErrorStatus(duckdb_error_type type, const char* message) const {
  std::string text = message != nullptr ? message : "DuckDB failed without a message";
  if (Status interrupted = InterruptedStatus(""); !interrupted.ok()) return interrupted;
  if (type == DUCKDB_ERROR_OUT_OF_MEMORY) {
    return Status::LimitExceeded(fmt::format(
        "{}\n(the statement needs more memory than the server allows its SQL: sql_memory_limit for what DuckDB "
        "tracks, duckdb_memory_max for everything DuckDB allocates; make it use less — filter, aggregate, LIMIT — "
        "or raise them)",
        text));
  }
  if (type == DUCKDB_ERROR_PERMISSION) return Status::PermissionDenied(text);
  if (type == DUCKDB_ERROR_INTERNAL || type == DUCKDB_ERROR_FATAL) return Status::Internal(text);
  return Status::InvalidArgument(text);
}

}  // namespace lagoa::sql::internal
