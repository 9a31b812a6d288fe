#!/usr/bin/env python3
"""An ONVIF Profile S test device for the discovery tests: WS-Discovery, device and media
services, with the authentication real cameras ask for, pointing at real RTSP streams.

  onvif_device.py PORT_FILE --main RTSP_URL [--sub RTSP_URL] [options]

Options:
  --user U --password P      credentials (default admin / admin)
  --auth either|digest|wsse  what authenticates a call (default either):
                               digest  HTTP digest only (a WS-UsernameToken is ignored)
                               wsse    WS-UsernameToken PasswordDigest only
                               either  one of the two; with neither: 401 and a digest challenge
  --http-bind ADDR           the device and media services' address (default 127.0.0.1)
  --discovery ADDR:PORT      the WS-Discovery UDP socket (default 127.0.0.1:0, a free port);
                             with --multicast it joins 239.255.255.250 on --multicast-if
  --multicast                join the WS-Discovery group (use inside a network namespace)
  --multicast-if ADDR        the interface address that joins the group (default 127.0.0.1)
  --name NAME --model MODEL  what GetDeviceInformation and the discovery scopes report

Writes "<http port> <discovery port>" to PORT_FILE once both sockets listen.
GET /_state answers what was asked: {"calls": [...], "auth": {"digest": n, "wsse": n,
"refused": n}, "probes": n} (test control, not part of ONVIF).

GetSystemDateAndTime answers without authentication, as ONVIF allows; every other call needs
it. A profile's resolution, codec and frame rate are given per stream:
  --main-video 1920x1080@25 --sub-video 640x360@25 (H264).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "dn": "http://www.onvif.org/ver10/network/wsdl",
    "ter": "http://www.onvif.org/ver10/error",
}
MULTICAST_GROUP = "239.255.255.250"
REALM = "gridsight-test-camera"

LOCK = threading.Lock()
STATE = {"calls": [], "auth": {"digest": 0, "wsse": 0, "refused": 0}, "probes": 0}


def envelope(body, header=""):
    decls = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope {decls}>'
            f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>").encode()


def fault(code, subcode, reason):
    return envelope(
        f"<s:Fault><s:Code><s:Value>s:{code}</s:Value><s:Subcode><s:Value>{subcode}</s:Value>"
        f"</s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en\">{reason}</s:Text></s:Reason>"
        "</s:Fault>")


def parse_video(text):
    m = re.fullmatch(r"(\d+)x(\d+)@(\d+)", text)
    if not m:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT@FPS")
    return int(m[1]), int(m[2]), int(m[3])


class Device:
    def __init__(self, args, http_port):
        self.args = args
        self.http_port = http_port
        self.uuid = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{args.name}-{http_port}"))
        host = args.http_bind
        self.device_url = f"http://{host}:{http_port}/onvif/device_service"
        self.media_url = f"http://{host}:{http_port}/onvif/media_service"
        self.profiles = [("profile_main", "MainStream", args.main, args.main_video)]
        if args.sub:
            self.profiles.append(("profile_sub", "SubStream", args.sub, args.sub_video))
        self.nonces = set()

    # ---- WS-Discovery ----
    def probe_match(self, message_id):
        scopes = " ".join([
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/Profile/Streaming",
            f"onvif://www.onvif.org/name/{urllib.parse.quote(self.args.name)}",
            f"onvif://www.onvif.org/hardware/{urllib.parse.quote(self.args.model)}",
        ])
        header = (f"<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>"
                  f"<wsa:RelatesTo>{message_id}</wsa:RelatesTo>"
                  "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
                  "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches"
                  "</wsa:Action>")
        body = ("<d:ProbeMatches><d:ProbeMatch>"
                f"<wsa:EndpointReference><wsa:Address>{self.uuid}</wsa:Address>"
                "</wsa:EndpointReference>"
                "<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>"
                f"<d:Scopes>{scopes}</d:Scopes>"
                f"<d:XAddrs>{self.device_url}</d:XAddrs>"
                "<d:MetadataVersion>1</d:MetadataVersion>"
                "</d:ProbeMatch></d:ProbeMatches>")
        return envelope(body, header)

    def serve_discovery(self, sock):
        while True:
            data, peer = sock.recvfrom(65536)
            try:
                root = ET.fromstring(data)
            except ET.ParseError:
                continue
            probe = root.find(".//d:Probe", NS)
            if probe is None:
                continue
            types = (probe.findtext("d:Types", "", NS) or "").split()
            if types and not any(t.endswith(":NetworkVideoTransmitter") or
                                 t == "NetworkVideoTransmitter" for t in types):
                continue
            message_id = root.findtext(".//wsa:MessageID", "", NS)
            with LOCK:
                STATE["probes"] += 1
            sock.sendto(self.probe_match(message_id), peer)

    # ---- authentication ----
    def wsse_ok(self, root):
        token = root.find(".//wsse:UsernameToken", NS)
        if token is None:
            return False
        user = token.findtext("wsse:Username", "", NS)
        pw = token.find("wsse:Password", NS)
        nonce = token.findtext("wsse:Nonce", "", NS)
        created = token.findtext("wsu:Created", "", NS)
        if pw is None or not pw.get("Type", "").endswith("#PasswordDigest"):
            return False
        try:
            raw_nonce = base64.b64decode(nonce, validate=True)
        except ValueError:
            return False
        expected = base64.b64encode(hashlib.sha1(
            raw_nonce + created.encode() + self.args.password.encode()).digest()).decode()
        return user == self.args.user and pw.text == expected

    def digest_challenge(self):
        nonce = secrets.token_hex(16)
        with LOCK:
            self.nonces.add(nonce)
        return f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'

    def digest_ok(self, header, method, uri):
        if not header or not header.startswith("Digest "):
            return False
        params = {k: (a or b) for k, a, b in
                  re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', header[7:])}
        with LOCK:
            known = params.get("nonce") in self.nonces
        if not known or params.get("username") != self.args.user or params.get("uri") != uri:
            return False
        ha1 = hashlib.md5(f"{self.args.user}:{REALM}:{self.args.password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
        if params.get("qop") == "auth":
            resp = hashlib.md5(f"{ha1}:{params['nonce']}:{params.get('nc', '')}:"
                               f"{params.get('cnonce', '')}:auth:{ha2}".encode()).hexdigest()
        else:
            resp = hashlib.md5(f"{ha1}:{params['nonce']}:{ha2}".encode()).hexdigest()
        return params.get("response") == resp

    # ---- device and media services ----
    def answer(self, op, req):
        a = self.args
        if op == "GetSystemDateAndTime":
            t = time.gmtime()
            return (f"<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
                    "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false"
                    "</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>"
                    f"<tt:UTCDateTime><tt:Time><tt:Hour>{t.tm_hour}</tt:Hour><tt:Minute>"
                    f"{t.tm_min}</tt:Minute><tt:Second>{t.tm_sec}</tt:Second></tt:Time>"
                    f"<tt:Date><tt:Year>{t.tm_year}</tt:Year><tt:Month>{t.tm_mon}</tt:Month>"
                    f"<tt:Day>{t.tm_mday}</tt:Day></tt:Date></tt:UTCDateTime>"
                    "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")
        if op == "GetDeviceInformation":
            return ("<tds:GetDeviceInformationResponse>"
                    f"<tds:Manufacturer>{a.manufacturer}</tds:Manufacturer>"
                    f"<tds:Model>{a.model}</tds:Model>"
                    "<tds:FirmwareVersion>1.0.0</tds:FirmwareVersion>"
                    f"<tds:SerialNumber>{a.serial}</tds:SerialNumber>"
                    "<tds:HardwareId>1</tds:HardwareId></tds:GetDeviceInformationResponse>")
        if op == "GetCapabilities":
            return ("<tds:GetCapabilitiesResponse><tds:Capabilities>"
                    f"<tt:Device><tt:XAddr>{self.device_url}</tt:XAddr></tt:Device>"
                    f"<tt:Media><tt:XAddr>{self.media_url}</tt:XAddr>"
                    "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>"
                    "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
                    "</tt:StreamingCapabilities></tt:Media>"
                    "</tds:Capabilities></tds:GetCapabilitiesResponse>")
        if op == "GetServices":
            def svc(ns, url):
                return (f"<tds:Service><tds:Namespace>{ns}</tds:Namespace>"
                        f"<tds:XAddr>{url}</tds:XAddr><tds:Version><tt:Major>2</tt:Major>"
                        "<tt:Minor>60</tt:Minor></tds:Version></tds:Service>")
            return ("<tds:GetServicesResponse>" + svc(NS["tds"], self.device_url) +
                    svc(NS["trt"], self.media_url) + "</tds:GetServicesResponse>")
        if op == "GetVideoSources":
            w, h, fps = a.main_video
            return ("<trt:GetVideoSourcesResponse><trt:VideoSources token=\"video_source\">"
                    f"<tt:Framerate>{fps}</tt:Framerate><tt:Resolution><tt:Width>{w}</tt:Width>"
                    f"<tt:Height>{h}</tt:Height></tt:Resolution></trt:VideoSources>"
                    "</trt:GetVideoSourcesResponse>")
        if op == "GetProfiles":
            out = []
            for token, name, _url, (w, h, fps) in self.profiles:
                out.append(
                    f"<trt:Profiles token=\"{token}\" fixed=\"true\"><tt:Name>{name}</tt:Name>"
                    "<tt:VideoSourceConfiguration token=\"vsc\"><tt:Name>vsc</tt:Name>"
                    "<tt:UseCount>2</tt:UseCount><tt:SourceToken>video_source</tt:SourceToken>"
                    f"<tt:Bounds x=\"0\" y=\"0\" width=\"{a.main_video[0]}\" "
                    f"height=\"{a.main_video[1]}\"/></tt:VideoSourceConfiguration>"
                    f"<tt:VideoEncoderConfiguration token=\"vec_{token}\"><tt:Name>{name}</tt:Name>"
                    "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
                    f"<tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height>"
                    "</tt:Resolution><tt:Quality>4</tt:Quality><tt:RateControl>"
                    f"<tt:FrameRateLimit>{fps}</tt:FrameRateLimit><tt:EncodingInterval>1"
                    "</tt:EncodingInterval><tt:BitrateLimit>4096</tt:BitrateLimit>"
                    "</tt:RateControl><tt:H264><tt:GovLength>25</tt:GovLength>"
                    "<tt:H264Profile>Main</tt:H264Profile></tt:H264>"
                    "<tt:SessionTimeout>PT60S</tt:SessionTimeout>"
                    "</tt:VideoEncoderConfiguration></trt:Profiles>")
            return "<trt:GetProfilesResponse>" + "".join(out) + "</trt:GetProfilesResponse>"
        if op == "GetStreamUri":
            token = req.findtext(".//trt:ProfileToken", "", NS)
            protocol = req.findtext(".//tt:Transport/tt:Protocol", "", NS)
            stream = req.findtext(".//tt:Stream", "", NS)
            if stream not in ("RTP-Unicast", "RTP-Multicast") or protocol not in (
                    "RTSP", "UDP", "HTTP", "TCP"):
                return None
            for t, _name, url, _v in self.profiles:
                if t == token:
                    return ("<trt:GetStreamUriResponse><trt:MediaUri>"
                            f"<tt:Uri>{url}</tt:Uri><tt:InvalidAfterConnect>false"
                            "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
                            "</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>"
                            "</trt:MediaUri></trt:GetStreamUriResponse>")
            return None
        return None


def make_handler(device):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send(self, code, body, ctype="application/soap+xml; charset=utf-8", extra=()):
            self.send_response(code)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/_state":
                with LOCK:
                    body = json.dumps(STATE).encode()
                self.send(200, body, "application/json")
            else:
                self.send(404, b"")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(n)
            if self.path not in ("/onvif/device_service", "/onvif/media_service"):
                return self.send(404, b"")
            try:
                root = ET.fromstring(data)
            except ET.ParseError:
                return self.send(400, fault("Sender", "ter:WellFormed", "not well-formed XML"))
            body = root.find("s:Body", NS)
            if body is None or len(body) == 0:
                return self.send(400, fault("Sender", "ter:WellFormed", "no SOAP body"))
            op = body[0].tag.rsplit("}", 1)[-1]
            with LOCK:
                STATE["calls"].append(op)
            if op != "GetSystemDateAndTime":
                mode = device.args.auth
                digest = mode in ("digest", "either") and device.digest_ok(
                    self.headers.get("Authorization"), "POST", self.path)
                wsse = mode in ("wsse", "either") and not digest and device.wsse_ok(root)
                with LOCK:
                    STATE["auth"]["digest" if digest else "wsse" if wsse else "refused"] += 1
                if not (digest or wsse):
                    if mode == "wsse":
                        return self.send(400, fault("Sender", "ter:NotAuthorized",
                                                    "Sender not authorized"))
                    return self.send(401, fault("Sender", "ter:NotAuthorized",
                                                "Sender not authorized"),
                                     extra=[("WWW-Authenticate", device.digest_challenge())])
            answer = device.answer(op, root)
            if answer is None:
                return self.send(400, fault("Sender", "ter:InvalidArgVal",
                                            f"{op}: not supported or invalid arguments"))
            self.send(200, envelope(answer))

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port_file")
    p.add_argument("--main", required=True)
    p.add_argument("--sub")
    p.add_argument("--main-video", type=parse_video, default=(1920, 1080, 25))
    p.add_argument("--sub-video", type=parse_video, default=(640, 360, 25))
    p.add_argument("--user", default="admin")
    p.add_argument("--password", default="admin")
    p.add_argument("--auth", choices=["either", "digest", "wsse"], default="either")
    p.add_argument("--http-bind", default="127.0.0.1")
    p.add_argument("--discovery", default="127.0.0.1:0")
    p.add_argument("--multicast", action="store_true")
    p.add_argument("--multicast-if", default="127.0.0.1")
    p.add_argument("--name", default="Test Camera")
    p.add_argument("--model", default="GS-TEST-1")
    p.add_argument("--manufacturer", default="Gridsight Test")
    p.add_argument("--serial", default="GS0001")
    args = p.parse_args()

    httpd = ThreadingHTTPServer((args.http_bind, 0), None)
    device = Device(args, httpd.server_address[1])
    httpd.RequestHandlerClass = make_handler(device)

    host, port = args.discovery.rsplit(":", 1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((host, int(port)))
    if args.multicast:
        udp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                       struct.pack("4s4s", socket.inet_aton(MULTICAST_GROUP),
                                   socket.inet_aton(args.multicast_if)))
    threading.Thread(target=device.serve_discovery, args=(udp,), daemon=True).start()

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{httpd.server_address[1]} {udp.getsockname()[1]}\n")
    os.replace(tmp, args.port_file)
    httpd.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
