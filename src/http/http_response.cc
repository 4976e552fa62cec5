#include "base/json_writer.h"
#include "http/http_server.h"

namespace lagoa::http {

HttpResponse HttpResponse::Error(unsigned status, const std::string& message) {
  JsonWriter w;
  w.BeginObject().Key("error").String(message).Key("status").Uint(status).EndObject();
  return Json(status, w.Take());
}

HttpResponse HttpResponse::Json(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

unsigned HttpResponse::StatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kDeadlineExceeded:
      return 408;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kOutOfRange:
      return 416;
    case StatusCode::kLimitExceeded:  // understood, but past a limit: a retry of it fails again
      return 422;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled:
      return 503;
    case StatusCode::kDiskFull:
      return 507;
    case StatusCode::kIoError:
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse HttpResponse::FromStatus(const Status& status) {
  const unsigned code = StatusFor(status.code());
  HttpResponse r = Error(code, code == 500 ? status.ToString() : status.message());
  if (code == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool ResponseStream::Push(std::string_view piece) {
  std::unique_lock lock(mu_);
  space_.wait(lock, [&] { return cancelled_ || queued_.size() < capacity_bytes_; });
  if (cancelled_) return false;
  queued_ += piece;
  WakeLocked(lock);
  return true;
}

void ResponseStream::Finish() {
  std::unique_lock lock(mu_);
  finished_ = true;
  WakeLocked(lock);
}

void ResponseStream::Abort() {
  std::unique_lock lock(mu_);
  aborted_ = true;
  WakeLocked(lock);
}

void ResponseStream::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  space_.notify_all();
}

ResponseStream::State ResponseStream::Take(std::string* out, std::function<void()> wake) {
  std::lock_guard lock(mu_);
  if (aborted_) return State::kAborted;
  if (!queued_.empty()) {
    out->swap(queued_);
    queued_.clear();
    space_.notify_all();
    return State::kData;
  }
  if (finished_) return State::kFinished;
  wake_ = std::move(wake);
  return State::kWaiting;
}

void ResponseStream::WakeLocked(std::unique_lock<std::mutex>& lock) {
  std::function<void()> wake = std::move(wake_);
  wake_ = nullptr;
  lock.unlock();
  if (wake) wake();
}

}  // namespace lagoa::http
