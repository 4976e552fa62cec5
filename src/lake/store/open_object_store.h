// OpenObjectStore: the object store at a location, for every module that reads or writes lake
// tables (sql, tables, jobs), so that none of them builds a store of one kind itself and an
// S3-compatible store later is added here only.
// Threads: any thread.
#pragma once

#include <memory>
#include <string_view>

#include "base/status.h"
#include "lake/store/object_store.h"

namespace lagoa::lake {

// `location` is an absolute local path or a `file://` URI of one (catalog::FolderUri's form). A
// folder that does not exist is NotFound unless `create_if_missing`; another scheme is
// InvalidArgument naming it.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view location, bool create_if_missing = false);

// Deletes every object at `location` and, for a local folder, the folder itself: what dropping a
// table that lagoa owns (its folder holds nothing else) leaves behind. OK when nothing is there.
Status DeleteObjectStore(std::string_view location);

}  // namespace lagoa::lake
