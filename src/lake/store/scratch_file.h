// ScratchFile: a local file in flight (a Parquet or checkpoint file before it is put into the
// object store) that is removed when the object goes out of scope, whatever happened meanwhile.
// Lifecycle: owns the path, not an open descriptor; the file need not exist. One thread.
#pragma once

#include <filesystem>
#include <system_error>
#include <utility>

namespace lagoa::lake {

class ScratchFile {
 public:
  explicit ScratchFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace lagoa::lake
