// The protocol phases of one PostgreSQL connection, over a blocking byte stream (WireIo):
// RunStartup (startup packet, SSL/GSS refusal, CancelRequest, authentication) and QueryProtocol
// (simple and extended query over one sql::Session). Internal to src/pg: PgConnection drives
// them on its connection thread.
//
// Extended query: named and unnamed prepared statements and portals; a portal keeps its Cursor
// and partly consumed chunk between Executes with a row limit (PortalSuspended). After an error
// every message up to Sync is discarded, as PostgreSQL does. Results stream: the output buffer is
// flushed every kFlushBytes, so a result is never held whole.
//
// Lifecycle: both live on the connection thread's stack for one connection. Threads: that one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/pg_connection.h"
#include "pg/pg_messages.h"
#include "sql/sql_engine.h"

namespace lagoa::pg::pg {

// Flush the output buffer to the socket once it holds this much.
inline constexpr size_t kFlushBytes = 256u << 10;
// Per connection: named prepared statements and open portals (a client leaking them is refused).
inline constexpr size_t kPreparedStatementsMax = 10000;
inline constexpr size_t kPortalsMax = 1000;

class WireIo {
 public:
  virtual ~WireIo() = default;
  // False when the peer closed or the socket failed.
  virtual bool ReadExact(char* to, size_t n) = 0;
  virtual std::string& out() = 0;  // the output buffer; Flush sends it
  virtual bool Flush() = 0;
};

enum class ReadStatus : uint8_t { kOk, kClosed, kInvalid };
// Reads one typed message; kInvalid (with `error` filled) when its length is out of bounds.
ReadStatus ReadMessage(WireIo& wire, char* type, std::string* body, std::string* error);

struct StartupInfo {
  std::string user;
  std::string database;
  std::string application_name;
};

// Runs the startup handshake and authentication; the client's startup parameters when it may go
// on, nullopt when the connection must close (errors were sent, or it was a CancelRequest).
std::optional<StartupInfo> RunStartup(WireIo& wire, const ConnectionContext& context);

class QueryProtocol {
 public:
  QueryProtocol(WireIo& wire, sql::Session& session) : wire_(wire), session_(session) {}

  // Greets the client (ParameterStatus, BackendKeyData, ReadyForQuery). False when the
  // connection must close.
  bool Setup(const StartupInfo& startup, int32_t pid, int32_t secret);
  // Serves messages until Terminate, EOF, a socket error or a protocol violation.
  void Serve();

 private:
  struct Prepared {
    std::string sql;                            // what the client sent
    std::string run_sql;                        // what runs (rewritten for known client queries)
    std::unique_ptr<sql::Statement> statement;  // null: empty query or answered without running
    std::string command_tag;                    // answered without running, when not empty
    std::optional<std::pair<std::string, std::string>> parameter_status;
    std::vector<uint32_t> param_oids;
  };
  struct Portal {
    std::shared_ptr<Prepared> prepared;
    std::vector<sql::Param> params;
    std::vector<int16_t> formats;  // one per result column
    std::unique_ptr<sql::Cursor> cursor;
    std::unique_ptr<sql::ResultChunk> chunk;  // partly sent when suspended
    size_t next_row = 0;
    bool done = false;
    int64_t rows_this_run = 0;  // rows sent by the latest Execute (its command tag's count)
  };
  enum class Outcome : uint8_t { kOk, kError, kClose };
  enum class PortalRun : uint8_t { kDone, kSuspended, kError };

  Outcome Dispatch(char type, const std::string& body);
  Outcome SimpleQuery(const std::string& sql);
  bool RunSimpleStatement(std::string_view text, size_t index);
  Outcome HandleParse(Parse& m);
  Outcome HandleBind(Bind& m);
  Outcome HandleDescribe(const Describe& m);
  Outcome HandleExecute(const Execute& m);
  Outcome HandleClose(const Close& m);

  // Prepares one statement text (intercepting known client queries); nullptr after sending the
  // error.
  std::shared_ptr<Prepared> PrepareOne(std::string_view text, std::vector<uint32_t> param_oids);
  // Starts (first call) or resumes a portal: DataRows up to `rows_max` (0: all), after a
  // RowDescription when `describe` (simple query). kError after sending the error.
  PortalRun RunPortal(Portal& portal, int64_t rows_max, bool describe);
  void CompletePortal(const Portal& portal);
  void SendError(const PgError& error);
  void SendStatusError(const Status& status, std::string_view sql);
  void TrackTransaction(const Prepared& prepared, bool ok);
  bool FlushIfFull();

  WireIo& wire_;
  sql::Session& session_;
  std::map<std::string, std::shared_ptr<Prepared>, std::less<>> statements_;
  std::map<std::string, Portal, std::less<>> portals_;
  char transaction_status_ = 'I';  // 'I' idle, 'T' in a block, 'E' failed block
  bool skip_until_sync_ = false;
  bool write_failed_ = false;
};

}  // namespace lagoa::pg::pg
