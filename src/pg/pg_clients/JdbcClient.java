// pgjdbc against lagoa's PostgreSQL front door (pg_server_test): connect, DatabaseMetaData,
// prepared statements with typed parameters, a cursor read with a fetch size (portal
// suspension), a transaction, and Statement.cancel of a long query. Prints "JDBC OK" at the end;
// any failure throws and exits non-zero.
import java.sql.*;
import java.util.concurrent.*;

public class JdbcClient {
  static void check(boolean condition, String what) {
    if (!condition) throw new AssertionError(what);
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/lagoa";
    try (Connection c = DriverManager.getConnection(url, "tester", "")) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE people (id INTEGER, name VARCHAR, score DOUBLE, active BOOLEAN, big BIGINT)");
        check(s.executeUpdate("INSERT INTO people VALUES (1, 'ann', 1.5, true, 10), (2, 'bob', 2.5, false, 20)") == 2,
              "insert count");
      }
      DatabaseMetaData meta = c.getMetaData();
      System.out.println("server: " + meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion());
      boolean found = false;
      try (ResultSet rs = meta.getTables(null, null, "people", new String[] {"TABLE"})) {
        while (rs.next()) found |= rs.getString("TABLE_NAME").equals("people");
      }
      check(found, "getTables finds people");
      StringBuilder columns = new StringBuilder();
      try (ResultSet rs = meta.getColumns(null, null, "people", null)) {
        while (rs.next()) {
          columns.append(rs.getInt("ORDINAL_POSITION")).append(' ').append(rs.getString("COLUMN_NAME")).append(' ')
              .append(rs.getString("TYPE_NAME")).append(' ').append(rs.getInt("DATA_TYPE")).append(';');
        }
      }
      System.out.println("getColumns: " + columns);
      check(columns.toString().equals("1 id int4 " + Types.INTEGER + ";2 name text " + Types.VARCHAR + ";3 score float8 "
                + Types.DOUBLE + ";4 active bool " + Types.BIT + ";5 big int8 " + Types.BIGINT + ";"),
            "getColumns lists every column with its position and type");

      try (PreparedStatement p = c.prepareStatement("SELECT id, name, score, active, big FROM people WHERE id = ? AND name = ?")) {
        for (int i = 0; i < 6; ++i) {  // pgjdbc switches to a named server-side statement after 5 runs
          p.setInt(1, 2);
          p.setString(2, "bob");
          try (ResultSet rs = p.executeQuery()) {
            check(rs.next(), "row");
            check(rs.getInt(1) == 2 && rs.getString(2).equals("bob") && rs.getDouble(3) == 2.5 && !rs.getBoolean(4)
                      && rs.getLong(5) == 20L, "values");
            check(!rs.next(), "one row");
          }
        }
      }
      // An untyped parameter (? AS t): Parse's declared types decide the result's columns.
      try (PreparedStatement p = c.prepareStatement("SELECT ?::BIGINT + 1 AS n, ?::DOUBLE * 2 AS d, ? AS t, ?::BOOLEAN AS b")) {
        for (int i = 0; i < 6; ++i) {
          p.setLong(1, 41 + i);
          p.setDouble(2, 1.25);
          p.setString(3, "x" + i);
          p.setBoolean(4, i % 2 == 0);
          try (ResultSet rs = p.executeQuery()) {
            ResultSetMetaData m = rs.getMetaData();
            check(m.getColumnCount() == 4, "4 columns, got " + m.getColumnCount());
            check(m.getColumnName(1).equals("n") && m.getColumnType(1) == Types.BIGINT && m.getColumnName(3).equals("t")
                      && m.getColumnType(2) == Types.DOUBLE && m.getColumnType(4) == Types.BIT, "column names and types");
            check(rs.next(), "a row");
            check(rs.getLong(1) == 42 + i && rs.getDouble(2) == 2.5 && rs.getString(3).equals("x" + i)
                      && rs.getBoolean(4) == (i % 2 == 0), "typed parameter values");
          }
        }
      }
      c.setAutoCommit(false);  // a fetch size only streams inside a transaction
      try (Statement s = c.createStatement()) {
        s.setFetchSize(100);
        long sum = 0;
        int rows = 0;
        try (ResultSet rs = s.executeQuery("SELECT range AS i FROM range(1000)")) {
          while (rs.next()) {
            sum += rs.getLong(1);
            ++rows;
          }
        }
        check(rows == 1000 && sum == 499500, "fetch-size read " + rows + " rows, sum " + sum);
      }
      c.commit();
      c.setAutoCommit(true);
      try (PreparedStatement p = c.prepareStatement("INSERT INTO people (id, name) VALUES (?, ?)")) {
        p.setInt(1, 3);
        p.setString(2, "cy");
        check(p.executeUpdate() == 1, "prepared insert count");
      }
      try (Statement s = c.createStatement()) {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        pool.submit(() -> {
          Thread.sleep(1000);
          s.cancel();
          return null;
        });
        try {
          s.executeQuery("SELECT count(*) FROM range(10000000000)");
          throw new AssertionError("the long query was not cancelled");
        } catch (SQLException e) {
          System.out.println("cancelled: " + e.getSQLState() + " " + e.getMessage());
          check("57014".equals(e.getSQLState()), "SQLSTATE 57014");
        }
        pool.shutdown();
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM people")) {
          check(rs.next() && rs.getInt(1) == 3, "after cancel");
        }
      }
    }
    System.out.println("JDBC OK");
  }
}
