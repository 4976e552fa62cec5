// Delta table maintenance, one header for the server and CLI: history and time travel by timestamp
// (table_history.h), compaction (table_compaction.h), VACUUM (table_vacuum.h), and deletes and
// overwrites by rewriting files (table_rewrite.h). See the README's "Maintenance" section.
#pragma once

#include "lake/maintenance/table_compaction.h"  // IWYU pragma: export
#include "lake/maintenance/table_history.h"     // IWYU pragma: export
#include "lake/maintenance/table_rewrite.h"     // IWYU pragma: export
#include "lake/maintenance/table_vacuum.h"      // IWYU pragma: export
