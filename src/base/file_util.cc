#include "base/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/file_faults.h"

namespace lagoa {

Result<int> OpenFile(const std::filesystem::path& path, int flags, mode_t mode) {
  const FileFault fault = CheckFileFault(FileOp::kOpen, path);
  const int fd = fault.error != 0 ? -1 : ::open(path.c_str(), flags | O_CLOEXEC, mode);
  const int error = fault.error != 0 ? fault.error : errno;
  if (fault.crash_after) CrashAfterFileOp(FileOp::kOpen, path);
  if (fd >= 0) return fd;
  if (error == ENOENT && (flags & O_CREAT) == 0) {
    return Status::NotFound(fmt::format("{} does not exist", path.string()));
  }
  if (error == EEXIST && (flags & O_EXCL) != 0) return Status::AlreadyExists(fmt::format("{} exists", path.string()));
  return Status::FromErrno(((flags & O_CREAT) != 0 ? "create " : "open ") + path.string(), error);
}

Status SyncFile(int fd, const std::filesystem::path& path) {
  const FileFault fault = CheckFileFault(FileOp::kSync, path);
  if (fault.error != 0) return Status::FromErrno("fdatasync " + path.string(), fault.error);
  if (::fdatasync(fd) != 0) return Status::FromErrno("fdatasync " + path.string(), errno);
  if (fault.crash_after) CrashAfterFileOp(FileOp::kSync, path);
  return Status::Ok();
}

Status RenameFile(const std::filesystem::path& from, const std::filesystem::path& to) {
  const FileFault fault = CheckFileFault(FileOp::kRename, to);
  const int error = fault.error != 0 ? fault.error : (::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno);
  if (error != 0) return Status::FromErrno(fmt::format("rename {} to {}", from.string(), to.string()), error);
  if (fault.crash_after) CrashAfterFileOp(FileOp::kRename, to);
  return Status::Ok();
}

Status LinkFile(const std::filesystem::path& from, const std::filesystem::path& to) {
  const FileFault fault = CheckFileFault(FileOp::kLink, to);
  const int error = fault.error != 0 ? fault.error : (::link(from.c_str(), to.c_str()) == 0 ? 0 : errno);
  if (error == EEXIST) return Status::AlreadyExists(fmt::format("{} exists", to.string()));
  if (error != 0) return Status::FromErrno(fmt::format("link {} to {}", from.string(), to.string()), error);
  if (fault.crash_after) CrashAfterFileOp(FileOp::kLink, to);
  return Status::Ok();
}

Status TruncateFile(int fd, uint64_t size_bytes, const std::filesystem::path& path) {
  const FileFault fault = CheckFileFault(FileOp::kTruncate, path);
  const int error = fault.error != 0 ? fault.error : (::ftruncate(fd, static_cast<off_t>(size_bytes)) == 0 ? 0 : errno);
  if (error != 0) return Status::FromErrno(fmt::format("truncate {} to {} bytes", path.string(), size_bytes), error);
  if (fault.crash_after) CrashAfterFileOp(FileOp::kTruncate, path);
  return Status::Ok();
}

Result<int> LockDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot create data directory {}: {}", dir.string(), ec.message()));
  std::string path = (dir / "LOCK").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("open " + path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(
        fmt::format("data directory {} is in use by another lagoa process (lock {} is held)", dir.string(), path));
  }
  return fd;
}

Status SyncDir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open " + dir.string(), errno);
  const FileFault fault = CheckFileFault(FileOp::kSync, dir);
  const int error = fault.error != 0 ? fault.error : (::fsync(fd) == 0 ? 0 : errno);
  ::close(fd);
  if (error != 0) return Status::FromErrno("fsync " + dir.string(), error);
  if (fault.crash_after) CrashAfterFileOp(FileOp::kSync, dir);
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path, size_t bytes_max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return Status::NotFound(fmt::format("{} does not exist", path.string()));
  if (fd < 0) return Status::FromErrno("open " + path.string(), errno);
  std::string contents;
  char buffer[64 * 1024];
  Status status;
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Status::FromErrno("read " + path.string(), errno);
      break;
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > bytes_max) {
      status = Status::ResourceExhausted(fmt::format("{} holds more than {} bytes", path.string(), bytes_max));
      break;
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!status.ok()) return status;
  return contents;
}

Status WriteAll(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const FileFault fault = CheckFileFault(FileOp::kWrite, path);
    if (fault.error != 0) return Status::FromErrno("write " + path.string(), fault.error);
    const size_t asked = fault.short_write ? (bytes.size() + 1) / 2 : bytes.size();
    const ssize_t n = ::write(fd, bytes.data(), asked);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("write " + path.string(), errno);
    bytes = bytes.subspan(static_cast<size_t>(n));
    if (fault.crash_after) CrashAfterFileOp(FileOp::kWrite, path);
  }
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents, std::filesystem::path tmp) {
  if (tmp.empty()) {
    tmp = path;
    tmp += ".tmp";
  }
  LAGOA_ASSIGN_OR_RETURN(const int fd, OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC));
  Status status = WriteAll(fd, std::as_bytes(std::span(contents.data(), contents.size())), tmp);
  if (status.ok()) status = SyncFile(fd, tmp);
  ::close(fd);
  if (status.ok()) status = RenameFile(tmp, path);
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  return SyncDir(path.parent_path());
}

namespace {

std::filesystem::path Resolved(const std::filesystem::path& path) {
  std::error_code ignored;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ignored);
  const std::filesystem::path resolved = std::filesystem::weakly_canonical(absolute, ignored);
  return resolved.empty() ? absolute.lexically_normal() : resolved;
}

}  // namespace

bool IsPathUnder(const std::filesystem::path& path, const std::filesystem::path& dir) {
  const std::filesystem::path relative = Resolved(path).lexically_relative(Resolved(dir));
  return !relative.empty() && *relative.begin() != ".." && *relative.begin() != ".";
}

}  // namespace lagoa
