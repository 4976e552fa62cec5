// Small file helpers (the log's segment and offset files, the attached-table list, the folders
// clients may reach), and the durable file operations: every open for writing, write, sync, rename
// and truncate lagoa makes itself goes through these, which pass the file-fault hook of
// file_faults.h first. Errors name the path. Any thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace lagoa {

// open(2) with O_CLOEXEC added: a descriptor the caller closes. NotFound when the file does not
// exist (and `flags` lacks O_CREAT), AlreadyExists when O_EXCL finds it.
Result<int> OpenFile(const std::filesystem::path& path, int flags, mode_t mode = 0644);

// fdatasync: the file's bytes and the size needed to read them are durable.
Status SyncFile(int fd, const std::filesystem::path& path);

// fsync of a directory, so that file creations, renames and removals in it are durable.
Status SyncDir(const std::filesystem::path& dir);

// rename(2): replaces `to` atomically.
Status RenameFile(const std::filesystem::path& from, const std::filesystem::path& to);

// link(2): a second name for `from`; AlreadyExists when `to` exists (it is never replaced).
Status LinkFile(const std::filesystem::path& from, const std::filesystem::path& to);

// ftruncate(2) to `size_bytes`.
Status TruncateFile(int fd, uint64_t size_bytes, const std::filesystem::path& path);

// The whole file; NotFound when it does not exist, ResourceExhausted when it holds more than
// `bytes_max` bytes.
Result<std::string> ReadWholeFile(const std::filesystem::path& path, size_t bytes_max);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); the error names `path`.
Status WriteAll(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path);

// Replaces `path` with `contents`: write a temporary file (`temp`, or `path.tmp` when empty, in
// the same directory), fdatasync, rename over, fsync the directory.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                           std::filesystem::path temp = {});

// Takes `<dir>/LOCK`, the exclusive lock (flock) a server holds on its data directory while it
// runs, creating `dir` when missing. Returns the descriptor, which holds the lock until closed or
// the process ends; FailedPrecondition when another process holds it.
Result<int> LockDataDir(const std::filesystem::path& dir);

// Whether `path` lies strictly inside `dir`, both taken as the file system resolves them: relative
// to the working directory, with `..` and the symbolic links of their existing parts followed.
bool IsPathUnder(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace lagoa
