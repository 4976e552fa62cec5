// Carrying out writes to lake tables (lake_write_internal.h) in a session.
//
// DuckDB does the SQL; src/lake does the commits. Each write first builds its rows in a temporary
// "stage" table of the session's connection — so INSERT's column lists, VALUES, parameters and
// casts, COPY's formats and options, and CREATE TABLE's types are exactly DuckDB's — then copies
// the stage to a Parquet file in the scratch directory and hands that to lake::AppendRows on its
// own DuckDB connection (the lake sets its own settings, and the session's views must not leak
// into the files). Each write is one Delta commit of its own, whatever transaction the session has
// open.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>

#include "catalog/catalog.h"
#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "lake/delta/delta_table_writer.h"
#include "lake/maintenance/table_rewrite.h"
#include "lake/store/open_object_store.h"
#include "schema/schema.h"
#include "sql/lake_write_internal.h"
#include "sql/session_internal.h"
#include "sql/statement_policy_internal.h"

namespace lagoa::sql::internal {
namespace {

using schema::QuoteIdentifier;

std::atomic<uint64_t> next_stage_id{0};

// A DuckDB type as a lake column's type: lagoa's types as they are; narrower integers, FLOAT,
// HUGEINT and the text-like types widened to one that holds every value.
Result<schema::Type> LakeColumnType(const std::string& name, const std::string& duckdb_type) {
  if (Result<schema::Type> type = schema::ParseType(duckdb_type); type.ok()) return type;
  static const std::pair<std::string_view, std::string_view> kWidened[] = {
      {"TINYINT", "INTEGER"},       {"SMALLINT", "INTEGER"},      {"UTINYINT", "INTEGER"},
      {"USMALLINT", "INTEGER"},     {"UINTEGER", "BIGINT"},       {"FLOAT", "DOUBLE"},
      {"HUGEINT", "DECIMAL(38,0)"}, {"UBIGINT", "DECIMAL(38,0)"}, {"UHUGEINT", "DECIMAL(38,0)"},
      {"UUID", "VARCHAR"},          {"TIME", "VARCHAR"},          {"INTERVAL", "VARCHAR"},
  };
  for (const auto& [from, to] : kWidened) {
    if (duckdb_type == from) return schema::ParseType(to);
  }
  if (duckdb_type.starts_with("ENUM(")) return schema::Type::Varchar();
  return Status::InvalidArgument(fmt::format(
      "column \"{}\" has type {}, which a lake table cannot hold; CAST it to BOOLEAN, INTEGER, BIGINT, DOUBLE, "
      "DECIMAL(p,s), VARCHAR, DATE, TIMESTAMP, TIMESTAMPTZ, JSON, or a list or struct of those",
      name, duckdb_type));
}

class LakeWriteStatement final : public Statement {
 public:
  LakeWriteStatement(SessionImpl* session, LakeWriteText write) : session_(session), write_(std::move(write)) {
    stage_ = fmt::format("lagoa_stage_{}", next_stage_id.fetch_add(1));
  }
  ~LakeWriteStatement() override {
    insert_.reset();
    if (staged_) {
      session_->NextGeneration();  // a statement on the connection ends any result still streaming
      Query(fmt::format("DROP TABLE IF EXISTS {}", stage_)).status().IgnoreError();
      Query(fmt::format("DROP TABLE IF EXISTS {}", SourceStage())).status().IgnoreError();
    }
  }

