// Status and Result<T>: the channel for expected failures (bad input, I/O, network, full disk).
// Bugs are not Statuses; they hit LAGOA_ASSERT. A Status carries a message a user can act on.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lagoa {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong: bad JSON, bad type, bad config value
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a named thing exists already
  kIoError,             // the operating system refused a read or write
  kCorruption,          // stored bytes fail their checks
  kResourceExhausted,   // a queue or memory budget is full; retrying soon may work
  kDiskFull,            // the disk is full (ENOSPC) or the free-space guard refuses writes until space returns
  kFailedPrecondition,  // the system is in a state that forbids the call (fail-stop, shut down)
  kOutOfRange,          // an offset or index outside what exists
  kUnavailable,         // a peer cannot be reached
  kInternal,            // a library threw or returned something unexpected
  kCancelled,           // the caller (or a client) cancelled the operation
  kDeadlineExceeded,    // the operation ran past its time limit
  kPermissionDenied,    // the caller may not do this (a file outside the allowed folders, a server setting)
  kLimitExceeded,       // the request needs more than a configured limit allows (a statement's memory);
                        // the same request fails again, so clients must not simply retry it
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status DiskFull(std::string m) { return {StatusCode::kDiskFull, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
  // An I/O failure with the path and errno text appended: "open /x/y: No such file or directory";
  // DiskFull for ENOSPC and EDQUOT, IoError otherwise.
  static Status FromErrno(std::string_view what, int errno_value);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

  // Returns a copy with "context: " in front of the message; OK stays OK.
  Status WithContext(std::string_view context) const;

  // Deliberately drops the status; greppable.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & {
    assert(ok());
    return std::get<T>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace lagoa

#define LAGOA_CONCAT_INNER(a, b) a##b
#define LAGOA_CONCAT(a, b) LAGOA_CONCAT_INNER(a, b)

#define LAGOA_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::lagoa::Status lagoa_status_ = (expr);        \
    if (!lagoa_status_.ok()) return lagoa_status_; \
  } while (false)

#define LAGOA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// LAGOA_ASSIGN_OR_RETURN(auto x, MakeX()); returns the error from the enclosing function.
#define LAGOA_ASSIGN_OR_RETURN(lhs, expr) LAGOA_ASSIGN_OR_RETURN_IMPL(LAGOA_CONCAT(lagoa_result_, __LINE__), lhs, expr)
