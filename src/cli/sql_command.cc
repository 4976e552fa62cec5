// `lagoa sql`: statements sent to POST /v1/sql, results printed as an aligned table, CSV or JSON.
// Without -c/-f it is an interactive shell: a statement may span lines and ends with ';', each
// one is appended to ~/.lagoa_sql_history, \timing toggles timing and \q quits.
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/server_request.h"

namespace lagoa::cli {
namespace {

// Display width of UTF-8 text: one column per code point (East Asian wide characters count one).
size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

std::string CellText(simdjson::dom::element value) {
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) return std::string(text);
  if (value.is_null()) return "NULL";
  return simdjson::minify(value);
}

// Prints the JSON response of /v1/sql as a table: a header, a rule, rows (numbers right-aligned),
// and "(N rows)".
int PrintTable(const std::string& body, bool timing) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) {
    std::fprintf(stderr, "error: the server answered something that is not JSON: %.200s\n", body.c_str());
    return 2;
  }
  std::vector<std::string> names;
  std::vector<bool> numeric;
  simdjson::dom::array columns;
  if (doc["columns"].get(columns) == simdjson::SUCCESS) {
    for (simdjson::dom::element column : columns) {
      names.push_back(CellText(column["name"].value()));
      std::string type = CellText(column["type"].value());
      numeric.push_back(type.find("INT") != std::string::npos || type == "DOUBLE" || type == "FLOAT" ||
                        type.starts_with("DECIMAL"));
    }
  }
  std::vector<std::vector<std::string>> rows;
  simdjson::dom::array array;
  if (doc["rows"].get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element row : array) {
      std::vector<std::string> cells;
      for (simdjson::dom::element cell : row.get_array()) cells.push_back(CellText(cell));
      rows.push_back(std::move(cells));
    }
  }
  int64_t changed = -1;
  if (doc["changed_rows"].get(changed) != simdjson::SUCCESS) changed = -1;
  if (!names.empty()) {
    std::vector<size_t> widths;
    for (const std::string& name : names) widths.push_back(DisplayWidth(name));
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
        widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
    auto print_row = [&](const std::vector<std::string>& cells, bool header) {
      std::string line;
      for (size_t c = 0; c < cells.size() && c < widths.size(); ++c) {
        if (c > 0) line += " | ";
        const std::string pad(widths[c] - DisplayWidth(cells[c]), ' ');
        line += !header && numeric[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
      }
      std::printf("%s\n", line.c_str());
    };
    print_row(names, true);
    std::string rule;
    for (size_t c = 0; c < widths.size(); ++c) rule += (c > 0 ? "-+-" : "") + std::string(widths[c], '-');
    std::printf("%s\n", rule.c_str());
    for (const auto& row : rows) print_row(row, false);
    std::printf("(%zu row%s)\n", rows.size(), rows.size() == 1 ? "" : "s");
  } else if (changed >= 0) {
    std::printf("%lld row%s changed\n", static_cast<long long>(changed), changed == 1 ? "" : "s");
  } else {
    std::printf("OK\n");
  }
  int64_t elapsed = 0;
  if (timing && doc["elapsed_ms"].get(elapsed) == simdjson::SUCCESS) {
    std::printf("Time: %lld ms\n", static_cast<long long>(elapsed));
  }
  return 0;
}

// Runs one request; the exit code of commands.h.
int RunSql(HttpClient& client, const std::string& sql, const std::string& format, bool timing) {
  const std::string server_format = format == "table" ? "json" : format == "json" ? "ndjson" : format;
  auto r = client.Request("POST", "/v1/sql?format=" + server_format, sql, "text/plain");
  if (!r.ok()) return PrintTransportError(r.status());
  if (r->status >= 300) return PrintServerError(*r);
  if (format == "table") return PrintTable(r->body, timing);
  std::fwrite(r->body.data(), 1, r->body.size(), stdout);
  return 0;
}

// True when `text` ends a statement: its last non-blank character is ';' outside quotes and
// comments (a rough reading, enough to know when to send).
bool EndsStatement(const std::string& text) {
  bool in_single = false, in_double = false, in_line_comment = false;
  char last = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_line_comment) {
      if (c == '\n') in_line_comment = false;
      continue;
    }
    if (in_single) {
      if (c == '\'') in_single = false;
    } else if (in_double) {
      if (c == '"') in_double = false;
    } else if (c == '\'') {
      in_single = true;
    } else if (c == '"') {
      in_double = true;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      in_line_comment = true;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(c))) last = c;
  }
  return !in_single && !in_double && last == ';';
}

int Shell(HttpClient& client, const std::string& format) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  bool timing = tty;
  std::ofstream history;
  if (const char* home = std::getenv("HOME"); home != nullptr && tty) {
    history.open(std::string(home) + "/.lagoa_sql_history", std::ios::app);
  }
  if (tty) std::printf("lagoa SQL shell: end statements with ';', \\timing toggles timing, \\q quits\n");
  std::string statement;
  std::string line;
  int exit_code = 0;
  while (true) {
    if (tty) {
      std::printf("%s", statement.empty() ? "lagoa> " : "   ...> ");
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line)) break;
    if (statement.empty()) {
      if (line == "\\q" || line == "quit" || line == "exit") break;
      if (line == "\\timing") {
        timing = !timing;
        std::printf("Timing is %s.\n", timing ? "on" : "off");
        continue;
      }
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    }
    statement += line;
    statement += '\n';
    if (!EndsStatement(statement)) continue;
    if (history.is_open()) history << statement << std::flush;
    exit_code = RunSql(client, statement, format, timing);
    if (exit_code == 2 && !tty) return exit_code;
    statement.clear();
  }
  if (!statement.empty() && statement.find_first_not_of(" \t\r\n") != std::string::npos) {
    exit_code = RunSql(client, statement, format, timing);  // the last statement may lack its ';'
  }
  return tty ? 0 : exit_code;
}

}  // namespace

int Sql(const std::string& url, const SqlArgs& args) {
  if (args.format != "table" && args.format != "csv" && args.format != "json") {
    std::fprintf(stderr, "error: --format %s: expected table, csv or json\n", args.format.c_str());
    return 2;
  }
  auto client = HttpClient::Make(url);
  if (!client.ok()) return PrintTransportError(client.status());
  if (!args.command.empty()) return RunSql(**client, args.command, args.format, args.timing);
  if (!args.file.empty()) {
    std::ifstream in(args.file);
    if (!in) {
      std::fprintf(stderr, "error: cannot read %s\n", args.file.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    return RunSql(**client, text.str(), args.format, args.timing);
  }
  return Shell(**client, args.format);
}

}  // namespace lagoa::cli