  // Refusals, and for INSERT/COPY the stage and the prepared statement filling it.
  Status Prepare() {
    if (write_.kind == LakeWriteKind::kRefused) return Status::InvalidArgument(write_.refusal);
    session_->NextGeneration();  // statements run on the connection from here on
    if (write_.kind == LakeWriteKind::kDelete || write_.kind == LakeWriteKind::kUpdate) {
      LAGOA_RETURN_IF_ERROR(CheckPredicate());
    }
    if (write_.kind == LakeWriteKind::kMerge) return ParseMerge(write_.rest, write_.table).status();
    if (write_.kind != LakeWriteKind::kInsert && write_.kind != LakeWriteKind::kCopyFrom) return Status::Ok();
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(std::vector<std::string>{write_.table}));
    LAGOA_RETURN_IF_ERROR(
        Query(fmt::format("CREATE TEMP TABLE {} AS SELECT * FROM {} LIMIT 0", stage_, QuoteIdentifier(write_.table)))
            .status());
    staged_ = true;
    const std::string fill =
        fmt::format("{} {} {}", write_.kind == LakeWriteKind::kInsert ? "INSERT INTO" : "COPY", stage_, write_.rest);
    // The rows may come from lagoa's relations (INSERT … SELECT FROM a stream).
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(NamesBesideTheStage(fill)));
    if (duckdb_prepare(session_->connection(), fill.c_str(), insert_.out()) != DuckDBSuccess) {
      return NameTheTable(
          PrepareErrorStatus(duckdb_prepare_error(insert_.get()), "DuckDB could not prepare the statement"));
    }
    return Status::Ok();
  }

  // The relations `sql` names, but the stage (a temporary table, not lagoa's: naming it would make
  // every relation's view be refreshed).
  std::optional<std::vector<std::string>> NamesBesideTheStage(const std::string& sql) const {
    std::optional<std::vector<std::string>> names = session_->NamesIn(sql);
    if (names) std::erase(*names, stage_);
    return names;
  }

