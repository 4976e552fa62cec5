// Helpers of the subcommands that talk to a running server: printing its errors and one-request
// commands. Used from the CLI's main thread.
#pragma once

#include <string>

#include "base/status.h"
#include "cli/http_client.h"

namespace lagoa::cli {

// Prints the server's error (its JSON "error" field when there is one) and returns 1.
int PrintServerError(const HttpResult& r);

// Prints a connection-level error and returns 2.
int PrintTransportError(const Status& s);

// Sends one request and prints the body; the exit code of commands.h.
int SimpleRequest(const std::string& url, const std::string& method, const std::string& target,
                  const std::string& body = {});

}  // namespace lagoa::cli
