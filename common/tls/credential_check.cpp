#include "common/tls/credential_check.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include "common/socket/tcp_connect.h"

namespace gridsight::tls {
namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

// The reason of OpenSSL's oldest queued error ("tlsv1 alert unknown ca"); clears the queue.
std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no detail from OpenSSL";
  const char* r = ERR_reason_error_string(e);
  if (r) return r;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string utc(std::int64_t s) {
  const std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::int64_t epoch(const ASN1_TIME* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return static_cast<std::int64_t>(timegm(&tm));
}

// Missing or unreadable files are reported once, and the file's checks skipped.
bool readable(const std::string& what, const std::string& path,
              std::vector<std::string>& problems) {
  if (path.empty()) {
    problems.push_back(what + ": no file configured");
    return false;
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    problems.push_back(what + " " + path + ": does not exist");
    return false;
  }
  if (::access(path.c_str(), R_OK) != 0) {
    problems.push_back(what + " " + path + ": cannot be read (" + std::strerror(errno) + ")");
    return false;
  }
  return true;
}

std::vector<Ptr<X509>> read_certificates(const std::string& path) {
  std::vector<Ptr<X509>> out;
  Ptr<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  ERR_clear_error();  // the end of the file reads as an error
  return out;
}

int no_password(char*, int, int, void*) {
  return 0;
}

void check_validity(const std::string& what, const std::string& path, X509* c, std::int64_t now_s,
                    std::vector<std::string>& problems) {
  const std::int64_t from = epoch(X509_get0_notBefore(c));
  const std::int64_t until = epoch(X509_get0_notAfter(c));
  if (now_s < from) {
    problems.push_back(what + " " + path + ": not yet valid (from " + utc(from) +
                       "; is this machine's clock right?)");
  }
  if (now_s > until) problems.push_back(what + " " + path + ": expired on " + utc(until));
}

// Why the server's certificate failed verification, in the words operators search for.
std::string verify_cause(long v, const std::string& host) {
  switch (v) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "it has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "it is not yet valid (is this machine's clock right?)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "unknown CA: it is not issued by the CA in ca_file";
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "name mismatch: it does not name \"" + host + "\" (mqtt.host)";
    case X509_V_ERR_CERT_REVOKED:
      return "it is revoked";
    default:
      return X509_verify_cert_error_string(v);
  }
}

// The alert the server sent when it refused this client's certificate.
std::string alert_cause(const std::string& reason) {
  auto has = [&](const char* s) { return reason.find(s) != std::string::npos; };
  if (has("certificate revoked")) return "revoked: this certificate is on the broker's CRL";
  if (has("certificate expired")) {
    return "expired: this certificate, or the broker's CRL (renew it: gridsight-pki crl), has "
           "expired";
  }
  if (has("unknown ca")) return "unknown CA: the broker does not know this certificate's issuer";
  if (has("certificate required")) return "the broker requires a client certificate";
  return reason;
}

}  // namespace

std::vector<std::string> check_client_files(const ClientFiles& files, std::int64_t now_s) {
  std::vector<std::string> problems;
  std::vector<Ptr<X509>> cas;
  if (readable("mqtt.tls.ca_file", files.ca_file, problems)) {
    cas = read_certificates(files.ca_file);
    if (cas.empty())
      problems.push_back("mqtt.tls.ca_file " + files.ca_file + ": no PEM certificate");
    for (auto& c : cas) check_validity("CA certificate", files.ca_file, c.get(), now_s, problems);
  }
  Ptr<X509> cert;
  if (readable("mqtt.tls.cert_file", files.cert_file, problems)) {
    auto certs = read_certificates(files.cert_file);
    if (certs.empty()) {
      problems.push_back("mqtt.tls.cert_file " + files.cert_file + ": no PEM certificate");
    } else {
      cert = std::move(certs.front());
      check_validity("certificate", files.cert_file, cert.get(), now_s, problems);
    }
  }
  if (cert && !cas.empty()) {
    Ptr<X509_STORE> store(X509_STORE_new());
    for (auto& c : cas) X509_STORE_add_cert(store.get(), c.get());
    Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);  // reported above
    if (X509_verify_cert(ctx.get()) != 1) {
      problems.push_back("certificate " + files.cert_file +
                         ": unknown CA: not issued by the CA in " + files.ca_file + " (" +
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())) + ")");
    }
    ERR_clear_error();
  }
  if (readable("mqtt.tls.key_file", files.key_file, problems)) {
    Ptr<BIO> bio(BIO_new_file(files.key_file.c_str(), "r"));
    Ptr<EVP_PKEY> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr)
                          : nullptr);
    if (!key) {
      problems.push_back("mqtt.tls.key_file " + files.key_file +
                         ": no unencrypted PEM private key (" + openssl_reason() + ")");
    } else if (cert && X509_check_private_key(cert.get(), key.get()) != 1) {
      problems.push_back("mqtt.tls.key_file " + files.key_file +
                         ": does not match the certificate " + files.cert_file);
    }
    ERR_clear_error();
    struct stat st {};
    if (::stat(files.key_file.c_str(), &st) == 0) {
      const unsigned mode = st.st_mode & 0777;
      char octal[8];
      std::snprintf(octal, sizeof octal, "%04o", mode);
      const bool shared_with_group = st.st_uid == 0 && (mode & 0037) == 0;  // root:<group> 0640
      if ((mode & 0007) != 0) {
        problems.push_back("mqtt.tls.key_file " + files.key_file +
                           ": readable by every user (mode " + octal + "): chmod 600 it");
      } else if ((mode & 0070) != 0 && !shared_with_group) {
        problems.push_back("mqtt.tls.key_file " + files.key_file + ": group-accessible (mode " +
                           octal + ") but not owned by root: chmod 600 it");
      }
    }
  }
  return problems;
}