  // A WHERE that is present must hold a condition that DuckDB reads as one, against the table: the
  // lake embeds it in its own SQL, where a stray ')' or an empty text would change what matches.
  Status CheckPredicate() {
    if (!write_.has_where) return Status::Ok();
    if (write_.kind == LakeWriteKind::kDelete ? write_.rest.empty() : write_.predicate.empty()) {
      return Status::InvalidArgument(fmt::format(
          "lake table \"{}\": expected a condition after WHERE (no WHERE changes every row)", write_.table));
    }
    const std::string& predicate = write_.kind == LakeWriteKind::kDelete ? write_.rest : write_.predicate;
    const std::string probe = fmt::format("SELECT 1 FROM {} WHERE {}", QuoteIdentifier(write_.table), predicate);
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(session_->NamesIn(probe)));
    duck::PreparedHandle prepared;
    Status status;
    if (duckdb_prepare(session_->connection(), probe.c_str(), prepared.out()) != DuckDBSuccess) {
      const char* error = duckdb_prepare_error(prepared.get());
      status =
          Status::InvalidArgument(fmt::format("WHERE {}: {}", predicate, error != nullptr ? error : "not a condition"));
    } else if (duckdb_nparams(prepared.get()) > 0) {
      status = Status::InvalidArgument("parameters ($1, ?) are not supported in UPDATE and DELETE of lake tables");
    }
    return status.WithContext(fmt::format("lake table \"{}\"", write_.table));
  }

  Status NameTheTable(const Status& status) const {
    return NameTheTarget(status, stage_, write_.table, fmt::format("lake table \"{}\"", write_.table));
  }

  StatementKind kind() const override {
    switch (write_.kind) {
      case LakeWriteKind::kInsert:
        return StatementKind::kInsert;
      case LakeWriteKind::kCopyFrom:
        return StatementKind::kCopy;
      case LakeWriteKind::kDelete:
        return StatementKind::kDelete;
      case LakeWriteKind::kUpdate:
      case LakeWriteKind::kMerge:
        return StatementKind::kUpdate;
      case LakeWriteKind::kAddColumn:
        return StatementKind::kAlter;
      case LakeWriteKind::kDropTable:
        return StatementKind::kDrop;
      default:
        return StatementKind::kCreate;
    }
  }
  size_t param_count() const override { return insert_ ? duckdb_nparams(insert_.get()) : 0; }
  ColumnType param_type(size_t index) const override { return ParamType(insert_.get(), index); }
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
          "lake table \"{}\": a write to a lake table commits on its own and cannot be part of a transaction; "
          "COMMIT or ROLLBACK first (or write to a TEMP table inside the transaction)",
          write_.table));
    }
    LAGOA_RETURN_IF_ERROR(session_->Begin());
    Result<int64_t> rows = Run(params);
    session_->Finish();
    if (!rows.ok()) return NameTheTable(rows.status());
    return std::unique_ptr<Cursor>(new NoRowsCursor(*rows));
  }

 private:
  EngineShared& shared() const { return session_->shared(); }

  std::filesystem::path TableDir() const { return shared().options.tables_dir / write_.table; }

  Result<int64_t> Run(std::span<const Param> params) {
    switch (write_.kind) {
      case LakeWriteKind::kCreateTable:
      case LakeWriteKind::kCreateTableAs:
        return CreateTable();
      case LakeWriteKind::kInsert:
      case LakeWriteKind::kCopyFrom:
        return Insert(params);
      case LakeWriteKind::kDelete:
        return Delete();
      case LakeWriteKind::kUpdate:
        return Update();
      case LakeWriteKind::kMerge:
        return Merge();
      case LakeWriteKind::kAddColumn:
        return AddColumn();
      case LakeWriteKind::kDropTable:
        return DropTable();
      default:
        break;
    }
    return Status::InvalidArgument(write_.refusal);
  }

  // Runs `sql` on the session's connection; the row count of its first column's first row when
  // `count` (else 0).
  Result<int64_t> Query(const std::string& sql, bool count = false) {
    duck::ResultHandle result;
    if (duckdb_query(session_->connection(), sql.c_str(), result.get()) != DuckDBSuccess) {
      return session_->ErrorStatus(duckdb_result_error_type(result.get()), result.error());
    }
    return count && duckdb_row_count(result.get()) > 0 ? duckdb_value_int64(result.get(), 0, 0) : int64_t{0};
  }

  // The stage's columns as lake fields.
  Result<std::vector<schema::Field>> StageFields() {
    duck::ResultHandle result;
    const std::string sql =
        fmt::format("SELECT column_name, column_type, \"null\", \"key\", \"default\" FROM (DESCRIBE {})", stage_);
    if (duckdb_query(session_->connection(), sql.c_str(), result.get()) != DuckDBSuccess) {
      return session_->ErrorStatus(duckdb_result_error_type(result.get()), result.error());
    }
    struct Described {
      std::string name, type, null, key, default_value;
    };
    std::vector<Described> described;
    for (idx_t row = 0; row < duckdb_row_count(result.get()); ++row) {
      Described column;
      for (auto [index, out] : {std::pair<idx_t, std::string*>{0, &column.name},
                                {1, &column.type},
                                {2, &column.null},
                                {3, &column.key},
                                {4, &column.default_value}}) {
        char* text = duckdb_value_varchar(result.get(), index, row);
        if (text != nullptr) *out = text;
        duckdb_free(text);
      }
      described.push_back(std::move(column));
    }
    std::vector<schema::Field> fields;
    for (const auto& [name, type, null, key, default_value] : described) {
      if (null == "NO" || !key.empty() || !default_value.empty()) {
        return Status::InvalidArgument(
            fmt::format("column \"{}\": lake tables keep no NOT NULL, PRIMARY KEY, UNIQUE or DEFAULT; drop it, or "
                        "use a TEMP table",
                        name));
      }
      LAGOA_ASSIGN_OR_RETURN(schema::Type lake_type, LakeColumnType(name, type));
      schema::Field field;
      field.name = name;
      field.type = std::move(lake_type);
      fields.push_back(std::move(field));
    }
    return fields;
  }

  Result<std::unique_ptr<lake::ObjectStore>> Store() const { return lake::OpenObjectStore(TableDir().string()); }
  Result<std::unique_ptr<duck::Connection>> LakeConnection() const {
    duck::DatabaseOptions options;
    options.threads = shared().options.lake_write_threads;
    options.memory_limit = shared().options.lake_write_memory;
    options.temp_dir = shared().options.temp_dir;
    return duck::Connection::Make(options);
  }
  lake::DeltaWriterOptions Writer() const {
    lake::DeltaWriterOptions writer;
    writer.scratch_dir = shared().options.temp_dir;
    return writer;
  }

  // The stage's rows in a Parquet file of the scratch directory, deleted with this object.
  struct StagedFile {
    std::filesystem::path path;
    explicit StagedFile(std::filesystem::path p) : path(std::move(p)) {}
    StagedFile(StagedFile&& other) noexcept : path(std::exchange(other.path, {})) {}
    ~StagedFile() {
      std::error_code ignored;
      if (!path.empty()) std::filesystem::remove(path, ignored);
    }
    std::string Select() const {
      return fmt::format("SELECT * FROM read_parquet({})", duck::SqlStringLiteral(path.string()));
    }
  };

  // Moves the stage's rows into a Parquet file (the stage is left empty), each column cast to its
  // lake type when `lake_types` are given: DuckDB writes HUGEINT to Parquet as DOUBLE, which would
  // round the values a DECIMAL(38,0) column holds exactly.
  Result<StagedFile> ExportStage(const std::vector<schema::Field>* lake_types = nullptr) {
    StagedFile file(shared().options.temp_dir /
                    fmt::format("{}-{}.parquet", stage_, std::chrono::steady_clock::now().time_since_epoch().count()));
    std::string rows = stage_;
    if (lake_types != nullptr) {
      std::vector<std::string> casts;
      for (const schema::Field& field : *lake_types) {
        const std::string name = QuoteIdentifier(field.name);
        casts.push_back(fmt::format("CAST({} AS {}) AS {}", name, field.type.ToSql(), name));
      }
      rows = fmt::format("(SELECT {} FROM {})", fmt::join(casts, ", "), stage_);
    }
    LAGOA_RETURN_IF_ERROR(
        Query(fmt::format("COPY {} TO {} (FORMAT parquet)", rows, duck::SqlStringLiteral(file.path.string())))
            .status());
    LAGOA_RETURN_IF_ERROR(Query(fmt::format("DELETE FROM {}", stage_)).status());
    return file;
  }

  // Copies the stage's rows into the table (one commit) and empties the stage; the rows added.
  Result<int64_t> AppendStage(const std::vector<schema::Field>* lake_types = nullptr) {
    LAGOA_ASSIGN_OR_RETURN(int64_t rows, Query(fmt::format("SELECT count(*) FROM {}", stage_), true));
    if (rows == 0) return 0;
    LAGOA_ASSIGN_OR_RETURN(StagedFile file, ExportStage(lake_types));
    LAGOA_ASSIGN_OR_RETURN(auto store, Store());
    LAGOA_ASSIGN_OR_RETURN(auto duckdb, LakeConnection());
    LAGOA_ASSIGN_OR_RETURN(lake::RewriteResult appended, lake::AppendRows(store.get(), duckdb.get(), Writer(),
                                                                          file.Select(), shared().options.temp_dir));
    return static_cast<int64_t>(appended.rows_written);
  }

  Result<int64_t> CreateTable() {
    if (write_.or_replace) {
      if (std::optional<std::string> name = LakeTableName(shared(), write_.table)) {
        write_.table = *name;
        return ReplaceTable();
      }
    }
    std::unique_lock ddl(shared().lake_ddl_mu);
    if (Status free = shared().object_catalog->CheckRelationNameFree(write_.table, "CREATE TABLE"); !free.ok()) {
      if (write_.if_exists) return -1;
      return free;
    }
    LAGOA_RETURN_IF_ERROR(
        schema::ValidateStreamName(write_.table).WithContext("a lake table's name follows the rules of stream names"));
    const std::string stage_sql = fmt::format("CREATE TEMP TABLE {} {}", stage_, write_.rest);
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(NamesBesideTheStage(stage_sql)));
    LAGOA_RETURN_IF_ERROR(Query(stage_sql).status());
    staged_ = true;
    LAGOA_ASSIGN_OR_RETURN(std::vector<schema::Field> fields, StageFields());
    // A folder without a listed table is what a crash left between its creation and the list.
    LAGOA_RETURN_IF_ERROR(lake::DeleteObjectStore(TableDir().string()));
    shared().catalog->ForgetTable(TableDir());
    {
      LAGOA_ASSIGN_OR_RETURN(auto store, lake::OpenObjectStore(TableDir().string(), /*create_if_missing=*/true));
      LAGOA_ASSIGN_OR_RETURN(auto duckdb, LakeConnection());
      LAGOA_ASSIGN_OR_RETURN(auto writer, lake::DeltaTableWriter::Make(store.get(), duckdb.get(), Writer()));
      LAGOA_RETURN_IF_ERROR(writer->CreateTable(fields, {}, {}).status());
    }
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    LAGOA_RETURN_IF_ERROR(shared().lake_tables->Attach({write_.table, TableDir(), now_ms, LineageSql()}));
    ddl.unlock();
    if (write_.kind == LakeWriteKind::kCreateTable) return -1;
    Result<int64_t> rows = AppendStage(&fields);
    if (!rows.ok()) {
      DropTable().status().IgnoreError();  // the error that matters is the load's
      return rows.status();
    }
    return *rows;
  }

  // The statement kept for the table's lineage in the catalog: CREATE TABLE … AS's, else none.
  std::string LineageSql() const {
    if (write_.kind != LakeWriteKind::kCreateTableAs) return "";
    return fmt::format("CREATE TABLE {} {}", QuoteIdentifier(write_.table), write_.rest);
  }

  // CREATE OR REPLACE TABLE of a lake table: the new schema and rows in one commit
  // (lake::ReplaceTable), staged by DuckDB first; the query may read the table it replaces.
  Result<int64_t> ReplaceTable() {
    const std::string stage_sql = fmt::format("CREATE TEMP TABLE {} {}", stage_, write_.rest);
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(NamesBesideTheStage(stage_sql)));
    Query(fmt::format("DROP TABLE IF EXISTS {}", stage_)).status().IgnoreError();  // a previous execution's
    LAGOA_RETURN_IF_ERROR(Query(stage_sql).status());
    staged_ = true;
    LAGOA_ASSIGN_OR_RETURN(std::vector<schema::Field> fields, StageFields());
    LAGOA_ASSIGN_OR_RETURN(StagedFile file, ExportStage(&fields));
    // A DROP TABLE waits: the table the commit goes to is still the listed one.
    std::lock_guard ddl(shared().lake_ddl_mu);
    if (!LakeTableName(shared(), write_.table)) return Status::NotFound("the table was dropped meanwhile");
    LAGOA_ASSIGN_OR_RETURN(auto store, Store());
    LAGOA_ASSIGN_OR_RETURN(auto duckdb, LakeConnection());
    LAGOA_ASSIGN_OR_RETURN(lake::RewriteResult replaced, lake::ReplaceTable(store.get(), duckdb.get(), Writer(), fields,
                                                                            file.Select(), shared().options.temp_dir));
    LAGOA_RETURN_IF_ERROR(shared()
                              .lake_tables->SetSql(write_.table, LineageSql())
                              .WithContext("the table is replaced, but its lineage in the catalog is not"));
    return write_.kind == LakeWriteKind::kCreateTable ? -1 : static_cast<int64_t>(replaced.rows_written);
  }

  Result<int64_t> Insert(std::span<const Param> params) {
    LAGOA_RETURN_IF_ERROR(BindParams(insert_.get(), params));
    {
      duck::ResultHandle result;
      if (duckdb_execute_prepared(insert_.get(), result.get()) != DuckDBSuccess) {
        Status status = session_->ErrorStatus(duckdb_result_error_type(result.get()), result.error());
        Query(fmt::format("DELETE FROM {}", stage_)).status().IgnoreError();  // the statement's error is what matters
        return status;
      }
    }
    Result<int64_t> rows = AppendStage();
    if (!rows.ok()) Query(fmt::format("DELETE FROM {}", stage_)).status().IgnoreError();  // the append's error matters
    return rows;
  }

  Result<int64_t> Delete() {
    LAGOA_ASSIGN_OR_RETURN(auto store, Store());
    LAGOA_ASSIGN_OR_RETURN(auto duckdb, LakeConnection());
    LAGOA_ASSIGN_OR_RETURN(
        lake::RewriteResult deleted,
        lake::DeleteWhere(store.get(), duckdb.get(), Writer(), write_.rest.empty() ? std::string("true") : write_.rest,
                          shared().options.temp_dir));
    return static_cast<int64_t>(deleted.rows_deleted);
  }

  // The matching rows are staged and updated by DuckDB, then replace their files' rows in one
  // serializable commit (lake::OverwriteWhere: a concurrent append to those files conflicts).
  Result<int64_t> Update() {
    // The version the staged rows come from: the commit must be on top of it (lake::OverwriteWhere).
    LAGOA_ASSIGN_OR_RETURN(std::optional<RelationDefinition> table, shared().catalog->Find(write_.table));
    if (!table || table->table_version < 0) return Status::NotFound("the table is gone");
    const std::string where = write_.predicate.empty() ? "" : fmt::format(" WHERE {}", write_.predicate);
    const std::string stage_sql =
        fmt::format("CREATE TEMP TABLE {} AS SELECT * FROM {}{}", stage_, QuoteIdentifier(write_.table), where);
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(NamesBesideTheStage(stage_sql)));
    Query(fmt::format("DROP TABLE IF EXISTS {}", stage_)).status().IgnoreError();  // a previous execution's
    LAGOA_RETURN_IF_ERROR(Query(stage_sql).status());
    staged_ = true;
    LAGOA_RETURN_IF_ERROR(Query(fmt::format("UPDATE {} SET {}", stage_, write_.rest)).status());
    LAGOA_ASSIGN_OR_RETURN(int64_t rows, Query(fmt::format("SELECT count(*) FROM {}", stage_), true));
    if (rows == 0) return 0;
    LAGOA_ASSIGN_OR_RETURN(StagedFile file, ExportStage());
    LAGOA_ASSIGN_OR_RETURN(auto store, Store());
    LAGOA_ASSIGN_OR_RETURN(auto duckdb, LakeConnection());
    LAGOA_RETURN_IF_ERROR(lake::OverwriteWhere(store.get(), duckdb.get(), Writer(), write_.predicate, file.Select(),
                                               shared().options.temp_dir, lake::TableVersion(table->table_version))
                              .status());
    return rows;
  }

  // MERGE's source rows, staged beside the target's (stage_).
  std::string SourceStage() const { return stage_ + "_source"; }

  // DuckDB runs the MERGE as written on staged copies: the source's rows, and the target rows it
  // may touch. With USING (keys) and no WHEN NOT MATCHED BY SOURCE those are the rows whose keys
  // the source holds (NULL keys match nothing), and only their files are rewritten; otherwise the
  // whole table is staged and rewritten. The staged target after the MERGE replaces the rows it was
  // staged from in one serializable commit on top of the version they were read at.
  Result<int64_t> Merge() {
    LAGOA_ASSIGN_OR_RETURN(MergeText merge, ParseMerge(write_.rest, write_.table));
    LAGOA_ASSIGN_OR_RETURN(std::optional<RelationDefinition> table, shared().catalog->Find(write_.table));
    if (!table || table->table_version < 0) return Status::NotFound("the table is gone");
    const std::string source = SourceStage();
    Query(fmt::format("DROP TABLE IF EXISTS {}", stage_)).status().IgnoreError();  // a previous execution's
    Query(fmt::format("DROP TABLE IF EXISTS {}", source)).status().IgnoreError();
    staged_ = true;
    const std::string source_sql = fmt::format("CREATE TEMP TABLE {} AS {}", source, merge.source_query);
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(NamesBesideTheStage(source_sql)));
    LAGOA_RETURN_IF_ERROR(Query(source_sql).status().WithContext("the MERGE's source"));
    const bool by_keys = !merge.keys.empty() && !merge.by_source;
    const std::string target_sql =
        fmt::format("CREATE TEMP TABLE {} AS SELECT * FROM {}{}", stage_, QuoteIdentifier(write_.table),
                    by_keys ? " WHERE " + KeysIn(merge.keys, source) : "");
    LAGOA_RETURN_IF_ERROR(session_->RefreshRelations(std::vector<std::string>{write_.table}));
    LAGOA_RETURN_IF_ERROR(Query(target_sql).status());
    const std::string source_alias = merge.source_alias.empty() ? "" : " AS " + QuoteIdentifier(merge.source_alias);
    LAGOA_ASSIGN_OR_RETURN(int64_t changed,
                           Query(fmt::format("MERGE INTO {} AS {} USING {}{} {}", stage_,
                                             QuoteIdentifier(merge.target_alias), source, source_alias, merge.match),
                                 /*count=*/true));
    if (changed == 0) return 0;
    std::optional<StagedFile> keys;
    if (by_keys) {
      keys.emplace(
          shared().options.temp_dir /
          fmt::format("{}-keys-{}.parquet", stage_, std::chrono::steady_clock::now().time_since_epoch().count()));
      std::vector<std::string> names;
      for (const std::string& key : merge.keys) names.push_back(QuoteIdentifier(key));
      LAGOA_RETURN_IF_ERROR(
          Query(fmt::format("COPY (SELECT DISTINCT {} FROM {}) TO {} (FORMAT parquet)", fmt::join(names, ", "), source,
                            duck::SqlStringLiteral(keys->path.string())))
              .status());
    }
    LAGOA_ASSIGN_OR_RETURN(StagedFile file, ExportStage());
    LAGOA_ASSIGN_OR_RETURN(auto store, Store());
    LAGOA_ASSIGN_OR_RETURN(auto duckdb, LakeConnection());
    const std::string lake_predicate =
        keys ? KeysIn(merge.keys, fmt::format("read_parquet({})", duck::SqlStringLiteral(keys->path.string()))) : "";
    LAGOA_RETURN_IF_ERROR(lake::OverwriteWhere(store.get(), duckdb.get(), Writer(), lake_predicate, file.Select(),
                                               shared().options.temp_dir, lake::TableVersion(table->table_version))
                              .status());
    return changed;
  }

  // A condition true for the rows whose `keys` (none NULL) are a row of `relation`'s.
  static std::string KeysIn(const std::vector<std::string>& keys, const std::string& relation) {
    std::vector<std::string> names;
    std::vector<std::string> not_null;
    for (const std::string& key : keys) {
      names.push_back(QuoteIdentifier(key));
      not_null.push_back(names.back() + " IS NOT NULL");
    }
    if (names.size() == 1) return fmt::format("{} IN (SELECT {} FROM {})", names[0], names[0], relation);
    const std::string row = fmt::format("struct_pack({})", fmt::join(names, ", "));
    return fmt::format("({} AND {} IN (SELECT {} FROM {}))", fmt::join(not_null, " AND "), row, row, relation);
  }

  Result<int64_t> AddColumn() {
    LAGOA_RETURN_IF_ERROR(Query(fmt::format("CREATE TEMP TABLE {} ({})", stage_, write_.rest)).status());
    staged_ = true;
    LAGOA_ASSIGN_OR_RETURN(std::vector<schema::Field> fields, StageFields());
    LAGOA_ASSIGN_OR_RETURN(auto store, Store());
    LAGOA_ASSIGN_OR_RETURN(auto duckdb, LakeConnection());
    Result<lake::TableVersion> added = lake::AddColumns(store.get(), duckdb.get(), Writer(), fields);
    if (!added.ok() && !(write_.if_exists && added.status().code() == StatusCode::kAlreadyExists)) {
      return added.status();
    }
    return -1;
  }

  Result<int64_t> DropTable() {
    std::lock_guard ddl(shared().lake_ddl_mu);
    LAGOA_RETURN_IF_ERROR(shared().lake_tables->Detach(write_.table));
    const Status deleted = lake::DeleteObjectStore(TableDir().string());
    shared().catalog->ForgetTable(TableDir());
    LAGOA_RETURN_IF_ERROR(deleted.WithContext("the table is dropped, but its files remain"));
    return -1;
  }

  SessionImpl* session_;
  LakeWriteText write_;
  std::string stage_;
  bool staged_ = false;
  duck::PreparedHandle insert_;
  std::vector<ResultColumn> no_columns_;
};

}  // namespace

