// Owners of DuckDB C API handles: each destroys its handle with the C API's matching function when
// it goes out of scope, so no caller writes a duckdb_destroy_* call by hand and no early return
// leaks one. duckdb.h is included here on purpose: this header is for the code that speaks the C
// API (src/duck, src/lake, src/sql); other modules see lagoa's own types.
//
// Lifecycle: an owner holds at most one handle; moving it moves the handle. Threads: whatever the
// handle allows (a connection: one thread at a time; a database: any thread).
#pragma once

#include <duckdb.h>

#include <utility>
#include <vector>

namespace lagoa::duck {

template <typename Handle, void (*Destroy)(Handle*)>
class Owned {
 public:
  Owned() = default;
  explicit Owned(Handle handle) : handle_(handle) {}
  Owned(Owned&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) reset(std::exchange(other.handle_, nullptr));
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() { reset(); }

  Handle get() const { return handle_; }
  // Where a C API call that makes a handle writes it (duckdb_prepare(…, owned.out())); the handle
  // held before is destroyed first.
  Handle* out() {
    reset();
    return &handle_;
  }
  Handle release() { return std::exchange(handle_, nullptr); }
  void reset(Handle handle = nullptr) {
    if (handle_ != nullptr) Destroy(&handle_);
    handle_ = handle;
  }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  Handle handle_ = nullptr;
};

namespace handles_internal {
inline void DestroySelectionVector(duckdb_selection_vector* vector) { duckdb_destroy_selection_vector(*vector); }
}  // namespace handles_internal

using ConfigHandle = Owned<duckdb_config, duckdb_destroy_config>;
using DatabaseHandle = Owned<duckdb_database, duckdb_close>;
using ConnectionHandle = Owned<duckdb_connection, duckdb_disconnect>;
using ClientContextHandle = Owned<duckdb_client_context, duckdb_destroy_client_context>;
using ExtractedHandle = Owned<duckdb_extracted_statements, duckdb_destroy_extracted>;
using PreparedHandle = Owned<duckdb_prepared_statement, duckdb_destroy_prepare>;
using LogicalTypeHandle = Owned<duckdb_logical_type, duckdb_destroy_logical_type>;
using ValueHandle = Owned<duckdb_value, duckdb_destroy_value>;
using DataChunkHandle = Owned<duckdb_data_chunk, duckdb_destroy_data_chunk>;
using SelectionVectorHandle = Owned<duckdb_selection_vector, handles_internal::DestroySelectionVector>;
using TableFunctionHandle = Owned<duckdb_table_function, duckdb_destroy_table_function>;

// Owns a list of logical types laid out as the C API's arrays want them
// (duckdb_create_data_chunk); destroys each.
class LogicalTypeList {
 public:
  LogicalTypeList() = default;
  LogicalTypeList(LogicalTypeList&& other) noexcept : types_(std::move(other.types_)) { other.types_.clear(); }
  LogicalTypeList& operator=(LogicalTypeList&& other) noexcept {
    std::swap(types_, other.types_);
    return *this;
  }
  LogicalTypeList(const LogicalTypeList&) = delete;
  LogicalTypeList& operator=(const LogicalTypeList&) = delete;
  ~LogicalTypeList() {
    for (duckdb_logical_type& type : types_) duckdb_destroy_logical_type(&type);
  }

  void push_back(LogicalTypeHandle type) { types_.push_back(type.release()); }
  duckdb_logical_type* data() { return types_.data(); }
  duckdb_logical_type operator[](size_t index) const { return types_[index]; }
  size_t size() const { return types_.size(); }
  bool empty() const { return types_.empty(); }

 private:
  std::vector<duckdb_logical_type> types_;
};

// Owns a duckdb_result: duckdb_destroy_result must run whether the statement succeeded or not.
class ResultHandle {
 public:
  ResultHandle() = default;
  ResultHandle(const ResultHandle&) = delete;
  ResultHandle& operator=(const ResultHandle&) = delete;
  ~ResultHandle() { duckdb_destroy_result(&result_); }

  duckdb_result* get() { return &result_; }
  // The error of a failed statement; nullptr after success.
  const char* error() { return duckdb_result_error(&result_); }

 private:
  duckdb_result result_{};
};

}  // namespace lagoa::duck
