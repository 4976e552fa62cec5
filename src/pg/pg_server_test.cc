// PgServer end to end: an in-process SqlEngine (no log, streams or attached tables: DuckDB tables
// only) behind a PgServer on a free port, driven by real clients — psql, a pgjdbc program and a
// node-postgres script (pg_clients/) — and by raw sockets sending malformed bytes.
#include "pg/pg_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "lake/lake_test_util.h"
#include "pg/pg_messages.h"
#include "sql/sql_engine.h"

namespace lagoa::pg {
namespace {

using lake::testing_util::TempDir;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool HasProgram(const std::string& name) { return RunShell("command -v " + name).exit_code == 0; }

// A client the test needs is missing: skipped on a developer's machine, a failure under CI (which
// installs every client through scripts/bootstrap).
#define LAGOA_REQUIRE_CLIENT(present, message) \
  if (!(present)) {                            \
    if (std::getenv("CI") != nullptr) {        \
      FAIL() << (message);                     \
    } else {                                   \
      GTEST_SKIP() << (message);               \
    }                                          \
  }

class PgServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "lake");
    std::filesystem::create_directories(dir_.path() / "tmp");
    sql::SqlEngineOptions options;
    options.lake_dir = dir_.path() / "lake";
    options.temp_dir = dir_.path() / "tmp";
    options.tables_dir = dir_.path() / "tables";  // CREATE TABLE makes lake tables, as in the server
    options.statement_timeout_ms = std::chrono::milliseconds(60'000);
    // Room for the protocol-limit statements below (70,000 parameters are 1.7 MB of text).
    options.text_bytes_max = 4u << 20;
    auto engine = sql::SqlEngine::Make(options, nullptr, nullptr, nullptr);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
  }

