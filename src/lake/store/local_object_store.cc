#include "lake/store/local_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <span>
#include <system_error>

#include <fmt/format.h>

#include "base/file_util.h"

namespace lagoa::lake {
namespace {

// Temporary names are unique in the process: several stores may share a directory.
std::atomic<uint64_t> next_temp_id{0};

namespace fs = std::filesystem;

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the error close() returns (it can carry a delayed write error).
  Status Close(std::string_view what) {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Status::FromErrno(fmt::format("close {}", what), errno);
    return Status::Ok();
  }

 private:
  int fd_;
};

// Reads up to `length_bytes` from `offset_bytes`, stopping early at the end of the file.
Status ReadAt(int fd, uint64_t offset_bytes, uint64_t length_bytes, const fs::path& path, std::string* out) {
  out->resize(length_bytes);
  uint64_t done = 0;
  while (done < length_bytes) {
    ssize_t n = ::pread(fd, out->data() + done, length_bytes - done, static_cast<off_t>(offset_bytes + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("read " + path.string(), errno);
    }
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
  }
  out->resize(done);
  return Status::Ok();
}

Result<FileDescriptor> OpenForRead(const fs::path& path, std::string_view key, struct stat* st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(fmt::format("object \"{}\" does not exist", key));
    return Status::FromErrno("open " + path.string(), errno);
  }
  FileDescriptor file(fd);
  if (::fstat(fd, st) != 0) return Status::FromErrno("stat " + path.string(), errno);
  if (!S_ISREG(st->st_mode)) return Status::NotFound(fmt::format("object \"{}\" is not a regular file", key));
  return file;
}

}  // namespace

Status LocalObjectStoreOptions::Validate() const {
  if (root.empty()) return Status::InvalidArgument("local object store: `root` is empty; set it to a directory");
  return Status::Ok();
}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Make(const LocalObjectStoreOptions& options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  fs::path root = fs::absolute(options.root, ec).lexically_normal();
  if (ec) return Status::FromErrno("resolve " + options.root.string(), ec.value());
  if (options.create_if_missing) {
    fs::create_directories(root, ec);
    if (ec) return Status::FromErrno("create directory " + root.string(), ec.value());
  }
  if (!fs::is_directory(root, ec)) {
    return Status::NotFound(fmt::format("local object store root {} is not a directory", root.string()));
  }
  std::string text = root.string();
  if (text.size() > 1 && text.back() == '/') root = fs::path(text.substr(0, text.size() - 1));
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(root)));
}

Status LocalObjectStore::EnsureDirectory(const fs::path& dir) {
  if (dir == root_) return Status::Ok();
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status::Ok();
  LAGOA_RETURN_IF_ERROR(EnsureDirectory(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Status::FromErrno("mkdir " + dir.string(), errno);
  return SyncDir(dir.parent_path());
}

Status LocalObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  LAGOA_RETURN_IF_ERROR(ValidateObjectKey(key));
  const fs::path path = PathOf(key);
  const fs::path dir = path.parent_path();
  LAGOA_RETURN_IF_ERROR(EnsureDirectory(dir));
  const fs::path temp = dir / fmt::format("{}{}-{}-{}", kTempObjectPrefix, path.filename().string(), ::getpid(),
                                          next_temp_id.fetch_add(1, std::memory_order_relaxed));
  LAGOA_ASSIGN_OR_RETURN(const int temp_fd, OpenFile(temp, O_WRONLY | O_CREAT | O_EXCL));
  FileDescriptor fd(temp_fd);
  Status written = WriteAll(fd.get(), std::as_bytes(std::span(data.data(), data.size())), temp);
  if (written.ok()) written = SyncFile(fd.get(), temp);
  if (written.ok()) written = fd.Close(temp.string());
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  // link() never replaces an existing name, unlike rename(): the first writer keeps the key.
  Status linked = LinkFile(temp, path);
  ::unlink(temp.c_str());
  if (linked.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists(fmt::format("object \"{}\" already exists", key));
  }
  LAGOA_RETURN_IF_ERROR(linked);
  return SyncDir(dir);
}

Result<std::string> LocalObjectStore::Get(std::string_view key) {
  LAGOA_RETURN_IF_ERROR(ValidateObjectKey(key));
  const fs::path path = PathOf(key);
  struct stat st {};
  LAGOA_ASSIGN_OR_RETURN(FileDescriptor fd, OpenForRead(path, key, &st));
  std::string data;
  LAGOA_RETURN_IF_ERROR(ReadAt(fd.get(), 0, static_cast<uint64_t>(st.st_size), path, &data));
  return data;
}

Result<bool> LocalObjectStore::Exists(std::string_view key) {
  LAGOA_RETURN_IF_ERROR(ValidateObjectKey(key));
  const fs::path path = PathOf(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return S_ISREG(st.st_mode);
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return Status::FromErrno("stat " + path.string(), errno);
}

Result<std::string> LocalObjectStore::GetRange(std::string_view key, uint64_t offset_bytes, uint64_t length_bytes) {
  LAGOA_RETURN_IF_ERROR(ValidateObjectKey(key));
  const fs::path path = PathOf(key);
  struct stat st {};
  LAGOA_ASSIGN_OR_RETURN(FileDescriptor fd, OpenForRead(path, key, &st));
  const auto size_bytes = static_cast<uint64_t>(st.st_size);
  if (offset_bytes > size_bytes) {
    return Status::OutOfRange(
        fmt::format("object \"{}\": offset {} is past its end ({} bytes)", key, offset_bytes, size_bytes));
  }
  std::string data;
  LAGOA_RETURN_IF_ERROR(ReadAt(fd.get(), offset_bytes, std::min(length_bytes, size_bytes - offset_bytes), path, &data));
  return data;
}

Result<std::vector<ObjectInfo>> LocalObjectStore::ListAfter(std::string_view prefix, std::string_view start_after) {
  // Walk only the directory the prefix's last '/' names; keys are then filtered by the full prefix.
  size_t slash = prefix.rfind('/');
  fs::path start = slash == std::string_view::npos ? root_ : PathOf(prefix.substr(0, slash));
  std::vector<ObjectInfo> objects;
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return objects;
  fs::recursive_directory_iterator it(start, fs::directory_options::none, ec);
  if (ec) return Status::FromErrno("list " + start.string(), ec.value());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::FromErrno("list " + start.string(), ec.value());
    const fs::directory_entry& entry = *it;
    std::string name = entry.path().filename().string();
    if (name.starts_with(kTempObjectPrefix)) continue;
    if (!entry.is_regular_file(ec)) continue;
    std::string key = entry.path().lexically_relative(root_).generic_string();
    if (!key.starts_with(prefix) || key <= start_after) continue;  // before the stat: that is the cost
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // deleted while listing
      return Status::FromErrno("stat " + entry.path().string(), errno);
    }
    int64_t modified_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    objects.push_back({std::move(key), static_cast<uint64_t>(st.st_size), modified_ms});
  }
  if (ec) return Status::FromErrno("list " + start.string(), ec.value());
  std::sort(objects.begin(), objects.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

Status LocalObjectStore::Delete(std::string_view key) {
  LAGOA_RETURN_IF_ERROR(ValidateObjectKey(key));
  const fs::path path = PathOf(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(fmt::format("object \"{}\" does not exist", key));
    return Status::FromErrno("unlink " + path.string(), errno);
  }
  return SyncDir(path.parent_path());
}

Result<std::string> LocalObjectStore::DuckDbLocation(std::string_view key) const {
  LAGOA_RETURN_IF_ERROR(ValidateObjectKey(key));
  return PathOf(key).string();
}

}  // namespace lagoa::lake
