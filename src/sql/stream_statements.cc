// CREATE STREAM, DROP STREAM and INSERT INTO a stream (lake_write_internal.h recognizes them).
//
//   CREATE STREAM [IF NOT EXISTS] name [(column TYPE, …)] [WITH (option = value, …)]
//
// The columns are lagoa's column list (schema::ParseColumns, as the REST API's "schema"); the
// options are those of a stream definition: partitions = N, event_time = 'column',
// infer = true|false, lake = true|false, partition_by = 'date(column)'. The definition is built as
// the REST API's JSON body and read by the same parser, so both front doors accept the same
// streams with the same errors.
//
// INSERT INTO stream … runs DuckDB's INSERT into a temporary stage table with the stream's latest
// columns (so VALUES, column lists, SELECTs, parameters and casts are DuckDB's), then sends the
// staged rows as NDJSON through the ingest path (SqlEngineOptions::ingest): the same encoding,
// event time, inference, dead-letter stream and durability as POST /v1/streams/NAME/events, in
// bodies of at most ingest_body_bytes (each one acknowledged on its own).
#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>

#include "base/json_writer.h"
#include "base/parse_number.h"
#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "schema/schema.h"
#include "sql/session_internal.h"
#include "sql/sql_text.h"

namespace lagoa::sql::internal {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// The end of the parenthesized group opening at tokens[open] (the index of its ')').
Result<size_t> Closing(const std::vector<SqlToken>& tokens, size_t open, std::string_view what) {
  int depth = 0;
  for (size_t i = open; i < tokens.size(); ++i) {
    if (tokens[i].kind != SqlToken::Kind::kSymbol) continue;
    if (tokens[i].text == "(") ++depth;
    if (tokens[i].text == ")" && --depth == 0) return i;
  }
  return Status::InvalidArgument(fmt::format("CREATE STREAM: the {} has no closing ')'", what));
}

// One option's value as JSON: 'text' a string, true/false a boolean, digits a number.
Status WriteOptionValue(JsonWriter& json, std::string_view key, std::string_view value) {
  if (std::optional<std::string> text = PlainStringValue(value)) {
    json.String(*text);
  } else if (value == "true" || value == "TRUE" || value == "false" || value == "FALSE") {
    json.Bool(value[0] == 't' || value[0] == 'T');
  } else if (std::optional<int64_t> number = ParseInteger<int64_t>(value); number && *number >= 0) {
    json.Int(*number);
  } else {
    return Status::InvalidArgument(
        fmt::format("CREATE STREAM: option {} = {}: expected a 'string', true, false or a number", key, value));
  }
  return Status::Ok();
}

// The REST API's JSON stream definition for the text after the stream's name.
Result<std::string> DefinitionJson(std::string_view rest) {
  const std::vector<SqlToken> tokens = LeadingTokens(rest, SIZE_MAX);
  JsonWriter json;
  json.BeginObject();
  size_t at = 0;
  if (at < tokens.size() && tokens[at].text == "(" && tokens[at].kind == SqlToken::Kind::kSymbol) {
    LAGOA_ASSIGN_OR_RETURN(size_t close, Closing(tokens, at, "column list"));
    json.Key("schema").String(Trim(rest.substr(tokens[at].end, tokens[close].begin - tokens[at].end)));
    at = close + 1;
  }
  if (at < tokens.size()) {
    if (!tokens[at].Is("WITH") || at + 1 >= tokens.size() || tokens[at + 1].text != "(") {
      return Status::InvalidArgument(
          fmt::format("CREATE STREAM: expected \"(columns)\" or \"WITH (option = value, …)\" at \"{}\"",
                      rest.substr(tokens[at].begin)));
    }
    LAGOA_ASSIGN_OR_RETURN(size_t close, Closing(tokens, at + 1, "WITH list"));
    if (close + 1 < tokens.size()) {
      return Status::InvalidArgument(
          fmt::format("CREATE STREAM: unexpected \"{}\" after the WITH list", rest.substr(tokens[close + 1].begin)));
    }
    bool lake_object = false;
    std::string partition_by;
    std::optional<bool> lake_enabled;
    for (size_t i = at + 2; i < close;) {
      if (!tokens[i].IsName() || i + 1 >= close || tokens[i + 1].text != "=") {
        return Status::InvalidArgument(
            fmt::format("CREATE STREAM: expected option = value at \"{}\"",
                        rest.substr(tokens[i].begin, tokens[close].begin - tokens[i].begin)));
      }
      std::string key = tokens[i].text;
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t end = i + 2;
      while (end < close && tokens[end].text != ",") ++end;
      if (end == i + 2) return Status::InvalidArgument(fmt::format("CREATE STREAM: option {} has no value", key));
      const std::string_view value = Trim(rest.substr(tokens[i + 2].begin, tokens[end - 1].end - tokens[i + 2].begin));
      if (key == "lake") {
        lake_enabled = value == "true" || value == "TRUE";
        if (!lake_enabled && value != "false" && value != "FALSE") {
          return Status::InvalidArgument(fmt::format("CREATE STREAM: option lake = {}: expected true or false", value));
        }
        lake_object = true;
      } else if (key == "partition_by") {
        partition_by = std::string(Trim(value));
        if (partition_by.size() >= 2 && partition_by.front() == '\'')
          partition_by = partition_by.substr(1, partition_by.size() - 2);
        lake_object = true;
      } else if (key == "partitions" || key == "event_time" || key == "infer") {
        json.Key(key);
        LAGOA_RETURN_IF_ERROR(WriteOptionValue(json, key, value));
      } else {
        return Status::InvalidArgument(fmt::format(
            "CREATE STREAM: unknown option \"{}\"; expected partitions, event_time, infer, lake or partition_by", key));
      }
      i = end + 1;
    }
    if (lake_object) {
      json.Key("lake").BeginObject();
      if (lake_enabled) json.Key("enabled").Bool(*lake_enabled);
      if (!partition_by.empty()) json.Key("partition_by").String(partition_by);
      json.EndObject();
    }
  }
  json.EndObject();
  return json.Take();
}

class DoneStatement final : public Statement {
 public:
  DoneStatement(SessionImpl* session, LakeWriteText ddl) : session_(session), ddl_(std::move(ddl)) {}
  StatementKind kind() const override {
    return ddl_.kind == LakeWriteKind::kDropStream ? StatementKind::kDrop : StatementKind::kCreate;
  }
  size_t param_count() const override { return 0; }
  ColumnType param_type(size_t) const override { return ColumnType{TypeKind::kOther, "UNKNOWN", 0, 0}; }
  const std::vector<ResultColumn>& columns() const override { return no_columns_; }
  bool columns_known() const override { return true; }

