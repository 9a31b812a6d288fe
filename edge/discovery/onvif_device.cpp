#include "edge/discovery/onvif_device.h"

#include <chrono>
#include <ctime>

namespace gridsight::edge::discovery {
namespace {

int to_int(const std::string& s) {
  try {
    return std::stoi(s);
  } catch (const std::exception&) {
    return 0;
  }
}

double to_double(const std::string& s) {
  try {
    return std::stod(s);
  } catch (const std::exception&) {
    return 0;
  }
}

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StreamProfile read_profile(const XmlNode& p) {
  StreamProfile s;
  s.token = p.attribute("token");
  s.name = p.child("Name").text();
  XmlNode enc = p.child("VideoEncoderConfiguration");
  s.encoding = enc.child("Encoding").text();
  s.width = to_int(enc.path({"Resolution", "Width"}).text());
  s.height = to_int(enc.path({"Resolution", "Height"}).text());
  s.fps = to_double(enc.path({"RateControl", "FrameRateLimit"}).text());
  return s;
}

}  // namespace

const StreamProfile* DeviceInfo::main_stream() const {
  const StreamProfile* best = nullptr;
  for (const auto& p : profiles) {
    if (!p.uri.empty() && (!best || p.width * p.height > best->width * best->height)) best = &p;
  }
  return best;
}

const StreamProfile* DeviceInfo::sub_stream() const {
  const StreamProfile* main = main_stream();
  const StreamProfile* least = nullptr;
  for (const auto& p : profiles) {
    if (!p.uri.empty() && (!least || p.width * p.height < least->width * least->height)) least = &p;
  }
  return least && main && least->uri != main->uri ? least : nullptr;
}

OnvifDevice::OnvifDevice(std::string device_url, Credentials credentials,
                         http::ClientOptions options)
    : device_url_(std::move(device_url)),
      credentials_(std::move(credentials)),
      client_(std::move(options)),
      digest_(client_, credentials_.user, credentials_.password) {}

SoapAnswer OnvifDevice::call(const std::string& url, const std::string& body, bool authenticated) {
  std::string header;
  if (authenticated && !credentials_.empty()) {
    header = username_token(credentials_, now_s() + clock_offset_s_);
  }
  http::ClientRequest req;
  req.method = "POST";
  req.url = url;
  req.body = envelope(body, header);
  req.content_type = std::string(kSoapContentType);
  http::ClientResult res = authenticated ? digest_.request(req) : client_.request(req);
  SoapAnswer answer;
  if (!res.ok()) {
    answer.error = url + ": " + res.error;
    return answer;
  }
  const auto& r = *res.response;
  answer = parse_answer(r.body);
  if (r.status == 401 ||
      (r.status >= 400 && answer.error.find("NotAuthorized") != std::string::npos)) {
    answer.error = "not authorized (HTTP " + std::to_string(r.status) +
                   "): check the user and password" +
                   (credentials_.empty() ? " (none given: --user/--password)" : "");
  } else if (r.status != 200 && answer.ok()) {
    answer.error = "HTTP " + std::to_string(r.status);
  }
  return answer;
}

void OnvifDevice::read_clock() {
  // Unauthenticated by design (ONVIF Core §5.9.4.1): the UsernameToken's Created time must
  // be close to the device's clock, which may be far from ours on a fresh camera.
  SoapAnswer a = call(device_url_, "<tds:GetSystemDateAndTime/>", false);
  if (!a.ok()) return;  // optional: tokens then use our clock
  XmlNode utc = a.body.find("UTCDateTime");
  if (!utc) return;
  std::tm tm{};
  tm.tm_year = to_int(utc.path({"Date", "Year"}).text()) - 1900;
  tm.tm_mon = to_int(utc.path({"Date", "Month"}).text()) - 1;
  tm.tm_mday = to_int(utc.path({"Date", "Day"}).text());
  tm.tm_hour = to_int(utc.path({"Time", "Hour"}).text());
  tm.tm_min = to_int(utc.path({"Time", "Minute"}).text());
  tm.tm_sec = to_int(utc.path({"Time", "Second"}).text());
  if (tm.tm_year < 70 || tm.tm_mday < 1) return;
  clock_offset_s_ = static_cast<long long>(::timegm(&tm)) - now_s();
}

std::string OnvifDevice::media_address(DeviceInfo& info) {
  // GetServices (ONVIF 2.0 and later), then GetCapabilities (every Profile S device).
  SoapAnswer s = call(device_url_,
                      "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability>"
                      "</tds:GetServices>",
                      true);
  if (s.ok()) {
    for (XmlNode svc : s.body.children("Service")) {
      if (svc.child("Namespace").text() == "http://www.onvif.org/ver10/media/wsdl")
        return svc.child("XAddr").text();
    }
  }
  SoapAnswer c = call(device_url_,
                      "<tds:GetCapabilities><tds:Category>Media</tds:Category>"
                      "</tds:GetCapabilities>",
                      true);
  if (!c.ok()) {
    info.error = "GetCapabilities: " + c.error;
    return {};
  }
  std::string xaddr = c.body.path({"Capabilities", "Media", "XAddr"}).text();
  if (xaddr.empty()) info.error = "the device has no media service (not a Profile S camera)";
  return xaddr;
}

DeviceInfo OnvifDevice::read() {
  DeviceInfo info;
  info.device_url = device_url_;
  read_clock();
  SoapAnswer d = call(device_url_, "<tds:GetDeviceInformation/>", true);
  if (!d.ok()) {
    info.error = "GetDeviceInformation: " + d.error;
    return info;
  }
  info.manufacturer = d.body.child("Manufacturer").text();
  info.model = d.body.child("Model").text();
  info.firmware = d.body.child("FirmwareVersion").text();
  info.serial = d.body.child("SerialNumber").text();

  info.media_url = media_address(info);
  if (!info.ok()) return info;
  SoapAnswer p = call(info.media_url, "<trt:GetProfiles/>", true);
  if (!p.ok()) {
    info.error = "GetProfiles: " + p.error;
    return info;
  }
  for (XmlNode n : p.body.children("Profiles")) {
    StreamProfile s = read_profile(n);
    if (s.token.empty() || s.encoding.empty()) continue;  // no video encoder: nothing to stream
    SoapAnswer u = call(info.media_url,
                        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
                        "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport>"
                        "</trt:StreamSetup><trt:ProfileToken>" +
                            xml_escape(s.token) + "</trt:ProfileToken></trt:GetStreamUri>",
                        true);
    if (u.ok()) {
      s.uri = u.body.path({"MediaUri", "Uri"}).text();
      if (s.uri.empty()) s.error = "GetStreamUri: no Uri in the answer";
    } else {
      s.error = "GetStreamUri: " + u.error;
    }
    info.profiles.push_back(std::move(s));
  }
  if (info.profiles.empty()) info.error = "GetProfiles: no profile with a video encoder";
  return info;
}

}  // namespace gridsight::edge::discovery
