#pragma once
// Checks of a client's TLS files (CA, certificate, private key) with OpenSSL, and a probe that
// names why a TLS handshake with a server fails. Used by `--check-config`, at start-up and
// after a failed connect: Paho reports only "TCP/TLS connect failure".

#include <cstdint>
#include <string>
#include <vector>

namespace gridsight::tls {

struct ClientFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Every problem with the files at `now_s` (epoch seconds), one sentence each naming the file:
// missing or unreadable, not PEM, certificate expired or not yet valid, not issued by the CA
// in ca_file, key not matching the certificate, key readable by others (group-readable is
// accepted only for a root-owned key shared with the daemon's group, e.g. root:gridsight
// 0640). Empty: all good.
std::vector<std::string> check_client_files(const ClientFiles& files, std::int64_t now_s);

// When the (first) certificate in `pem_file` expires, in epoch seconds; false if it cannot be
// read.
bool certificate_not_after(const std::string& pem_file, std::int64_t& out);

// Connects to host:port, makes a TLS handshake with `files` (verifying the server's
// certificate against the CA and, with `verify_hostname`, its name) and waits up to
// `timeout_ms` for the server to refuse this client's certificate. Returns the cause in
// words: "the broker's certificate has expired", "the broker refused this certificate:
// certificate revoked", "... unknown CA", a name mismatch, ...; or that the handshake
// succeeded.
std::string diagnose_handshake(const std::string& host, int port, const ClientFiles& files,
                               bool verify_hostname, int timeout_ms);

}  // namespace gridsight::tls
