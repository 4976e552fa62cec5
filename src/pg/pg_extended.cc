// The extended query protocol: Parse, Bind, Describe, Execute, Close.
#include "pg/pg_client_queries.h"
#include "pg/pg_errors.h"
#include "pg/pg_query.h"
#include "pg/pg_results.h"
#include "sql/sql_text.h"

namespace lagoa::pg::pg {

std::shared_ptr<QueryProtocol::Prepared> QueryProtocol::PrepareOne(std::string_view text,
                                                                   std::vector<uint32_t> param_oids) {
  auto prepared = std::make_shared<Prepared>();
  prepared->sql = std::string(text);
  if (sql::SplitStatements(text).empty()) return prepared;  // the empty query
  ClientQueryAnswer answer = InterceptClientQuery(text);
  if (answer.kind == ClientQueryAnswer::Kind::kCommand) {
    prepared->command_tag = std::move(answer.tag);
    prepared->parameter_status = std::move(answer.parameter_status);
    return prepared;
  }
  prepared->run_sql = answer.kind == ClientQueryAnswer::Kind::kRewrite ? std::move(answer.sql) : prepared->sql;
  auto statement = session_.Prepare(prepared->run_sql);
  if (statement.ok() && !(*statement)->columns_known()) {
    // PostgreSQL types every parameter at Parse; DuckDB leaves a result unknown until execution
    // when it cannot type one. As PostgreSQL does, the declared types hold, and the rest are text.
    std::vector<std::string> casts((*statement)->param_count());
    for (size_t i = 0; i < casts.size(); ++i) {
      if (i < param_oids.size()) casts[i] = std::string(DuckDbTypeOfOid(param_oids[i]));
      if (casts[i].empty() && (*statement)->param_type(i).sql == "UNKNOWN") casts[i] = "VARCHAR";
    }
    prepared->run_sql = sql::CastParameters(prepared->run_sql, casts);
    statement = session_.Prepare(prepared->run_sql);
    if (statement.ok() && !(*statement)->columns_known()) {
      SendError(MakeError(sqlstate::kIndeterminateDatatype,
                          "could not determine the data type of a parameter; cast it, as in $1::BIGINT"));
      if (transaction_status_ == 'T') transaction_status_ = 'E';
      return nullptr;
    }
  }
  if (!statement.ok()) {
    SendStatusError(statement.status(), prepared->run_sql);
    if (transaction_status_ == 'T') transaction_status_ = 'E';
    return nullptr;
  }
  if (auto error = CheckWireLimits((*statement)->param_count(), (*statement)->columns().size())) {
    SendError(*error);
    if (transaction_status_ == 'T') transaction_status_ = 'E';
    return nullptr;
  }
  prepared->statement = std::move(*statement);
  size_t count = prepared->statement->param_count();
  prepared->param_oids.resize(count);
  for (size_t i = 0; i < count; ++i) {
    bool given = i < param_oids.size() && param_oids[i] != 0;
    prepared->param_oids[i] = given ? param_oids[i] : ParamTypeOid(prepared->statement->param_type(i));
  }
  return prepared;
}

QueryProtocol::Outcome QueryProtocol::HandleParse(Parse& m) {
  if (!m.statement.empty() && statements_.contains(m.statement)) {
    SendError(
        MakeError(sqlstate::kDuplicatePreparedStatement, "prepared statement \"" + m.statement + "\" already exists"));
    return Outcome::kError;
  }
  if (statements_.size() >= kPreparedStatementsMax && !statements_.contains(m.statement)) {
    SendError(MakeError("54000", "too many prepared statements on this connection (at most " +
                                     std::to_string(kPreparedStatementsMax) + "); close some"));
    return Outcome::kError;
  }
  if (sql::SplitStatements(m.sql).size() > 1) {
    SendError(MakeError(sqlstate::kSyntaxError, "cannot insert multiple commands into a prepared statement"));
    return Outcome::kError;
  }
  auto prepared = PrepareOne(m.sql, std::move(m.param_types));
  if (prepared == nullptr) return Outcome::kError;
  statements_[m.statement] = std::move(prepared);
  AppendParseComplete(&wire_.out());
  return Outcome::kOk;
}

QueryProtocol::Outcome QueryProtocol::HandleBind(Bind& m) {
  auto it = statements_.find(m.statement);
  if (it == statements_.end()) {
    SendError(MakeError(sqlstate::kInvalidStatementName, "prepared statement \"" + m.statement + "\" does not exist"));
    return Outcome::kError;
  }
  if (!m.portal.empty() && portals_.contains(m.portal)) {
    SendError(MakeError("42P03", "cursor \"" + m.portal + "\" already exists"));
    return Outcome::kError;
  }
  if (portals_.size() >= kPortalsMax && !portals_.contains(m.portal)) {
    SendError(
        MakeError("54000", "too many open portals on this connection (at most " + std::to_string(kPortalsMax) + ")"));
    return Outcome::kError;
  }
  Portal portal;
  portal.prepared = it->second;
  const Prepared& prepared = *portal.prepared;
  size_t count = prepared.param_oids.size();
  if (m.params.size() != count) {
    SendError(MakeError(sqlstate::kProtocolViolation, "bind message supplies " + std::to_string(m.params.size()) +
                                                          " parameters, but prepared statement \"" + m.statement +
                                                          "\" requires " + std::to_string(count)));
    return Outcome::kError;
  }
  std::vector<int16_t> param_formats;
  if (auto error = ExpandFormats(m.param_formats, count, &param_formats)) {
    SendError(*error);
    return Outcome::kError;
  }
  portal.params.resize(count);
  for (size_t i = 0; i < count; ++i) {
    if (auto error = DecodeParam(m.params[i], param_formats[i], prepared.param_oids[i], &portal.params[i])) {
      SendError(*error);
      return Outcome::kError;
    }
  }
  static const std::vector<sql::ResultColumn> kNoColumns;
  bool rows = prepared.statement != nullptr && SendsRows(*prepared.statement);
  const auto& columns = rows ? prepared.statement->columns() : kNoColumns;
  std::optional<PgError> error = ExpandFormats(m.result_formats, columns.size(), &portal.formats);
  if (!error) error = CheckBinaryFormats(columns, portal.formats);
  if (error) {
    SendError(*error);
    return Outcome::kError;
  }
  portals_[m.portal] = std::move(portal);
  AppendBindComplete(&wire_.out());
  return Outcome::kOk;
}

QueryProtocol::Outcome QueryProtocol::HandleDescribe(const Describe& m) {
  std::shared_ptr<Prepared> prepared;
  std::vector<int16_t> formats;
  if (m.target == 'S') {
    auto it = statements_.find(m.name);
    if (it == statements_.end()) {
      SendError(MakeError(sqlstate::kInvalidStatementName, "prepared statement \"" + m.name + "\" does not exist"));
      return Outcome::kError;
    }
    prepared = it->second;
    AppendParameterDescription(&wire_.out(), prepared->param_oids);
  } else {
    auto it = portals_.find(m.name);
    if (it == portals_.end()) {
      SendError(MakeError(sqlstate::kInvalidCursorName, "portal \"" + m.name + "\" does not exist"));
      return Outcome::kError;
    }
    prepared = it->second.prepared;
    formats = it->second.formats;
  }
  if (prepared->statement == nullptr || !SendsRows(*prepared->statement)) {
    AppendNoData(&wire_.out());
  } else {
    AppendRowDescription(&wire_.out(), DescribeColumns(prepared->statement->columns(), formats));
  }
  return Outcome::kOk;
}

QueryProtocol::Outcome QueryProtocol::HandleExecute(const Execute& m) {
  auto it = portals_.find(m.portal);
  if (it == portals_.end()) {
    SendError(MakeError(sqlstate::kInvalidCursorName, "portal \"" + m.portal + "\" does not exist"));
    return Outcome::kError;
  }
  Portal& portal = it->second;
  if (!portal.prepared->command_tag.empty() || portal.prepared->statement == nullptr) {
    CompletePortal(portal);
    return Outcome::kOk;
  }
  switch (RunPortal(portal, m.rows_max, /*describe=*/false)) {
    case PortalRun::kSuspended:
      AppendPortalSuspended(&wire_.out());
      return Outcome::kOk;
    case PortalRun::kDone:
      CompletePortal(portal);
      return Outcome::kOk;
    case PortalRun::kError:
      return Outcome::kError;
  }
  return Outcome::kError;
}

QueryProtocol::Outcome QueryProtocol::HandleClose(const Close& m) {
  if (m.target == 'S') {
    statements_.erase(m.name);
  } else {
    portals_.erase(m.name);
  }
  AppendCloseComplete(&wire_.out());
  return Outcome::kOk;
}

}  // namespace lagoa::pg::pg
