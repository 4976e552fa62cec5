// Helpers of the subcommands that talk to a running server: printing its errors and one-request
// commands. Used from the CLI's main thread.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/http_client.h"

namespace lagoa::cli {

// The server's error: its JSON "error" field when there is one, else the body.
std::string ServerErrorMessage(const HttpResult& r);

// Prints the server's error (ServerErrorMessage) and returns 1.
int PrintServerError(const HttpResult& r);

// Prints a connection-level error and returns 2.
int PrintTransportError(const Status& s);

// Sends one request and prints the body; the exit code of commands.h.
int SimpleRequest(const std::string& url, const std::string& method, const std::string& target,
                  const std::string& body = {});

// A 2xx JSON answer of the server, parsed; `doc` points into `raw` through `parser`.
struct JsonReply {
  simdjson::dom::parser parser;
  std::string raw;
  simdjson::dom::element doc;
};

// Sends the request and parses its answer into `reply`; the exit code when that fails.
std::optional<int> RequestJson(const std::string& url, const std::string& method, const std::string& target,
                               const std::string& body, JsonReply* reply);

// A JSON value as text: strings as they are, null as "-", anything else minified.
std::string Text(simdjson::dom::element e);
// The member `key` of `object` as Text, or "-" when absent.
std::string Field(simdjson::dom::element object, std::string_view key);

// The members of the array `key` of `object` as Text, joined with ", "; "" when absent.
std::string Joined(simdjson::dom::element object, std::string_view key);

// Prints rows as columns padded to their widest cell.
void PrintAligned(const std::vector<std::vector<std::string>>& rows);

}  // namespace lagoa::cli
