#pragma once
// Typed reading of YAML configuration: defaults, bounds, unknown keys refused, and errors
// that name the file, line and key ("edge.yaml:12:3: outbox.max_events: must be ...").
// Each config struct has a `static T read(config::Section&)` that pulls its fields and
// finishes the section; see edge/config and aggregator/config.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace gridsight::config {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Section {
 public:
  // A section over a YAML node (a map, or null/absent meaning "all defaults").
  Section(std::shared_ptr<const YAML::Node> node, std::string file, std::string path);
  ~Section();
  Section(Section&&) noexcept;
  Section& operator=(Section&&) noexcept;

  bool has(std::string_view key) const;
  // The section as YAML text (keys in file order), optionally without one key: compare two
  // dumps to see whether a part of the configuration changed (edge config reload).
  std::string dump(std::string_view without_key = {}) const;

  bool boolean(std::string_view key, bool fallback);
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi);
  double number(std::string_view key, double fallback, double lo, double hi);
  std::string string(std::string_view key, std::string fallback);
  std::string required_string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  // One of `choices`.
  std::string choice(std::string_view key, std::string fallback,
                     const std::vector<std::string>& choices);
  // "250ms", "5s", "10m", "2h", "3d" or a plain number of seconds; returned in milliseconds.
  std::int64_t duration_ms(std::string_view key, std::int64_t fallback_ms, std::int64_t lo_ms,
                           std::int64_t hi_ms);
  // "512", "64KiB", "20MiB", "2GiB"; returned in bytes.
  std::uint64_t bytes(std::string_view key, std::uint64_t fallback, std::uint64_t lo,
                      std::uint64_t hi);
  std::vector<std::string> strings(std::string_view key);
  std::vector<double> numbers(std::string_view key);

  Section section(std::string_view key);      // absent: an empty section (defaults)
  std::vector<Section> list(std::string_view key);  // a sequence of maps; absent: empty

  // Refuses keys that were never read. Call once every field was read.
  void finish();

  // An error located at `key` (or at the section itself when key is empty).
  [[noreturn]] void fail(std::string_view key, const std::string& reason) const;
  std::string where(std::string_view key) const;  // "file:line:col: path.key"
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

 private:
  std::shared_ptr<const YAML::Node> child(std::string_view key);
  std::string key_path(std::string_view key) const;
  std::string scalar(std::string_view key, const YAML::Node& n) const;

  std::shared_ptr<const YAML::Node> node_;
  std::string file_;
  std::string path_;
  std::vector<std::string> read_;
};

// Loads a YAML file. Syntax errors name the file and line.
Section load_file(const std::string& path);
// Parses YAML text; `name` is used in error messages in place of a file name.
Section load_string(const std::string& text, const std::string& name);

}  // namespace gridsight::config
