#pragma once
// Editing one camera's `detection:` section (zones, masks, lines, rules; docs/analytics.md) in
// the text of an edge.yaml, as the zone editor on the status page saves it: the section is
// replaced (or added at the end of the camera's entry) and every other line of the file,
// comments included, stays as it was. Validation is the caller's: the edited text goes through
// EdgeConfig::read, the code --check-config runs.

#include <nlohmann/json.hpp>
#include <string>

namespace gridsight::edge {

// The section's YAML (block style, unindented) from its JSON form: maps as blocks, lists and
// maps of plain values in flow style, strings double-quoted.
std::string detection_yaml_from_json(const nlohmann::json& detection);

// A section's YAML (as CameraConfig::detection_yaml holds it) as JSON; scalars that read as
// numbers or booleans become those, the rest strings ("2s" stays "2s").
nlohmann::json detection_json_from_yaml(const std::string& yaml);

// `text` with camera `camera_id`'s `detection:` replaced by `block` (YAML from
// detection_yaml_from_json). Throws config::Error (naming `file`) when the file does not parse,
// has no such camera, or writes it in flow style ({id: ..., url: ...}), which cannot be edited
// line by line.
std::string with_detection(const std::string& text, const std::string& file,
                           const std::string& camera_id, const std::string& block);

}  // namespace gridsight::edge
