#include <fmt/format.h>

#include <algorithm>

#include "models/project_files_internal.h"

namespace lagoa::models {

Result<std::vector<std::filesystem::path>> FindProjectFiles(const std::filesystem::path& dir, std::string_view folder,
                                                            std::string_view extension, size_t count_max,
                                                            std::string_view what) {
  const std::filesystem::path root = dir / folder;
  std::vector<std::filesystem::path> files;
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) return files;
  std::filesystem::recursive_directory_iterator it(root, error), end;
  for (; !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error) && it->path().extension() == extension) {
      files.push_back(it->path().lexically_relative(dir));  // a symbolic link keeps its own name
      if (files.size() > count_max) {
        return Status::LimitExceeded(fmt::format("{}: more than {} {}", root.string(), count_max, what));
      }
    }
  }
  if (error) return Status::IoError(fmt::format("listing {}: {}", root.string(), error.message()));
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace lagoa::models
