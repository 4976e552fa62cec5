// Writing a classic Delta checkpoint (PROTOCOL.md "Checkpoints"): `_delta_log/<v>.checkpoint.parquet`
// holding one row per action of a reconciled snapshot — protocol, metaData, every active add and
// every txn (remove tombstones are optional and lagoa writes none) — then the `_last_checkpoint`
// hint {"version":v,"size":rows}.
//
// The Parquet file is built by DuckDB: the actions are serialized as JSON lines (the same text as
// a commit) into a local scratch file, and `COPY (SELECT ... FROM read_json(..., columns = {...}))
// TO ... (FORMAT parquet)` types them with the checkpoint's struct schema (maps as MAP(VARCHAR,
// VARCHAR), stats as a string). The bytes are then stored with PutIfAbsent: a checkpoint is never
// overwritten, and a second writer checkpointing the same version finds it present and succeeds.
// `_last_checkpoint` is the one file that is replaced: on a LocalObjectStore through a temporary
// file and rename(); on other stores by Delete + PutIfAbsent (a reader that sees no hint lists the
// log instead, so the gap is harmless). It never moves backwards past a newer hint seen before
// writing (two writers racing can still leave the older one; it is only a hint).
//
// Pure function apart from the store, the DuckDB connection and scratch files, which it removes.
// Threads: the DuckDB connection is used by the calling thread only.
#pragma once

#include <filesystem>

#include "duck/connection.h"
#include "lake/delta/snapshot.h"
#include "lake/store/object_store.h"

namespace lagoa::lake {

// Key of the classic checkpoint of `version` under `table_prefix`.
std::string CheckpointKey(std::string_view table_prefix, TableVersion version);

// Writes the checkpoint of `snapshot` (its version, its table prefix) and updates the hint.
// `scratch_dir` is a local directory for the two temporary files.
Status WriteCheckpoint(ObjectStore& store, duck::Connection& duckdb, const Snapshot& snapshot,
                       const std::filesystem::path& scratch_dir);

}  // namespace lagoa::lake
