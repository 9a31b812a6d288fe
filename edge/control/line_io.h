#pragma once
// Newline-terminated lines over a stream socket, with a bound on waiting (the control socket
// and its client).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace gridsight::edge::control {

// Reads one line (without its newline) within `timeout`. nullopt when the peer hung up, the
// time ran out, or the line is longer than `max_bytes`.
std::optional<std::string> read_line(int fd, std::chrono::milliseconds timeout,
                                     std::size_t max_bytes);
// Writes `line` and a newline; false if the peer went away.
bool write_line(int fd, const std::string& line);

}  // namespace gridsight::edge::control