  Result<std::unique_ptr<Cursor>> Execute(std::span<const Param> params) override {
    if (!params.empty()) return Status::InvalidArgument("stream DDL takes no parameters");
    session_->NextGeneration();
    if (session_->InTransaction()) {
      return Status::InvalidArgument(fmt::format(
          "{} STREAM \"{}\" takes effect at once and cannot be part of a transaction; COMMIT or ROLLBACK first",
          ddl_.kind == LakeWriteKind::kDropStream ? "DROP" : "CREATE", ddl_.table));
    }
    LAGOA_RETURN_IF_ERROR(ddl_.kind == LakeWriteKind::kDropStream ? Drop() : Create());
    return std::unique_ptr<Cursor>(new NoRowsCursor(-1));
  }

 private:
  Status Create() {
    EngineShared& shared = session_->shared();
    if (shared.streams == nullptr) return Status::FailedPrecondition("CREATE STREAM: this engine serves no streams");
    const std::string& name = ddl_.table;
    const bool taken_by_table = (shared.attached != nullptr && shared.attached->Find(name)) ||
                                (shared.lake_tables != nullptr && shared.lake_tables->Find(name));
    if (shared.streams->Find(name) || taken_by_table) {
      if (ddl_.if_exists && !taken_by_table) return Status::Ok();
      return Status::AlreadyExists(
          fmt::format("CREATE STREAM: a {} called \"{}\" exists already", taken_by_table ? "table" : "stream", name));
    }
    LAGOA_ASSIGN_OR_RETURN(std::string json, DefinitionJson(ddl_.rest));
    Result<schema::StreamDefinition> definition = schema::StreamDefinitionFromJson(name, json);
    if (!definition.ok()) return definition.status().WithContext(fmt::format("CREATE STREAM \"{}\"", name));
    definition->created_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return shared.streams->Create(std::move(definition).value())
        .status()
        .WithContext(fmt::format("CREATE STREAM \"{}\"", name));
  }

