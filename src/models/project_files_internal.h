// Finding a project's files (project.cc, data_tests.cc). Threads: pure functions of the folder.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lagoa::models {

// Every `folder`/**/*`extension` file below `dir`, relative to `dir` and sorted; none when the
// folder is missing. A symbolic link keeps its own name; folders behind links are not followed.
// LimitExceeded past `count_max` files (`what` names them in the message).
Result<std::vector<std::filesystem::path>> FindProjectFiles(const std::filesystem::path& dir, std::string_view folder,
                                                            std::string_view extension, size_t count_max,
                                                            std::string_view what);

}  // namespace lagoa::models
