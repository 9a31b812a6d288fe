#pragma once
// Adds discovered cameras to the edge's YAML configuration: a camera whose id is already
// there gets its stream URLs (and nothing else) updated; the other cameras and sections are
// kept. The result is validated as the daemon loads it (EdgeConfig) before it replaces the
// file; the previous file is kept as FILE.bak. YAML comments are not kept by the rewrite.

#include <string>
#include <vector>

namespace gridsight::edge::discovery {

struct CameraEntry {
  std::string id;
  std::string name;
  std::string url;      // main stream
  std::string sub_url;  // sub-stream for analytics; empty: none
};

struct WriteResult {
  std::vector<std::string> added;    // camera ids
  std::vector<std::string> updated;  // camera ids whose URLs changed
};

// Throws config::Error when the file is missing, does not parse or the result would not load
// (the message names FILE:line:key), std::runtime_error when the file cannot be written.
WriteResult add_cameras(const std::string& path, const std::vector<CameraEntry>& cameras);

// `uri` with user and password (percent-encoded, RFC 3986) in its authority, unless it
// already carries some or `user` is empty.
std::string with_credentials(const std::string& uri, const std::string& user,
                             const std::string& password);

// A camera id (protocol::is_camera_id) for a device address: "cam-192-168-1-64".
std::string camera_id_for(const std::string& host);

}  // namespace gridsight::edge::discovery
