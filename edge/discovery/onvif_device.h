#pragma once
// An ONVIF Profile S device read over its device and media services: identity, media
// profiles, and each profile's RTSP URI with resolution, codec and frame rate. Calls carry a
// WS-Security UsernameToken (timed on the device's clock) and answer an HTTP digest
// challenge when the device sends one.

#include <string>
#include <vector>

#include "common/http/client.h"
#include "common/http/digest.h"
#include "edge/discovery/soap.h"

namespace gridsight::edge::discovery {

struct StreamProfile {
  std::string token;
  std::string name;
  std::string encoding;  // "H264", "H265", "JPEG", "MPEG4" as the device reports it
  int width = 0;
  int height = 0;
  double fps = 0;   // the encoder's frame rate limit
  std::string uri;  // RTSP (RTP unicast); empty when GetStreamUri failed
  std::string error;
};

struct DeviceInfo {
  std::string device_url;
  std::string manufacturer;
  std::string model;
  std::string firmware;
  std::string serial;
  std::string media_url;
  std::vector<StreamProfile> profiles;
  std::string error;  // the first failure that stopped the reading (unreachable, refused...)
  bool ok() const { return error.empty(); }
  // The profile with the most pixels (main stream) and the one with the fewest (sub-stream,
  // null when there is only one distinct stream). Only profiles with a URI count.
  const StreamProfile* main_stream() const;
  const StreamProfile* sub_stream() const;
};

class OnvifDevice {
 public:
  OnvifDevice(std::string device_url, Credentials credentials, http::ClientOptions options = {});
  // All calls in order; stops at the first failure of a required one (error set).
  DeviceInfo read();

 private:
  SoapAnswer call(const std::string& url, const std::string& body, bool authenticated);
  void read_clock();
  std::string media_address(DeviceInfo& info);

  std::string device_url_;
  Credentials credentials_;
  http::Client client_;
  http::DigestSession digest_;
  long long clock_offset_s_ = 0;  // device clock minus ours
};

}  // namespace gridsight::edge::discovery