std::optional<std::string> LakeTableName(const EngineShared& shared, std::string_view name) {
  if (shared.lake_tables == nullptr) return std::nullopt;
  std::optional<lake::AttachedTable> table = shared.lake_tables->FindIgnoringCase(name);
  if (!table) return std::nullopt;
  return table->name;
}

bool IsStreamStatement(LakeWriteKind kind) {
  return kind == LakeWriteKind::kCreateStream || kind == LakeWriteKind::kDropStream ||
         kind == LakeWriteKind::kInsertStream;
}

std::optional<LakeWriteText> RecognizeNow(const EngineShared& shared, std::string_view statement) {
  const auto is_lake_table = [&](std::string_view name) { return LakeTableName(shared, name).has_value(); };
  std::function<bool(std::string_view)> is_stream;
  if (shared.streams != nullptr && shared.options.ingest != nullptr) {
    is_stream = [streams = shared.streams](std::string_view name) {
      return !ingest::StreamRegistry::IsDeadLetterName(name) && streams->Find(name).has_value();
    };
  }
  return RecognizeLakeWrite(statement, is_lake_table, is_stream);
}

namespace {

// Writes to lake tables and their DDL (and the statements refused with a reason), and the
// streams' statements: one recognizer reads them all (lake_write_internal.h), once per question.
class LagoaStatementHandler final : public StatementHandler {
 public:
  explicit LagoaStatementHandler(const EngineShared* shared) : shared_(shared) {}
  std::string_view name() const override { return "lake tables and streams"; }

