#include "lake/store/open_object_store.h"

#include <fmt/format.h>

#include <filesystem>

#include "lake/store/local_object_store.h"

namespace lagoa::lake {

namespace {

// The local folder of `location`.
Result<std::filesystem::path> LocalFolder(std::string_view location) {
  constexpr std::string_view kFileScheme = "file://";
  std::string_view path = location;
  if (path.starts_with(kFileScheme)) {
    path.remove_prefix(kFileScheme.size());
  } else if (const size_t scheme = path.find("://"); scheme != std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("object store location {}: only local folders (an absolute path or file://) are supported, not {}",
                    location, path.substr(0, scheme + 3)));
  }
  if (!path.starts_with('/')) {
    return Status::InvalidArgument(
        fmt::format("object store location \"{}\": expected an absolute path or a file:// URI", location));
  }
  return std::filesystem::path(path);
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view location, bool create_if_missing) {
  LocalObjectStoreOptions options;
  LAGOA_ASSIGN_OR_RETURN(options.root, LocalFolder(location));
  options.create_if_missing = create_if_missing;
  LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<LocalObjectStore> store, LocalObjectStore::Make(options));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

Status DeleteObjectStore(std::string_view location) {
  LAGOA_ASSIGN_OR_RETURN(const std::filesystem::path folder, LocalFolder(location));
  std::error_code error;
  std::filesystem::remove_all(folder, error);
  if (error) return Status::IoError(fmt::format("deleting {}: {}", folder.string(), error.message()));
  return Status::Ok();
}

}  // namespace lagoa::lake