  Status Drop() {
    EngineShared& shared = session_->shared();
    if (shared.streams == nullptr || !shared.options.drop_stream) {
      return Status::FailedPrecondition("DROP STREAM: this engine cannot drop streams");
    }
    if (!shared.streams->Find(ddl_.table)) {
      if (ddl_.if_exists) return Status::Ok();
      return Status::NotFound(fmt::format("DROP STREAM: no stream is called \"{}\"", ddl_.table));
    }
    return shared.options.drop_stream(ddl_.table).WithContext(fmt::format("DROP STREAM \"{}\"", ddl_.table));
  }

  SessionImpl* session_;
  LakeWriteText ddl_;
  std::vector<ResultColumn> no_columns_;
};

// A value of a stream column as the JSON the ingest path reads: timestamps in RFC 3339.
std::string JsonValueSql(const schema::Field& field) {
  const std::string name = schema::QuoteIdentifier(field.name);
  switch (field.type.id()) {
    case schema::TypeId::kTimestampTz:
      return fmt::format("strftime(timezone('UTC', {}), '%Y-%m-%dT%H:%M:%S.%fZ')", name);
    case schema::TypeId::kTimestamp:
      return fmt::format("strftime({}, '%Y-%m-%dT%H:%M:%S.%f')", name);
    default:
      return name;
  }
}

class InsertStreamStatement final : public Statement {
 public:
  InsertStreamStatement(SessionImpl* session, LakeWriteText insert) : session_(session), insert_(std::move(insert)) {
    stage_ = fmt::format("lagoa_stream_stage_{}", reinterpret_cast<uintptr_t>(this));
  }
  ~InsertStreamStatement() override {
    if (prepared_ != nullptr) duckdb_destroy_prepare(&prepared_);
    if (staged_) {
      session_->NextGeneration();  // a statement on the connection ends any result still streaming
      session_->Exec(fmt::format("DROP TABLE IF EXISTS {}", stage_)).IgnoreError();
    }
  }

  Status Prepare() {
    session_->NextGeneration();  // statements run on the connection from here on
    EngineShared& shared = session_->shared();
    std::optional<ingest::StreamHandle> stream = shared.streams->Find(insert_.table);
    if (!stream) return Status::NotFound(fmt::format("INSERT: stream \"{}\" does not exist", insert_.table));
    definition_ = stream->definition;
    std::vector<std::string> columns;
    std::vector<std::string> values;
    for (const schema::Field& field : definition_->latest().fields) {
      columns.push_back(fmt::format("{} {}", schema::QuoteIdentifier(field.name), field.type.ToSql()));
      values.push_back(fmt::format("{} AS {}", JsonValueSql(field), schema::QuoteIdentifier(field.name)));
    }
    if (columns.empty()) {
      return Status::InvalidArgument(
          fmt::format("INSERT: stream \"{}\" has no columns yet (an inferred stream learns them from posted events)",
                      insert_.table));
    }
    LAGOA_RETURN_IF_ERROR(session_->Exec(fmt::format("CREATE TEMP TABLE {} ({})", stage_, fmt::join(columns, ", "))));
    staged_ = true;
    json_sql_ =
        fmt::format("SELECT to_json(r)::VARCHAR FROM (SELECT {} FROM {}) AS r", fmt::join(values, ", "), stage_);
    const std::string fill = fmt::format("INSERT INTO {} {}", stage_, insert_.rest);
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(session_->NamesIn(fill)));
    if (duckdb_prepare(session_->connection(), fill.c_str(), &prepared_) != DuckDBSuccess) {
      return NameTheStream(PrepareErrorStatus(duckdb_prepare_error(prepared_), "DuckDB could not prepare the INSERT"));
    }
    return Status::Ok();
  }

