// The query phase: the message loop, simple query, portals' execution and transaction status.
#include "pg/pg_query.h"

#include <spdlog/spdlog.h>

#include "base/catch_all.h"
#include "pg/pg_client_queries.h"
#include "pg/pg_errors.h"
#include "pg/pg_results.h"
#include "sql/sql_text.h"

namespace lagoa::pg::pg {

bool QueryProtocol::Setup(const StartupInfo& startup, int32_t pid, int32_t secret) {
  const std::pair<std::string_view, std::string_view> parameters[] = {
      {"server_version", kServerVersion},
      {"server_encoding", "UTF8"},
      {"client_encoding", "UTF8"},
      {"DateStyle", "ISO, MDY"},
      {"IntervalStyle", "postgres"},
      {"TimeZone", "UTC"},
      {"integer_datetimes", "on"},
      {"standard_conforming_strings", "on"},
      {"is_superuser", "on"},
      {"session_authorization", startup.user},
      {"application_name", startup.application_name},
  };
  for (const auto& [name, value] : parameters) AppendParameterStatus(&wire_.out(), name, value);
  AppendBackendKeyData(&wire_.out(), pid, secret);
  AppendReadyForQuery(&wire_.out(), 'I');
  return wire_.Flush();
}

void QueryProtocol::Serve() {
  for (;;) {
    char type = 0;
    std::string body, error;
    ReadStatus status = ReadMessage(wire_, &type, &body, &error);
    if (status == ReadStatus::kClosed) return;
    if (status == ReadStatus::kInvalid) {
      AppendErrorResponse(&wire_.out(), MakeError(sqlstate::kProtocolViolation, error, "FATAL"));
      (void)wire_.Flush();
      return;
    }
    Outcome outcome = Outcome::kOk;
    const Status handled = CatchAll("a PostgreSQL message", [&] { outcome = Dispatch(type, body); });
    if (!handled.ok()) {
      // The client gets an error for this message; the connection and the server go on.
      spdlog::error("pg: {}", handled.message());
      SendError(MakeError(sqlstate::kInternal, handled.message()));
      if (transaction_status_ == 'T') transaction_status_ = 'E';
      if (type == 'Q') {
        AppendReadyForQuery(&wire_.out(), transaction_status_);
      } else {
        skip_until_sync_ = true;
      }
      if (!wire_.Flush()) return;
    }
    if (outcome == Outcome::kClose || write_failed_) return;
  }
}

QueryProtocol::Outcome QueryProtocol::Dispatch(char type, const std::string& body) {
  auto message = ParseFrontendMessage(type, body);
  if (!message.ok()) {
    AppendErrorResponse(&wire_.out(), MakeError(sqlstate::kProtocolViolation, message.status().message(), "FATAL"));
    (void)wire_.Flush();
    return Outcome::kClose;
  }
  if (std::holds_alternative<Terminate>(*message)) return Outcome::kClose;
  if (std::holds_alternative<Sync>(*message)) {
    skip_until_sync_ = false;
    if (transaction_status_ == 'I') portals_.clear();  // the implicit transaction ends here
    AppendReadyForQuery(&wire_.out(), transaction_status_);
    if (!wire_.Flush()) return Outcome::kClose;
    return Outcome::kOk;
  }
  if (skip_until_sync_) return Outcome::kOk;  // after an error, everything up to Sync is dropped
  Outcome outcome = Outcome::kOk;
  if (auto* m = std::get_if<Query>(&*message)) {
    outcome = SimpleQuery(m->sql);
    portals_.erase("");
    AppendReadyForQuery(&wire_.out(), transaction_status_);
    if (!wire_.Flush()) return Outcome::kClose;
    return outcome;
  }
  if (auto* m = std::get_if<Parse>(&*message)) outcome = HandleParse(*m);
  if (auto* m = std::get_if<Bind>(&*message)) outcome = HandleBind(*m);
  if (auto* m = std::get_if<Describe>(&*message)) outcome = HandleDescribe(*m);
  if (auto* m = std::get_if<Execute>(&*message)) outcome = HandleExecute(*m);
  if (auto* m = std::get_if<Close>(&*message)) outcome = HandleClose(*m);
  if (std::holds_alternative<Flush>(*message) && !wire_.Flush()) return Outcome::kClose;
  if (std::holds_alternative<PasswordData>(*message)) {
    AppendErrorResponse(&wire_.out(),
                        MakeError(sqlstate::kProtocolViolation, "unexpected password message after startup", "FATAL"));
    (void)wire_.Flush();
    return Outcome::kClose;
  }
  if (outcome == Outcome::kError) skip_until_sync_ = true;
  return outcome;
}

QueryProtocol::Outcome QueryProtocol::SimpleQuery(const std::string& sql) {
  std::vector<std::string_view> texts = sql::SplitStatements(sql);
  if (texts.empty()) {
    AppendEmptyQueryResponse(&wire_.out());
    return Outcome::kOk;
  }
  bool intercepted = false;
  for (auto text : texts) {
    if (InterceptClientQuery(text).kind != ClientQueryAnswer::Kind::kPass) intercepted = true;
  }
  if (intercepted) {
    // Known client statements are answered one by one, each prepared alone.
    for (size_t i = 0; i < texts.size(); ++i) {
      if (!RunSimpleStatement(texts[i], SIZE_MAX)) return Outcome::kError;
    }
    return Outcome::kOk;
  }
  auto count = session_.Parse(sql);
  if (!count.ok()) {
    SendStatusError(count.status(), sql);
    if (transaction_status_ == 'T') transaction_status_ = 'E';
    return Outcome::kError;
  }
  if (*count == 0) {
    AppendEmptyQueryResponse(&wire_.out());
    return Outcome::kOk;
  }
  // Our split only names the statements (for tags and BEGIN/COMMIT); DuckDB's parse decides.
  for (size_t i = 0; i < *count; ++i) {
    std::string_view text = texts.size() == *count ? texts[i] : std::string_view(sql);
    if (!RunSimpleStatement(text, i)) return Outcome::kError;
  }
  return Outcome::kOk;
}

bool QueryProtocol::RunSimpleStatement(std::string_view text, size_t index) {
  std::shared_ptr<Prepared> prepared;
  if (index == SIZE_MAX) {
    prepared = PrepareOne(text, {});
  } else {
    auto statement = session_.PrepareParsed(index);
    if (!statement.ok()) {
      SendStatusError(statement.status(), text);
      if (transaction_status_ == 'T') transaction_status_ = 'E';
      return false;
    }
    prepared = std::make_shared<Prepared>();
    prepared->sql = prepared->run_sql = std::string(text);
    prepared->statement = std::move(*statement);
  }
  if (prepared == nullptr) return false;
  Portal portal;
  portal.prepared = prepared;
  if (prepared->statement != nullptr) portal.formats.assign(prepared->statement->columns().size(), 0);
  if (!prepared->command_tag.empty() || prepared->statement == nullptr) {
    CompletePortal(portal);
    return true;
  }
  if (RunPortal(portal, 0, /*describe=*/true) != PortalRun::kDone) return false;
  CompletePortal(portal);
  return true;
}

QueryProtocol::PortalRun QueryProtocol::RunPortal(Portal& portal, int64_t rows_max, bool describe) {
  const Prepared& prepared = *portal.prepared;
  if (portal.cursor == nullptr && !portal.done) {
    auto cursor = prepared.statement->Execute(portal.params);
    TrackTransaction(prepared, cursor.ok());
    if (!cursor.ok()) {
      SendStatusError(cursor.status(), prepared.run_sql);
      return PortalRun::kError;
    }
    if (auto error = CheckWireLimits(0, (*cursor)->columns().size())) {
      SendError(*error);
      if (transaction_status_ == 'T') transaction_status_ = 'E';
      portal.done = true;
      return PortalRun::kError;
    }
    portal.cursor = std::move(*cursor);
    if (describe && SendsRows(*prepared.statement) && !portal.cursor->columns().empty()) {
      portal.formats.resize(portal.cursor->columns().size(), 0);
      AppendRowDescription(&wire_.out(), DescribeColumns(portal.cursor->columns(), portal.formats));
    }
  }
  portal.rows_this_run = 0;
  while (!portal.done) {
    if (portal.chunk == nullptr || portal.next_row >= portal.chunk->row_count()) {
      auto next = portal.cursor->Next();
      if (!next.ok()) {
        SendStatusError(next.status(), prepared.run_sql);
        if (transaction_status_ == 'T') transaction_status_ = 'E';
        portal.done = true;
        return PortalRun::kError;
      }
      portal.chunk = std::move(*next);
      portal.next_row = 0;
      if (portal.chunk == nullptr) portal.done = true;
      continue;
    }
    if (rows_max > 0 && portal.rows_this_run == rows_max) return PortalRun::kSuspended;
    if (SendsRows(*prepared.statement)) AppendDataRow(&wire_.out(), *portal.chunk, portal.next_row, portal.formats);
    ++portal.next_row;
    ++portal.rows_this_run;
    if (!FlushIfFull()) return PortalRun::kError;
  }
  return PortalRun::kDone;
}

void QueryProtocol::CompletePortal(const Portal& portal) {
  const Prepared& prepared = *portal.prepared;
  if (!prepared.command_tag.empty()) {
    if (prepared.parameter_status) {
      AppendParameterStatus(&wire_.out(), prepared.parameter_status->first, prepared.parameter_status->second);
    }
    AppendCommandComplete(&wire_.out(), prepared.command_tag);
    return;
  }
  if (prepared.statement == nullptr) {
    AppendEmptyQueryResponse(&wire_.out());
    return;
  }
  int64_t changed = portal.cursor != nullptr ? portal.cursor->changed_rows() : -1;
  AppendCommandComplete(&wire_.out(),
                        CommandTag(prepared.statement->kind(), prepared.sql, portal.rows_this_run, changed));
}

void QueryProtocol::TrackTransaction(const Prepared& prepared, bool ok) {
  if (prepared.statement != nullptr && prepared.statement->kind() == sql::StatementKind::kTransaction) {
    switch (TransactionEffectOf(prepared.run_sql)) {
      case TransactionEffect::kBegin:
        if (ok) transaction_status_ = 'T';
        return;
      case TransactionEffect::kEnd:
        transaction_status_ = 'I';  // a failed COMMIT ends the transaction too (DuckDB rolls back)
        return;
      case TransactionEffect::kNone:
        break;
    }
  }
  if (!ok && transaction_status_ == 'T') transaction_status_ = 'E';
}

void QueryProtocol::SendError(const PgError& error) { AppendErrorResponse(&wire_.out(), error); }

void QueryProtocol::SendStatusError(const Status& status, std::string_view sql) {
  SendError(ErrorFromStatus(status, sql));
}

bool QueryProtocol::FlushIfFull() {
  if (wire_.out().size() < kFlushBytes) return true;
  if (!wire_.Flush()) write_failed_ = true;
  return !write_failed_;
}

}  // namespace lagoa::pg::pg
