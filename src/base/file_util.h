// Small durable-file helpers shared by the log's files. Internal to src/log; any thread.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/status.h"

namespace lagoa::log {

// fsync of a directory, so that file creations, renames and removals in it are durable.
Status SyncDir(const std::filesystem::path& dir);

// Replaces `path` with `contents`: write `path.tmp`, fdatasync, rename over, fsync the directory.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace lagoa::log
