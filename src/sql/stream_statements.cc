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
// columns (so VALUES, column lists, SELECTs, parameters and casts are DuckDB's), then encodes the
// staged rows as typed records (record_encoder_internal.h) and appends them through the ingest
// service (SqlEngineOptions::ingest), with the same event time and durability as POST
// /v1/streams/NAME/events, in batches of about ingest_batch_bytes, each acknowledged on its own.
// A value the stream cannot hold fails the statement, naming the row and column (the batches
// before it stay appended, and the error says how many rows they held).
#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>

#include "base/clock.h"
#include "base/json_writer.h"
#include "base/parse_number.h"
#include "catalog/catalog.h"
#include "ingest/ingest_service.h"
#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "schema/schema.h"
#include "sql/record_encoder_internal.h"
#include "sql/session_internal.h"
#include "sql/sql_text.h"
#include "sql/statement_policy_internal.h"

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
    if (ddl_.if_exists && shared.streams->Find(name)) return Status::Ok();
    LAGOA_RETURN_IF_ERROR(shared.object_catalog->CheckRelationNameFree(name, "CREATE STREAM"));
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

// A stage column as the records hold it: JSON minified (DuckDB keeps JSON text as written).
std::string StagedValueSql(const schema::Field& field) {
  const std::string name = schema::QuoteIdentifier(field.name);
  return field.type.id() == schema::TypeId::kJson ? fmt::format("json({}) AS {}", name, name) : name;
}

class InsertStreamStatement final : public Statement {
 public:
  InsertStreamStatement(SessionImpl* session, LakeWriteText insert) : session_(session), insert_(std::move(insert)) {
    stage_ = fmt::format("lagoa_stream_stage_{}", reinterpret_cast<uintptr_t>(this));
  }
  ~InsertStreamStatement() override {
    prepared_.reset();
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
      values.push_back(StagedValueSql(field));
    }
    if (columns.empty()) {
      return Status::InvalidArgument(
          fmt::format("INSERT: stream \"{}\" has no columns yet (an inferred stream learns them from posted events)",
                      insert_.table));
    }
    LAGOA_RETURN_IF_ERROR(session_->Exec(fmt::format("CREATE TEMP TABLE {} ({})", stage_, fmt::join(columns, ", "))));
    staged_ = true;
    staged_sql_ = fmt::format("SELECT {} FROM {}", fmt::join(values, ", "), stage_);
    const std::string fill = fmt::format("INSERT INTO {} {}", stage_, insert_.rest);
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(session_->NamesIn(fill)));
    if (duckdb_prepare(session_->connection(), fill.c_str(), prepared_.out()) != DuckDBSuccess) {
      return NameTheStream(
          PrepareErrorStatus(duckdb_prepare_error(prepared_.get()), "DuckDB could not prepare the INSERT"));
    }
    return Status::Ok();
  }

  StatementKind kind() const override { return StatementKind::kInsert; }
  size_t param_count() const override { return duckdb_nparams(prepared_.get()); }
  ColumnType param_type(size_t index) const override { return ParamType(prepared_.get(), index); }
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
    LAGOA_RETURN_IF_ERROR(session_->Begin());
    Result<int64_t> accepted = Run(params);
    session_->Exec(fmt::format("DELETE FROM {}", stage_)).IgnoreError();  // the insert's outcome matters
    session_->Finish();
    if (!accepted.ok()) return NameTheStream(accepted.status());
    return std::unique_ptr<Cursor>(new NoRowsCursor(*accepted));
  }

 private:
  Result<int64_t> Run(std::span<const Param> params) {
    LAGOA_RETURN_IF_ERROR(BindParams(prepared_.get(), params));
    {
      duck::ResultHandle filled;
      if (duckdb_execute_prepared(prepared_.get(), filled.get()) != DuckDBSuccess) {
        return session_->ErrorStatus(duckdb_result_error_type(filled.get()), filled.error());
      }
    }
    duck::ResultHandle staged;
    if (duckdb_query(session_->connection(), staged_sql_.c_str(), staged.get()) != DuckDBSuccess) {
      return session_->ErrorStatus(duckdb_result_error_type(staged.get()), staged.error());
    }
    return AppendStaged(*staged.get());
  }

  // Encodes the staged rows and appends them in batches of about ingest_batch_bytes.
  Result<int64_t> AppendStaged(duckdb_result& result) {
    const schema::Schema& schema = definition_->latest();
    std::optional<size_t> event_time_column;
    if (definition_->event_time_column) event_time_column = schema.FieldIndex(*definition_->event_time_column);
    ChunkRecordEncoder encoder(schema, event_time_column);
    const int64_t received_us = WallNowMicros();
    int64_t appended = 0;
    int64_t row_number = 0;
    log::BatchBuilder batch(schema.version);
    size_t batch_bytes = 0;  // the records' bytes, about what the batch takes in the log
    Bytes record;
    auto append = [&]() -> Status {
      ingest::RecordAppend request{insert_.table, std::move(batch)};
      batch = log::BatchBuilder(schema.version);
      batch_bytes = 0;
      Result<ingest::AppendOutcome> outcome =
          session_->shared().options.ingest->AppendRecordsAndWait(std::move(request));
      if (!outcome.ok()) return outcome.status();
      appended += static_cast<int64_t>(outcome->accepted);
      return Status::Ok();
    };
    auto after = [&appended]() {
      return appended > 0 ? fmt::format("after {} rows were appended", appended) : std::string("no row was appended");
    };
    for (;;) {
      duck::DataChunkHandle chunk(duckdb_fetch_chunk(result));
      if (!chunk) break;
      const idx_t size = duckdb_data_chunk_get_size(chunk.get());
      const std::vector<duckdb_vector> vectors = ChunkRecordEncoder::Vectors(chunk.get());
      Status status;
      for (idx_t row = 0; row < size && status.ok(); ++row) {
        ++row_number;
        std::optional<int64_t> event_time_us;
        status = encoder.EncodeRow(vectors, row, record, &event_time_us);
        if (!status.ok()) {
          status = status.WithContext(fmt::format("row {}", row_number)).WithContext(after());
          break;
        }
        batch.Add(event_time_us.value_or(received_us), record);
        batch_bytes += record.size();
        if (batch_bytes >= session_->shared().options.ingest_batch_bytes) {
          status = append().WithContext(after());
        }
      }
      if (!status.ok()) return status;
    }
    if (!batch.empty()) LAGOA_RETURN_IF_ERROR(append().WithContext(after()));
    return appended;
  }

  Status NameTheStream(const Status& status) const {
    return NameTheTarget(status, stage_, insert_.table, fmt::format("stream \"{}\"", insert_.table));
  }

  SessionImpl* session_;
  LakeWriteText insert_;
  std::string stage_;
  bool staged_ = false;
  std::shared_ptr<const schema::StreamDefinition> definition_;
  std::string staged_sql_;
  duck::PreparedHandle prepared_;
  std::vector<ResultColumn> no_columns_;
};

}  // namespace

Result<std::unique_ptr<Statement>> PrepareStreamStatement(SessionImpl* session, LakeWriteText write) {
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