bool certificate_not_after(const std::string& pem_file, std::int64_t& out) {
  auto certs = read_certificates(pem_file);
  if (certs.empty()) return false;
  out = epoch(X509_get0_notAfter(certs.front().get()));
  return true;
}

std::string diagnose_handshake(const std::string& host, int port, const ClientFiles& files,
                               bool verify_hostname, int timeout_ms) {
  ERR_clear_error();
  Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return "cannot make a TLS context: " + openssl_reason();
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca_file.c_str(), nullptr) != 1) {
    return "cannot use ca_file " + files.ca_file + ": " + openssl_reason();
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1) {
    return "cannot use cert_file " + files.cert_file + ": " + openssl_reason();
  }
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_password);
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return "cannot use key_file " + files.key_file + ": " + openssl_reason();
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return "key_file " + files.key_file + " does not match cert_file " + files.cert_file;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::string error;
  const int fd = tcp_connect(host, port, timeout_ms, error);
  if (fd < 0) return "cannot reach " + host + ":" + std::to_string(port) + ": " + error;
  Ptr<SSL> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), host.c_str());
  if (verify_hostname) SSL_set1_host(ssl.get(), host.c_str());
  std::string cause;
  if (SSL_connect(ssl.get()) != 1) {
    const long v = SSL_get_verify_result(ssl.get());
    if (v != X509_V_OK) {
      cause = "the broker's certificate is refused: " + verify_cause(v, host);
    } else {
      cause = "the broker refused the handshake: " + alert_cause(openssl_reason());
    }
  } else {
    // With TLS 1.3 the broker checks this client's certificate after the handshake: its
    // refusal arrives as an alert on the first read. A broker that accepts it waits for the
    // MQTT CONNECT: the read times out.
    char byte = 0;
    const int r = SSL_read(ssl.get(), &byte, 1);
    if (r <= 0 && SSL_get_error(ssl.get(), r) == SSL_ERROR_SSL) {
      cause = "the broker refused this certificate: " + alert_cause(openssl_reason());
    } else {
      cause =
          "the TLS handshake succeeds (both certificates accepted): the refusal is not about "
          "certificates";
    }
  }
  ERR_clear_error();
  ssl.reset();
  ::close(fd);
  return cause;
}

}  // namespace gridsight::tls
