#include "lake/store/object_store.h"

#include <fmt/format.h>

namespace lagoa::lake {

Status ValidateObjectKey(std::string_view key) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("object key \"{}\": {}", key, why));
  };
  if (key.empty()) return Status::InvalidArgument("object key is empty");
  if (key.size() > kObjectKeyBytesMax) return invalid(fmt::format("longer than {} bytes", kObjectKeyBytesMax));
  if (key.find('\0') != std::string_view::npos) return invalid("contains a NUL byte");
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment = key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (segment.empty()) return invalid("has an empty path segment");
    if (segment == "." || segment == "..") return invalid("has a \".\" or \"..\" segment");
    if (segment.starts_with(kTempObjectPrefix)) return invalid("uses the reserved temporary-file prefix");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

}  // namespace lagoa::lake