  void StartServer(std::vector<PgUser> users = {}, int connections_max = 64) {
    PgServerOptions options;
    options.port = 0;
    options.users = std::move(users);
    options.connections_max = connections_max;
    auto server = PgServer::Make(options, engine_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
  }

  std::string Port() const { return std::to_string(server_->port()); }

  // psql -c for each command (in one session), unaligned output, no .psqlrc.
  CommandResult Psql(const std::vector<std::string>& commands, const std::string& env = "") {
    std::string command = env + " PGCONNECT_TIMEOUT=10 psql -X -A -h 127.0.0.1 -p " + Port() + " -U tester -d lagoa";
    for (const auto& c : commands) command += " -c \"" + c + "\"";
    return RunShell(command);
  }

  TempDir dir_;
  std::unique_ptr<sql::SqlEngine> engine_;
  std::unique_ptr<PgServer> server_;
};

TEST_F(PgServerTest, PsqlRunsQueriesAndDescribesTables) {
  LAGOA_REQUIRE_CLIENT(HasProgram("psql"), "psql is not installed (Debian: postgresql-client)");
  StartServer();
  auto r = Psql({"SELECT 1 AS one, 'x' AS s, NULL::INTEGER AS n, true AS b, 1.5::DOUBLE AS d"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("one|s|n|b|d\n1|x||t|1.5\n(1 row)"), std::string::npos) << r.output;

  r = Psql({"CREATE TABLE t (a INTEGER, b VARCHAR)", "INSERT INTO t VALUES (1, 'one'), (2, 'two')",
            "SELECT * FROM t ORDER BY a", "\\dt", "\\d t"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("CREATE TABLE"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("INSERT 0 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("a|b\n1|one\n2|two\n(2 rows)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("main|t|table|lagoa"), std::string::npos) << r.output;  // \dt
  EXPECT_NE(r.output.find("Table \"main.t\""), std::string::npos) << r.output;    // \d t
  EXPECT_NE(r.output.find("a|integer"), std::string::npos) << r.output;           // PostgreSQL's type names
  EXPECT_NE(r.output.find("b|text"), std::string::npos) << r.output;
}

TEST_F(PgServerTest, PsqlCatalogCommandsAnswer) {
  LAGOA_REQUIRE_CLIENT(HasProgram("psql"), "psql is not installed (Debian: postgresql-client)");
  StartServer();
  auto r = Psql({"CREATE TABLE memory.k (id BIGINT NOT NULL, amount DECIMAL(10,2), ts TIMESTAMPTZ, tags VARCHAR[])",
                 "\\d+ k", "\\dt+", "\\dn", "\\l",
                 "SELECT table_schema, table_type FROM information_schema.tables WHERE table_name = 'k'",
                 std::string("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'k' ") +
                     "ORDER BY ordinal_position"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* expected :
       {"id|bigint||not null|", "amount|numeric(10,2)|", "ts|timestamp with time zone|", "tags|text[]|",
        "main|k|table|lagoa", "Name|Owner\nmain|lagoa\n(1 row)", "memory|lagoa|UTF8|C|C", "main|BASE TABLE",
        "id|bigint\namount|numeric\nts|timestamp with time zone\ntags|ARRAY"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
  EXPECT_EQ(r.output.find("ERROR"), std::string::npos) << r.output;
}

TEST_F(PgServerTest, PsqlSeesErrorsTransactionsAndMultipleStatements) {
  LAGOA_REQUIRE_CLIENT(HasProgram("psql"), "psql is not installed (Debian: postgresql-client)");
  StartServer();
  auto r = Psql({"SELECT * FROM missing_table"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing_table"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("LINE 1: SELECT * FROM missing_table"), std::string::npos) << r.output;  // psql's caret
  r = Psql({"SELEC 1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("syntax error"), std::string::npos) << r.output;
  r = Psql({"CREATE TEMP TABLE u (x INTEGER); BEGIN; INSERT INTO u VALUES (1); ROLLBACK; SELECT count(*) AS c FROM u",
            "SELECT version()", "SHOW transaction_isolation", "SET extra_float_digits = 3", ""});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("c\n0\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("PostgreSQL 15.0 (lagoa)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("read committed"), std::string::npos) << r.output;
}

TEST_F(PgServerTest, ScramAuthenticationAcceptsTheRightPasswordOnly) {
  LAGOA_REQUIRE_CLIENT(HasProgram("psql"), "psql is not installed (Debian: postgresql-client)");
  StartServer({{"tester", "s3cret pass"}});
  auto r = Psql({"SELECT 42 AS answer"}, "PGPASSWORD='s3cret pass'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("answer\n42"), std::string::npos) << r.output;
  r = Psql({"SELECT 1"}, "PGPASSWORD=wrong");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("password authentication failed for user \"tester\""), std::string::npos) << r.output;
  r = Psql({"SELECT 1"}, "PGPASSWORD=whatever PGUSER=nobody");
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(PgServerTest, PsqlCancelInterruptsALongQuery) {
  LAGOA_REQUIRE_CLIENT(HasProgram("psql"), "psql is not installed (Debian: postgresql-client)");
  StartServer();
  // timeout sends SIGINT after 2 s; psql then sends a CancelRequest on a new connection.
  auto started = std::chrono::steady_clock::now();
  auto r = RunShell("timeout -s INT 2 psql -X -h 127.0.0.1 -p " + Port() +
                    " -U tester -c 'SELECT count(*) FROM range(10000000000)'");
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cancel"), std::string::npos) << r.output;
  EXPECT_LT(seconds, 20) << r.output;
  r = Psql({"SELECT 7 AS after_cancel"});  // the server goes on serving
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(PgServerTest, JdbcMetadataPreparedStatementsFetchSizeAndCancel) {
  const std::string jar = "/usr/share/java/postgresql.jar";
  LAGOA_REQUIRE_CLIENT(HasProgram("javac") && std::filesystem::exists(jar),
                       "javac or " + jar + " missing (Debian: default-jdk-headless libpostgresql-jdbc-java)");
  StartServer();
  std::string classes = (dir_.path() / "classes").string();
  auto r = RunShell("javac -d " + classes + " -cp " + jar + " " LAGOA_PG_CLIENTS_DIR "/JdbcClient.java");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = RunShell("java -cp " + classes + ":" + jar + " JdbcClient " + Port());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("JDBC OK"), std::string::npos) << r.output;
}

TEST_F(PgServerTest, NodePostgresQueriesWithParameters) {
  const std::string modules = LAGOA_PG_NODE_MODULES;
  LAGOA_REQUIRE_CLIENT(HasProgram("node"), "node is not installed (Debian: nodejs)");
  LAGOA_REQUIRE_CLIENT(std::filesystem::exists(modules + "/pg"),
                       "node-postgres missing (scripts/bootstrap installs it into " + modules + ")");
  StartServer();
  auto r = RunShell("NODE_PATH=" + modules + " node " LAGOA_PG_CLIENTS_DIR "/node_client.js " + Port());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("NODE OK"), std::string::npos) << r.output;
}

// A blocking loopback socket for malformed-input tests.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // What the server sends until `marker` has come (or it closes, or 10 s pass).
  std::string ReadUntil(std::string_view marker) {
    std::string all;
    char buffer[4096];
    ssize_t n = 0;
    while (all.find(marker) == std::string::npos && (n = ::recv(fd_, buffer, sizeof(buffer), 0)) > 0) {
      all.append(buffer, static_cast<size_t>(n));
    }
    return all;
  }
  // Everything until the server closes (or 10 s pass).
  std::string ReadUntilClosed() {
    std::string all;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd_, buffer, sizeof(buffer), 0)) > 0) all.append(buffer, static_cast<size_t>(n));
    return all;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string StartupPacket() {
  std::string body;
  pg::AppendInt32(&body, 196608);
  body += std::string("user\0raw\0\0", 10);
  std::string packet;
  pg::AppendInt32(&packet, static_cast<int32_t>(body.size() + 4));
  return packet + body;
}

std::string Message(char type, const std::string& body) {
  std::string m(1, type);
  pg::AppendInt32(&m, static_cast<int32_t>(body.size() + 4));
  return m + body;
}

TEST_F(PgServerTest, MalformedInputGetsAnErrorOrACloseNeverACrash) {
  StartServer();
  {  // a startup length that is too large
    RawSocket s(server_->port());
    ASSERT_TRUE(s.connected());
    s.Send(std::string("\x7f\xff\xff\xff", 4));
    std::string reply = s.ReadUntilClosed();
    ASSERT_FALSE(reply.empty());
    EXPECT_EQ(reply[0], 'E');
    EXPECT_NE(reply.find("08P01"), std::string::npos);
  }
  {  // garbage after a good startup: an unknown message type
    RawSocket s(server_->port());
    s.Send(StartupPacket() + Message('?', "garbage"));
    std::string reply = s.ReadUntilClosed();
    EXPECT_NE(reply.find("08P01"), std::string::npos);
    EXPECT_NE(reply.find("invalid frontend message type"), std::string::npos);
  }
  {  // a length word below 4, then a body over the limit
    RawSocket s(server_->port());
    s.Send(StartupPacket() + std::string("Q\0\0\0\x02", 5));
    EXPECT_NE(s.ReadUntilClosed().find("08P01"), std::string::npos);
    RawSocket t(server_->port());
    t.Send(StartupPacket() + std::string("Q\x7f\0\0\0", 5));
    EXPECT_NE(t.ReadUntilClosed().find("exceeds the limit"), std::string::npos);
  }
  {  // a truncated Bind; then the connection closes when the client does
    RawSocket s(server_->port());
    s.Send(StartupPacket() + Message('B', std::string("\0\0\0\x01\0", 5)));
    EXPECT_NE(s.ReadUntilClosed().find("08P01"), std::string::npos);
  }
  {  // SSLRequest answered 'N', then random bytes
    RawSocket s(server_->port());
    std::string ssl;
    pg::AppendInt32(&ssl, 8);
    pg::AppendInt32(&ssl, 80877103);
    std::string junk;
    for (int i = 0; i < 1000; ++i) junk.push_back(static_cast<char>((i * 7919) & 0xff));
    s.Send(ssl + junk);
    std::string reply = s.ReadUntilClosed();
    ASSERT_FALSE(reply.empty());
    EXPECT_EQ(reply[0], 'N');
  }
  {  // a client that vanishes mid-message
    RawSocket s(server_->port());
    s.Send(StartupPacket() + std::string("Q\0\0\0\x20SELE", 9));
  }
  // The server still answers a well-formed client.
  RawSocket s(server_->port());
  s.Send(StartupPacket() + Message('Q', std::string("SELECT 1\0", 9)) + Message('X', ""));
  std::string reply = s.ReadUntilClosed();
  EXPECT_NE(reply.find("SELECT 1"), std::string::npos);
}

// Statements that once ended the server: results and parameters past the protocol's 16-bit counts
// (assertions when the messages were built), and an error message quoting "LINE x:" itself (a
// throwing number parse). Each is an error for that statement; the connection goes on.
TEST_F(PgServerTest, ProtocolLimitsAndOddErrorTextsAreErrorsNeverACrash) {
  StartServer();
  std::string wide = "SELECT 1";
  for (int i = 1; i < 65536; ++i) wide += ",1";
  std::string parse_body = std::string("\0", 1) + wide + std::string("\0\0\0", 3);
  {  // simple query: 65,536 result columns
    RawSocket s(server_->port());
    s.Send(StartupPacket() + Message('Q', wide + std::string("\0", 1)) + Message('Q', std::string("SELECT 2\0", 9)) +
           Message('X', ""));
    std::string reply = s.ReadUntilClosed();
    EXPECT_NE(reply.find("65536 columns"), std::string::npos);
    EXPECT_NE(reply.find("SELECT 1"), std::string::npos);  // the next statement's completion tag
  }
  {  // extended: Parse of the same statement, then of one with 70,000 parameters
    RawSocket s(server_->port());
    std::string many = "SELECT 1 WHERE NULL IN ($1";
    for (int i = 2; i <= 70000; ++i) many += ",$" + std::to_string(i);
    many += ")";
    s.Send(StartupPacket() + Message('P', parse_body) + Message('S', "") +
           Message('P', std::string("\0", 1) + many + std::string("\0\0\0", 3)) + Message('S', "") +
           Message('Q', std::string("SELECT 3\0", 9)) + Message('X', ""));
    std::string reply = s.ReadUntilClosed();
    EXPECT_NE(reply.find("65536 columns"), std::string::npos) << reply.substr(0, 400);
    EXPECT_NE(reply.find("70000 parameters"), std::string::npos) << reply.substr(0, 400);
    EXPECT_NE(reply.find("SELECT 1"), std::string::npos);
  }
  {  // an error message holding "\nLINE x: y\n^" before DuckDB's own LINE
    RawSocket s(server_->port());
    std::string odd = "SELECT * FROM \"t\nLINE x: y\n^\"";
    s.Send(StartupPacket() + Message('Q', odd + std::string("\0", 1)) + Message('Q', std::string("SELECT 4\0", 9)) +
           Message('X', ""));
    std::string reply = s.ReadUntilClosed();
    EXPECT_NE(reply.find("does not exist"), std::string::npos) << reply;
    EXPECT_NE(reply.find("SELECT 1"), std::string::npos);
  }
}

TEST_F(PgServerTest, RefusesConnectionsBeyondTheLimit) {
  StartServer({}, 1);
  RawSocket first(server_->port());
  first.Send(StartupPacket());
  // The first is admitted once it is ready for queries: ReadyForQuery, idle.
  const std::string ready("Z\0\0\0\5I", 6);
  ASSERT_NE(first.ReadUntil(ready).find(ready), std::string::npos);
  RawSocket second(server_->port());
  std::string reply = second.ReadUntilClosed();
  EXPECT_NE(reply.find("53300"), std::string::npos) << reply;
}

}  // namespace
}  // namespace lagoa::pg