  bool Claims(std::string_view statement) const override { return RecognizeNow(*shared_, statement).has_value(); }

  Result<std::unique_ptr<Statement>> Prepare(std::string_view statement, Session& session) const override {
    std::optional<LakeWriteText> write = RecognizeNow(*shared_, statement);
    if (!write) return Status::Internal(fmt::format("`{}` is not a statement on a lake table or stream", statement));
    // The policy reads the statement as the DuckDB statement it is written as (COPY FROM's file,
    // an INSERT's SELECT).
    const duckdb_statement_type type =
        write->kind == LakeWriteKind::kCopyFrom ? DUCKDB_STATEMENT_TYPE_COPY : DUCKDB_STATEMENT_TYPE_INSERT;
    LAGOA_RETURN_IF_ERROR(CheckStatementAllowed(type, statement, shared_->options.files_dir));
    auto* impl = &static_cast<SessionImpl&>(session);
    if (IsStreamStatement(write->kind)) return PrepareStreamStatement(impl, std::move(*write));
    if (write->kind != LakeWriteKind::kCreateTable && write->kind != LakeWriteKind::kCreateTableAs &&
        write->kind != LakeWriteKind::kRefused) {
      if (std::optional<std::string> name = LakeTableName(*shared_, write->table)) write->table = *name;
    }
    auto prepared = std::make_unique<LakeWriteStatement>(impl, std::move(*write));
    LAGOA_RETURN_IF_ERROR(prepared->Prepare());
    return std::unique_ptr<Statement>(std::move(prepared));
  }

 private:
  const EngineShared* shared_;
};

}  // namespace

std::shared_ptr<const StatementHandler> LagoaStatements(const EngineShared* shared) {
  return std::make_shared<LagoaStatementHandler>(shared);
}

}  // namespace lagoa::sql::internal