  StatementKind kind() const override { return StatementKind::kInsert; }
  size_t param_count() const override { return duckdb_nparams(prepared_); }
  ColumnType param_type(size_t index) const override { return ParamType(prepared_, index); }
  const std::vector<ResultColumn>& columns() const override { return no_columns_; }
  bool columns_known() const override { return true; }

  Result<std::unique_ptr<Cursor>> Execute(std::span<const Param> params) override {
    if (params.size() != param_count()) {
      return Status::InvalidArgument(
          fmt::format("the statement has {} parameters; {} values were given", param_count(), params.size()));
    }
    session_->NextGeneration();
    if (session_->InTransaction()) {
      return Status::InvalidArgument(fmt::format(
          "stream \"{}\": appended events are acknowledged at once and cannot be part of a transaction; COMMIT or "
          "ROLLBACK first",
          insert_.table));
    }
    session_->Begin();
    Result<int64_t> accepted = Run(params);
    session_->Exec(fmt::format("DELETE FROM {}", stage_)).IgnoreError();  // the insert's outcome matters
    session_->Finish();
    if (!accepted.ok()) return NameTheStream(accepted.status());
    return std::unique_ptr<Cursor>(new NoRowsCursor(*accepted));
  }

 private:
  Result<int64_t> Run(std::span<const Param> params) {
    LAGOA_RETURN_IF_ERROR(BindParams(prepared_, params));
    duckdb_result result;
    if (duckdb_execute_prepared(prepared_, &result) != DuckDBSuccess) {
      Status status = session_->ErrorStatus(duckdb_result_error_type(&result), duckdb_result_error(&result));
      duckdb_destroy_result(&result);
      return status;
    }
    duckdb_destroy_result(&result);
    if (duckdb_query(session_->connection(), json_sql_.c_str(), &result) != DuckDBSuccess) {
      Status status = session_->ErrorStatus(duckdb_result_error_type(&result), duckdb_result_error(&result));
      duckdb_destroy_result(&result);
      return status;
    }
    const EngineShared& shared = session_->shared();
    int64_t accepted = 0;
    Status status;
    std::string body;
    const idx_t rows = duckdb_row_count(&result);
    for (idx_t row = 0; row < rows && status.ok(); ++row) {
      char* json = duckdb_value_varchar(&result, 0, row);
      body += json != nullptr ? json : "{}";
      body += '\n';
      duckdb_free(json);
      if (body.size() >= shared.options.ingest_body_bytes || row + 1 == rows) {
        Result<int64_t> sent = shared.options.ingest(insert_.table, std::move(body));
        body.clear();
        if (sent.ok()) {
          accepted += *sent;
        } else {
          status = sent.status().WithContext(accepted > 0 ? fmt::format("after {} rows were appended", accepted)
                                                          : std::string("no row was appended"));
        }
      }
    }
    duckdb_destroy_result(&result);
    if (!status.ok()) return status;
    return accepted;
  }

  Status NameTheStream(const Status& status) const {
    return NameTheTarget(status, stage_, insert_.table, fmt::format("stream \"{}\"", insert_.table));
  }

  SessionImpl* session_;
  LakeWriteText insert_;
  std::string stage_;
  bool staged_ = false;
  std::shared_ptr<const schema::StreamDefinition> definition_;
  std::string json_sql_;
  duckdb_prepared_statement prepared_ = nullptr;
  std::vector<ResultColumn> no_columns_;
};

}  // namespace

Result<std::unique_ptr<Statement>> PrepareStreamDdl(SessionImpl* session, LakeWriteText write) {
  if (write.kind == LakeWriteKind::kInsertStream) {
    auto insert = std::make_unique<InsertStreamStatement>(session, std::move(write));
    LAGOA_RETURN_IF_ERROR(insert->Prepare());
    return std::unique_ptr<Statement>(std::move(insert));
  }
  if (write.kind == LakeWriteKind::kCreateStream) {
    // Syntax errors show at once, before anything runs.
    LAGOA_RETURN_IF_ERROR(DefinitionJson(write.rest).status());
  }
  return std::unique_ptr<Statement>(new DoneStatement(session, std::move(write)));
}

}  // namespace lagoa::sql::internal
