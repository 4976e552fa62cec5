#include "base/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

namespace lagoa {

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
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open " + dir.string(), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno("fsync " + dir.string(), err);
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
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("write " + path.string(), errno);
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("create " + tmp.string(), errno);
  Status status = WriteAll(fd, std::as_bytes(std::span(contents.data(), contents.size())), tmp);
  if (status.ok() && ::fdatasync(fd) != 0) status = Status::FromErrno("fdatasync " + tmp.string(), errno);
  ::close(fd);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Status::FromErrno("rename " + tmp.string(), errno);
  }
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
