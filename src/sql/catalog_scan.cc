// lagoa_catalog() and lagoa_catalog_columns(): the catalog of every named object (catalog.h) as
// SQL relations, so every SQL client (HTTP, psql, a BI tool over the PostgreSQL protocol) reads
// what GET /v1/catalog answers. The rows are gathered when a statement's scan starts, so a
// prepared statement sees the catalog as it is at each execution.
#include <duckdb.h>
#include <fmt/format.h>

#include <string>
#include <variant>
#include <vector>

#include "base/catch_all.h"
#include "catalog/catalog.h"
#include "duck/handles.h"
#include "sql/catalog_source_internal.h"

namespace lagoa::sql::internal {
namespace {

enum class CellKind { kText, kTimestamp, kTextList };

struct ColumnSpec {
  const char* name;
  CellKind kind;
};

// NULL, text, microseconds since the epoch, or a list of texts.
using Cell = std::variant<std::monostate, std::string, int64_t, std::vector<std::string>>;
using Rows = std::vector<std::vector<Cell>>;

struct CatalogTable {
  const char* function_name;
  std::vector<ColumnSpec> columns;
  Rows (*rows)(const catalog::Catalog& catalog);
};

Rows ObjectRows(const catalog::Catalog& catalog) {
  Rows rows;
  for (catalog::Entry& entry : catalog.List()) {
    Cell created;
    if (entry.created_ms) created = *entry.created_ms * 1000;
    Cell location;
    if (!entry.location.empty()) location = std::move(entry.location);
    rows.push_back({std::move(entry.name), std::move(entry.kind), std::move(location), std::move(created),
                    std::move(entry.derived_from), std::move(entry.definition)});
  }
  return rows;
}

Rows ColumnRows(const catalog::Catalog& catalog) {
  Rows rows;
  for (const catalog::Entry& entry : catalog.List()) {
    for (const catalog::Column& column : entry.columns) {
      rows.push_back({entry.name, column.name, column.type, column.tags});
    }
  }
  return rows;
}

const CatalogTable kObjects = {"lagoa_catalog",
                               {{"name", CellKind::kText},
                                {"kind", CellKind::kText},
                                {"location", CellKind::kText},
                                {"created_at", CellKind::kTimestamp},
                                {"derived_from", CellKind::kTextList},
                                {"definition", CellKind::kText}},
                               ObjectRows};
const CatalogTable kColumns = {"lagoa_catalog_columns",
                               {{"object", CellKind::kText},
                                {"column_name", CellKind::kText},
                                {"column_type", CellKind::kText},
                                {"tags", CellKind::kTextList}},
                               ColumnRows};

// The function's extra info: which table, over whose catalog.
struct ScanInfo {
  const CatalogTable* table;
  const EngineShared* shared;
};

struct ScanState {
  Rows rows;
  size_t next = 0;
};

duck::LogicalTypeHandle TypeOf(CellKind kind) {
  switch (kind) {
    case CellKind::kText:
      return duck::LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
    case CellKind::kTimestamp:
      return duck::LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ));
    case CellKind::kTextList: {
      const duck::LogicalTypeHandle text(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
      return duck::LogicalTypeHandle(duckdb_create_list_type(text.get()));
    }
  }
  return {};
}

void ScanBind(duckdb_bind_info info) {
  const auto* scan = static_cast<const ScanInfo*>(duckdb_bind_get_extra_info(info));
  for (const ColumnSpec& column : scan->table->columns) {
    duckdb_bind_add_result_column(info, column.name, TypeOf(column.kind).get());
  }
}

void ScanInit(duckdb_init_info info) {
  const auto* scan = static_cast<const ScanInfo*>(duckdb_init_get_extra_info(info));
  auto state = std::make_unique<ScanState>();
  const Status gathered = CatchAll(fmt::format("{}()", scan->table->function_name), [&] {
    if (scan->shared->object_catalog == nullptr) return Status::FailedPrecondition("the catalog is not open yet");
    state->rows = scan->table->rows(*scan->shared->object_catalog);
    return Status::Ok();
  });
  if (!gathered.ok()) {
    duckdb_init_set_error(info, gathered.ToString().c_str());
    return;
  }
  duckdb_init_set_init_data(info, state.release(), [](void* p) { delete static_cast<ScanState*>(p); });
  duckdb_init_set_max_threads(info, 1);
}

void SetNull(duckdb_vector vector, idx_t row) {
  duckdb_vector_ensure_validity_writable(vector);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vector), row);
}

void WriteCell(duckdb_vector vector, idx_t row, const Cell& cell) {
  if (std::holds_alternative<std::monostate>(cell)) {
    SetNull(vector, row);
  } else if (const auto* text = std::get_if<std::string>(&cell)) {
    duckdb_vector_assign_string_element_len(vector, row, text->data(), text->size());
  } else if (const auto* micros = std::get_if<int64_t>(&cell)) {
    static_cast<duckdb_timestamp*>(duckdb_vector_get_data(vector))[row].micros = *micros;
  } else {
    const auto& items = std::get<std::vector<std::string>>(cell);
    const idx_t first = duckdb_list_vector_get_size(vector);
    duckdb_list_vector_reserve(vector, first + items.size());
    duckdb_vector child = duckdb_list_vector_get_child(vector);
    for (size_t i = 0; i < items.size(); ++i) {
      duckdb_vector_assign_string_element_len(child, first + i, items[i].data(), items[i].size());
    }
    duckdb_list_vector_set_size(vector, first + items.size());
    static_cast<duckdb_list_entry*>(duckdb_vector_get_data(vector))[row] = {first, items.size()};
  }
}

void ScanFunction(duckdb_function_info info, duckdb_data_chunk output) {
  auto* state = static_cast<ScanState*>(duckdb_function_get_init_data(info));
  const size_t count = std::min<size_t>(state->rows.size() - state->next, duckdb_vector_size());
  const idx_t columns = duckdb_data_chunk_get_column_count(output);
  for (idx_t c = 0; c < columns; ++c) {
    duckdb_vector vector = duckdb_data_chunk_get_vector(output, c);
    for (size_t r = 0; r < count; ++r) WriteCell(vector, r, state->rows[state->next + r][c]);
  }
  state->next += count;
  duckdb_data_chunk_set_size(output, count);
}

Status Register(duckdb_connection connection, const CatalogTable& table, const EngineShared* shared) {
  duck::TableFunctionHandle function(duckdb_create_table_function());
  duckdb_table_function_set_name(function.get(), table.function_name);
  duckdb_table_function_set_extra_info(function.get(), new ScanInfo{&table, shared},
                                       [](void* p) { delete static_cast<ScanInfo*>(p); });
  duckdb_table_function_set_bind(function.get(), ScanBind);
  duckdb_table_function_set_init(function.get(), ScanInit);
  duckdb_table_function_set_function(function.get(), ScanFunction);
  if (duckdb_register_table_function(connection, function.get()) != DuckDBSuccess) {
    return Status::Internal(fmt::format("DuckDB: cannot register the table function {}()", table.function_name));
  }
  return Status::Ok();
}

}  // namespace

Status RegisterCatalogScans(duckdb_connection connection, const EngineShared* shared) {
  LAGOA_RETURN_IF_ERROR(Register(connection, kObjects, shared));
  return Register(connection, kColumns, shared);
}

}  // namespace lagoa::sql::internal
