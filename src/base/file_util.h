// Small file helpers (the log's segment and offset files, the attached-table list, the folders
// clients may reach). Any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace lagoa {

// fsync of a directory, so that file creations, renames and removals in it are durable.
Status SyncDir(const std::filesystem::path& dir);

// The whole file; NotFound when it does not exist, ResourceExhausted when it holds more than
// `bytes_max` bytes.
Result<std::string> ReadWholeFile(const std::filesystem::path& path, size_t bytes_max);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); the error names `path`.
Status WriteAll(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path);

// Replaces `path` with `contents`: write `path.tmp`, fdatasync, rename over, fsync the directory.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Takes `<dir>/LOCK`, the exclusive lock (flock) a server holds on its data directory while it
// runs, creating `dir` when missing. Returns the descriptor, which holds the lock until closed or
// the process ends; FailedPrecondition when another process holds it.
Result<int> LockDataDir(const std::filesystem::path& dir);

// Whether `path` lies strictly inside `dir`, both taken as the file system resolves them: relative
// to the working directory, with `..` and the symbolic links of their existing parts followed.
bool IsPathUnder(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace lagoa
